//! Canned replies: prepared answers with variables, `{{first_name}}` or `{{ brand }}`, filled in
//! when a member picks one for a conversation.
//!
//! A template is checked when it is saved ([`check`]), so that a typo (`{{prenom}}`) is caught
//! by the person writing it, with its column, rather than sent to a fan. Filling in
//! ([`render`]) never fails on a checked template: a value the conversation lacks falls back
//! (a first name to the handle, the member's name to the brand's).

use std::fmt;

/// The variables a template may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variable {
    /// The contact's first name (the first word of their display name), else their handle.
    FirstName,
    /// The contact's display name, else their handle.
    Name,
    /// The contact's handle, with `@`.
    Handle,
    /// The workspace's name.
    Brand,
    /// The member replying.
    AgentName,
    /// The address of the workspace's public netiquette page.
    NetiquetteUrl,
}

impl Variable {
    pub const ALL: [Variable; 6] = [
        Variable::FirstName,
        Variable::Name,
        Variable::Handle,
        Variable::Brand,
        Variable::AgentName,
        Variable::NetiquetteUrl,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Variable::FirstName => "first_name",
            Variable::Name => "name",
            Variable::Handle => "handle",
            Variable::Brand => "brand",
            Variable::AgentName => "agent_name",
            Variable::NetiquetteUrl => "netiquette_url",
        }
    }

    fn from_name(name: &str) -> Option<Variable> {
        Variable::ALL.into_iter().find(|v| v.name() == name)
    }
}

/// What a template is filled with.
#[derive(Clone, Debug, Default)]
pub struct Values<'a> {
    pub contact_name: Option<&'a str>,
    pub contact_handle: Option<&'a str>,
    pub brand: &'a str,
    pub agent_name: Option<&'a str>,
    pub netiquette_url: Option<&'a str>,
}

impl Values<'_> {
    fn value_of(&self, variable: Variable) -> String {
        let handle = self
            .contact_handle
            .map(|h| h.trim_start_matches('@'))
            .filter(|h| !h.is_empty());
        let name = self.contact_name.map(str::trim).filter(|n| !n.is_empty());
        match variable {
            Variable::FirstName => name
                .and_then(|n| n.split_whitespace().next())
                .or(handle)
                .unwrap_or_default()
                .to_owned(),
            Variable::Name => name.or(handle).unwrap_or_default().to_owned(),
            Variable::Handle => handle.map(|h| format!("@{h}")).unwrap_or_default(),
            Variable::Brand => self.brand.to_owned(),
            Variable::AgentName => self.agent_name.unwrap_or(self.brand).to_owned(),
            Variable::NetiquetteUrl => self.netiquette_url.unwrap_or_default().to_owned(),
        }
    }
}

/// Why a template cannot be saved. Columns count characters from 1.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("column {column}: `{{{{` is never closed by `}}}}`")]
    Unclosed { column: usize },
    #[error(
        "column {column}: unknown variable `{name}`; use one of {}",
        known_list()
    )]
    Unknown { column: usize, name: String },
    #[error("the reply is empty")]
    Empty,
}

fn known_list() -> String {
    Variable::ALL
        .iter()
        .map(|v| format!("{{{{{}}}}}", v.name()))
        .collect::<Vec<_>>()
        .join(", ")
}

impl TemplateError {
    /// The error in the user's language (`fr` or else English).
    pub fn describe(&self, lang: &str) -> String {
        if lang != "fr" {
            return self.to_string();
        }
        match self {
            TemplateError::Unclosed { column } => {
                format!("colonne {column} : `{{{{` n'est jamais fermé par `}}}}`")
            }
            TemplateError::Unknown { column, name } => format!(
                "colonne {column} : variable `{name}` inconnue ; utilisez l'une de {}",
                known_list()
            ),
            TemplateError::Empty => "la réponse est vide".to_owned(),
        }
    }
}

/// A piece of a template.
#[derive(Debug, PartialEq, Eq)]
enum Piece<'a> {
    Text(&'a str),
    Var(Variable),
}

fn parse(template: &str) -> Result<Vec<Piece<'_>>, TemplateError> {
    if template.trim().is_empty() {
        return Err(TemplateError::Empty);
    }
    let mut pieces = Vec::new();
    let mut rest = template;
    let mut offset = 0;
    while let Some(open) = rest.find("{{") {
        if open > 0 {
            pieces.push(Piece::Text(&rest[..open]));
        }
        let column = template[..offset + open].chars().count() + 1;
        let inner_start = open + 2;
        let Some(close) = rest[inner_start..].find("}}") else {
            return Err(TemplateError::Unclosed { column });
        };
        let name = rest[inner_start..inner_start + close].trim();
        let variable = Variable::from_name(name).ok_or_else(|| TemplateError::Unknown {
            column,
            name: name.to_owned(),
        })?;
        pieces.push(Piece::Var(variable));
        let consumed = inner_start + close + 2;
        offset += consumed;
        rest = &rest[consumed..];
    }
    if !rest.is_empty() {
        pieces.push(Piece::Text(rest));
    }
    Ok(pieces)
}

/// Checks a template before it is saved.
pub fn check(template: &str) -> Result<(), TemplateError> {
    parse(template).map(|_| ())
}

/// Fills a template in.
pub fn render(template: &str, values: &Values<'_>) -> Result<String, TemplateError> {
    let mut out = String::with_capacity(template.len() + 32);
    for piece in parse(template)? {
        match piece {
            Piece::Text(text) => out.push_str(text),
            Piece::Var(variable) => out.push_str(&values.value_of(variable)),
        }
    }
    Ok(out)
}

impl fmt::Display for Variable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{{{{{}}}}}", self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values() -> Values<'static> {
        Values {
            contact_name: Some("Léa Martin"),
            contact_handle: Some("@lea.example"),
            brand: "Café Relais",
            agent_name: Some("Sam"),
            netiquette_url: Some("https://relais.example/n/cafe"),
        }
    }

    #[test]
    fn variables_are_filled_in_with_or_without_spaces() {
        let text = render(
            "Bonjour {{first_name}}, merci ! {{ agent_name }} pour {{brand}} ({{handle}}, {{name}}). {{netiquette_url}}",
            &values(),
        )
        .expect("renders");
        assert_eq!(
            text,
            "Bonjour Léa, merci ! Sam pour Café Relais (@lea.example, Léa Martin). https://relais.example/n/cafe"
        );
    }

    #[test]
    fn missing_values_fall_back() {
        let bare = Values {
            brand: "Café Relais",
            contact_handle: Some("lea.example"),
            ..Values::default()
        };
        assert_eq!(
            render("Hi {{first_name}}, {{agent_name}}", &bare).expect("renders"),
            "Hi lea.example, Café Relais"
        );
    }

    #[test]
    fn errors_say_where_and_what_to_use() {
        assert_eq!(
            check("Salut {{prenom}} !"),
            Err(TemplateError::Unknown {
                column: 7,
                name: "prenom".into()
            })
        );
        let unknown = check("é {{x}}").expect_err("unknown");
        assert!(unknown.to_string().contains("{{first_name}}"), "{unknown}");
        assert!(
            unknown.describe("fr").starts_with("colonne 3"),
            "{}",
            unknown.describe("fr")
        );
        assert_eq!(
            check("ok {{brand}} then {{first_name"),
            Err(TemplateError::Unclosed { column: 19 })
        );
        assert_eq!(check("  "), Err(TemplateError::Empty));
    }

    #[test]
    fn single_braces_and_text_around_are_kept() {
        assert_eq!(
            render("{a} }} {{brand}}{", &values()).expect("renders"),
            "{a} }} Café Relais{"
        );
    }
}
