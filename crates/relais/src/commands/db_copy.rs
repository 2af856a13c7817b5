//! `relais db copy`: every row of every table, from one database to another (SQLite ↔
//! PostgreSQL). The target is migrated first and must hold no data, so a copy never merges two
//! installations by accident. Each table is loaded in one transaction, parents before children.

use anyhow::{Context, Result, bail};
use relais_store::{DatabaseLocation, TABLES, open};

pub async fn run(from: &str, to: &str) -> Result<()> {
    let from_loc = DatabaseLocation::parse(from);
    let to_loc = DatabaseLocation::parse(to);
    if from_loc == to_loc {
        bail!("--from and --to are the same database");
    }
    if let DatabaseLocation::Sqlite(path) = &from_loc
        && !path.exists()
    {
        bail!("there is no database at {}; check --from", path.display());
    }
    let source = open(&from_loc)
        .await
        .context("cannot open the source (--from)")?;
    source
        .migrate()
        .await
        .with_context(|| format!("cannot migrate {}", from_loc.describe()))?;
    let target = open(&to_loc)
        .await
        .context("cannot open the target (--to)")?;
    target
        .migrate()
        .await
        .with_context(|| format!("cannot migrate {}", to_loc.describe()))?;
    if !target.is_empty().await? {
        bail!(
            "{} already holds data; copy into an empty database (a new SQLite directory or a new PostgreSQL database)",
            to_loc.describe()
        );
    }
    for table in TABLES {
        let rows = source
            .dump_table(table)
            .await
            .with_context(|| format!("cannot read {}", table.name))?;
        let n = rows.len();
        target
            .load_rows(table, rows)
            .await
            .with_context(|| format!("cannot write {}", table.name))?;
        println!("{:<20} {n} rows", table.name);
    }
    println!("copied {} to {}", from_loc.describe(), to_loc.describe());
    source.close().await;
    target.close().await;
    Ok(())
}
