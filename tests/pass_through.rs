//! A GitLab client in front of a GitLab upstream: the same-dialect pass-through.
//! Paths are rebuilt from the matched route, the query and bodies pass untouched,
//! the response keeps its framing, and the limits (request body cap, upstream
//! timeout, no retry of writes) hold as on the translating path. Between GitHub
//! and GitHub, whose answers name the API in their bodies, those URLs name the
//! gateway.
mod support;

use std::time::{Duration, Instant};
use support::fake::{calls, FakeUpstream, Reply};
use support::gateway::{call, chunked, head_then_get, raw_exchange, TestGateway};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const LIST: &str = "/api/v4/projects/o%2Fr/releases";
const GET_V1: &str = "/api/v4/projects/o%2Fr/releases/v1.0.0";

async fn gateway(fake: &FakeUpstream, cfg: &str) -> TestGateway {
    TestGateway::start_accepting(&fake.url(), "gitlab", cfg).await
}

/// A JSON array body of about `n` bytes.
fn big_body(n: usize) -> Vec<u8> {
    let mut b = b"[\"".to_vec();
    b.resize(n - 2, b'x');
    b.extend_from_slice(b"\"]");
    b
}

/// A fake upstream that answers every request 201, and a GitLab gateway in
/// front of it with extra config `cfg`.
async fn creating_upstream(cfg: &str) -> (FakeUpstream, TestGateway) {
    let fake = FakeUpstream::builder()
        .fallback(Reply::raw(201, "application/json", "{}"))
        .start()
        .await;
    let gw = gateway(&fake, cfg).await;
    (fake, gw)
}

/// A release creation body with a description of `n` bytes.
fn create_body(n: usize) -> String {
    format!(
        r#"{{"tag_name":"v1.0.0","description":"{}"}}"#,
        "y".repeat(n)
    )
}

/// A raw POST head for the list, with the body framed by `framing`.
fn post_head(gw: &TestGateway, framing: &str) -> String {
    format!(
        "POST {LIST} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
         {framing}\r\nConnection: close\r\n\r\n",
        gw.addr
    )
}

/// Between two sides of the same dialect the validators are the upstream's
/// own: a conditional GET goes upstream as it is, and its `304` comes back
/// with the `ETag` and no body.
#[tokio::test]
async fn conditional_get_reaches_the_upstream_and_its_304_comes_back() {
    let fake = FakeUpstream::builder()
        .route("GET", LIST, Reply::empty(304).with_header("ETag", "\"v7\""))
        .start()
        .await;
    let gw = gateway(&fake, "").await;
    let r = call(
        "GET",
        &format!("{}{LIST}", gw.url),
        &[
            ("Private-Token", "glpat-abc"),
            ("If-None-Match", "\"v7\""),
            ("If-Modified-Since", "Tue, 03 Nov 2026 10:00:00 GMT"),
        ],
        "",
    )
    .await;
    assert_eq!(r.status, 304);
    assert!(r.body.is_empty(), "{} body bytes", r.body.len());
    assert_eq!(r.header("etag"), Some("\"v7\""));
    let up = fake.last_request().expect("the upstream was asked");
    assert_eq!(up.method, "GET");
    assert_eq!(up.header("if-none-match"), Some("\"v7\""));
    assert_eq!(
        up.header("if-modified-since"),
        Some("Tue, 03 Nov 2026 10:00:00 GMT")
    );
    assert_eq!(up.header("private-token"), Some("glpat-abc"));
}

#[tokio::test]
async fn head_goes_upstream_as_head_and_comes_back_without_a_body() {
    let body = big_body(100_000);
    let reply = || {
        Reply::raw(200, "application/json", body.clone())
            .with_header("X-Total-Pages", "4")
            .with_header("ETag", "\"v7\"")
    };
    let fake = FakeUpstream::builder()
        .route("HEAD", LIST, reply())
        .route("GET", LIST, reply())
        .start()
        .await;
    let gw = gateway(&fake, "").await;
    let path = format!("{LIST}?per_page=20");
    let (head, get) = head_then_get(gw.addr, &path, &[("Private-Token", "glpat-abc")]).await;
    assert_eq!(get.status, 200, "{get:?}");
    assert_eq!(get.body, body);
    assert_eq!(head.status, 200, "{head:?}");
    assert!(
        head.body.is_empty(),
        "HEAD answer carried {} body bytes",
        head.body.len()
    );
    // The upstream's own answer to HEAD: its length, its headers.
    assert_eq!(head.header("content-length"), Some("100000"));
    assert_eq!(head.header("x-total-pages"), Some("4"));
    assert_eq!(head.header("etag"), Some("\"v7\""));
    let reqs = fake.requests();
    assert_eq!(
        calls(&reqs),
        [("HEAD", path.as_str()), ("GET", path.as_str())]
    );
    assert!(reqs[0].body.is_empty());
    assert_eq!(reqs[0].header("private-token"), Some("glpat-abc"));
}

#[tokio::test]
async fn list_passes_through_with_query_headers_and_content_length() {
    let body = big_body(300_000);
    let fake = FakeUpstream::builder()
        .route(
            "GET",
            LIST,
            Reply::raw(200, "application/json", body.clone())
                .with_header("x-total", "100")
                .with_header("x-next-page", "2")
                .with_header("keep-alive", "timeout=5")
                .with_header("connection", "keep-alive"),
        )
        .start()
        .await;
    let gw = gateway(&fake, "").await;
    let url = format!("{}{LIST}?page=1&per_page=20", gw.url);
    let r = call(
        "GET",
        &url,
        &[
            ("PRIVATE-TOKEN", "t0k"),
            ("Accept", "application/json"),
            ("Cookie", "session=1"),
            ("X-Request-Id", "client-id-1"),
        ],
        "",
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body.as_ref(), body.as_slice());
    // Passed through with its length, not re-chunked.
    assert_eq!(r.header("content-length"), Some("300000"));
    assert_eq!(r.header("transfer-encoding"), None);
    assert_eq!(r.header("x-total"), Some("100"));
    assert_eq!(r.header("x-next-page"), Some("2"));
    assert_eq!(r.header("keep-alive"), None);
    assert_eq!(r.header("x-request-id"), Some("client-id-1"));
    // GitLab's request-id header is the gateway's own: given once.
    assert_eq!(r.headers.get_all("x-request-id").iter().count(), 1);
    assert_eq!(r.header("x-github-request-id"), None);

    let up = fake.last_request().expect("upstream request");
    assert_eq!(up.path_and_query, format!("{LIST}?page=1&per_page=20"));
    assert_eq!(up.header("private-token"), Some("t0k"));
    assert_eq!(up.header("accept"), Some("application/json"));
    assert_eq!(up.header("cookie"), None);
    assert_eq!(up.header("x-request-id"), Some("client-id-1"));
    let authority = fake.url().trim_start_matches("http://").to_owned();
    assert_eq!(up.header("host"), Some(authority.as_str()));
}

#[tokio::test]
async fn request_id_is_made_when_the_client_has_none() {
    let fake = FakeUpstream::builder()
        .route("GET", GET_V1, Reply::raw(200, "application/json", "{}"))
        .start()
        .await;
    let gw = gateway(&fake, "").await;
    let r = call("GET", &format!("{}{GET_V1}", gw.url), &[], "").await;
    assert_eq!(r.status, 200);
    let id = r.header("x-request-id").expect("request id").to_owned();
    assert_eq!(id.len(), 17, "{id}");
    let up = fake.last_request().expect("upstream request");
    assert_eq!(up.header("x-request-id"), Some(id.as_str()));
}

/// An upstream on a port known before it answers: every request on every
/// connection gets `reply(base_url)`, raw.
async fn raw_upstream(reply: impl Fn(&str) -> String + Send + 'static) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let answer = reply(&base);
    tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = listener.accept().await else {
                return;
            };
            let answer = answer.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                loop {
                    let Ok(n) = s.read(&mut chunk).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    // Bodiless requests only: each head is answered once it is in.
                    while let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        buf.drain(..end + 4);
                        if s.write_all(answer.as_bytes()).await.is_err() {
                            return;
                        }
                    }
                }
            });
        }
    });
    base
}

#[tokio::test]
async fn links_naming_the_upstream_are_rewritten_to_the_gateway() {
    let upstream = raw_upstream(|base| {
        format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\
             link: <{base}{LIST}?page=2>; rel=\"next\", <https://elsewhere.example/x>; rel=\"help\"\r\n\
             \r\n[]"
        )
    })
    .await;
    let gw = TestGateway::start_accepting(&upstream, "gitlab", "").await;
    let r = call("GET", &format!("{}{LIST}", gw.url), &[], "").await;
    assert_eq!(r.status, 200);
    let want = format!(
        "<{}{LIST}?page=2>; rel=\"next\", <https://elsewhere.example/x>; rel=\"help\"",
        gw.url
    );
    assert_eq!(r.header("link"), Some(want.as_str()));
    assert_eq!(r.body.as_ref(), b"[]");
}

#[tokio::test]
async fn chunked_answer_passes_through_chunked_without_hop_by_hop_headers() {
    let upstream = raw_upstream(|_| {
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\
         connection: keep-alive, x-hop\r\nkeep-alive: timeout=5\r\nx-total: 3\r\n\r\n\
         3\r\n[1,\r\n2\r\n2]\r\n0\r\n\r\n"
            .to_owned()
    })
    .await;
    let gw = TestGateway::start_accepting(&upstream, "gitlab", "").await;
    let r = call("GET", &format!("{}{LIST}", gw.url), &[], "").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body.as_ref(), b"[1,2]");
    assert_eq!(r.header("transfer-encoding"), Some("chunked"));
    assert_eq!(r.header("content-length"), None);
    assert_eq!(r.header("keep-alive"), None);
    assert_eq!(r.header("x-total"), Some("3"));
}

#[tokio::test]
async fn body_over_the_limit_is_refused_before_the_upstream() {
    let (fake, gw) = creating_upstream("[limits]\nmax_body_bytes = 64\n").await;
    let big = create_body(200);
    let r = call(
        "POST",
        &format!("{}{LIST}", gw.url),
        &[("Content-Type", "application/json")],
        &big,
    )
    .await;
    assert_eq!(r.status, 413);
    assert_eq!(fake.request_count(), 0);
    // Under the limit, the body goes through as sent.
    let small = r#"{"tag_name":"v1.0.0"}"#;
    let r = call(
        "POST",
        &format!("{}{LIST}", gw.url),
        &[("Content-Type", "application/json")],
        small,
    )
    .await;
    assert_eq!(r.status, 201);
    let up = fake.last_request().expect("upstream request");
    assert_eq!(up.body, small.as_bytes());
}

#[tokio::test]
async fn chunked_body_over_the_limit_never_reaches_the_upstream_whole() {
    let (fake, gw) = creating_upstream("[limits]\nmax_body_bytes = 64\n").await;
    let json = create_body(300);
    let head = post_head(&gw, "Transfer-Encoding: chunked");
    let out = raw_exchange(gw.addr, &head, &chunked(json.as_bytes(), 40)).await;
    assert!(!out.starts_with("HTTP/1.1 2"), "{out}");
    assert!(
        fake.requests().iter().all(|r| r.body.len() <= 64),
        "the upstream got more than the limit"
    );
}

#[tokio::test]
async fn bodies_under_the_limit_stream_to_the_upstream_whole_in_either_framing() {
    let (fake, gw) = creating_upstream("").await;
    // Larger than one write, so the body goes up in several.
    let json = create_body(200_000);
    let len = json.len().to_string();
    // A chunked body of unknown size goes up chunked; a sized one keeps its size.
    let cases = [
        (
            "Transfer-Encoding: chunked".to_owned(),
            chunked(json.as_bytes(), 7_000),
            (Some("chunked"), None),
        ),
        (
            format!("Content-Length: {len}"),
            json.as_bytes().to_vec(),
            (None, Some(len.as_str())),
        ),
    ];
    for (framing, body, (te, cl)) in &cases {
        let out = raw_exchange(gw.addr, &post_head(&gw, framing), body).await;
        let start = &out[..out.len().min(200)];
        assert!(out.starts_with("HTTP/1.1 201"), "{framing}: {start}");
        let up = fake.last_request().expect("upstream request");
        assert!(
            up.body == json.as_bytes(),
            "{framing}: {} bytes",
            up.body.len()
        );
        assert_eq!(up.header("transfer-encoding"), *te, "{framing}");
        assert_eq!(up.header("content-length"), *cl, "{framing}");
    }
    assert_eq!(fake.request_count(), 2);
}

#[tokio::test]
async fn slow_upstream_is_504_at_the_timeout_and_not_retried() {
    let fake = FakeUpstream::builder()
        .route(
            "GET",
            LIST,
            Reply::raw(200, "application/json", "[]").with_delay(Duration::from_secs(3)),
        )
        .start()
        .await;
    let gw = gateway(&fake, "[limits]\nupstream_timeout_ms = 300\n").await;
    let t = Instant::now();
    let r = call("GET", &format!("{}{LIST}", gw.url), &[], "").await;
    let took = t.elapsed();
    assert_eq!(r.status, 504);
    assert!(
        took >= Duration::from_millis(250) && took < Duration::from_millis(1500),
        "{took:?}"
    );
    assert_eq!(fake.request_count(), 1);
}

#[tokio::test]
async fn get_is_retried_once_after_a_hangup_with_the_same_request() {
    let fake = FakeUpstream::builder()
        .route_seq(
            "GET",
            LIST,
            vec![Reply::Hangup, Reply::raw(200, "application/json", "[]")],
        )
        .start()
        .await;
    let gw = gateway(&fake, "").await;
    let r = call(
        "GET",
        &format!("{}{LIST}?per_page=5", gw.url),
        &[("PRIVATE-TOKEN", "t0k"), ("X-Request-Id", "again-1")],
        "",
    )
    .await;
    assert_eq!(r.status, 200);
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 2);
    for up in &reqs {
        assert_eq!(up.path_and_query, format!("{LIST}?per_page=5"));
        assert_eq!(up.header("private-token"), Some("t0k"));
        assert_eq!(up.header("x-request-id"), Some("again-1"));
    }
}

#[tokio::test]
async fn post_against_a_hangup_is_sent_once() {
    let fake = FakeUpstream::builder()
        .route("POST", LIST, Reply::Hangup)
        .start()
        .await;
    let gw = gateway(&fake, "").await;
    let r = call(
        "POST",
        &format!("{}{LIST}", gw.url),
        &[("Content-Type", "application/json")],
        r#"{"tag_name":"v1.0.0"}"#,
    )
    .await;
    assert_eq!(r.status, 502);
    assert_eq!(fake.request_count(), 1);
}

// ------------------------------------------------------------ bulk connections

/// Two lists of `len` bytes at once, through a gateway with one bulk stream,
/// after one that tells it lists are that large; the upstream answers each
/// after 600 ms. Gives how long the pair took, and how far apart the two
/// requests reached the upstream.
async fn two_lists_with_one_bulk_stream(len: usize) -> (Duration, Duration) {
    let fake = FakeUpstream::builder()
        .route(
            "GET",
            LIST,
            Reply::raw(200, "application/json", big_body(len))
                .with_delay(Duration::from_millis(600)),
        )
        .start()
        .await;
    let gw = gateway(&fake, "[limits]\nmax_bulk_streams = 1\n").await;
    let url = format!("{}{LIST}", gw.url);
    assert_eq!(call("GET", &url, &[], "").await.status, 200);
    let t = Instant::now();
    let (a, b) = tokio::join!(call("GET", &url, &[], ""), call("GET", &url, &[], ""));
    let took = t.elapsed();
    assert_eq!((a.status, b.status), (200, 200));
    assert_eq!((a.body.len(), b.body.len()), (len, len));
    let seen = fake.requests();
    assert_eq!(seen.len(), 3);
    let apart = seen[2].received.duration_since(seen[1].received);
    (took, apart)
}

#[tokio::test]
async fn a_large_list_waits_briefly_for_a_bulk_stream_then_takes_an_ordinary_connection() {
    // Larger than half a bulk read (200 KiB): worth waiting for one.
    let (took, apart) = two_lists_with_one_bulk_stream(300_000).await;
    // The second waited for the bulk stream (250 ms), then went on its own ...
    assert!(apart >= Duration::from_millis(240), "{apart:?}");
    // ... not after the first (1.2 s).
    assert!(took < Duration::from_millis(1100), "{took:?}");
}

#[tokio::test]
async fn a_mid_size_list_does_not_wait_for_a_bulk_stream() {
    // Larger than an ordinary read (64 KiB), smaller than half a bulk read.
    let (took, apart) = two_lists_with_one_bulk_stream(100_000).await;
    assert!(apart < Duration::from_millis(200), "{apart:?}");
    assert!(took < Duration::from_millis(1100), "{took:?}");
}

#[tokio::test]
async fn bulk_streams_are_given_back_when_answers_end_or_clients_leave() {
    const BIG: &str = "/api/v4/projects/big%2Fr/releases";
    let fake = FakeUpstream::builder()
        .route(
            "GET",
            BIG,
            Reply::raw(200, "application/json", big_body(32 << 20)),
        )
        .route(
            "GET",
            LIST,
            Reply::raw(200, "application/json", big_body(300_000)),
        )
        .start()
        .await;
    let gw = gateway(&fake, "[limits]\nmax_bulk_streams = 1\n").await;
    // Lists are large here: they go over bulk connections.
    assert_eq!(
        call("GET", &format!("{}{LIST}", gw.url), &[], "")
            .await
            .status,
        200
    );
    // A client that leaves in the middle of a large list.
    let mut s = tokio::net::TcpStream::connect(gw.addr)
        .await
        .expect("connect");
    let head = format!("GET {BIG} HTTP/1.1\r\nHost: {}\r\n\r\n", gw.addr);
    s.write_all(head.as_bytes()).await.expect("write head");
    let mut first = [0u8; 4096];
    let n = s.read(&mut first).await.expect("read");
    assert!(first[..n].starts_with(b"HTTP/1.1 200"));
    drop(s);
    tokio::time::sleep(Duration::from_millis(200)).await;
    // Had a permit been kept, each of these would wait 250 ms for it.
    let t = Instant::now();
    for _ in 0..5 {
        let r = call("GET", &format!("{}{LIST}", gw.url), &[], "").await;
        assert_eq!(r.status, 200);
    }
    let took = t.elapsed();
    assert!(took < Duration::from_millis(1000), "{took:?}");
}

/// GitHub's answers name its API (`url`, `assets_url`, asset `url`, …): through
/// the GitHub → GitHub pass-through those name the gateway, under the root the
/// client used, and the length is that of the body sent. Web URLs, and GitHub's
/// own upload host, are left as they are.
#[tokio::test]
async fn github_bodies_name_the_gateway_through_the_pass_through() {
    let upstream = raw_upstream(|base| {
        let body = format!(
            r#"{{"url":"{base}/repos/o/r/releases/1","assets_url":"{base}/repos/o/r/releases/1/assets","upload_url":"https://uploads.github.com/repos/o/r/releases/1/assets{{?name,label}}","html_url":"https://github.com/o/r/releases/tag/v1","assets":[{{"url":"{base}/repos/o/r/releases/assets/9","browser_download_url":"https://github.com/o/r/releases/download/v1/a.tgz"}}],"author":{{"url":"{base}/users/octo","html_url":"https://github.com/octo"}},"note":"{base}0 is another host"}}"#
        );
        format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        )
    })
    .await;
    let gw = TestGateway::start_pair("github", "github", &upstream, "").await;
    let r = call(
        "GET",
        &format!("{}/api/v3/repos/o/r/releases/tags/v1", gw.url),
        &[("Authorization", "token t")],
        "",
    )
    .await;
    assert_eq!(r.status, 200);
    let api = format!("{}/api/v3", gw.url);
    let want = format!(
        r#"{{"url":"{api}/repos/o/r/releases/1","assets_url":"{api}/repos/o/r/releases/1/assets","upload_url":"https://uploads.github.com/repos/o/r/releases/1/assets{{?name,label}}","html_url":"https://github.com/o/r/releases/tag/v1","assets":[{{"url":"{api}/repos/o/r/releases/assets/9","browser_download_url":"https://github.com/o/r/releases/download/v1/a.tgz"}}],"author":{{"url":"{api}/users/octo","html_url":"https://github.com/octo"}},"note":"{upstream}0 is another host"}}"#
    );
    assert_eq!(String::from_utf8_lossy(&r.body), want);
    assert_eq!(
        r.header("content-length"),
        Some(want.len().to_string().as_str())
    );
}

/// GitLab's answers name no API URL: its pass-through bodies are not rewritten
/// (and stay streamed), whatever they hold.
#[tokio::test]
async fn gitlab_bodies_pass_through_as_they_are() {
    let upstream = raw_upstream(|base| {
        let body = format!(r#"[{{"_links":{{"self":"{base}/api/v4/projects/1/releases/v1"}}}}]"#);
        format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        )
    })
    .await;
    let gw = TestGateway::start_accepting(&upstream, "gitlab", "").await;
    let r = call("GET", &format!("{}{LIST}", gw.url), &[], "").await;
    assert_eq!(r.status, 200);
    assert_eq!(
        String::from_utf8_lossy(&r.body),
        format!(r#"[{{"_links":{{"self":"{upstream}/api/v4/projects/1/releases/v1"}}}}]"#)
    );
}

/// A GitHub `304` (no body, whatever its `Content-Type`) comes back as it is.
#[tokio::test]
async fn github_not_modified_passes_through_as_it_is() {
    let upstream = raw_upstream(|_| {
        "HTTP/1.1 304 Not Modified\r\ncontent-type: application/json; charset=utf-8\r\netag: \"v7\"\r\n\r\n"
            .to_owned()
    })
    .await;
    let gw = TestGateway::start_pair("github", "github", &upstream, "").await;
    let r = call(
        "GET",
        &format!("{}/repos/o/r/releases", gw.url),
        &[("If-None-Match", "\"v7\"")],
        "",
    )
    .await;
    assert_eq!(r.status, 304);
    assert!(r.body.is_empty());
    assert_eq!(r.header("etag"), Some("\"v7\""));
    assert_eq!(r.header("content-length"), None);
}
