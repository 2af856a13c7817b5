#![allow(clippy::unwrap_used)]
//! The conformance suite on a real PostgreSQL: a private throwaway cluster started by the test
//! kit, or the server named by `RELAIS_TEST_POSTGRES_URL`. One fresh database per scenario.

use std::sync::Arc;

use relais_store::{DatabaseLocation, Store, open};

async fn fresh_postgres() -> Arc<dyn Store> {
    let url = tokio::task::spawn_blocking(relais_testkit::postgres::fresh_database)
        .await
        .expect("database created");
    let store = open(&DatabaseLocation::parse(&url)).await.expect("connect");
    store.migrate().await.expect("migrate");
    store
}

relais_store::conformance_suite!(fresh_postgres);

#[tokio::test]
async fn an_unreachable_server_is_reported_not_panicked() {
    let port = relais_testkit::free_port();
    let url = format!("postgres://nobody:secret@127.0.0.1:{port}/relais");
    let err = match open(&DatabaseLocation::parse(&url)).await {
        Err(e) => e.to_string(),
        Ok(_) => panic!("nothing listens on port {port}"),
    };
    assert!(err.contains("check the URL"), "says what to do: {err}");
    assert!(!err.contains("secret"), "never shows the password: {err}");
}
