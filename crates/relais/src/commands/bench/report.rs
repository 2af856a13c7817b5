//! Turning runs into figures people can compare: the median run per server, the machine they
//! ran on, the table and the JSON lines.

use std::fmt::Write as _;
use std::time::Duration;

use serde_json::{Value, json};

use super::load::LoadResult;

/// The facts that say what a figure is worth: figures only compare on the same machine, in the
/// same run, from a release build.
pub struct Machine {
    pub cpus: usize,
    pub cpu_model: String,
    pub load_average: String,
    pub release_build: bool,
    pub relais_version: &'static str,
    pub nginx_version: String,
    pub date: String,
}

impl Machine {
    pub fn probe(nginx_version: &str) -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu_model = cpuinfo
            .lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                (k.trim() == "model name").then(|| v.trim().to_owned())
            })
            .unwrap_or_else(|| "unknown CPU".into());
        let load_average = std::fs::read_to_string("/proc/loadavg")
            .ok()
            .and_then(|l| l.split_whitespace().next().map(str::to_owned))
            .unwrap_or_else(|| "unknown".into());
        Self {
            cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
            cpu_model,
            load_average,
            release_build: !cfg!(debug_assertions),
            relais_version: env!("CARGO_PKG_VERSION"),
            nginx_version: nginx_version.to_owned(),
            date: relais_core::Timestamp::now().to_rfc3339(),
        }
    }

    pub fn profile(&self) -> &'static str {
        if self.release_build {
            "release"
        } else {
            "debug"
        }
    }

    pub fn describe(&self) -> String {
        format!(
            "{} CPUs ({}), load average {} before the run; relais {} ({} build); {} (worker_processes auto); {}",
            self.cpus,
            self.cpu_model,
            self.load_average,
            self.relais_version,
            self.profile(),
            self.nginx_version,
            self.date
        )
    }

    fn json(&self) -> Value {
        json!({
            "cpus": self.cpus,
            "cpu_model": self.cpu_model,
            "load_average_before": self.load_average,
            "relais_version": self.relais_version,
            "relais_profile": self.profile(),
            "nginx_version": self.nginx_version,
            "nginx_worker_processes": "auto",
            "date": self.date,
        })
    }
}

/// One run's headline figures.
#[derive(Clone, Copy, Debug)]
pub struct RunFigures {
    pub requests_per_second: f64,
    pub p50: Duration,
    pub p99: Duration,
    pub body_bytes: u64,
    pub generator_busy: Option<f64>,
}

impl From<&LoadResult> for RunFigures {
    fn from(r: &LoadResult) -> Self {
        Self {
            requests_per_second: r.requests_per_second(),
            p50: r.latency(0.50),
            p99: r.latency(0.99),
            body_bytes: r.body_bytes.checked_div(r.requests).unwrap_or(0),
            generator_busy: r.generator_busy,
        }
    }
}

/// A server's runs on one route, and their medians (each figure's median on its own).
#[derive(Clone, Debug, Default)]
pub struct Summary {
    pub runs: Vec<RunFigures>,
}

impl Summary {
    pub fn requests_per_second(&self) -> f64 {
        median(self.runs.iter().map(|r| r.requests_per_second).collect())
    }
    pub fn p50(&self) -> Duration {
        Duration::from_secs_f64(median(
            self.runs.iter().map(|r| r.p50.as_secs_f64()).collect(),
        ))
    }
    pub fn p99(&self) -> Duration {
        Duration::from_secs_f64(median(
            self.runs.iter().map(|r| r.p99.as_secs_f64()).collect(),
        ))
    }
    /// Median share of one CPU the load generator used; `None` when it was not measured.
    pub fn generator_busy(&self) -> Option<f64> {
        let busy: Vec<f64> = self.runs.iter().filter_map(|r| r.generator_busy).collect();
        (!busy.is_empty()).then(|| median(busy))
    }

    fn json(&self) -> Value {
        json!({
            "requests_per_second": self.requests_per_second().round(),
            "load_generator_cpu": self.generator_busy().map(|b| (b * 100.0).round() / 100.0),
            "p50_us": micros(self.p50()),
            "p99_us": micros(self.p99()),
            "body_bytes": self.runs.first().map_or(0, |r| r.body_bytes),
            "runs": self.runs.iter().map(|r| json!({
                "requests_per_second": r.requests_per_second.round(),
                "p50_us": micros(r.p50),
                "p99_us": micros(r.p99),
            })).collect::<Vec<_>>(),
        })
    }
}

/// The median (mean of the middle two for an even count); 0 for none.
pub fn median(mut values: Vec<f64>) -> f64 {
    values.retain(|v| v.is_finite());
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => 0.0,
        _ if n % 2 == 1 => values.get(n / 2).copied().unwrap_or(0.0),
        _ => {
            let a = values.get(n / 2 - 1).copied().unwrap_or(0.0);
            let b = values.get(n / 2).copied().unwrap_or(0.0);
            (a + b) / 2.0
        }
    }
}

fn micros(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e7).round() / 10.0
}

/// One route's result: Relais, its peer, and how they compare.
pub struct RouteFigures {
    pub path: &'static str,
    pub label: &'static str,
    pub peer: &'static str,
    pub relais: Summary,
    pub nginx: Summary,
}

impl RouteFigures {
    /// Relais's requests per second as a share of nginx's (1.0 = as many).
    pub fn ratio(&self) -> f64 {
        let n = self.nginx.requests_per_second();
        if n > 0.0 {
            self.relais.requests_per_second() / n
        } else {
            0.0
        }
    }

    pub fn json(&self, machine: &Machine, params: &Value) -> Value {
        json!({
            "route": self.path,
            "label": self.label,
            "peer": format!("nginx: {}", self.peer),
            "relais": self.relais.json(),
            "nginx": self.nginx.json(),
            "ratio_relais_to_nginx": (self.ratio() * 1000.0).round() / 1000.0,
            "parameters": params,
            "machine": machine.json(),
        })
    }
}

/// `12 345`: thousands apart, so that figures of different sizes read at a glance.
pub fn thousands(v: f64) -> String {
    let digits = format!("{:.0}", v.max(0.0));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// `87 µs`, `1.25 ms`, `2.10 s`.
pub fn latency(d: Duration) -> String {
    let us = d.as_secs_f64() * 1e6;
    if us < 1000.0 {
        format!("{us:.0} µs")
    } else if us < 1_000_000.0 {
        format!("{:.2} ms", us / 1000.0)
    } else {
        format!("{:.2} s", us / 1e6)
    }
}

/// The table, with what each route's peer served below it.
pub fn table(routes: &[RouteFigures]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<26} {:>12} {:>9} {:>9}   {:>12} {:>9} {:>9}   {:>12}",
        "route", "relais req/s", "p50", "p99", "nginx req/s", "p50", "p99", "relais/nginx"
    );
    for r in routes {
        let _ = writeln!(
            out,
            "{:<26} {:>12} {:>9} {:>9}   {:>12} {:>9} {:>9}   {:>12.2}",
            r.label,
            thousands(r.relais.requests_per_second()),
            latency(r.relais.p50()),
            latency(r.relais.p99()),
            thousands(r.nginx.requests_per_second()),
            latency(r.nginx.p50()),
            latency(r.nginx.p99()),
            r.ratio(),
        );
    }
    let _ = writeln!(out, "peers (nginx serving, at the same path):");
    for r in routes {
        let _ = writeln!(out, "  {:<24} {}", r.label, r.peer);
    }
    if routes.iter().any(|r| r.nginx.generator_busy().is_some()) {
        let _ = writeln!(
            out,
            "load generator's use of its one CPU (near 100%: the generator, not the server, set the pace):"
        );
        for r in routes {
            let _ = writeln!(
                out,
                "  {:<24} during nginx runs {}, during relais runs {}",
                r.label,
                percent(r.nginx.generator_busy()),
                percent(r.relais.generator_busy())
            );
        }
    }
    out
}

fn percent(share: Option<f64>) -> String {
    share.map_or_else(|| "unknown".into(), |s| format!("{:.0}%", s * 100.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_and_formats() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), 2.5);
        assert_eq!(median(vec![]), 0.0);
        assert_eq!(median(vec![f64::NAN, 5.0]), 5.0);
        assert_eq!(thousands(1234567.4), "1 234 567");
        assert_eq!(thousands(999.0), "999");
        assert_eq!(latency(Duration::from_micros(87)), "87 µs");
        assert_eq!(latency(Duration::from_micros(1250)), "1.25 ms");
    }

    #[test]
    fn table_and_json_carry_both_servers() {
        let run = |rps: f64, us: u64| RunFigures {
            requests_per_second: rps,
            p50: Duration::from_micros(us),
            p99: Duration::from_micros(us * 3),
            body_bytes: 3,
            generator_busy: Some(0.5),
        };
        let r = RouteFigures {
            path: "/healthz",
            label: "/healthz (DB ping)",
            peer: "a static file holding \"ok\\n\"",
            relais: Summary {
                runs: vec![run(10_000.0, 100), run(12_000.0, 90), run(11_000.0, 95)],
            },
            nginx: Summary {
                runs: vec![run(40_000.0, 30), run(44_000.0, 25)],
            },
        };
        assert_eq!(r.ratio(), 11_000.0 / 42_000.0);
        let t = table(std::slice::from_ref(&r));
        assert!(
            t.contains("11 000") && t.contains("42 000") && t.contains("0.26"),
            "{t}"
        );
        let m = Machine::probe("nginx/1.0");
        let j = r.json(&m, &json!({ "connections": 16 }));
        assert_eq!(j["relais"]["requests_per_second"], 11_000.0);
        assert_eq!(j["nginx"]["runs"].as_array().map(Vec::len), Some(2));
        assert_eq!(j["machine"]["relais_profile"], m.profile());
    }
}
