//! The pooled upstream client: one per gateway, never a connection per request.

use super::h1;
use crate::canonical::ErrorKind;
use crate::error::GwError;
use bytes::Bytes;
use http::uri::{Authority, PathAndQuery, Scheme};
use http::{HeaderMap, HeaderValue, Request, Response, Uri};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use rustls::pki_types::CertificateDer;
use std::path::Path;
use std::pin::Pin;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

pub use super::BoxError;

/// A body that is either built by the gateway or streamed through from a peer.
/// A peer's body streams through as its own variant rather than boxed: that
/// saves an allocation per request and a dynamic call per chunk.
pub enum Body {
    Full(Full<Bytes>),
    /// An upstream's body, untouched; with the bulk permit it was read under,
    /// which is given back when the body ends or is dropped.
    Incoming(Upstreamed, Option<OwnedSemaphorePermit>),
    /// A peer's body, refused past a number of bytes.
    Limited(Limited<Inbound>),
}

/// A request's body as the gateway serves it: a client's, or none, for the
/// requests the gateway makes of itself (the reads a GraphQL query becomes).
pub enum Inbound {
    Peer(Incoming),
    Empty,
}

impl http_body::Body for Inbound {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, hyper::Error>>> {
        match self.get_mut() {
            Inbound::Peer(b) => Pin::new(b).poll_frame(cx),
            Inbound::Empty => Poll::Ready(None),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            Inbound::Peer(b) => b.is_end_stream(),
            Inbound::Empty => true,
        }
    }

    fn size_hint(&self) -> http_body::SizeHint {
        match self {
            Inbound::Peer(b) => b.size_hint(),
            Inbound::Empty => http_body::SizeHint::with_exact(0),
        }
    }
}

pub fn full(b: impl Into<Bytes>) -> Body {
    Body::Full(Full::new(b.into()))
}

impl http_body::Body for Body {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, BoxError>>> {
        match self.get_mut() {
            Body::Full(f) => Pin::new(f).poll_frame(cx).map_err(|never| match never {}),
            Body::Incoming(b, _) => Pin::new(b).poll_frame(cx).map_err(BoxError::from),
            Body::Limited(b) => Pin::new(b).poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            Body::Full(f) => f.is_end_stream(),
            Body::Incoming(b, _) => b.is_end_stream(),
            Body::Limited(b) => b.is_end_stream(),
        }
    }

    fn size_hint(&self) -> http_body::SizeHint {
        match self {
            Body::Full(f) => f.size_hint(),
            Body::Incoming(b, _) => b.size_hint(),
            Body::Limited(b) => b.size_hint(),
        }
    }
}

/// An upstream answer's body, as it streams in.
pub enum Upstreamed {
    /// From a plain-HTTP upstream, read by the request's own task.
    Direct(h1::Streamed),
    /// From hyper-util's client (TLS upstreams).
    Hyper(Incoming),
}

impl http_body::Body for Upstreamed {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, BoxError>>> {
        match self.get_mut() {
            Upstreamed::Direct(b) => Pin::new(b).poll_frame(cx).map_err(BoxError::from),
            Upstreamed::Hyper(b) => Pin::new(b).poll_frame(cx).map_err(BoxError::from),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            Upstreamed::Direct(b) => b.is_end_stream(),
            Upstreamed::Hyper(b) => b.is_end_stream(),
        }
    }

    fn size_hint(&self) -> http_body::SizeHint {
        match self {
            Upstreamed::Direct(b) => b.size_hint(),
            Upstreamed::Hyper(b) => b.size_hint(),
        }
    }
}

/// How long a request waits for a bulk permit before it streams through the
/// ordinary connections instead: long enough to queue behind other large
/// answers under load, short enough that slow clients holding every permit
/// cost the others little.
const BULK_WAIT: Duration = Duration::from_millis(250);

/// Sizes of answers that may be large, as `Upstream::list_size` keeps them:
/// read at once by an ordinary connection; up to half a bulk read, where
/// ordinary reads take a few more syscalls than one bulk read; larger, or of a
/// length not known in advance.
const ORDINARY: u8 = 0;
const MIDDLE: u8 = 1;
const LARGE: u8 = 2;

/// What a bulk stream reads at once (and, towards a TLS upstream, the HTTP/1
/// buffer limit of the bulk connections): hyper's default, which reads a
/// megabyte in three.
const BULK_BUFFER_BYTES: usize = 400 << 10;

type HttpClient = Client<HttpsConnector<HttpConnector>, Body>;

/// A kept connection idle longer than this is closed.
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// At most this many idle connections are kept.
const MAX_IDLE: usize = 256;

/// How the upstream is reached, besides its URL.
pub struct UpstreamOptions {
    pub connect_timeout: Duration,
    /// The whole exchange, from sending to the last byte of a whole answer.
    pub timeout: Duration,
    pub max_response_bytes: usize,
    pub io_buffer_bytes: usize,
    pub bulk_streams: usize,
    /// Certificates trusted for a TLS upstream besides the public roots.
    pub extra_roots: Vec<CertificateDer<'static>>,
}

/// The certificates of a PEM file, each checked to be usable as a root.
pub fn load_roots(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let pem = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let certs = rustls_pemfile::certs(&mut pem.as_slice())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!("{}: no PEM certificate found", path.display()));
    }
    let mut store = rustls::RootCertStore::empty();
    for c in &certs {
        store
            .add(c.clone())
            .map_err(|e| format!("{}: not a usable CA certificate: {e}", path.display()))?;
    }
    Ok(certs)
}

/// With extra roots: a TLS client config trusting them and the public roots.
fn tls_config(extra: &[CertificateDer<'static>]) -> Option<rustls::ClientConfig> {
    if extra.is_empty() {
        return None;
    }
    let mut roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    roots.add_parsable_certificates(extra.iter().cloned());
    let cfg = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .ok()?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Some(cfg)
}

/// How requests reach the upstream.
enum Transport {
    /// A plain-HTTP upstream: the gateway's own HTTP/1.1 client.
    Direct(Arc<h1::Pool>),
    /// A TLS upstream (HTTP/1.1 or HTTP/2 by ALPN): hyper-util's client.
    Hyper(Box<HyperClients>),
}

struct HyperClients {
    client: HttpClient,
    /// Connections with large buffers for answers likely to be large, at
    /// most one per permit of `bulk_gate`.
    bulk: HttpClient,
}

pub struct Upstream {
    transport: Transport,
    /// Bounds the bodies streamed with large buffers at once.
    bulk_gate: Arc<Semaphore>,
    /// How large the last answer that could go either way (a list) was: one
    /// of `ORDINARY`, `MIDDLE`, `LARGE`. It decides whether the next one
    /// streams in bulk, and whether a bulk permit is worth waiting for.
    list_size: AtomicU8,
    io_buffer_bytes: usize,
    pub base: String,
    /// `base` taken apart once, so that a request URI is assembled from parts
    /// rather than formatted and parsed again on every request.
    scheme: Option<Scheme>,
    authority: Option<Authority>,
    /// The path of `base` ("" or "/prefix"), which every upstream path follows.
    base_path: String,
    /// The Host header written into every request to a plain-HTTP upstream.
    host: Option<HeaderValue>,
    pub title: String,
    pub timeout: Duration,
    pub max_response_bytes: usize,
    bufs: BufPool,
}

/// Buffers for whole upstream bodies, kept for the next answer. Allocating
/// and freeing a megabyte per answer lets the allocator hand the pages back
/// to the kernel and fault them in again on the next one (about 230 page
/// faults per 1 MB list); a few kept buffers avoid that. At most `KEEP` are
/// kept, none larger than `KEEP_BYTES`, so the memory held stays bounded.
#[derive(Clone, Default)]
struct BufPool(Arc<std::sync::Mutex<Vec<Vec<u8>>>>);

impl BufPool {
    const KEEP: usize = 4;
    const KEEP_BYTES: usize = 2 << 20;

    fn take(&self) -> Vec<u8> {
        self.0
            .lock()
            .ok()
            .and_then(|mut v| v.pop())
            .unwrap_or_default()
    }

    fn give(&self, mut buf: Vec<u8>) {
        if buf.capacity() == 0 || buf.capacity() > Self::KEEP_BYTES {
            return;
        }
        buf.clear();
        if let Ok(mut v) = self.0.lock() {
            if v.len() < Self::KEEP {
                v.push(buf);
            }
        }
    }
}

/// A whole upstream body; its buffer goes back to the pool when dropped.
pub struct PooledBuf {
    buf: Vec<u8>,
    pool: BufPool,
}

impl std::ops::Deref for PooledBuf {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.buf
    }
}

impl Drop for PooledBuf {
    fn drop(&mut self) {
        self.pool.give(std::mem::take(&mut self.buf));
    }
}

/// A complete upstream answer.
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: PooledBuf,
    _permit: Option<OwnedSemaphorePermit>,
}

impl Upstream {
    pub fn new(base: &str, title: &str, opts: &UpstreamOptions) -> Self {
        let UpstreamOptions {
            connect_timeout,
            timeout,
            max_response_bytes,
            io_buffer_bytes,
            bulk_streams,
            ref extra_roots,
        } = *opts;
        // Made once for both clients: it copies the public roots.
        let tls_cfg = tls_config(extra_roots);
        let build = |buffer: usize, idle: usize| -> HttpClient {
            let mut http = HttpConnector::new();
            http.enforce_http(false);
            http.set_connect_timeout(Some(connect_timeout));
            http.set_nodelay(true);
            let tls = hyper_rustls::HttpsConnectorBuilder::new();
            let tls = match &tls_cfg {
                Some(cfg) => tls.with_tls_config(cfg.clone()),
                None => tls.with_webpki_roots(),
            };
            let https = tls
                .https_or_http()
                .enable_http1()
                .enable_http2()
                .wrap_connector(http);
            Client::builder(TokioExecutor::new())
                .pool_idle_timeout(IDLE_TIMEOUT)
                .pool_max_idle_per_host(idle)
                .pool_timer(TokioTimer::new())
                .http1_max_buf_size(buffer)
                .build(https)
        };
        let bulk_streams = bulk_streams.max(1);
        let base = base.trim_end_matches('/').to_owned();
        let parsed = base.parse::<Uri>().ok();
        let plain = parsed.as_ref().and_then(|u| {
            if u.scheme_str() != Some("http") {
                return None;
            }
            let host = u.host()?;
            Some(format!("{host}:{}", u.port_u16().unwrap_or(80)))
        });
        let transport = match plain {
            Some(target) => {
                let pool = Arc::new(h1::Pool::new(
                    target,
                    connect_timeout,
                    IDLE_TIMEOUT,
                    MAX_IDLE,
                ));
                pool.reap_every(IDLE_TIMEOUT / 4);
                Transport::Direct(pool)
            }
            None => Transport::Hyper(Box::new(HyperClients {
                client: build(io_buffer_bytes, MAX_IDLE),
                bulk: build(BULK_BUFFER_BYTES.max(io_buffer_bytes), bulk_streams),
            })),
        };
        let (scheme, authority) = parsed.as_ref().map_or((None, None), |u| {
            (u.scheme().cloned(), u.authority().cloned())
        });
        let base_path = parsed
            .as_ref()
            .map_or("", |u| u.path().trim_end_matches('/'))
            .to_owned();
        let host = parsed.as_ref().and_then(host_header);
        Upstream {
            transport,
            bulk_gate: Arc::new(Semaphore::new(bulk_streams)),
            list_size: AtomicU8::new(ORDINARY),
            io_buffer_bytes,
            base,
            scheme,
            authority,
            base_path,
            host,
            title: title.to_owned(),
            timeout,
            max_response_bytes,
            bufs: BufPool::default(),
        }
    }

    /// Sends one request and reads the whole answer, within the timeout. With
    /// a `gate`, the body is read only once a permit is free, and the permit
    /// stays with the answer (bounding the bodies held in memory at once).
    /// `again` builds the request once more for a retry (`None`: no retry);
    /// only idempotent requests are tried again.
    pub async fn send(
        &self,
        req: Request<Body>,
        again: Option<impl FnOnce() -> Result<Request<Body>, GwError>>,
        gate: Option<&Arc<Semaphore>>,
    ) -> Result<Answer, GwError> {
        let deadline = Instant::now() + self.timeout;
        let pool = match &self.transport {
            Transport::Direct(pool) => pool,
            Transport::Hyper(_) => return self.send_hyper(req, again, gate, deadline).await,
        };
        let (mut conn, mut head) = self.direct_head(pool, req, again, deadline, 0).await?;
        let permit = self.permit(gate, deadline).await?;
        let mut buf = self.bufs.take();
        let read = conn.read_body(&mut head.framing, &mut buf, self.max_response_bytes);
        match tokio::time::timeout_at(deadline.into(), read).await {
            Err(_) => return Err(self.timeout_error()),
            Ok(Err(e)) => return Err(self.direct_error(e)),
            Ok(Ok(())) => {}
        }
        if head.keep {
            pool.put(conn);
        }
        Ok(Answer {
            status: head.status.as_u16(),
            headers: head.headers,
            body: PooledBuf {
                buf,
                pool: self.bufs.clone(),
            },
            _permit: permit,
        })
    }

    /// A permit of `gate`, waited for until `deadline`.
    async fn permit(
        &self,
        gate: Option<&Arc<Semaphore>>,
        deadline: Instant,
    ) -> Result<Option<OwnedSemaphorePermit>, GwError> {
        let Some(g) = gate else {
            return Ok(None);
        };
        match tokio::time::timeout_at(deadline.into(), g.clone().acquire_owned()).await {
            Ok(Ok(p)) => Ok(Some(p)),
            Ok(Err(_)) => Ok(None),
            Err(_) => Err(self.timeout_error()),
        }
    }

    /// `send` over hyper-util's client.
    async fn send_hyper(
        &self,
        req: Request<Body>,
        again: Option<impl FnOnce() -> Result<Request<Body>, GwError>>,
        gate: Option<&Arc<Semaphore>>,
        deadline: Instant,
    ) -> Result<Answer, GwError> {
        let resp = self.head_or_again(req, again, deadline, false).await?;
        let permit = self.permit(gate, deadline).await?;
        let (parts, body) = resp.into_parts();
        let mut buf = self.bufs.take();
        if let Some(n) = http_body::Body::size_hint(&body).exact() {
            buf.reserve(usize::try_from(n).unwrap_or(0).min(self.max_response_bytes));
        }
        let mut limited = Limited::new(body, self.max_response_bytes);
        let read = async {
            while let Some(frame) = limited.frame().await {
                if let Ok(data) = frame?.into_data() {
                    buf.extend_from_slice(&data);
                }
            }
            Ok::<_, BoxError>(())
        };
        match tokio::time::timeout_at(deadline.into(), read).await {
            Err(_) => return Err(self.timeout_error()),
            Ok(Err(e)) => return Err(self.body_error(&e)),
            Ok(Ok(())) => {}
        }
        let body = PooledBuf {
            buf,
            pool: self.bufs.clone(),
        };
        Ok(Answer {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body,
            _permit: permit,
        })
    }

    /// Reads a streamed answer's body whole (at most `max_response_bytes`,
    /// by `deadline`) once a permit of `gate` is free, for an answer that is
    /// changed before it is passed on.
    pub async fn read_whole(
        &self,
        body: Upstreamed,
        gate: &Arc<Semaphore>,
        deadline: Instant,
    ) -> Result<Bytes, GwError> {
        let _permit = self.permit(Some(gate), deadline).await?;
        let read = Limited::new(body, self.max_response_bytes).collect();
        match tokio::time::timeout_at(deadline.into(), read).await {
            Err(_) => Err(self.timeout_error()),
            Ok(Err(e)) => Err(self.body_error(&e)),
            Ok(Ok(c)) => Ok(c.to_bytes()),
        }
    }

    /// A body that could not be read whole: too large, or cut short.
    fn body_error(&self, e: &BoxError) -> GwError {
        let msg = if e
            .downcast_ref::<http_body_util::LengthLimitError>()
            .is_some()
        {
            self.too_large_message()
        } else {
            format!("the upstream ({}) answer was cut short: {e}", self.title)
        };
        GwError::upstream(ErrorKind::BadUpstreamResponse, msg)
    }

    fn too_large_message(&self) -> String {
        format!(
            "the upstream ({}) answered with more than {} bytes",
            self.title, self.max_response_bytes
        )
    }

    /// Sends one request and returns as soon as the status and headers are in;
    /// the body is left to stream. The retry's request is built by `again`
    /// only when a retry happens (`None`: no retry), instead of copied up
    /// front: idempotent requests are tried once more when the connection
    /// fails before any answer; others never are. `bulk`: the body is read
    /// with large buffers (the caller holds a bulk permit).
    pub async fn head_or_again(
        &self,
        req: Request<Body>,
        again: Option<impl FnOnce() -> Result<Request<Body>, GwError>>,
        deadline: Instant,
        bulk: bool,
    ) -> Result<Response<Upstreamed>, GwError> {
        let client = match &self.transport {
            Transport::Direct(pool) => {
                let read = if bulk {
                    BULK_BUFFER_BYTES.max(self.io_buffer_bytes)
                } else {
                    self.io_buffer_bytes
                };
                // A large answer's head is read with the stream's own read
                // size, so that its body mostly comes in the same read.
                let first = if bulk { read } else { 0 };
                let (conn, mut head) = self.direct_head(pool, req, again, deadline, first).await?;
                let body = h1::Streamed::new(conn, &mut head, pool.clone(), read);
                let mut resp = Response::new(Upstreamed::Direct(body));
                *resp.status_mut() = head.status;
                *resp.version_mut() = head.version;
                *resp.headers_mut() = head.headers;
                return Ok(resp);
            }
            Transport::Hyper(h) => {
                if bulk {
                    &h.bulk
                } else {
                    &h.client
                }
            }
        };
        // A loop rather than two calls: one exchange's state in the future, not two.
        let (mut req, mut again) = (req, again);
        loop {
            match self.head_once(client, req, deadline).await {
                Err(e) if e.kind == ErrorKind::UpstreamUnavailable => match again.take() {
                    Some(build) => req = build()?,
                    None => return Err(e),
                },
                other => return other.map(|r| r.map(Upstreamed::Hyper)),
            }
        }
    }

    /// Over the gateway's own client: a connection with the request written
    /// and the answer's head read from it, tried once more on a new connection
    /// (with the request `again` builds) if the first failed before any answer.
    /// `room`: how much the first read of the answer takes at least.
    async fn direct_head(
        &self,
        pool: &h1::Pool,
        req: Request<Body>,
        again: Option<impl FnOnce() -> Result<Request<Body>, GwError>>,
        deadline: Instant,
        room: usize,
    ) -> Result<(h1::Conn, h1::Head), GwError> {
        let (mut req, mut again) = (req, again);
        let mut fresh = false;
        loop {
            // A request that is not tried again goes only on a connection
            // known to be open.
            let check = again.is_none();
            match self
                .direct_once(pool, req, fresh, check, deadline, room)
                .await
            {
                Err(e) if e.kind == ErrorKind::UpstreamUnavailable => match again.take() {
                    Some(build) => {
                        req = build()?;
                        fresh = true;
                    }
                    None => return Err(e),
                },
                other => return other,
            }
        }
    }

    async fn direct_once(
        &self,
        pool: &h1::Pool,
        req: Request<Body>,
        fresh: bool,
        check: bool,
        deadline: Instant,
        room: usize,
    ) -> Result<(h1::Conn, h1::Head), GwError> {
        let (parts, body) = req.into_parts();
        let exchange = async {
            let mut conn = if fresh {
                pool.connect().await?
            } else {
                pool.get(check).await?
            };
            let target = parts.uri.path_and_query().map_or("/", |p| p.as_str());
            conn.write_request(
                &parts.method,
                target,
                &parts.headers,
                self.host.as_ref(),
                body,
            )
            .await?;
            let head = conn.read_head(&parts.method, room).await?;
            Ok::<_, h1::Error>((conn, head))
        };
        match tokio::time::timeout_at(deadline.into(), exchange).await {
            Err(_) => Err(self.timeout_error()),
            Ok(Err(e)) => Err(self.direct_error(e)),
            Ok(Ok(x)) => Ok(x),
        }
    }

    fn direct_error(&self, e: h1::Error) -> GwError {
        let title = &self.title;
        match e {
            h1::Error::Connect(e) => GwError::upstream(
                ErrorKind::UpstreamUnavailable,
                format!("cannot connect to the upstream ({title}): {e}"),
            ),
            h1::Error::Closed(e) => GwError::upstream(
                ErrorKind::UpstreamUnavailable,
                format!("the upstream ({title}) closed the connection: {e}"),
            ),
            h1::Error::Protocol(m) => GwError::upstream(
                ErrorKind::BadUpstreamResponse,
                format!("the upstream ({title}) answer is broken: {m}"),
            ),
            h1::Error::TooLarge => {
                GwError::upstream(ErrorKind::BadUpstreamResponse, self.too_large_message())
            }
            h1::Error::RequestBody(e) => {
                if e.downcast_ref::<http_body_util::LengthLimitError>()
                    .is_some()
                {
                    GwError::client(
                        ErrorKind::PayloadTooLarge,
                        "request body is larger than the limit",
                    )
                } else {
                    GwError::client(
                        ErrorKind::BadRequest,
                        format!("cannot read the request body: {e}"),
                    )
                }
            }
        }
    }

    /// Records the length of an answer of the kind that may be large (`None`:
    /// not known in advance).
    pub fn note_answer_length(&self, len: Option<u64>) {
        let size = match len {
            Some(n) if n <= self.io_buffer_bytes as u64 => ORDINARY,
            Some(n) if n <= (BULK_BUFFER_BYTES / 2) as u64 => MIDDLE,
            _ => LARGE,
        };
        // Written only on a change: the value is read by every such request.
        if self.list_size.load(Ordering::Relaxed) != size {
            self.list_size.store(size, Ordering::Relaxed);
        }
    }

    /// A permit to stream the next answer of the kind that may be large in
    /// bulk, or `None`: it streams with ordinary reads. Only while the last
    /// such answer was larger than an ordinary connection reads at once; a
    /// permit that is not free at once is waited for (within `BULK_WAIT` and
    /// before `deadline`) only while those answers were `LARGE`. For
    /// `MIDDLE` ones, ordinary reads cost less than the wait:
    /// requests held back reach the upstream a few at a time, and it wakes for
    /// each (on a shared CPU, 80 KB lists: 0.72–0.87 against 0.24–0.25 sleeps
    /// of the upstream per request, 48–65 against 40–47 µs of its CPU).
    pub async fn bulk_permit(&self, deadline: Instant) -> Option<OwnedSemaphorePermit> {
        let size = self.list_size.load(Ordering::Relaxed);
        if size == ORDINARY {
            return None;
        }
        if let Ok(p) = self.bulk_gate.clone().try_acquire_owned() {
            return Some(p);
        }
        if size == MIDDLE {
            return None;
        }
        let until = deadline.min(Instant::now() + BULK_WAIT);
        match tokio::time::timeout_at(until.into(), self.bulk_gate.clone().acquire_owned()).await {
            Ok(Ok(p)) => Some(p),
            _ => None,
        }
    }

    /// The upstream URI for `path_and_query` (which starts with '/'): the
    /// base's scheme and authority, the base's path, then `path_and_query`.
    pub fn uri(&self, path_and_query: String) -> Result<Uri, GwError> {
        let (Some(_), Some(_)) = (&self.scheme, &self.authority) else {
            let uri = format!("{}{path_and_query}", self.base);
            return uri.parse().map_err(|e| bad_uri(&e));
        };
        let pq = if self.base_path.is_empty() {
            path_and_query
        } else {
            format!("{}{path_and_query}", self.base_path)
        };
        self.uri_on_host(pq)
    }

    /// The path of the base URL ("" or "/prefix").
    pub fn base_path(&self) -> &str {
        &self.base_path
    }

    /// The upstream URI for `path_and_query` (which starts with '/') on the
    /// base's host, in place of the base's path.
    pub fn uri_on_host(&self, path_and_query: String) -> Result<Uri, GwError> {
        let bad = bad_uri;
        let (Some(scheme), Some(authority)) = (&self.scheme, &self.authority) else {
            return Err(bad(&"the upstream's URL names no host"));
        };
        let pq = path_and_query;
        let mut parts = http::uri::Parts::default();
        parts.scheme = Some(scheme.clone());
        parts.authority = Some(authority.clone());
        parts.path_and_query =
            Some(PathAndQuery::from_maybe_shared(Bytes::from(pq)).map_err(|e| bad(&e))?);
        Uri::from_parts(parts).map_err(|e| bad(&e))
    }

    pub fn deadline(&self) -> Instant {
        Instant::now() + self.timeout
    }

    fn timeout_error(&self) -> GwError {
        GwError::upstream(
            ErrorKind::UpstreamTimeout,
            format!(
                "the upstream ({}) did not answer within {} ms",
                self.title,
                self.timeout.as_millis()
            ),
        )
    }

    async fn head_once(
        &self,
        client: &HttpClient,
        req: Request<Body>,
        deadline: Instant,
    ) -> Result<Response<Incoming>, GwError> {
        match tokio::time::timeout_at(deadline.into(), client.request(req)).await {
            Err(_) => Err(self.timeout_error()),
            Ok(Err(e)) => {
                let msg = if e.is_connect() {
                    format!(
                        "cannot connect to the upstream ({}): {}",
                        self.title,
                        root_cause(&e)
                    )
                } else {
                    format!(
                        "the upstream ({}) closed the connection: {}",
                        self.title,
                        root_cause(&e)
                    )
                };
                Err(GwError::upstream(ErrorKind::UpstreamUnavailable, msg))
            }
            Ok(Ok(r)) => Ok(r),
        }
    }
}

/// For a plain-HTTP base, the Host header the gateway's own client writes into
/// every request: "host", or "host:port" when the port is not 80. A TLS
/// upstream goes through hyper-util's client, which derives it (or, over
/// HTTP/2, the authority) itself.
fn host_header(u: &Uri) -> Option<HeaderValue> {
    if u.scheme_str() != Some("http") {
        return None;
    }
    let host = u.host()?;
    let v = match u.port_u16() {
        Some(p) if p != 80 => format!("{host}:{p}"),
        _ => host.to_owned(),
    };
    HeaderValue::from_maybe_shared(Bytes::from(v)).ok()
}

fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

fn bad_uri(e: &dyn std::fmt::Display) -> GwError {
    GwError::gateway(
        ErrorKind::Internal,
        format!("cannot build the upstream request: {e}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upstream(base: &str) -> Upstream {
        let t = Duration::from_secs(1);
        let opts = UpstreamOptions {
            connect_timeout: t,
            timeout: t,
            max_response_bytes: 1 << 20,
            io_buffer_bytes: 64 << 10,
            bulk_streams: 1,
            extra_roots: Vec::new(),
        };
        Upstream::new(base, "Up", &opts)
    }

    #[test]
    fn uri_keeps_the_base_path() {
        let u = upstream("http://127.0.0.1:9/gl/");
        let got = u.uri("/api/v4/projects/a%2Fb/releases?page=2".into());
        assert_eq!(
            got.map(|u| u.to_string()).ok().as_deref(),
            Some("http://127.0.0.1:9/gl/api/v4/projects/a%2Fb/releases?page=2")
        );
        let u = upstream("http://127.0.0.1:9");
        let got = u.uri("/api/v4/x".into());
        assert_eq!(
            got.map(|u| u.to_string()).ok().as_deref(),
            Some("http://127.0.0.1:9/api/v4/x")
        );
        assert_eq!(
            u.host.as_ref().map(HeaderValue::as_bytes),
            Some(&b"127.0.0.1:9"[..])
        );
    }
}
