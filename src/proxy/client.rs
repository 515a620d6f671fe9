//! The pooled upstream client: one per gateway, never a connection per request.

use crate::canonical::ErrorKind;
use crate::error::GwError;
use bytes::Bytes;
use http::{HeaderMap, Request, Response};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A body that is either built by the gateway or streamed through from a peer.
pub enum Body {
    Full(Full<Bytes>),
    Stream(BoxBody<Bytes, BoxError>),
}

pub fn full(b: impl Into<Bytes>) -> Body {
    Body::Full(Full::new(b.into()))
}

/// Streams a peer's body through, untouched.
pub fn stream<B>(b: B) -> Body
where
    B: http_body::Body<Data = Bytes> + Send + Sync + 'static,
    B::Error: Into<BoxError>,
{
    Body::Stream(b.map_err(|e| -> BoxError { e.into() }).boxed())
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
            Body::Stream(s) => Pin::new(s).poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            Body::Full(f) => f.is_end_stream(),
            Body::Stream(s) => s.is_end_stream(),
        }
    }

    fn size_hint(&self) -> http_body::SizeHint {
        match self {
            Body::Full(f) => f.size_hint(),
            Body::Stream(s) => s.size_hint(),
        }
    }
}

pub struct Upstream {
    client: Client<HttpsConnector<HttpConnector>, Body>,
    pub base: String,
    pub title: String,
    pub timeout: Duration,
    pub max_response_bytes: usize,
}

/// A complete upstream answer.
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
    _permit: Option<OwnedSemaphorePermit>,
}

impl Upstream {
    pub fn new(
        base: &str,
        title: &str,
        connect_timeout: Duration,
        timeout: Duration,
        max_response_bytes: usize,
        io_buffer_bytes: usize,
    ) -> Self {
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(connect_timeout));
        http.set_nodelay(true);
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_webpki_roots()
            .https_or_http()
            .enable_http1()
            .enable_http2()
            .wrap_connector(http);
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(60))
            .pool_max_idle_per_host(256)
            .pool_timer(TokioTimer::new())
            .http1_max_buf_size(io_buffer_bytes)
            .build(https);
        Upstream {
            client,
            base: base.trim_end_matches('/').to_owned(),
            title: title.to_owned(),
            timeout,
            max_response_bytes,
        }
    }

    /// Sends one request and reads the whole answer, within the timeout. With
    /// a `gate`, the body is read only once a permit is free, and the permit
    /// stays with the answer (bounding the bodies held in memory at once).
    pub async fn send(
        &self,
        req: Request<Body>,
        idempotent: bool,
        gate: Option<&Arc<Semaphore>>,
    ) -> Result<Answer, GwError> {
        let deadline = Instant::now() + self.timeout;
        let resp = self.head(req, idempotent, deadline).await?;
        let permit = match gate {
            Some(g) => {
                match tokio::time::timeout_at(deadline.into(), g.clone().acquire_owned()).await {
                    Ok(Ok(p)) => Some(p),
                    Ok(Err(_)) => None,
                    Err(_) => return Err(self.timeout_error()),
                }
            }
            None => None,
        };
        let (parts, body) = resp.into_parts();
        let limited = Limited::new(body, self.max_response_bytes);
        let body = match tokio::time::timeout_at(deadline.into(), limited.collect()).await {
            Err(_) => return Err(self.timeout_error()),
            Ok(Err(e)) => {
                let msg = if e
                    .downcast_ref::<http_body_util::LengthLimitError>()
                    .is_some()
                {
                    format!(
                        "the upstream ({}) answered with more than {} bytes",
                        self.title, self.max_response_bytes
                    )
                } else {
                    format!("the upstream ({}) answer was cut short: {e}", self.title)
                };
                return Err(GwError::upstream(ErrorKind::BadUpstreamResponse, msg));
            }
            Ok(Ok(c)) => c.to_bytes(),
        };
        Ok(Answer {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body,
            _permit: permit,
        })
    }

    /// Sends one request and returns as soon as the status and headers are in;
    /// the body is left to stream. `idempotent` requests are tried once more
    /// when the connection fails before any answer; others never are.
    pub async fn head(
        &self,
        req: Request<Body>,
        idempotent: bool,
        deadline: Instant,
    ) -> Result<Response<Incoming>, GwError> {
        // Only bodiless requests are retried, so the copy can drop the body.
        let retry = if idempotent {
            Some(clone_head(&req))
        } else {
            None
        };
        match self.head_once(req, deadline).await {
            Err(e) if e.kind == ErrorKind::UpstreamUnavailable => match retry {
                Some(r) => self.head_once(r, deadline).await,
                None => Err(e),
            },
            other => other,
        }
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
        req: Request<Body>,
        deadline: Instant,
    ) -> Result<Response<Incoming>, GwError> {
        match tokio::time::timeout_at(deadline.into(), self.client.request(req)).await {
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

fn clone_head(r: &Request<Body>) -> Request<Body> {
    let mut b = Request::builder()
        .method(r.method().clone())
        .uri(r.uri().clone());
    if let Some(h) = b.headers_mut() {
        *h = r.headers().clone();
    }
    b.body(full(Bytes::new()))
        .unwrap_or_else(|_| Request::new(full(Bytes::new())))
}

fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}
