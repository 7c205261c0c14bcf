//! Request count and latency by GraphQL operation name, in the Prometheus
//! text format at `/metrics`.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::collections::HashSet;
use std::time::Duration;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Request {
    operation: String,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Operation {
    operation: String,
}

/// The server's metrics.
pub struct Metrics {
    registry: Registry,
    requests: Family<Request, Counter>,
    duration: Family<Operation, Histogram>,
    /// The operation names Tidtam knows: those of the documents of
    /// `queries/` (the registered persisted queries). Any other name is
    /// labelled `other`, so that a client inventing names cannot grow the
    /// metrics (and the server's memory) at all.
    known: HashSet<String>,
    /// Requests (HTTP or WebSocket) that panicked and were answered 500.
    panics: Counter,
}

/// How a request ended.
#[derive(Clone, Copy, Debug)]
pub enum Outcome {
    /// Answered without errors.
    Ok,
    /// Answered with errors (bad input, not found, refused by a rule).
    Error,
    /// Refused before running: token, rate limit, timeout.
    Refused,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::default();
        let requests = Family::<Request, Counter>::default();
        let duration = Family::<Operation, Histogram>::new_with_constructor(|| {
            Histogram::new([
                0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
            ])
        });
        registry.register(
            "tidtam_graphql_requests",
            "GraphQL requests by operation name and outcome",
            requests.clone(),
        );
        registry.register(
            "tidtam_graphql_request_duration_seconds",
            "GraphQL request latency by operation name",
            duration.clone(),
        );
        let panics = Counter::default();
        registry.register(
            "tidtam_panics",
            "Requests that panicked (answered 500 INTERNAL_SERVER_ERROR; the process went on)",
            panics.clone(),
        );
        Metrics {
            registry,
            requests,
            duration,
            known: known_operations(),
            panics,
        }
    }
}

impl Metrics {
    /// Counts one request of `operation` (its name, or `anonymous`).
    pub fn observe(&self, operation: Option<&str>, outcome: Outcome, took: Duration) {
        let operation = self.label(operation);
        let outcome = match outcome {
            Outcome::Ok => "ok",
            Outcome::Error => "error",
            Outcome::Refused => "refused",
        };
        self.requests
            .get_or_create(&Request {
                operation: operation.clone(),
                outcome,
            })
            .inc();
        self.duration
            .get_or_create(&Operation { operation })
            .observe(took.as_secs_f64());
    }

    /// Knows the operations of `document` too (an operator's pinned
    /// persisted query), so that they are labelled by name.
    pub fn know(&mut self, document: &str) {
        if let Ok(parsed) = async_graphql::parser::parse_query(document) {
            let names = parsed.operations.iter().filter_map(|(name, _)| name);
            self.known.extend(names.map(|name| name.to_string()));
        }
    }

    /// Counts one request that panicked.
    pub fn count_panic(&self) {
        self.panics.inc();
    }

    fn label(&self, operation: Option<&str>) -> String {
        match operation {
            None => "anonymous".into(),
            Some(name) if self.known.contains(name) => name.to_string(),
            Some(_) => "other".into(),
        }
    }

    /// The text format Prometheus scrapes.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}

/// The text formats `/metrics` speaks: OpenMetrics (the default), or the
/// classic Prometheus format 0.0.4 for a scraper that asks for `text/plain`
/// without preferring OpenMetrics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exposition {
    OpenMetrics,
    /// `text/plain; version=0.0.4`.
    Classic,
}

impl Exposition {
    /// The format an `Accept` header prefers: the higher `q` of
    /// `application/openmetrics-text` and `text/plain`; OpenMetrics on a tie,
    /// for `*/*` and without the header.
    pub fn from_accept(accept: Option<&str>) -> Exposition {
        let (mut open, mut classic) = (None::<f32>, None::<f32>);
        for range in accept.unwrap_or("").split(',') {
            let mut parts = range.split(';').map(str::trim);
            let media = parts.next().unwrap_or("").to_ascii_lowercase();
            let q = parts
                .filter_map(|p| p.strip_prefix("q="))
                .find_map(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            let slot = match media.as_str() {
                "application/openmetrics-text" => &mut open,
                "text/plain" => &mut classic,
                _ => continue,
            };
            *slot = Some(slot.map_or(q, |old: f32| old.max(q)));
        }
        match (open, classic) {
            (None, Some(c)) if c > 0.0 => Exposition::Classic,
            (Some(o), Some(c)) if c > o => Exposition::Classic,
            _ => Exposition::OpenMetrics,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Exposition::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
            Exposition::Classic => "text/plain; version=0.0.4; charset=utf-8",
        }
    }

    /// The metrics (OpenMetrics text, as rendered) in this format. The
    /// classic one has no `# EOF` and no `# UNIT`, calls `unknown` `untyped`,
    /// and names a counter's family with its samples' `_total`.
    pub fn render(self, openmetrics: &str) -> String {
        if self == Exposition::OpenMetrics {
            return openmetrics.to_string();
        }
        let counters: HashSet<&str> = openmetrics
            .lines()
            .filter_map(|l| l.strip_prefix("# TYPE "))
            .filter_map(|l| l.strip_suffix(" counter"))
            .collect();
        let mut out = String::with_capacity(openmetrics.len());
        for line in openmetrics.lines() {
            if line == "# EOF" || line.starts_with("# UNIT ") {
                continue;
            }
            let renamed = ["# HELP ", "# TYPE "].iter().find_map(|prefix| {
                let rest = line.strip_prefix(prefix)?;
                let (name, tail) = rest.split_once(' ')?;
                let tail = if tail == "unknown" { "untyped" } else { tail };
                let name = if counters.contains(name) {
                    format!("{name}_total")
                } else {
                    name.to_string()
                };
                Some(format!("{prefix}{name} {tail}"))
            });
            match renamed {
                Some(l) => out.push_str(&l),
                // A counter's `_created` sample has no place in the classic format.
                None if line
                    .split(['{', ' '])
                    .next()
                    .is_some_and(|n| n.ends_with("_created")) =>
                {
                    continue
                }
                None => out.push_str(line),
            }
            out.push('\n');
        }
        out
    }
}

/// The names of the operations of `queries/`.
fn known_operations() -> HashSet<String> {
    crate::http::dashboard::QUERIES
        .iter()
        .filter_map(|(_, text)| async_graphql::parser::parse_query(text).ok())
        .flat_map(|document| {
            document
                .operations
                .iter()
                .filter_map(|(name, _)| name.map(|n| n.to_string()))
                .collect::<Vec<_>>()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_of(m: &Metrics) -> String {
        m.render()
    }

    #[test]
    fn operations_are_counted_by_known_names_and_invented_ones_are_other() {
        let m = Metrics::default();
        assert!(m.known.contains("TrackingReport") && m.known.contains("SignIn"));
        let mut pinned = Metrics::default();
        pinned.know("query PinnedReport { provinces { totalCount } }");
        pinned.observe(Some("PinnedReport"), Outcome::Ok, Duration::ZERO);
        assert!(pinned.render().contains(r#"operation="PinnedReport""#));
        m.observe(
            Some("TrackingReport"),
            Outcome::Ok,
            Duration::from_millis(3),
        );
        m.observe(
            Some("TrackingReport"),
            Outcome::Ok,
            Duration::from_millis(4),
        );
        m.observe(Some("bad name!"), Outcome::Error, Duration::from_millis(1));
        for i in 0..300 {
            m.observe(Some(&format!("Op{i}")), Outcome::Ok, Duration::ZERO);
        }
        let text = m.render();
        assert!(
            text.contains(
                r#"tidtam_graphql_requests_total{operation="TrackingReport",outcome="ok"} 2"#
            ),
            "{text}"
        );
        m.observe(None, Outcome::Error, Duration::from_millis(1));
        assert!(text_of(&m).contains(r#"operation="anonymous",outcome="error"} 1"#));
        // Three hundred invented names add one series, `other`.
        let text = text_of(&m);
        assert!(
            text.contains(r#"tidtam_graphql_requests_total{operation="other",outcome="ok"} 300"#),
            "{text}"
        );
        assert!(
            text.contains(r#"tidtam_graphql_requests_total{operation="other",outcome="error"} 1"#),
            "{text}"
        );
        assert!(!text.contains(r#"operation="Op0""#));
        assert_eq!(
            text.matches("tidtam_graphql_requests_total{").count(),
            4,
            "{text}"
        );
    }
}
