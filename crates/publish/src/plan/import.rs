//! Bulk planning from a CSV file, as spreadsheets export it.
//!
//! Columns, found by their header (case, accents and spaces ignored; English or French):
//! - `channel` / `canal` / `réseau`: one channel name, or several separated by `|`;
//! - `text` / `texte`: the post; a line holding only `---` splits it into a thread;
//! - `at` / `date` / `quand` (optional): when, as `relais post --at` reads it; empty = now;
//! - `time_zone` / `fuseau` (optional): the zone of `at`, else the import's default;
//! - `image` (optional): a file path; `alt` (optional): its alt text.
//!
//! The separator is `,` or `;` (what French spreadsheets write), found from the header line; a
//! byte-order mark is skipped. Every row is read on its own: a broken row is reported with its
//! line number and reason, and never stops the others.

use std::collections::HashMap;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportRow {
    /// The line of the file where the row starts (1 is the header).
    pub line: u64,
    pub channels: Vec<String>,
    /// The parts of the post (several for a thread).
    pub texts: Vec<String>,
    pub at: Option<String>,
    pub time_zone: Option<String>,
    pub image: Option<String>,
    pub alt: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowError {
    pub line: u64,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    #[error(
        "the file is empty; the first line must name the columns (channel, text, and optionally at, time_zone, image, alt)"
    )]
    Empty,
    #[error(
        "the header has no `{0}` column; name the columns on the first line: channel, text, at, time_zone, image, alt"
    )]
    MissingColumn(&'static str),
    #[error("the header names `{0}` twice; keep one")]
    DuplicateColumn(String),
}

fn normalise(header: &str) -> String {
    header
        .trim()
        .to_lowercase()
        .chars()
        .map(|c| match c {
            'é' | 'è' | 'ê' => 'e',
            'à' | 'â' => 'a',
            ' ' | '-' => '_',
            other => other,
        })
        .collect()
}

fn column_of(header: &str) -> Option<&'static str> {
    Some(match normalise(header).as_str() {
        "channel" | "channels" | "canal" | "canaux" | "reseau" | "reseaux" => "channel",
        "text" | "texte" | "message" => "text",
        "at" | "date" | "when" | "quand" | "time" | "heure" => "at",
        "time_zone" | "timezone" | "zone" | "fuseau" | "fuseau_horaire" => "time_zone",
        "image" | "media" | "photo" => "image",
        "alt" | "alt_text" | "texte_alternatif" => "alt",
        _ => return None,
    })
}

/// Reads the file: `Err` when it cannot be read at all, else one result per row.
pub fn parse(input: &str) -> Result<Vec<Result<ImportRow, RowError>>, FileError> {
    let input = input.strip_prefix('\u{feff}').unwrap_or(input);
    // Old spreadsheets end lines with a lone CR: make every line end one LF, so that rows and
    // the line numbers in the report are what a person sees in an editor.
    let normalised = input.replace("\r\n", "\n").replace('\r', "\n");
    let input = normalised.as_str();
    let first_line = input
        .lines()
        .find(|l| !l.trim().is_empty())
        .ok_or(FileError::Empty)?;
    let delimiter = if first_line.matches(';').count() > first_line.matches(',').count() {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(true)
        .from_reader(input.as_bytes());
    let headers = reader.headers().map_err(|_| FileError::Empty)?.clone();
    let mut index: HashMap<&'static str, usize> = HashMap::new();
    for (i, h) in headers.iter().enumerate() {
        if let Some(col) = column_of(h)
            && index.insert(col, i).is_some()
        {
            return Err(FileError::DuplicateColumn(h.trim().to_owned()));
        }
    }
    for required in ["channel", "text"] {
        if !index.contains_key(required) {
            return Err(FileError::MissingColumn(required));
        }
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                rows.push(Err(RowError {
                    line,
                    reason: format!("this row cannot be read as CSV ({e}); check its quotes"),
                }));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let get = |col: &str| {
            index
                .get(col)
                .and_then(|i| record.get(*i))
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let channels: Vec<String> = get("channel")
            .unwrap_or_default()
            .split('|')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        if channels.is_empty() {
            rows.push(Err(RowError {
                line,
                reason: "no channel: name at least one channel of the workspace".into(),
            }));
            continue;
        }
        let text = index.get("text").and_then(|i| record.get(*i)).unwrap_or("");
        let texts: Vec<String> = split_thread(text);
        if texts.is_empty() {
            rows.push(Err(RowError {
                line,
                reason: "no text: write the post in the text column".into(),
            }));
            continue;
        }
        rows.push(Ok(ImportRow {
            line,
            channels,
            texts,
            at: get("at"),
            time_zone: get("time_zone"),
            image: get("image"),
            alt: get("alt"),
        }));
    }
    Ok(rows)
}

/// Splits a text on lines holding only `---` into the parts of a thread.
pub fn split_thread(text: &str) -> Vec<String> {
    let mut parts = vec![String::new()];
    for line in text.lines() {
        if line.trim() == "---" {
            parts.push(String::new());
        } else if let Some(last) = parts.last_mut() {
            if !last.is_empty() {
                last.push('\n');
            }
            last.push_str(line);
        }
    }
    parts
        .into_iter()
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_french_spreadsheets_and_reports_broken_rows() {
        let file = "\u{feff}Réseau;Texte;Date;Fuseau horaire\n\
                    bsky|masto;Bonjour;2026-06-01 09:00;Europe/Paris\n\
                    ;Sans canal;;\n\
                    bsky;;;\n\
                    ;;;\n\
                    bsky;\"Un fil\n---\nsuite\";;\n";
        let rows = parse(file).unwrap();
        assert_eq!(rows.len(), 4, "the empty row is skipped: {rows:?}");
        let first = rows[0].as_ref().unwrap();
        assert_eq!(first.channels, ["bsky", "masto"]);
        assert_eq!(
            (first.at.as_deref(), first.time_zone.as_deref()),
            (Some("2026-06-01 09:00"), Some("Europe/Paris"))
        );
        assert_eq!(first.line, 2);
        let e = rows[1].as_ref().unwrap_err();
        assert_eq!(e.line, 3);
        assert!(e.reason.contains("no channel"));
        assert!(rows[2].as_ref().unwrap_err().reason.contains("no text"));
        assert_eq!(rows[3].as_ref().unwrap().texts, ["Un fil", "suite"]);
    }

    #[test]
    fn the_header_must_name_channel_and_text() {
        assert_eq!(parse(""), Err(FileError::Empty));
        assert_eq!(
            parse("text,at\nx,y\n"),
            Err(FileError::MissingColumn("channel"))
        );
        assert!(matches!(
            parse("channel,text,texte\na,b,c\n"),
            Err(FileError::DuplicateColumn(_))
        ));
        let rows = parse("Channel,Text,Image,Alt\nbsky,\"a, b\",logo.png,Le logo\n").unwrap();
        let r = rows[0].as_ref().unwrap();
        assert_eq!(
            (r.texts[0].as_str(), r.image.as_deref(), r.alt.as_deref()),
            ("a, b", Some("logo.png"), Some("Le logo"))
        );
    }

    #[test]
    fn lone_carriage_returns_end_lines_too() {
        let rows = parse("channel,text\rbsky,un\rbsky,deux\r").unwrap();
        let lines: Vec<u64> = rows
            .iter()
            .map(|r| r.as_ref().map_or(0, |r| r.line))
            .collect();
        assert_eq!(lines, [2, 3]);
    }

    #[test]
    fn rows_with_too_few_fields_are_not_fatal() {
        let rows = parse("channel,text,at\nbsky\nbsky,hello\n").unwrap();
        assert!(rows[0].is_err());
        assert!(rows[1].is_ok());
    }
}
