#![allow(clippy::unwrap_used)]
//! The conformance suite on SQLite, one fresh database file per scenario.

use std::sync::Arc;

use relais_store::{DatabaseLocation, Store, open};

async fn fresh_sqlite() -> Arc<dyn Store> {
    // Kept alive for the test's duration by leaking: the process is short-lived.
    let dir = tempfile::tempdir().expect("temp dir").keep();
    let store = open(&DatabaseLocation::parse(dir.to_str().expect("utf-8 path")))
        .await
        .expect("open SQLite");
    store.migrate().await.expect("migrate");
    store
}

relais_store::conformance_suite!(fresh_sqlite);

#[tokio::test]
async fn wal_mode_is_on() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = open(&DatabaseLocation::parse(dir.path().to_str().unwrap()))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    assert!(
        dir.path().join("relais.db-wal").exists(),
        "the embedded default runs in WAL mode"
    );
}
