//! Operations: Prometheus metrics (`/metrics`), liveness and readiness
//! (`/livez`, `/readyz`), and how logs are written.

pub mod metrics;
pub mod telemetry;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Whether the process takes new work: false once it is shutting down, so a
/// load balancer stops sending requests while those in flight finish.
#[derive(Clone, Default)]
pub struct Draining(Arc<AtomicBool>);

impl Draining {
    /// Marks the process as shutting down.
    pub fn start(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether it is shutting down.
    pub fn is_draining(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// Logs to stderr: human-readable, or one JSON object per line with
/// `TIDTAM_LOG_FORMAT=json` (for Loki, Elasticsearch, CloudWatch…). The level
/// comes from `RUST_LOG` (default `info,sqlx=warn`). With
/// `OTEL_EXPORTER_OTLP_ENDPOINT` set, spans also go to OpenTelemetry.
pub fn init_logging() {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let json = std::env::var("TIDTAM_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let text = (!json).then(|| tracing_subscriber::fmt::layer().with_writer(std::io::stderr));
    let json = json.then(|| {
        tracing_subscriber::fmt::layer()
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_writer(std::io::stderr)
    });
    tracing_subscriber::registry()
        .with(filter)
        .with(text)
        .with(json)
        .with(telemetry::from_env())
        .init();
}
