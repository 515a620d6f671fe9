//! A fake upstream forge for integration tests, written on hyper.
//!
//! Every request is recorded (method, raw target, headers, body, connection index) before its
//! reply is chosen. Replies can be any status, headers and body, after a delay; and, for fault
//! tests, a body cut short of its `Content-Length` or a connection closed without any answer.
//! hyper's HTTP/1.1 server does the protocol work: keep-alive with several sequential requests
//! per connection, `Content-Length` and chunked request bodies, and `Expect: 100-continue`.
//!
//! ```ignore
//! let up = FakeUpstream::builder()
//!     .route("GET", "/api/v4/projects/group%2Fproj/releases", Reply::json(200, &json!([])))
//!     .start()
//!     .await;
//! // point the gateway at up.url(), then look at up.requests()
//! ```

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::header::{HeaderName, HeaderValue, CONTENT_LENGTH, TRANSFER_ENCODING};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

/// One request as the fake upstream received it.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    /// The request target exactly as received: not decoded, so `%2F` stays `%2F`.
    pub path_and_query: String,
    /// Header names lowercased, in the order received; repeated headers are kept.
    pub headers: Vec<(String, String)>,
    /// The full body, de-chunked if it came chunked.
    pub body: Vec<u8>,
    /// Index of the TCP connection it came on (0 for the first accepted connection), so tests can
    /// tell whether a client reused a pooled connection.
    pub connection: usize,
    /// When it had been read in full.
    pub received: Instant,
}

impl Recorded {
    /// First value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every value of header `name` (case-insensitive), in order.
    pub fn header_all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The raw path, before any `?`.
    pub fn path(&self) -> &str {
        self.path_and_query
            .split_once('?')
            .map_or(self.path_and_query.as_str(), |(p, _)| p)
    }

    /// The raw query string after `?`, if there is one.
    pub fn query(&self) -> Option<&str> {
        self.path_and_query.split_once('?').map(|(_, q)| q)
    }

    /// The body as (lossy) UTF-8 text.
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body parsed as JSON; panics with the body in the message if it is not JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body of {} {} is not JSON ({e}): {:?}",
                self.method,
                self.path_and_query,
                self.body_text()
            )
        })
    }
}

/// What the fake upstream does with a request.
#[derive(Clone, Debug)]
pub enum Reply {
    /// A complete response, sent after `delay`. A `content-length` is added unless `headers`
    /// has one (or a `transfer-encoding`), or the status has no body (1xx, 204, 304).
    Respond {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
        delay: Duration,
    },
    /// Headers with `content-length: body.len()` (replacing any framing header of `headers`),
    /// then only `body[..cut_at]`, then the connection is closed.
    Truncate {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
        cut_at: usize,
    },
    /// Read the request, then close the connection without answering (not even
    /// `100 Continue`, unless the client waited for one before sending its body).
    Hangup,
}

impl Reply {
    /// `status` with a JSON body and `content-type: application/json`.
    pub fn json(status: u16, body: &Value) -> Reply {
        Reply::raw(
            status,
            "application/json",
            serde_json::to_vec(body).expect("serialize JSON reply"),
        )
    }

    /// `status` with `body` of the given content type.
    pub fn raw(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Reply {
        Reply::Respond {
            status,
            headers: vec![("content-type".to_owned(), content_type.to_owned())],
            body: body.into(),
            delay: Duration::ZERO,
        }
    }

    /// `status` with no body and no content type (e.g. 204).
    pub fn empty(status: u16) -> Reply {
        Reply::Respond {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            delay: Duration::ZERO,
        }
    }

    /// Sets a response header, replacing any of the same name (so it can override the
    /// `content-type` of [`json`](Self::json)); no effect on `Hangup`. For a header repeated on
    /// purpose, build `Reply::Respond` directly.
    pub fn with_header(mut self, k: &str, v: &str) -> Reply {
        match &mut self {
            Reply::Respond { headers, .. } | Reply::Truncate { headers, .. } => {
                headers.retain(|(name, _)| !name.eq_ignore_ascii_case(k));
                headers.push((k.to_owned(), v.to_owned()));
            }
            Reply::Hangup => {}
        }
        self
    }

    /// Waits `d` before answering (only `Respond` has a delay; others are unchanged).
    pub fn with_delay(mut self, d: Duration) -> Reply {
        if let Reply::Respond { delay, .. } = &mut self {
            *delay = d;
        }
        self
    }

    /// Turns a `Respond` into a `Truncate` that sends only the first `cut_at` body bytes.
    pub fn truncated(self, cut_at: usize) -> Reply {
        match self {
            Reply::Respond {
                status,
                headers,
                body,
                ..
            }
            | Reply::Truncate {
                status,
                headers,
                body,
                ..
            } => Reply::Truncate {
                status,
                headers,
                body,
                cut_at,
            },
            Reply::Hangup => Reply::Hangup,
        }
    }
}

struct Route {
    method: String,
    path: String,
    replies: Vec<Reply>,
    hits: AtomicUsize,
}

impl Route {
    fn matches(&self, method: &str, path: &str) -> bool {
        let method_ok = self.method == "*" || self.method.eq_ignore_ascii_case(method);
        let path_ok = match self.path.strip_suffix('*') {
            Some(prefix) => path.starts_with(prefix),
            None => self.path == path,
        };
        method_ok && path_ok
    }

    fn next_reply(&self) -> Reply {
        let n = self.hits.fetch_add(1, Ordering::SeqCst);
        self.replies[n.min(self.replies.len() - 1)].clone()
    }
}

struct Shared {
    routes: Vec<Route>,
    fallback: Reply,
    requests: Mutex<Vec<Recorded>>,
}

impl Shared {
    fn choose(&self, method: &str, path: &str) -> Reply {
        self.routes
            .iter()
            .find(|r| r.matches(method, path))
            .map_or_else(|| self.fallback.clone(), Route::next_reply)
    }
}

/// Builder for a [`FakeUpstream`]; routes are tried in the order they were added.
pub struct FakeBuilder {
    routes: Vec<Route>,
    fallback: Reply,
}

impl FakeBuilder {
    /// Answers `method` (`"*"` for any) on `raw_path` with `reply`, every time. `raw_path` is
    /// compared with the received path (before `?`) exactly, without decoding, so `%2F` only
    /// matches `%2F`; a trailing `*` makes it a prefix match instead.
    pub fn route(self, method: &str, raw_path: &str, reply: Reply) -> Self {
        self.route_seq(method, raw_path, vec![reply])
    }

    /// Like [`route`](Self::route), but successive requests get successive replies; the last
    /// one repeats.
    pub fn route_seq(mut self, method: &str, raw_path: &str, replies: Vec<Reply>) -> Self {
        assert!(!replies.is_empty(), "route_seq needs at least one reply");
        self.routes.push(Route {
            method: method.to_owned(),
            path: raw_path.to_owned(),
            replies,
            hits: AtomicUsize::new(0),
        });
        self
    }

    /// The reply for requests no route matches (default: 404 `{"message":"404 Not found"}`).
    pub fn fallback(mut self, reply: Reply) -> Self {
        self.fallback = reply;
        self
    }

    /// Binds `127.0.0.1:0` and starts serving on the current tokio runtime.
    pub async fn start(self) -> FakeUpstream {
        self.start_knowing_url(|_, b| b).await
    }

    /// As [`start`](Self::start), with routes `more` adds once the fake's URL
    /// (`http://127.0.0.1:PORT`) is known: answers that name the fake itself.
    pub async fn start_knowing_url(
        self,
        more: impl FnOnce(&str, FakeBuilder) -> FakeBuilder,
    ) -> FakeUpstream {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind fake upstream");
        let addr = listener.local_addr().expect("fake upstream address");
        let this = more(&format!("http://{addr}"), self);
        let shared = Arc::new(Shared {
            routes: this.routes,
            fallback: this.fallback,
            requests: Mutex::new(Vec::new()),
        });
        let task = tokio::spawn(serve(listener, Arc::clone(&shared)));
        FakeUpstream { addr, shared, task }
    }
}

/// A running fake upstream; the server and its connections stop when it is dropped.
pub struct FakeUpstream {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl FakeUpstream {
    pub fn builder() -> FakeBuilder {
        FakeBuilder {
            routes: Vec::new(),
            fallback: Reply::json(404, &serde_json::json!({"message": "404 Not found"})),
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.requests.lock().expect("requests lock").clone()
    }

    pub fn request_count(&self) -> usize {
        self.shared.requests.lock().expect("requests lock").len()
    }

    /// The most recent request, if any.
    pub fn last_request(&self) -> Option<Recorded> {
        self.shared
            .requests
            .lock()
            .expect("requests lock")
            .last()
            .cloned()
    }

    /// Every request received, each checked: its method and path against a
    /// forge's spec (`spec_path`, e.g. `schema::gitlab_path`), header `name`
    /// present once with one of the `accepted` values, and none of the
    /// headers `absent`.
    pub fn requests_checked(
        &self,
        spec_path: fn(&str, &str) -> Result<(), String>,
        name: &str,
        accepted: &[&str],
        absent: &[&str],
    ) -> Vec<Recorded> {
        let seen = self.requests();
        for r in &seen {
            let (method, target) = (&r.method, &r.path_and_query);
            spec_path(method, target).unwrap_or_else(|e| panic!("{e}"));
            let values = r.header_all(name);
            assert!(
                values.len() == 1 && accepted.contains(&values[0]),
                "{method} {target}: {name} {values:?}, expected one of {accepted:?}"
            );
            for h in absent {
                assert_eq!(r.header(h), None, "{method} {target}: {h}");
            }
        }
        seen
    }
}

impl Drop for FakeUpstream {
    fn drop(&mut self) {
        // Aborting the accept loop drops its JoinSet, which aborts every connection task.
        self.task.abort();
    }
}

/// The method and target of each request, in the order received.
pub fn calls(seen: &[Recorded]) -> Vec<(&str, &str)> {
    seen.iter()
        .map(|r| (r.method.as_str(), r.path_and_query.as_str()))
        .collect()
}

/// The target of each request, in the order received.
pub fn targets(seen: &[Recorded]) -> Vec<&str> {
    seen.iter().map(|r| r.path_and_query.as_str()).collect()
}

/// An `http://127.0.0.1:PORT` URL where nothing listens (the port was bound and released, so a
/// connect is refused unless another process grabs it in between).
pub fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind for closed port");
    let port = listener.local_addr().expect("closed port address").port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    let mut conns = JoinSet::new();
    let mut next_id = 0;
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    conns.spawn(serve_connection(stream, next_id, Arc::clone(&shared)));
                    next_id += 1;
                }
                // Out of file descriptors or similar: back off instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
}

/// Serves one accepted connection with hyper until the client closes it, a reply ends it
/// (`connection: close`, [`Reply::Truncate`], [`Reply::Hangup`]) or the fake is dropped.
async fn serve_connection(stream: TcpStream, connection: usize, shared: Arc<Shared>) {
    let _ = stream.set_nodelay(true);
    let flushes = Arc::new(Flushes::default());
    let io = TokioIo::new(FlushTracked {
        stream,
        flushes: Arc::clone(&flushes),
    });
    let service =
        service_fn(move |req| handle(req, connection, Arc::clone(&shared), Arc::clone(&flushes)));
    // An error here is either the client going away or a Truncate/Hangup reply doing its job;
    // either way the connection is over and the socket is closed when `io` drops.
    let _ = http1::Builder::new()
        .keep_alive(true)
        // A client may shut down its write side while it waits for the answer.
        .half_close(true)
        // Send only the headers a reply asks for (plus the framing hyper adds).
        .auto_date_header(false)
        .serve_connection(io, service)
        .await;
}

/// A failure the fake upstream causes on purpose, saying which. Returned by
/// the service, it makes hyper drop the connection without writing any
/// response ([`HANG_UP`]); from a body, it cuts the body short ([`CUT_SHORT`]).
#[derive(Debug)]
struct OnPurpose(&'static str);

const HANG_UP: OnPurpose = OnPurpose("fake upstream hangs up on purpose");
const CUT_SHORT: OnPurpose = OnPurpose("fake upstream cuts the body short on purpose");

impl std::fmt::Display for OnPurpose {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for OnPurpose {}

/// Records the request, then answers it as its route says.
async fn handle(
    req: Request<Incoming>,
    connection: usize,
    shared: Arc<Shared>,
    flushes: Arc<Flushes>,
) -> Result<Response<ReplyBody>, OnPurpose> {
    let (parts, body) = req.into_parts();
    // hyper de-chunks the body and answers `Expect: 100-continue` when it is first read. A
    // client that goes away mid-body leaves nothing to record or answer.
    let body = body.collect().await.map_err(|_| HANG_UP)?.to_bytes();
    // Origin-form targets print as path and query exactly as received (`%2F` stays `%2F`);
    // absolute-form ones with their scheme and authority, as they came.
    let path_and_query = parts.uri.to_string();
    let path = path_and_query
        .split_once('?')
        .map_or(path_and_query.as_str(), |(p, _)| p)
        .to_owned();
    // hyper keeps names lowercased and the values of a repeated name in order, but groups them
    // under the first occurrence of that name.
    let headers = parts
        .headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    shared
        .requests
        .lock()
        .expect("requests lock")
        .push(Recorded {
            method: parts.method.as_str().to_owned(),
            path_and_query,
            headers,
            body: body.to_vec(),
            connection,
            received: Instant::now(),
        });
    match shared.choose(parts.method.as_str(), &path) {
        Reply::Hangup => Err(HANG_UP),
        Reply::Truncate {
            status,
            headers,
            body,
            cut_at,
        } => {
            // hyper declares `content-length: body.len()` from the body's exact size hint; the
            // reply's own framing headers would contradict it.
            let headers = headers.into_iter().filter(|(k, _)| !is_framing(k));
            let declared = body.len() as u64;
            let mut part = body;
            part.truncate(cut_at);
            let body = ReplyBody::Cut {
                part: (!part.is_empty()).then(|| Bytes::from(part)),
                declared,
                flushes,
                mark: None,
            };
            Ok(response(status, headers, body))
        }
        Reply::Respond {
            status,
            headers,
            body,
            delay,
        } => {
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            // When the reply frames its body itself, hyper follows its headers; otherwise it adds
            // `content-length` (none for 1xx, 204 and 304, and no body for those or for HEAD).
            let framed = headers.iter().any(|(k, _)| is_framing(k));
            let body = ReplyBody::Full {
                data: (!body.is_empty()).then(|| Bytes::from(body)),
                exact: !framed,
            };
            Ok(response(status, headers, body))
        }
    }
}

fn is_framing(name: &str) -> bool {
    name.eq_ignore_ascii_case(CONTENT_LENGTH.as_str())
        || name.eq_ignore_ascii_case(TRANSFER_ENCODING.as_str())
}

fn response(
    status: u16,
    headers: impl IntoIterator<Item = (String, String)>,
    body: ReplyBody,
) -> Response<ReplyBody> {
    let mut res = Response::new(body);
    *res.status_mut() = StatusCode::from_u16(status)
        .unwrap_or_else(|_| panic!("fake upstream: invalid status {status}"));
    for (k, v) in headers {
        let name = HeaderName::from_bytes(k.as_bytes())
            .unwrap_or_else(|_| panic!("fake upstream: invalid header name {k:?}"));
        let value = HeaderValue::from_str(&v)
            .unwrap_or_else(|_| panic!("fake upstream: invalid value of {k}: {v:?}"));
        res.headers_mut().append(name, value);
    }
    res
}

/// The body of a reply.
enum ReplyBody {
    /// The whole body at once. `exact` reports its length to hyper, which then sends it as
    /// `content-length`; without it hyper frames the body by the reply's own headers.
    Full { data: Option<Bytes>, exact: bool },
    /// [`Reply::Truncate`]: claims `declared` bytes, yields `part`, then fails once everything
    /// written so far has been flushed to the socket. The failure makes hyper drop the
    /// connection, so the client sees the connection close short of `content-length`.
    Cut {
        part: Option<Bytes>,
        declared: u64,
        flushes: Arc<Flushes>,
        /// Flush count when the last byte was handed to hyper; `None` until then.
        mark: Option<u64>,
    },
}

impl Body for ReplyBody {
    type Data = Bytes;
    type Error = OnPurpose;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, OnPurpose>>> {
        match self.get_mut() {
            ReplyBody::Full { data, .. } => Poll::Ready(data.take().map(|d| Ok(Frame::data(d)))),
            ReplyBody::Cut {
                part,
                flushes,
                mark,
                ..
            } => {
                // hyper buffers what it is given and writes it out when it flushes; failing the
                // body right away would drop the connection with the head and `part` still
                // unsent. So first hand over `part`, then wait for a flush that comes after.
                let seen = *mark.get_or_insert_with(|| flushes.count());
                if let Some(part) = part.take() {
                    return Poll::Ready(Some(Ok(Frame::data(part))));
                }
                if flushes.flushed_since(seen, cx.waker()) {
                    Poll::Ready(Some(Err(CUT_SHORT)))
                } else {
                    Poll::Pending
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            ReplyBody::Full { data, .. } => data.is_none(),
            ReplyBody::Cut { .. } => false,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            ReplyBody::Full { data, exact: true } => {
                SizeHint::with_exact(data.as_ref().map_or(0, |d| d.len() as u64))
            }
            ReplyBody::Full { exact: false, .. } => SizeHint::default(),
            ReplyBody::Cut { declared, .. } => SizeHint::with_exact(*declared),
        }
    }
}

/// Counts completed flushes of one connection's socket, and wakes the body waiting for one.
#[derive(Default)]
struct Flushes {
    count: AtomicU64,
    waiter: Mutex<Option<Waker>>,
}

impl Flushes {
    fn count(&self) -> u64 {
        self.count.load(Ordering::SeqCst)
    }

    /// Whether a flush completed after the count was `seen`; if not, `waker` is woken by the
    /// next one.
    fn flushed_since(&self, seen: u64, waker: &Waker) -> bool {
        *self.waiter.lock().expect("flush waiter lock") = Some(waker.clone());
        self.count() > seen
    }

    fn flushed(&self) {
        self.count.fetch_add(1, Ordering::SeqCst);
        if let Some(w) = self.waiter.lock().expect("flush waiter lock").take() {
            w.wake();
        }
    }
}

/// The connection's socket, counting completed flushes. hyper's `poll_flush` reaches the socket
/// only once its own write buffer is empty, so a completed flush means every byte hyper was
/// given before it is in the kernel.
struct FlushTracked {
    stream: TcpStream,
    flushes: Arc<Flushes>,
}

impl AsyncRead for FlushTracked {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for FlushTracked {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let flushed = Pin::new(&mut this.stream).poll_flush(cx);
        if let Poll::Ready(Ok(())) = flushed {
            this.flushes.flushed();
        }
        flushed
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}
