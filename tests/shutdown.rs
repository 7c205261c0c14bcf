//! Graceful shutdown with a real server: after the signal `/readyz` answers
//! 503 for the drain delay while the listener still accepts, then new
//! connections are refused, and a request that started before the signal
//! still gets its answer.

mod common;

use common::TestDb;
use std::time::Duration;
use tokio::sync::oneshot;

#[tokio::test]
async fn a_request_in_flight_finishes_and_readiness_drops_before_the_listener_closes() {
    let db = TestDb::demo().await;
    let schema = tidtam::graphql::build_schema(Some(db.pool.clone()));
    let state = tidtam::http::AppState::new(schema, db.pool.clone());
    let draining = state.draining.clone();
    // A slow handler beside the real routes: it tells the test once it runs,
    // then takes 4 s (longer than the drain delay).
    let (started_tx, started_rx) = oneshot::channel::<()>();
    let started_tx = std::sync::Arc::new(std::sync::Mutex::new(Some(started_tx)));
    let app = tidtam::http::router(state).route(
        "/slow",
        axum::routing::get(move || {
            let started = started_tx.lock().unwrap().take();
            async move {
                if let Some(tx) = started {
                    let _ = tx.send(());
                }
                tokio::time::sleep(Duration::from_secs(4)).await;
                "done"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let base = format!("http://{addr}");
    let (signal_tx, signal_rx) = oneshot::channel::<()>();
    let drain = Duration::from_millis(1500);
    let server = tokio::spawn(tidtam::http::shutdown::serve_until(
        listener,
        app,
        draining,
        drain,
        async move {
            let _ = signal_rx.await;
        },
    ));

    // Fresh connections each time, so that none is reused from a pool.
    let get = |path: &str| {
        let url = format!("{base}{path}");
        async move {
            reqwest::Client::builder()
                .pool_max_idle_per_host(0)
                .build()
                .unwrap()
                .get(url)
                .send()
                .await
        }
    };
    assert_eq!(get("/readyz").await.unwrap().status(), 200);
    let slow = tokio::spawn({
        let get = get("/slow");
        async move {
            let response = get.await.expect("the slow request is answered");
            (response.status(), response.text().await.unwrap_or_default())
        }
    });
    tokio::time::timeout(Duration::from_secs(10), started_rx)
        .await
        .expect("the slow request reaches its handler")
        .unwrap();

    let signalled = std::time::Instant::now();
    signal_tx.send(()).unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    // During the drain delay: still accepting, but not ready.
    let readyz = get("/readyz")
        .await
        .expect("still accepting during the drain");
    assert_eq!(readyz.status(), 503);
    assert_eq!(readyz.text().await.unwrap(), "shutting down");
    assert_eq!(
        get("/livez").await.unwrap().status(),
        200,
        "alive all along"
    );
    assert!(
        signalled.elapsed() < drain,
        "checked within the drain delay"
    );

    // After it: the listener is closed.
    tokio::time::sleep((drain + Duration::from_millis(500)).saturating_sub(signalled.elapsed()))
        .await;
    let refused = tokio::net::TcpStream::connect(addr).await;
    assert!(
        refused.is_err(),
        "new connections are refused after the drain"
    );
    assert!(!slow.is_finished(), "the slow request is still running");

    let (status, body) = tokio::time::timeout(Duration::from_secs(10), slow)
        .await
        .expect("the slow request finishes")
        .unwrap();
    assert_eq!(status, 200);
    assert_eq!(body, "done");
    tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .expect("the server stops once nothing is in flight")
        .unwrap()
        .expect("a clean stop");
}
