//! `/metrics` in the Prometheus text format: requests by route and status, their latency as a
//! histogram, and the job queue by status. Written by hand: a few counters do not need a crate.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::state::AppState;

const BUCKETS: [f64; 10] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

#[derive(Default)]
struct Series {
    count: u64,
    sum: f64,
    buckets: [u64; BUCKETS.len()],
}

#[derive(Default)]
pub struct Metrics {
    /// (method, route, status) → count, and (method, route) → latency.
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    latency: Mutex<BTreeMap<(String, String), Series>>,
}

impl Metrics {
    pub fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        if let Ok(mut r) = self.requests.lock() {
            *r.entry((method.to_owned(), route.to_owned(), status))
                .or_default() += 1;
        }
        if let Ok(mut l) = self.latency.lock() {
            let s = l.entry((method.to_owned(), route.to_owned())).or_default();
            s.count += 1;
            s.sum += seconds;
            for (i, b) in BUCKETS.iter().enumerate() {
                if seconds <= *b {
                    s.buckets[i] += 1;
                }
            }
        }
    }

    pub fn render(&self, jobs: &[(String, u64)]) -> String {
        let mut out = String::new();
        out.push_str(
            "# HELP relais_http_requests_total HTTP requests answered, by route and status.\n",
        );
        out.push_str("# TYPE relais_http_requests_total counter\n");
        if let Ok(r) = self.requests.lock() {
            for ((m, route, status), n) in r.iter() {
                let _ = writeln!(
                    out,
                    "relais_http_requests_total{{method=\"{m}\",route=\"{}\",status=\"{status}\"}} {n}",
                    escape(route)
                );
            }
        }
        out.push_str("# HELP relais_http_request_duration_seconds Time to answer, by route.\n");
        out.push_str("# TYPE relais_http_request_duration_seconds histogram\n");
        if let Ok(l) = self.latency.lock() {
            for ((m, route), s) in l.iter() {
                let labels = format!("method=\"{m}\",route=\"{}\"", escape(route));
                for (i, b) in BUCKETS.iter().enumerate() {
                    let _ = writeln!(
                        out,
                        "relais_http_request_duration_seconds_bucket{{{labels},le=\"{b}\"}} {}",
                        s.buckets[i]
                    );
                }
                let _ = writeln!(
                    out,
                    "relais_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                    s.count
                );
                let _ = writeln!(
                    out,
                    "relais_http_request_duration_seconds_sum{{{labels}}} {}",
                    s.sum
                );
                let _ = writeln!(
                    out,
                    "relais_http_request_duration_seconds_count{{{labels}}} {}",
                    s.count
                );
            }
        }
        out.push_str("# HELP relais_jobs Jobs in the queue, by status.\n");
        out.push_str("# TYPE relais_jobs gauge\n");
        for (status, n) in jobs {
            let _ = writeln!(out, "relais_jobs{{status=\"{}\"}} {n}", escape(status));
        }
        out
    }
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Records every request under its route pattern (`/w/{slug}`), never its concrete path, so
/// that the number of series stays bounded whatever URLs clients send.
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = request.method().as_str().to_owned();
    let start = Instant::now();
    let response = next.run(request).await;
    state.metrics.observe(
        &method,
        &route,
        response.status().as_u16(),
        start.elapsed().as_secs_f64(),
    );
    response
}

pub async fn metrics_page(State(state): State<AppState>) -> Response {
    let jobs = state.store.job_counts().await.unwrap_or_default();
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(&jobs),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_histograms() {
        let m = Metrics::default();
        m.observe("GET", "/w/{slug}", 200, 0.02);
        m.observe("GET", "/w/{slug}", 200, 3.0);
        let text = m.render(&[("queued".into(), 4)]);
        assert!(text.contains(
            "relais_http_requests_total{method=\"GET\",route=\"/w/{slug}\",status=\"200\"} 2"
        ));
        assert!(text.contains("le=\"0.025\"} 1"));
        assert!(text.contains("le=\"+Inf\"} 2"));
        assert!(text.contains("relais_jobs{status=\"queued\"} 4"));
    }
}
