//! Graceful shutdown: on the signal, `/readyz` answers 503 at once; the
//! listener stays open for a drain delay, so that a load balancer polling
//! `/readyz` sees it and stops sending work; then the listener closes (new
//! connections are refused) and the requests in flight finish.

use super::connections::ConnectionLimits;
use crate::ops::Draining;
use axum::Router;
use std::future::Future;
use std::time::Duration;
use tokio::net::TcpListener;

/// Seconds between the signal and closing the listener by default: a few
/// readiness polls of a typical load balancer.
pub const DEFAULT_DRAIN_SECONDS: u64 = 5;

/// Serves `app` on `listener` until `signal` completes, then drains: marks
/// `draining` (so `/readyz` answers 503), waits `drain` while still
/// accepting, stops accepting and returns once every request in flight has
/// been answered. Slow clients are held to the default [`ConnectionLimits`].
pub async fn serve_until(
    listener: TcpListener,
    app: Router,
    draining: Draining,
    drain: Duration,
    signal: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_until_with(
        listener,
        app,
        ConnectionLimits::default(),
        draining,
        drain,
        signal,
    )
    .await
}

/// [`serve_until`], with slow clients held to `limits`.
pub async fn serve_until_with(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    draining: Draining,
    drain: Duration,
    signal: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    super::connections::serve(listener, app, limits, async move {
        signal.await;
        draining.start();
        tracing::info!(
            drain_seconds = drain.as_secs_f64(),
            "shutting down: /readyz answers 503, then requests in flight finish"
        );
        tokio::time::sleep(drain).await;
        tracing::info!("no new connections; finishing requests in flight");
    })
    .await
}

/// SIGINT (Ctrl-C) or SIGTERM (what an orchestrator sends).
pub async fn signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
