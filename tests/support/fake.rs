//! A fake upstream forge for integration tests.
//!
//! It is written on raw tokio TCP with a small HTTP/1.1 parser rather than on hyper, because
//! tests need replies that a well-behaved server library refuses to produce: a body cut short of
//! its `Content-Length`, or a connection closed without any answer. It still speaks enough
//! HTTP/1.1 for a pooled client: keep-alive with several sequential requests per connection,
//! `Content-Length` and chunked request bodies, and `Expect: 100-continue`.
//!
//! ```ignore
//! let up = FakeUpstream::builder()
//!     .route("GET", "/api/v4/projects/group%2Fproj/releases", Reply::json(200, &json!([])))
//!     .start()
//!     .await;
//! // point the gateway at up.url(), then look at up.requests()
//! ```

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

/// Longest request head (request line plus headers) the fake accepts.
const MAX_HEAD: usize = 64 * 1024;

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
    /// Headers with `content-length: body.len()`, then only `body[..cut_at]`, then the
    /// connection is closed.
    Truncate {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
        cut_at: usize,
    },
    /// Read the request, then close the connection without answering.
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
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind fake upstream");
        let addr = listener.local_addr().expect("fake upstream address");
        let shared = Arc::new(Shared {
            routes: self.routes,
            fallback: self.fallback,
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
}

impl Drop for FakeUpstream {
    fn drop(&mut self) {
        // Aborting the accept loop drops its JoinSet, which aborts every connection task.
        self.task.abort();
    }
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
                    let _ = stream.set_nodelay(true);
                    conns.spawn(Conn::new(stream, next_id, Arc::clone(&shared)).run());
                    next_id += 1;
                }
                // Out of file descriptors or similar: back off instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
}

struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
    id: usize,
    shared: Arc<Shared>,
}

/// Why a connection stops being read.
enum Stop {
    /// The peer closed or the socket failed: nothing more to do.
    Closed,
    /// The request was malformed: answer 400 and close.
    Bad(&'static str),
}

impl From<std::io::Error> for Stop {
    fn from(_: std::io::Error) -> Self {
        Stop::Closed
    }
}

struct Head {
    method: String,
    target: String,
    http10: bool,
    headers: Vec<(String, String)>,
}

impl Head {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn has_token(&self, name: &str, token: &str) -> bool {
        self.headers
            .iter()
            .filter(|(k, _)| k == name)
            .flat_map(|(_, v)| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case(token))
    }

    fn wants_close(&self) -> bool {
        if self.http10 {
            !self.has_token("connection", "keep-alive")
        } else {
            self.has_token("connection", "close")
        }
    }
}

impl Conn {
    fn new(stream: TcpStream, id: usize, shared: Arc<Shared>) -> Self {
        Conn {
            stream,
            buf: Vec::new(),
            id,
            shared,
        }
    }

    async fn run(mut self) {
        loop {
            match self.one_exchange().await {
                Ok(true) => {}
                Ok(false) | Err(Stop::Closed) => return,
                Err(Stop::Bad(why)) => {
                    let body = format!("{{\"message\":\"fake upstream: {why}\"}}");
                    let head = format!(
                        "HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\n\
                         content-length: {}\r\nconnection: close\r\n\r\n",
                        body.len()
                    );
                    let _ = self.stream.write_all(head.as_bytes()).await;
                    let _ = self.stream.write_all(body.as_bytes()).await;
                    let _ = self.stream.shutdown().await;
                    return;
                }
            }
        }
    }

    /// Reads one request, records it and answers it. `Ok(true)` keeps the connection open.
    async fn one_exchange(&mut self) -> Result<bool, Stop> {
        let Some(head) = self.read_head().await? else {
            return Ok(false);
        };
        if head.has_token("expect", "100-continue") {
            self.stream
                .write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
                .await?;
        }
        let body = self.read_body(&head).await?;
        let path = head.target.split('?').next().unwrap_or_default().to_owned();
        self.shared
            .requests
            .lock()
            .expect("requests lock")
            .push(Recorded {
                method: head.method.clone(),
                path_and_query: head.target.clone(),
                headers: head.headers.clone(),
                body,
                connection: self.id,
            });
        let reply = self.shared.choose(&head.method, &path);
        let is_head = head.method.eq_ignore_ascii_case("HEAD");
        match reply {
            Reply::Hangup => {
                let _ = self.stream.shutdown().await;
                Ok(false)
            }
            Reply::Truncate {
                status,
                headers,
                body,
                cut_at,
            } => {
                let mut out = status_line(status);
                push_headers(&mut out, &headers);
                out.extend_from_slice(format!("content-length: {}\r\n\r\n", body.len()).as_bytes());
                out.extend_from_slice(&body[..cut_at.min(body.len())]);
                self.stream.write_all(&out).await?;
                self.stream.flush().await?;
                let _ = self.stream.shutdown().await;
                Ok(false)
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
                let bodiless = (100..200).contains(&status) || status == 204 || status == 304;
                let framed = headers.iter().any(|(k, _)| {
                    k.eq_ignore_ascii_case("content-length")
                        || k.eq_ignore_ascii_case("transfer-encoding")
                });
                let close = head.wants_close()
                    || headers.iter().any(|(k, v)| {
                        k.eq_ignore_ascii_case("connection") && v.eq_ignore_ascii_case("close")
                    });
                let mut out = status_line(status);
                push_headers(&mut out, &headers);
                if !bodiless && !framed {
                    out.extend_from_slice(format!("content-length: {}\r\n", body.len()).as_bytes());
                }
                if close {
                    out.extend_from_slice(b"connection: close\r\n");
                }
                out.extend_from_slice(b"\r\n");
                if !bodiless && !is_head {
                    out.extend_from_slice(&body);
                }
                self.stream.write_all(&out).await?;
                self.stream.flush().await?;
                if close {
                    let _ = self.stream.shutdown().await;
                }
                Ok(!close)
            }
        }
    }

    /// Reads more bytes into the buffer; `false` at end of stream.
    async fn fill(&mut self) -> Result<bool, Stop> {
        let mut chunk = [0u8; 8192];
        let n = self.stream.read(&mut chunk).await?;
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(n > 0)
    }

    /// Takes one CRLF-terminated line (without the CRLF) off the buffer.
    async fn read_line(&mut self) -> Result<Option<Vec<u8>>, Stop> {
        loop {
            if let Some(i) = self.buf.windows(2).position(|w| w == b"\r\n") {
                let line = self.buf[..i].to_vec();
                self.buf.drain(..i + 2);
                return Ok(Some(line));
            }
            if self.buf.len() > MAX_HEAD {
                return Err(Stop::Bad("line too long"));
            }
            if !self.fill().await? {
                return Ok(None);
            }
        }
    }

    async fn read_exact_n(&mut self, n: usize) -> Result<Vec<u8>, Stop> {
        while self.buf.len() < n {
            if !self.fill().await? {
                return Err(Stop::Closed);
            }
        }
        Ok(self.buf.drain(..n).collect())
    }

    async fn read_head(&mut self) -> Result<Option<Head>, Stop> {
        // Tolerate stray empty lines between requests, as RFC 9112 asks servers to.
        let request_line = loop {
            match self.read_line().await? {
                None => return Ok(None),
                Some(l) if l.is_empty() => continue,
                Some(l) => break l,
            }
        };
        let request_line = String::from_utf8(request_line).map_err(|_| Stop::Bad("non-UTF-8"))?;
        let mut parts = request_line.split(' ');
        let (Some(method), Some(target), Some(version), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(Stop::Bad("malformed request line"));
        };
        if !version.starts_with("HTTP/1.") {
            return Err(Stop::Bad("only HTTP/1.x is supported"));
        }
        let mut headers = Vec::new();
        let mut size = request_line.len();
        loop {
            let Some(line) = self.read_line().await? else {
                return Err(Stop::Closed);
            };
            if line.is_empty() {
                break;
            }
            size += line.len();
            if size > MAX_HEAD {
                return Err(Stop::Bad("request head too large"));
            }
            let line = String::from_utf8_lossy(&line);
            let (name, value) = line
                .split_once(':')
                .ok_or(Stop::Bad("malformed header line"))?;
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
        Ok(Some(Head {
            method: method.to_owned(),
            target: target.to_owned(),
            http10: version == "HTTP/1.0",
            headers,
        }))
    }

    async fn read_body(&mut self, head: &Head) -> Result<Vec<u8>, Stop> {
        if head.has_token("transfer-encoding", "chunked") {
            return self.read_chunked().await;
        }
        match head.header("content-length") {
            None => Ok(Vec::new()),
            Some(v) => {
                let n: usize = v.parse().map_err(|_| Stop::Bad("bad content-length"))?;
                self.read_exact_n(n).await
            }
        }
    }

    async fn read_chunked(&mut self) -> Result<Vec<u8>, Stop> {
        let mut body = Vec::new();
        loop {
            let line = self.read_line().await?.ok_or(Stop::Closed)?;
            let line = String::from_utf8_lossy(&line);
            let size = line.split(';').next().unwrap_or_default().trim();
            let size = usize::from_str_radix(size, 16).map_err(|_| Stop::Bad("bad chunk size"))?;
            if size == 0 {
                // Trailers, up to the empty line.
                while !self.read_line().await?.ok_or(Stop::Closed)?.is_empty() {}
                return Ok(body);
            }
            body.extend(self.read_exact_n(size).await?);
            if self.read_exact_n(2).await? != b"\r\n" {
                return Err(Stop::Bad("chunk not followed by CRLF"));
            }
        }
    }
}

fn status_line(status: u16) -> Vec<u8> {
    format!("HTTP/1.1 {status} {}\r\n", reason(status)).into_bytes()
}

fn push_headers(out: &mut Vec<u8>, headers: &[(String, String)]) {
    for (k, v) in headers {
        out.extend_from_slice(format!("{k}: {v}\r\n").as_bytes());
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        206 => "Partial Content",
        208 => "Already Reported",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        410 => "Gone",
        413 => "Content Too Large",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Content",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Unknown",
    }
}
