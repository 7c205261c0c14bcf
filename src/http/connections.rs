//! The accept loop: slow clients are cut off (issue 19 §6).
//!
//! `TIDTAM_REQUEST_TIMEOUT` bounds a request once it runs; before that a
//! client holds a socket (a file descriptor) for as long as it takes to send
//! its header and body. A few hundred sockets sending a byte at a time would
//! hold the server's descriptors for ever. So:
//!
//! - the whole header of a request must arrive within
//!   [`ConnectionLimits::header_read_timeout`]; the same clock runs while a
//!   kept-alive connection waits for its next request, so it is also the
//!   idle keep-alive timeout (hyper's `header_read_timeout`);
//! - the body must keep coming ([`TimedBody`]): never a gap longer than
//!   `ServerLimits::body_read_timeout`, and after that long at least
//!   [`MIN_BODY_RATE`] bytes a second on average; else `408`;
//! - one address (an IPv6 /64) may hold at most
//!   [`ConnectionLimits::max_idle_per_address`] connections that serve no
//!   request (waiting for a header, or idle between requests); a further
//!   connection from it is answered `429` and closed at once, and a
//!   connection that goes idle while its address is over the cap is closed
//!   after its response. Connections busy with a request are not capped, so
//!   a reverse proxy's many busy connections pass.

use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use axum::http::{header, HeaderValue, Request, Response, StatusCode};
use axum::Router;
use http_body::{Frame, SizeHint};
use hyper_util::rt::{TokioIo, TokioTimer};
use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::time::{Instant, Sleep};
use tower_service::Service;

/// How long a request's whole header may take by default, and how long a
/// kept-alive connection may wait for the next request.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// The longest gap in a request body by default (and the grace before
/// [`MIN_BODY_RATE`] applies).
pub const DEFAULT_BODY_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// Connections of one address serving no request, by default.
pub const DEFAULT_MAX_IDLE_PER_ADDRESS: usize = 64;
/// Bytes a second a body must average once it has taken longer than the
/// body timeout (as Apache's `mod_reqtimeout` `MinRate`): a byte at a time
/// is cut off, the slowest honest link is not.
pub const MIN_BODY_RATE: u64 = 512;

/// What the accept loop holds clients to.
#[derive(Clone, Copy, Debug)]
pub struct ConnectionLimits {
    /// The whole header of a request, and the wait for the next request on
    /// a kept-alive connection.
    pub header_read_timeout: Duration,
    /// Connections of one address (an IPv6 /64) serving no request; 0: no cap.
    pub max_idle_per_address: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            max_idle_per_address: DEFAULT_MAX_IDLE_PER_ADDRESS,
        }
    }
}

/// The code of the `429` a connection over the per-address cap gets.
pub const TOO_MANY_CONNECTIONS: &str = "TOO_MANY_CONNECTIONS";
/// The code of the `408` a body that comes too slowly gets.
pub const BODY_TIMEOUT: &str = "BODY_TIMEOUT";

/// Serves `app` on `listener` until `shutdown` completes; then stops
/// accepting, asks every connection to finish (an idle one closes at once, a
/// busy one after its response) and returns once all have.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    let idle = Arc::new(IdleConnections::new(limits.max_idle_per_address));
    // Dropped when the server stops: each connection then shuts down gracefully.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(());
    // Each connection holds a receiver; the server waits until none is left.
    let (done_tx, done_rx) = tokio::sync::watch::channel(());
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    accept_failed(e).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Some(connection) = idle.admit(peer.ip()) else {
            refuse(stream, peer);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let mut stop = stop_rx.clone();
        let done = done_rx.clone();
        tokio::spawn(async move {
            serve_connection(stream, peer, app, limits, connection, &mut stop).await;
            drop(done);
        });
    }
    drop(listener);
    drop(stop_tx);
    drop(stop_rx);
    drop(done_rx);
    done_tx.closed().await;
    Ok(())
}

/// An accept that failed: a connection reset before it was taken is
/// nothing; out of descriptors (EMFILE) or memory, wait a moment rather
/// than spin.
async fn accept_failed(e: std::io::Error) {
    use std::io::ErrorKind::*;
    if matches!(
        e.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset | Interrupted
    ) {
        return;
    }
    tracing::error!(error = %e, "accepting a connection failed");
    tokio::time::sleep(Duration::from_millis(100)).await;
}

/// Answers a connection over its address's cap `429` (if the socket takes
/// it at once: nothing waits on a client that may be the flood) and closes it.
fn refuse(stream: TcpStream, peer: SocketAddr) {
    tracing::debug!(%peer, "too many idle connections from this address; refused");
    let body = format!(
        "{{\"errors\":[{{\"message\":\"too many open connections from this address / เปิดการเชื่อมต่อจากที่อยู่นี้มากเกินไป\",\"extensions\":{{\"code\":\"{TOO_MANY_CONNECTIONS}\"}}}}]}}"
    );
    let response = format!(
        "HTTP/1.1 429 Too Many Requests\r\ncontent-type: application/json\r\nretry-after: 1\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.try_write(response.as_bytes());
}

async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    app: Router,
    limits: ConnectionLimits,
    connection: Arc<Connection>,
    stop: &mut tokio::sync::watch::Receiver<()>,
) {
    let service = hyper::service::service_fn(move |mut request: Request<hyper::body::Incoming>| {
        let mut app = app.clone();
        let busy = Busy::start(connection.clone());
        request.extensions_mut().insert(ConnectInfo(peer));
        async move {
            let response = app.call(request.map(Body::new)).await;
            let mut response: Response<Body> = match response {
                Ok(response) => response,
                Err(never) => match never {},
            };
            if busy.finish() && response.status() != StatusCode::SWITCHING_PROTOCOLS {
                response
                    .headers_mut()
                    .insert(header::CONNECTION, HeaderValue::from_static("close"));
            }
            Ok::<_, Infallible>(response)
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    let connection = builder
        .serve_connection(TokioIo::new(stream), service)
        .with_upgrades();
    tokio::pin!(connection);
    let mut stopping = false;
    loop {
        tokio::select! {
            served = connection.as_mut() => {
                if let Err(e) = served {
                    tracing::trace!(%peer, error = %e, "connection ended");
                }
                return;
            }
            _ = stop.changed(), if !stopping => {
                stopping = true;
                connection.as_mut().graceful_shutdown();
            }
        }
    }
}

/// Connections serving no request, per address.
struct IdleConnections {
    cap: usize,
    counts: Mutex<HashMap<IpAddr, usize>>,
}

impl IdleConnections {
    fn new(cap: usize) -> Self {
        IdleConnections {
            cap,
            counts: Mutex::new(HashMap::new()),
        }
    }

    fn counts(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, usize>> {
        // A count is a number: one left half-updated by a panic is still one.
        self.counts.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A new connection from `ip` (idle until its first request's header
    /// arrives), unless its address already holds the cap.
    fn admit(self: &Arc<Self>, ip: IpAddr) -> Option<Arc<Connection>> {
        let key = address_key(ip);
        let mut counts = self.counts();
        let count = counts.entry(key).or_insert(0);
        if self.cap > 0 && *count >= self.cap {
            return None;
        }
        *count += 1;
        Some(Arc::new(Connection {
            idle: self.clone(),
            key,
            in_flight: AtomicUsize::new(0),
        }))
    }

    fn add(&self, key: IpAddr) {
        *self.counts().entry(key).or_insert(0) += 1;
    }

    fn remove(&self, key: IpAddr) {
        let mut counts = self.counts();
        if let Some(count) = counts.get_mut(&key) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                counts.remove(&key);
            }
        }
    }

    fn over_cap(&self, key: IpAddr) -> bool {
        self.cap > 0 && self.counts().get(&key).is_some_and(|n| *n > self.cap)
    }
}

/// The address a cap counts by: an IPv4 address, an IPv6 address by its
/// /64 (one machine usually holds a whole /64).
fn address_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

/// One open connection: idle while no request of it is in flight. Dropped
/// once the connection and every request of it are gone.
struct Connection {
    idle: Arc<IdleConnections>,
    key: IpAddr,
    in_flight: AtomicUsize,
}

impl Drop for Connection {
    fn drop(&mut self) {
        // Every `Busy` holds this connection, so none is left: it was idle.
        self.idle.remove(self.key);
    }
}

/// A request in flight on a connection.
struct Busy(Option<Arc<Connection>>);

impl Busy {
    fn start(connection: Arc<Connection>) -> Busy {
        if connection.in_flight.fetch_add(1, Ordering::SeqCst) == 0 {
            connection.idle.remove(connection.key);
        }
        Busy(Some(connection))
    }

    /// The request is answered: its connection may be idle again. Whether
    /// its address now holds more idle connections than the cap (this one
    /// should then close after the response).
    fn finish(mut self) -> bool {
        let Some(connection) = self.0.take() else {
            return false;
        };
        Busy::end(&connection);
        connection.idle.over_cap(connection.key)
    }

    fn end(connection: &Connection) {
        if connection.in_flight.fetch_sub(1, Ordering::SeqCst) == 1 {
            connection.idle.add(connection.key);
        }
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        // A request given up (the client went away) ends too.
        if let Some(connection) = self.0.take() {
            Busy::end(&connection);
        }
    }
}

/// A request body that must keep coming: no gap longer than `timeout`, and
/// once it has taken longer than `timeout`, [`MIN_BODY_RATE`] on average.
/// Else it ends with [`BodyTimedOut`]. The clock starts when the handler
/// first reads the body.
pub struct TimedBody {
    inner: Body,
    timeout: Duration,
    started: Option<Instant>,
    last: Instant,
    received: u64,
    sleep: Pin<Box<Sleep>>,
    timed_out: bool,
}

/// A request body came too slowly (see [`TimedBody`]).
#[derive(Debug, thiserror::Error)]
#[error("the request body came too slowly and was cut off / เนื้อหาคำขอส่งมาช้าเกินไปจึงถูกตัด")]
pub struct BodyTimedOut;

impl TimedBody {
    pub fn new(inner: Body, timeout: Duration) -> Self {
        let now = Instant::now();
        TimedBody {
            inner,
            timeout,
            started: None,
            last: now,
            received: 0,
            sleep: Box::pin(tokio::time::sleep_until(now + timeout)),
            timed_out: false,
        }
    }

    fn deadline(&self, started: Instant) -> Instant {
        let by_gap = self.last + self.timeout;
        let by_rate = started
            + self.timeout
            + Duration::from_secs_f64(self.received as f64 / MIN_BODY_RATE as f64);
        by_gap.min(by_rate)
    }
}

impl http_body::Body for TimedBody {
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        if this.timed_out {
            return Poll::Ready(None);
        }
        let started = match this.started {
            Some(started) => started,
            None => {
                let now = Instant::now();
                this.started = Some(now);
                this.last = now;
                let deadline = this.deadline(now);
                this.sleep.as_mut().reset(deadline);
                now
            }
        };
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    this.received += data.len() as u64;
                    this.last = Instant::now();
                    let deadline = this.deadline(started);
                    this.sleep.as_mut().reset(deadline);
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(e.into()))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => match this.sleep.as_mut().poll(cx) {
                Poll::Ready(()) => {
                    this.timed_out = true;
                    Poll::Ready(Some(Err(Box::new(BodyTimedOut))))
                }
                Poll::Pending => Poll::Pending,
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        self.timed_out || self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Whether reading a body failed because it came too slowly.
pub fn timed_out(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(e);
    while let Some(e) = next {
        if e.is::<BodyTimedOut>() {
            return true;
        }
        next = e.source();
    }
    false
}

/// Every request's body as a [`TimedBody`] (the router's middleware).
pub async fn time_body(
    axum::extract::State(timeout): axum::extract::State<Duration>,
    request: axum::extract::Request,
) -> axum::extract::Request {
    request.map(|body| Body::new(TimedBody::new(body, timeout)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_counts_by_its_64_and_mapped_ipv4_as_ipv4() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1"
            .parse()
            .unwrap_or(IpAddr::V4(0.into()));
        let b: IpAddr = "2001:db8:1:2:bbbb::2"
            .parse()
            .unwrap_or(IpAddr::V4(0.into()));
        assert_eq!(address_key(a), address_key(b));
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().unwrap_or(IpAddr::V4(0.into()));
        assert_eq!(address_key(mapped), IpAddr::V4([192, 0, 2, 1].into()));
    }

    #[test]
    fn the_cap_counts_idle_connections_only() {
        let idle = Arc::new(IdleConnections::new(2));
        let ip: IpAddr = IpAddr::V4([192, 0, 2, 1].into());
        let first = idle.admit(ip).expect("first");
        let second = idle.admit(ip).expect("second");
        assert!(idle.admit(ip).is_none(), "a third idle one is refused");
        let busy = Busy::start(first.clone());
        let third = idle.admit(ip).expect("room while one is busy");
        assert!(busy.finish(), "three idle now: over the cap");
        drop((first, second, third));
        assert!(idle.counts().is_empty());
    }
}
