//! The peer for the dashboard's questions: PostgreSQL with the same events in one table, one row
//! per event with its visit's attributes beside it (the usual way to keep analytics in a
//! general-purpose database), loaded with COPY, indexed on time and analysed, then asked the
//! same questions in SQL (see [`super::dashboard`]).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use relais_audience::event::Event;
use sqlx::postgres::PgConnection;
use sqlx::{Connection, Row as _};

use super::dashboard::{Dashboard, Row, TABLE, Timed, day_label};
use super::embedded_side::{MIN_WARM_RUNS, WARM_BUDGET, WARM_RUNS};
use super::generate::{Spec, Tables, day_events};

/// COPY data is sent in pieces of about this many bytes.
const PIECE: usize = 4 << 20;

/// How loading went, and what the table takes.
#[derive(Clone, Debug, Default)]
pub struct Loaded {
    pub events: u64,
    pub copying: Duration,
    pub indexing: Duration,
    /// The table, its index and its TOAST, as PostgreSQL counts them.
    pub bytes_on_disk: u64,
    pub version: String,
}

impl Loaded {
    pub fn bytes_per_event(&self) -> f64 {
        super::bytes_per_event(self.bytes_on_disk, self.events)
    }
}

/// The columns, in COPY's order.
const COLUMNS: &str = "at bigint NOT NULL, visitor bigint NOT NULL, session bigint NOT NULL, \
     name text NOT NULL, page text NOT NULL, hostname text NOT NULL, source text, referrer text, \
     channel text NOT NULL, utm_source text, utm_medium text, utm_campaign text, country text, \
     browser text, browser_version text, os text, os_version text, device text, \
     interactive boolean NOT NULL, scroll_depth smallint, engaged_ms integer, prop_key text, \
     prop_value text";

/// Creates the table (replacing one an interrupted run left), COPYs every day of `spec` into
/// it, then indexes and analyses it.
pub async fn load(url: &str, spec: &Spec) -> Result<Loaded> {
    let mut conn = connect(url).await?;
    let version: String = sqlx::query_scalar("SHOW server_version")
        .fetch_one(&mut conn)
        .await
        .context("cannot ask PostgreSQL its version")?;
    sqlx::query(&format!("DROP TABLE IF EXISTS {TABLE}"))
        .execute(&mut conn)
        .await?;
    sqlx::query(&format!("CREATE TABLE {TABLE} ({COLUMNS})"))
        .execute(&mut conn)
        .await
        .context("cannot create the events table")?;
    let tables = std::sync::Arc::new(Tables::default());
    let started = Instant::now();
    let mut events_copied = 0u64;
    let mut copy = conn
        .copy_in_raw(&format!("COPY {TABLE} FROM STDIN"))
        .await
        .context("cannot start COPY")?;
    for index in 0..spec.days {
        let (for_day, tables_for_day) = (spec.clone(), tables.clone());
        let events =
            tokio::task::spawn_blocking(move || day_events(&for_day, index, &tables_for_day))
                .await
                .context("the generator stopped")?;
        events_copied += events.len() as u64;
        let mut visits = HashMap::new();
        let mut piece = Vec::with_capacity(PIECE + 4096);
        for event in &events {
            let visit = visits
                .entry(event.session)
                .or_insert_with(|| visit_of(event));
            copy_line(&mut piece, event, visit);
            if piece.len() >= PIECE {
                copy.send(std::mem::take(&mut piece)).await?;
                piece.reserve(PIECE + 4096);
            }
        }
        if !piece.is_empty() {
            copy.send(piece).await?;
        }
        if (index + 1) % 5 == 0 || index + 1 == spec.days {
            eprintln!(
                "  postgres: {} of {} days copied ({events_copied} events)",
                index + 1,
                spec.days
            );
        }
    }
    let rows = copy.finish().await.context("COPY failed")?;
    let copying = started.elapsed();
    if rows != events_copied {
        bail!("PostgreSQL took {rows} rows of {events_copied} events");
    }
    let started = Instant::now();
    sqlx::query(&format!("CREATE INDEX ON {TABLE} (at)"))
        .execute(&mut conn)
        .await
        .context("cannot index the events table")?;
    sqlx::query(&format!("ANALYZE {TABLE}"))
        .execute(&mut conn)
        .await?;
    let indexing = started.elapsed();
    let bytes: i64 = sqlx::query_scalar(&format!("SELECT pg_total_relation_size('{TABLE}')"))
        .fetch_one(&mut conn)
        .await?;
    conn.close().await.ok();
    Ok(Loaded {
        events: events_copied,
        copying,
        indexing,
        bytes_on_disk: u64::try_from(bytes).unwrap_or(0),
        version,
    })
}

/// Asks each question: the first time on a new connection, then [`WARM_RUNS`] times more on
/// it. Returns the timings and the last answer of each.
pub async fn ask(url: &str, spec: &Spec) -> Result<Vec<(Dashboard, Timed, Vec<Row>)>> {
    let (from, to) = bounds(spec);
    let mut out = Vec::new();
    for dashboard in Dashboard::ALL {
        let sql = dashboard.sql();
        let mut conn = connect(url).await?;
        let mut timed = Timed::default();
        let mut rows = Vec::new();
        let warming = Instant::now();
        for run in 0..=WARM_RUNS {
            if run > MIN_WARM_RUNS && warming.elapsed() > WARM_BUDGET {
                break;
            }
            let started = Instant::now();
            let answer = sqlx::query(&sql)
                .bind(from)
                .bind(to)
                .fetch_all(&mut conn)
                .await
                .with_context(|| format!("PostgreSQL cannot answer the {}", dashboard.label()))?;
            let took = started.elapsed();
            if run == 0 {
                timed.cold = took;
            } else {
                timed.warm.push(took);
            }
            rows = answer
                .iter()
                .map(|r| row_of(dashboard, r))
                .collect::<Result<_>>()?;
        }
        conn.close().await.ok();
        out.push((dashboard, timed, rows));
    }
    Ok(out)
}

/// Removes the table (on a database the caller named: ours goes with the cluster).
pub async fn drop_table(url: &str) -> Result<()> {
    let mut conn = connect(url).await?;
    sqlx::query(&format!("DROP TABLE IF EXISTS {TABLE}"))
        .execute(&mut conn)
        .await?;
    conn.close().await.ok();
    Ok(())
}

async fn connect(url: &str) -> Result<PgConnection> {
    PgConnection::connect(url)
        .await
        .map_err(|e| anyhow!("cannot connect to PostgreSQL: {e}"))
}

/// The period in milliseconds: from the first day's midnight to the midnight after the last.
pub fn bounds(spec: &Spec) -> (i64, i64) {
    let midnight = |d: chrono::NaiveDate| {
        d.and_hms_opt(0, 0, 0)
            .map_or(0, |t| t.and_utc().timestamp_millis())
    };
    (
        midnight(spec.first_day),
        midnight(spec.last_day()) + 86_400_000,
    )
}

fn row_of(dashboard: Dashboard, r: &sqlx::postgres::PgRow) -> Result<Row> {
    let int = |i: usize| -> Result<i64> { Ok(r.try_get::<i64, _>(i)?) };
    Ok(match dashboard {
        Dashboard::MainGraph => Row {
            labels: vec![day_label(int(0)?)],
            metrics: (1..=5).map(int).collect::<Result<_>>()?,
        },
        Dashboard::TopSources | Dashboard::TopPages => Row {
            labels: vec![r.try_get::<String, _>(0)?],
            metrics: (1..r.len()).map(int).collect::<Result<_>>()?,
        },
    })
}

/// A visit's attributes: those of its first event, as the engine keeps them.
struct Visit {
    columns: String,
}

fn visit_of(first: &Event) -> Visit {
    let mut columns = String::new();
    for value in [
        first.source.as_deref(),
        first.referrer.as_deref(),
        Some(first.channel.as_str()),
        first.utm_source.as_deref(),
        first.utm_medium.as_deref(),
        first.utm_campaign.as_deref(),
        first.country.as_deref(),
        first.browser.as_deref(),
        first.browser_version.as_deref(),
        first.os.as_deref(),
        first.os_version.as_deref(),
        first.device.as_deref(),
    ] {
        columns.push('\t');
        push_field(&mut columns, value);
    }
    Visit { columns }
}

/// One event as a line of COPY's text format.
fn copy_line(out: &mut Vec<u8>, event: &Event, visit: &Visit) {
    use std::fmt::Write as _;
    let mut line = String::with_capacity(256);
    // Hashes are unsigned; PostgreSQL's bigint is signed: the same 64 bits, reread.
    let _ = write!(
        line,
        "{}\t{}\t{}\t",
        event.at_ms, event.visitor as i64, event.session as i64
    );
    push_field(&mut line, Some(&event.name));
    line.push('\t');
    push_field(&mut line, Some(&event.pathname));
    line.push('\t');
    push_field(&mut line, Some(&event.hostname));
    line.push_str(&visit.columns);
    let _ = write!(line, "\t{}\t", if event.interactive { 't' } else { 'f' });
    match event.scroll_depth {
        Some(d) => {
            let _ = write!(line, "{d}");
        }
        None => line.push_str("\\N"),
    }
    line.push('\t');
    match event.engaged_ms {
        Some(ms) => {
            let _ = write!(line, "{ms}");
        }
        None => line.push_str("\\N"),
    }
    let prop = event.props.first();
    line.push('\t');
    push_field(&mut line, prop.map(|p| p.0.as_str()));
    line.push('\t');
    push_field(&mut line, prop.map(|p| p.1.as_str()));
    line.push('\n');
    out.extend_from_slice(line.as_bytes());
}

/// A text field of COPY's text format: `\N` for none; backslash, tab and line breaks escaped.
fn push_field(out: &mut String, value: Option<&str>) {
    let Some(value) = value else {
        out.push_str("\\N");
        return;
    };
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_lines_escape_text_and_mark_what_is_missing() {
        let mut field = String::new();
        push_field(&mut field, Some("a\tb\\c\nd"));
        assert_eq!(field, "a\\tb\\\\c\\nd");
        let mut none = String::new();
        push_field(&mut none, None);
        assert_eq!(none, "\\N");

        let spec = Spec {
            site: "0b9a7c55-1f2e-4d3c-8b7a-6e5d4c3b2a19".into(),
            events: 3_000,
            days: 1,
            first_day: chrono::NaiveDate::from_ymd_opt(2024, 5, 1).unwrap_or_default(),
            seed: 3,
        };
        let events = day_events(&spec, 0, &Tables::default());
        let first = &events[0];
        let mut out = Vec::new();
        copy_line(&mut out, first, &visit_of(first));
        let line = String::from_utf8(out).unwrap_or_default();
        let fields: Vec<&str> = line.trim_end_matches('\n').split('\t').collect();
        assert_eq!(fields.len(), COLUMNS.split(", ").count(), "{line}");
        assert_eq!(fields[0], first.at_ms.to_string());
        assert_eq!(fields[3], "pageview");
        assert!(line.ends_with('\n') && !line.trim_end().contains('\n'));
        assert_eq!(bounds(&spec).1 - bounds(&spec).0, 86_400_000);
    }
}
