//! The public netiquette, `/n/{slug}`: a workspace's community rules for anyone, without a login
//! (automatic replies link here). It shows the workspace's name and the text, nothing else, and
//! is not found when the workspace keeps it private, has none, or does not exist: the three
//! answer alike, so the page does not tell which workspaces exist.

use askama::Template;
use axum::Extension;
use axum::extract::{Path, State};
use relais_core::Slug;

use crate::context::Ctx;
use crate::error::WebError;
use crate::pages::{Chrome, PageResult, render};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "netiquette.html")]
struct NetiquettePage {
    c: Chrome,
    name: String,
    /// Paragraphs, each a list of lines (a single line break is kept within a paragraph).
    paragraphs: Vec<Vec<String>>,
}

/// The text cut into paragraphs at blank lines, each cut into its lines.
pub fn paragraphs(text: &str) -> Vec<Vec<String>> {
    let mut all = Vec::new();
    let mut current: Vec<String> = Vec::new();
    for line in text.lines() {
        let line = line.trim_end();
        if line.trim().is_empty() {
            if !current.is_empty() {
                all.push(std::mem::take(&mut current));
            }
        } else {
            current.push(line.to_owned());
        }
    }
    if !current.is_empty() {
        all.push(current);
    }
    all
}

pub async fn show(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
) -> PageResult {
    let slug = Slug::parse(&slug).map_err(|_| WebError::not_found())?;
    let ws = state
        .store
        .workspace_by_slug(&slug)
        .await?
        .ok_or_else(WebError::not_found)?;
    let settings = state.store.inbox_settings(ws.id).await?;
    let paragraphs = paragraphs(&settings.netiquette);
    if !settings.netiquette_public || paragraphs.is_empty() {
        return Err(WebError::not_found());
    }
    let m = ctx.m().moder;
    let title = m.netiquette_title.replace("{name}", &ws.name);
    render(&NetiquettePage {
        c: Chrome::new(&ctx, &title, &format!("/n/{slug}")),
        name: ws.name,
        paragraphs,
    })
}

#[cfg(test)]
mod tests {
    use super::paragraphs;

    #[test]
    fn blank_lines_make_paragraphs() {
        let text = "Be kind.\nNo insults.\n\n \n\nNo spam, no links to shops.\r\n\r\n";
        assert_eq!(
            paragraphs(text),
            vec![
                vec!["Be kind.".to_owned(), "No insults.".to_owned()],
                vec!["No spam, no links to shops.".to_owned()],
            ]
        );
        assert!(paragraphs(" \n\n").is_empty());
    }
}
