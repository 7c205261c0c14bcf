//! Slow clients are cut off (issue 19 §6): a header sent a byte at a time,
//! a body that stalls, and more idle connections from one address than the
//! cap, against the server's own accept loop with short limits.

mod common;

use common::TestDb;
use std::time::{Duration, Instant};
use tidtam::http::connections::ConnectionLimits;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const HEADER_TIMEOUT: Duration = Duration::from_secs(1);
const BODY_TIMEOUT: Duration = Duration::from_secs(1);
const CAP: usize = 4;

async fn serve(db: &TestDb) -> String {
    let schema = tidtam::graphql::build_schema(Some(db.pool.clone()));
    let mut state = tidtam::http::AppState::new(schema, db.pool.clone());
    state.limits = std::sync::Arc::new(tidtam::http::ServerLimits {
        body_read_timeout: BODY_TIMEOUT,
        ..Default::default()
    });
    db.serve_guarded(
        state,
        ConnectionLimits {
            header_read_timeout: HEADER_TIMEOUT,
            max_idle_per_address: CAP,
        },
    )
    .await
}

fn address(base: &str) -> String {
    base.trim_start_matches("http://").to_string()
}

/// Reads until the server closes the connection (or 10 s pass): what it sent.
async fn until_closed(stream: &mut TcpStream) -> (String, Duration) {
    let started = Instant::now();
    let mut read = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => read.extend_from_slice(&buf[..n]),
            Err(_) => panic!("the server kept the connection open for 10 s"),
        }
    }
    (
        String::from_utf8_lossy(&read).into_owned(),
        started.elapsed(),
    )
}

#[tokio::test]
async fn half_a_header_is_closed_within_the_header_timeout() {
    let db = TestDb::empty().await;
    let base = serve(&db).await;
    let mut stream = TcpStream::connect(address(&base)).await.unwrap();
    stream
        .write_all(b"GET /livez HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .await
        .unwrap();
    let (_, waited) = until_closed(&mut stream).await;
    assert!(
        waited < HEADER_TIMEOUT + Duration::from_secs(3),
        "{waited:?}"
    );

    // A byte at a time: cut off as well.
    let mut stream = TcpStream::connect(address(&base)).await.unwrap();
    let started = Instant::now();
    for byte in b"GET /livez HTTP/1.1\r\nHost: x\r\n".iter() {
        if stream.write_all(&[*byte]).await.is_err() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        if started.elapsed() > Duration::from_secs(10) {
            panic!("still open after 10 s of a byte at a time");
        }
    }
    let (_, _) = until_closed(&mut stream).await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );

    // An idle kept-alive connection is closed after the same time.
    let mut stream = TcpStream::connect(address(&base)).await.unwrap();
    stream
        .write_all(b"GET /livez HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let (answer, waited) = until_closed(&mut stream).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        waited < HEADER_TIMEOUT + Duration::from_secs(3),
        "{waited:?}"
    );
}

#[tokio::test]
async fn a_stalled_body_gets_408_and_the_connection_closes() {
    let db = TestDb::empty().await;
    let base = serve(&db).await;
    let mut stream = TcpStream::connect(address(&base)).await.unwrap();
    stream
        .write_all(
            b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"query\":",
        )
        .await
        .unwrap();
    let (answer, waited) = until_closed(&mut stream).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("BODY_TIMEOUT"), "{answer}");
    assert!(waited < BODY_TIMEOUT + Duration::from_secs(3), "{waited:?}");

    // A body trickling a byte at a time (each gap shorter than the timeout)
    // is cut off too: past the timeout it must average 512 bytes a second.
    let mut stream = TcpStream::connect(address(&base)).await.unwrap();
    stream
        .write_all(
            b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n",
        )
        .await
        .unwrap();
    let started = Instant::now();
    let writer = tokio::spawn(async move {
        let (mut read, mut write) = stream.into_split();
        let trickle = async {
            for _ in 0..1000 {
                if write.write_all(b" ").await.is_err() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
        };
        let mut answer = Vec::new();
        let reading = read.read_to_end(&mut answer);
        tokio::select! {
            _ = trickle => {},
            _ = reading => {},
        }
        String::from_utf8_lossy(&answer).into_owned()
    });
    let answer = tokio::time::timeout(Duration::from_secs(15), writer)
        .await
        .expect("cut off within 15 s")
        .unwrap();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn idle_connections_over_the_cap_are_refused_and_busy_ones_are_not_counted() {
    let db = TestDb::empty().await;
    let base = serve(&db).await;
    // CAP connections that send nothing hold the cap…
    let mut idle = Vec::new();
    for _ in 0..CAP {
        idle.push(TcpStream::connect(address(&base)).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    // …so a further one is answered 429 and closed at once.
    let mut extra = TcpStream::connect(address(&base)).await.unwrap();
    let (answer, waited) = until_closed(&mut extra).await;
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 429"),
        "{answer}"
    );
    assert!(
        answer.is_empty() || answer.contains("TOO_MANY_CONNECTIONS"),
        "{answer}"
    );
    assert!(
        waited < Duration::from_millis(500),
        "closed at once: {waited:?}"
    );

    // An idle one that sends a request is busy, not idle: the server answers it.
    let mut first = idle.remove(0);
    first
        .write_all(b"GET /livez HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let (answer, _) = until_closed(&mut first).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");

    // Once the idle ones are gone (closed by the header timeout), the
    // address may connect again.
    tokio::time::sleep(HEADER_TIMEOUT + Duration::from_millis(500)).await;
    let client = reqwest::Client::new();
    let live = client.get(format!("{base}/livez")).send().await.unwrap();
    assert_eq!(live.status(), 200);
}
