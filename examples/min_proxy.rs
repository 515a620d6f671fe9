//! The smallest useful hyper reverse proxy: the baseline `bench/run` compares
//! the gateway's same-dialect pass-through against. Forwards every request to
//! one upstream over a pooled client, streaming bodies both ways.
//!
//! `cargo run --release --example min_proxy -- 127.0.0.1:18085 http://127.0.0.1:18081`

use http::{Request, Uri};
use hyper::body::Incoming;
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::{TokioExecutor, TokioIo};
use std::net::SocketAddr;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let listen: SocketAddr = args
        .next()
        .ok_or("usage: min_proxy LISTEN UPSTREAM")?
        .parse()?;
    let upstream: Arc<str> = args
        .next()
        .ok_or("usage: min_proxy LISTEN UPSTREAM")?
        .into();
    let mut http = HttpConnector::new();
    http.set_nodelay(true);
    let client: Client<HttpConnector, Incoming> = Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(256)
        .build(http);
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let server = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    loop {
        let (stream, _) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        let client = client.clone();
        let upstream = upstream.clone();
        let server = server.clone();
        tokio::spawn(async move {
            let svc = hyper::service::service_fn(move |mut req: Request<Incoming>| {
                let client = client.clone();
                let upstream = upstream.clone();
                async move {
                    let pq = req.uri().path_and_query().map_or("/", |p| p.as_str());
                    let uri: Uri = format!("{upstream}{pq}").parse().expect("uri");
                    *req.uri_mut() = uri;
                    req.headers_mut().remove(http::header::HOST);
                    client.request(req).await
                }
            });
            let _ = server.serve_connection(TokioIo::new(stream), svc).await;
        });
    }
}
