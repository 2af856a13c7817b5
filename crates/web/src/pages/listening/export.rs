//! The stream as CSV, `/w/{slug}/listening/mentions.csv`, under the same filters: UTF-8, a
//! header row, every matching mention up to [`MAX_ROWS`]. Rows are read a page at a time and
//! sent as they are read, so a large export holds one page in memory, not the whole file.

use std::sync::Arc;

use axum::Extension;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use relais_core::WorkspaceId;
use relais_store::Store;
use relais_store::listening::{ListenQuery, Mention, MentionFilter};

use super::filter::StreamParams;
use crate::context::Ctx;
use crate::pages::{PageResult, enter_workspace};
use crate::state::AppState;

/// Most rows one export holds.
pub const MAX_ROWS: u32 = 100_000;
/// Rows read from the store at once.
const BATCH: u32 = 1_000;

const HEADER: [&str; 17] = [
    "id",
    "time",
    "source",
    "site",
    "url",
    "author",
    "reach",
    "language",
    "sentiment",
    "score",
    "title",
    "text",
    "tags",
    "queries",
    "muted",
    "duplicate_of",
    "sent_to_inbox",
];

/// One CSV field: quoted when needed; a text a spreadsheet would run as a formula (first
/// character `=`, `+`, `-`, `@`, or a tab or carriage return) is prefixed with `'`. Plain
/// numbers (`-0.42`) are left as they are.
pub fn field(cell: &str) -> String {
    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']) && cell.parse::<f64>().is_err();
    let cell = if risky {
        format!("'{cell}")
    } else {
        cell.to_owned()
    };
    if cell.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", cell.replace('"', "\"\""))
    } else {
        cell
    }
}

fn line(cells: &[String]) -> String {
    let mut out = cells.iter().map(|c| field(c)).collect::<Vec<_>>().join(",");
    out.push_str("\r\n");
    out
}

fn record(m: &Mention, queries: &[ListenQuery]) -> String {
    let names: Vec<&str> = super::query_names(&m.query_ids, queries).collect();
    line(&[
        m.id.to_string(),
        m.at.to_rfc3339(),
        m.source_kind.as_str().to_owned(),
        m.site.clone().unwrap_or_default(),
        m.url.clone().unwrap_or_default(),
        m.author.clone().unwrap_or_default(),
        m.reach.map(|r| r.to_string()).unwrap_or_default(),
        m.lang.clone().unwrap_or_default(),
        m.sentiment.as_str().to_owned(),
        format!("{:.3}", m.score_milli as f64 / 1000.0),
        m.title.clone().unwrap_or_default(),
        m.text.clone(),
        m.tags.join("; "),
        names.join("; "),
        m.muted.to_string(),
        m.duplicate_of.map(|d| d.to_string()).unwrap_or_default(),
        m.inbox_sent_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
    ])
}

/// Where the export is: the next page's filter, how many rows are left to send.
struct Cursor {
    store: Arc<dyn Store>,
    workspace: WorkspaceId,
    filter: MentionFilter,
    queries: Arc<Vec<ListenQuery>>,
    left: u32,
    header_sent: bool,
    done: bool,
}

/// The next chunk of the file: the header, then one page of rows; `None` at the end. A store
/// error ends the body early (the download fails visibly rather than looking complete).
async fn next_chunk(mut c: Cursor) -> Option<(Result<Bytes, std::io::Error>, Cursor)> {
    if !c.header_sent {
        c.header_sent = true;
        let header: Vec<String> = HEADER.iter().map(|h| (*h).to_owned()).collect();
        return Some((Ok(Bytes::from(line(&header))), c));
    }
    if c.done || c.left == 0 {
        return None;
    }
    let want = c.left.min(BATCH);
    match c.store.mentions(c.workspace, &c.filter, want).await {
        Ok(page) => {
            let last = page.last()?;
            c.filter.before = Some((last.at, last.id));
            c.left -= page.len() as u32;
            c.done = (page.len() as u32) < want;
            let mut chunk = String::with_capacity(page.len() * 256);
            for m in &page {
                chunk.push_str(&record(m, &c.queries));
            }
            Some((Ok(Bytes::from(chunk)), c))
        }
        Err(e) => {
            tracing::error!(error = %e, "listening export: cannot read mentions");
            c.done = true;
            Some((Err(std::io::Error::other("cannot read mentions")), c))
        }
    }
}

pub async fn csv(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
    Query(params): Query<StreamParams>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    let filter = params.unpaged_filter();
    let queries = state.store.listen_queries(access.workspace.id).await?;
    let start = Cursor {
        store: state.store.clone(),
        workspace: access.workspace.id,
        filter,
        queries: Arc::new(queries),
        left: MAX_ROWS,
        header_sent: false,
        done: false,
    };
    let body = Body::from_stream(futures_util::stream::unfold(start, next_chunk));
    let file = format!(
        "attachment; filename=\"{}-mentions-{}.csv\"",
        access.workspace.slug,
        super::day(relais_core::Timestamp::now())
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, file),
        ],
        body,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused_and_fields_quoted() {
        assert_eq!(field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(field("+33 6 12"), "'+33 6 12");
        assert_eq!(field("@jean"), "'@jean");
        assert_eq!(field("-cmd|' /C calc'!A0"), "'-cmd|' /C calc'!A0");
        assert_eq!(field("-0.420"), "-0.420", "a number stays a number");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("deux\nlignes"), "\"deux\nlignes\"");
        assert_eq!(field("plain"), "plain");
        assert_eq!(
            line(&["a".into(), "=1".into()]),
            "a,'=1\r\n",
            "one line per record, CRLF"
        );
    }
}
