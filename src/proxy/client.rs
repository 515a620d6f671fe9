//! The pooled upstream client: one per gateway, never a connection per request.

use crate::canonical::ErrorKind;
use crate::error::GwError;
use bytes::Bytes;
use http::{HeaderMap, Request};
use http_body_util::{BodyExt, Full, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use std::time::{Duration, Instant};

pub struct Upstream {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
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
}

impl Upstream {
    pub fn new(base: &str, title: &str, connect_timeout: Duration, timeout: Duration, max_response_bytes: usize) -> Self {
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
            .build(https);
        Upstream {
            client,
            base: base.trim_end_matches('/').to_owned(),
            title: title.to_owned(),
            timeout,
            max_response_bytes,
        }
    }

    /// Sends one request and reads the whole answer, within the timeout.
    /// `idempotent` requests are tried once more when the connection could not
    /// be made or was dropped before any answer; others never are.
    pub async fn send(&self, req: Request<Full<Bytes>>, idempotent: bool) -> Result<Answer, GwError> {
        let deadline = Instant::now() + self.timeout;
        let retry = if idempotent { Some(clone_request(&req)) } else { None };
        match self.send_once(req, deadline).await {
            Err(e) if e.kind == ErrorKind::UpstreamUnavailable && retry.is_some() => match retry {
                Some(r) => self.send_once(r, deadline).await,
                None => Err(e),
            },
            other => other,
        }
    }

    async fn send_once(&self, req: Request<Full<Bytes>>, deadline: Instant) -> Result<Answer, GwError> {
        let timeout = || {
            GwError::upstream(
                ErrorKind::UpstreamTimeout,
                format!("the upstream ({}) did not answer within {} ms", self.title, self.timeout.as_millis()),
            )
        };
        let resp = match tokio::time::timeout_at(deadline.into(), self.client.request(req)).await {
            Err(_) => return Err(timeout()),
            Ok(Err(e)) => {
                let msg = if e.is_connect() {
                    format!("cannot connect to the upstream ({}): {}", self.title, root_cause(&e))
                } else {
                    format!("the upstream ({}) closed the connection: {}", self.title, root_cause(&e))
                };
                let kind = if e.is_connect() || !e.to_string().is_empty() {
                    ErrorKind::UpstreamUnavailable
                } else {
                    ErrorKind::BadUpstreamResponse
                };
                return Err(GwError::upstream(kind, msg));
            }
            Ok(Ok(r)) => r,
        };
        let (parts, body) = resp.into_parts();
        let limited = Limited::new(body, self.max_response_bytes);
        let body = match tokio::time::timeout_at(deadline.into(), limited.collect()).await {
            Err(_) => return Err(timeout()),
            Ok(Err(e)) => {
                let msg = if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() {
                    format!("the upstream ({}) answered with more than {} bytes", self.title, self.max_response_bytes)
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
        })
    }
}

fn clone_request(r: &Request<Full<Bytes>>) -> Request<Full<Bytes>> {
    let mut b = Request::builder().method(r.method().clone()).uri(r.uri().clone());
    if let Some(h) = b.headers_mut() {
        *h = r.headers().clone();
    }
    // Only bodiless idempotent requests are retried, so an empty body is exact.
    b.body(Full::new(Bytes::new())).unwrap_or_else(|_| Request::new(Full::new(Bytes::new())))
}

fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}
