//! OpenTelemetry traces, exported over OTLP/HTTP when
//! `OTEL_EXPORTER_OTLP_ENDPOINT` is set (e.g. `http://collector:4318`); the
//! standard `OTEL_*` variables (headers, timeout, `OTEL_SERVICE_NAME`) apply.
//! Each GraphQL request is a span named `graphql` with its operation name.

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::trace::SdkTracerProvider;
use opentelemetry_sdk::Resource;
use std::sync::OnceLock;
use tracing::Subscriber;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

static PROVIDER: OnceLock<SdkTracerProvider> = OnceLock::new();

/// A provider that batches spans to `endpoint` (`…/v1/traces` is added).
pub fn provider(
    endpoint: &str,
) -> Result<SdkTracerProvider, opentelemetry_otlp::ExporterBuildError> {
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_endpoint(format!("{}/v1/traces", endpoint.trim_end_matches('/')))
        .build()?;
    let service = std::env::var("OTEL_SERVICE_NAME").unwrap_or_else(|_| "tidtam".into());
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(Resource::builder().with_service_name(service).build())
        .build())
}

/// The tracing layer that sends spans through `provider`.
pub fn layer<S>(provider: &SdkTracerProvider) -> impl Layer<S>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    tracing_opentelemetry::layer().with_tracer(provider.tracer("tidtam"))
}

/// The layer of the configured endpoint, if one is configured.
pub fn from_env<S>() -> Option<impl Layer<S>>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    let endpoint = std::env::var("OTEL_EXPORTER_OTLP_ENDPOINT").ok()?;
    match provider(&endpoint) {
        Ok(p) => {
            let layer = layer(&p);
            let _ = PROVIDER.set(p);
            Some(layer)
        }
        Err(e) => {
            eprintln!("tidtam: OpenTelemetry export not started: {e}");
            None
        }
    }
}

/// Sends the spans still buffered (at shutdown).
pub fn shutdown() {
    if let Some(p) = PROVIDER.get() {
        if let Err(e) = p.shutdown() {
            tracing::warn!(error = %e, "OpenTelemetry shutdown");
        }
    }
}
