//! Every error path of a GitHub client in front of a GitLab upstream: upstream error statuses,
//! the gateway's own refusals, upstream faults (down, slow, garbage, cut short, too big), the
//! no-retry rule for writes, and that the client's token never comes back to the client.
mod support;

use serde_json::{json, Value};
use std::time::{Duration, Instant};
use support::fake::{closed_port_url, FakeUpstream, Recorded, Reply};
use support::fixtures;
use support::gateway::{call, chunked, one_route, raw_exchange, Resp, TestGateway};
use support::schema;

const TOKEN: &str = "glpat-s3cr3t-Token-0042";
const AUTH: &str = "token glpat-s3cr3t-Token-0042";

const LIST: &str = "/api/v4/projects/o%2Fr/releases";
const GET_V1: &str = "/api/v4/projects/o%2Fr/releases/v1.0.0";

/// A GitLab release (the seed's "get a release" example, schema-current) with tag `tag`.
fn gl_release(tag: &str) -> Value {
    fixtures::gitlab_release(tag)
}

fn id_of(tag: &str) -> u64 {
    forgebridge::canonical::synthetic_id("o/r", tag)
}

/// A request with the client's token.
async fn send(method: &str, gw: &TestGateway, path: &str, body: &str) -> Resp {
    let url = format!("{}{path}", gw.url);
    if body.is_empty() {
        call(method, &url, &[("Authorization", AUTH)], body).await
    } else {
        call(
            method,
            &url,
            &[
                ("Authorization", AUTH),
                ("Content-Type", "application/json"),
            ],
            body,
        )
        .await
    }
}

/// The client's token appears nowhere in what the client got back.
fn assert_no_token(r: &Resp) {
    assert!(
        !r.text().contains(TOKEN),
        "token leaked in the body: {}",
        r.text()
    );
    for (k, v) in &r.headers {
        assert!(
            !String::from_utf8_lossy(v.as_bytes()).contains(TOKEN),
            "token leaked in response header {k}"
        );
    }
}

/// Checks a GitHub `basic-error` answer with `status` and returns its message.
fn basic_error(r: &Resp, status: u16) -> String {
    assert_eq!(r.status, status, "body: {}", r.text());
    assert!(
        r.header("content-type")
            .is_some_and(|c| c.starts_with("application/json")),
        "content-type {:?}",
        r.header("content-type")
    );
    let v = r.json();
    schema::github_basic_error(&v).unwrap_or_else(|e| panic!("{e}\n{v}"));
    assert_eq!(v["status"], json!(status.to_string()), "{v}");
    assert_no_token(r);
    v["message"].as_str().expect("message").to_owned()
}

/// Every request the fake received is a GitLab releases call with a valid body, carrying the
/// client's token only in `PRIVATE-TOKEN`.
fn upstream(fake: &FakeUpstream) -> Vec<Recorded> {
    let reqs = fake.requests();
    for r in &reqs {
        schema::gitlab_path(&r.method, &r.path_and_query)
            .unwrap_or_else(|e| panic!("{} {}: {e}", r.method, r.path_and_query));
        match r.method.as_str() {
            "POST" => schema::gitlab_create_request(&r.json()).unwrap_or_else(|e| panic!("{e}")),
            "PUT" => schema::gitlab_update_request(&r.json()).unwrap_or_else(|e| panic!("{e}")),
            _ => assert!(r.body.is_empty(), "{} with a body", r.method),
        }
        assert_eq!(r.header("private-token"), Some(TOKEN), "{r:?}");
        for (k, v) in &r.headers {
            assert!(
                k == "private-token" || !v.contains(TOKEN),
                "token sent upstream in {k}: {v}"
            );
        }
        assert!(
            !r.path_and_query.contains(TOKEN),
            "token in the upstream URL"
        );
    }
    reqs
}

fn summary(reqs: &[Recorded]) -> Vec<String> {
    reqs.iter()
        .map(|r| format!("{} {}", r.method, r.path_and_query))
        .collect()
}

async fn gw_with(fake: &FakeUpstream, cfg: &str) -> TestGateway {
    TestGateway::start_with(&fake.url(), cfg).await
}

const CREATE_BODY: &str = r#"{"tag_name":"v1.0.0","name":"v1.0.0","body":"notes"}"#;

// ------------------------------------------------------------ upstream statuses

#[tokio::test]
async fn upstream_400_message_is_shown_to_the_client() {
    let (fake, gw) = one_route(
        "POST",
        LIST,
        Reply::json(400, &json!({"message": "Ref is not specified"})),
    )
    .await;
    let r = send("POST", &gw, "/repos/o/r/releases", CREATE_BODY).await;
    let msg = basic_error(&r, 400);
    assert!(msg.contains("Ref is not specified"), "{msg}");
    assert!(msg.contains("400"), "{msg}");
    let reqs = upstream(&fake);
    assert_eq!(summary(&reqs), ["POST /api/v4/projects/o%2Fr/releases"]);
    assert_eq!(
        reqs[0].json(),
        json!({"tag_name": "v1.0.0", "name": "v1.0.0", "description": "notes"})
    );
}

#[tokio::test]
async fn upstream_400_with_error_key_is_shown_to_the_client() {
    let (fake, gw) = one_route(
        "POST",
        LIST,
        Reply::json(400, &json!({"error": "tag_name is missing"})),
    )
    .await;
    let r = send("POST", &gw, "/repos/o/r/releases", CREATE_BODY).await;
    let msg = basic_error(&r, 400);
    assert!(msg.contains("tag_name is missing"), "{msg}");
    assert_eq!(upstream(&fake).len(), 1);
}

#[tokio::test]
async fn upstream_400_with_object_message_is_shown_to_the_client() {
    let (fake, gw) = one_route(
        "POST",
        LIST,
        Reply::json(400, &json!({"message": {"tag_name": ["is invalid"]}})),
    )
    .await;
    let r = send("POST", &gw, "/repos/o/r/releases", CREATE_BODY).await;
    let msg = basic_error(&r, 400);
    assert!(
        msg.contains("tag_name") && msg.contains("is invalid"),
        "{msg}"
    );
    assert_eq!(upstream(&fake).len(), 1);
}

#[tokio::test]
async fn upstream_401_is_bad_credentials() {
    let (fake, gw) = one_route(
        "GET",
        GET_V1,
        Reply::json(401, &json!({"message": "401 Unauthorized"})),
    )
    .await;
    let r = send("GET", &gw, "/repos/o/r/releases/tags/v1.0.0", "").await;
    assert_eq!(basic_error(&r, 401), "Bad credentials");
    assert_eq!(summary(&upstream(&fake)), [format!("GET {GET_V1}")]);
}

#[tokio::test]
async fn upstream_403_is_403_and_says_so() {
    let (fake, gw) = one_route(
        "GET",
        GET_V1,
        Reply::json(403, &json!({"message": "403 Forbidden"})),
    )
    .await;
    let r = send("GET", &gw, "/repos/o/r/releases/tags/v1.0.0", "").await;
    let msg = basic_error(&r, 403);
    assert!(msg.contains("403"), "{msg}");
    assert_eq!(r.header("retry-after"), None);
    assert_eq!(upstream(&fake).len(), 1);
}

#[tokio::test]
async fn upstream_404_is_not_found() {
    let (fake, gw) = one_route(
        "GET",
        GET_V1,
        Reply::json(404, &json!({"message": "404 Not found"})),
    )
    .await;
    let r = send("GET", &gw, "/repos/o/r/releases/tags/v1.0.0", "").await;
    assert_eq!(basic_error(&r, 404), "Not Found");
    assert_eq!(summary(&upstream(&fake)), [format!("GET {GET_V1}")]);
}

#[tokio::test]
async fn upstream_409_on_create_is_422_already_exists() {
    let (fake, gw) = one_route(
        "POST",
        LIST,
        Reply::json(409, &json!({"message": "Release already exists"})),
    )
    .await;
    let r = send("POST", &gw, "/repos/o/r/releases", CREATE_BODY).await;
    assert_eq!(r.status, 422, "{}", r.text());
    let v = r.json();
    schema::github_validation_error(&v).unwrap_or_else(|e| panic!("{e}\n{v}"));
    assert_eq!(v["message"], "Validation Failed");
    assert_eq!(v["errors"][0]["code"], "already_exists", "{v}");
    assert_eq!(v["errors"][0]["field"], "tag_name", "{v}");
    assert_eq!(v["errors"][0]["resource"], "Release", "{v}");
    assert_no_token(&r);
    assert_eq!(upstream(&fake).len(), 1);
}

#[tokio::test]
async fn upstream_429_maps_to_github_rate_limit_with_retry_after() {
    let (fake, gw) = one_route(
        "GET",
        GET_V1,
        Reply::json(429, &json!({"message": "Retry later"})).with_header("Retry-After", "7"),
    )
    .await;
    let r = send("GET", &gw, "/repos/o/r/releases/tags/v1.0.0", "").await;
    // GitHub reports rate limits as 403 + Retry-After (mappings/github.toml rate_limited).
    let msg = basic_error(&r, 403);
    assert!(msg.contains("429"), "{msg}");
    assert_eq!(r.header("retry-after"), Some("7"));
    // A rate-limited GET is not retried.
    assert_eq!(upstream(&fake).len(), 1);

    // An HTTP date is a Retry-After too; anything else tells no time, and is dropped.
    for (given, passed) in [
        (
            "Sun, 06 Nov 2026 08:49:37 GMT",
            Some("Sun, 06 Nov 2026 08:49:37 GMT"),
        ),
        ("soon", None),
        ("-5", None),
        ("7.5", None),
    ] {
        let (_fake, gw) = one_route(
            "GET",
            GET_V1,
            Reply::json(429, &json!({"message": "Retry later"})).with_header("Retry-After", given),
        )
        .await;
        let r = send("GET", &gw, "/repos/o/r/releases/tags/v1.0.0", "").await;
        basic_error(&r, 403);
        assert_eq!(r.header("retry-after"), passed, "{given}");
    }
}

#[tokio::test]
async fn upstream_5xx_is_502_naming_the_upstream_status() {
    for status in [500u16, 502, 503] {
        let (fake, gw) = one_route(
            "GET",
            GET_V1,
            Reply::json(status, &json!({"message": "boom"})),
        )
        .await;
        let r = send("GET", &gw, "/repos/o/r/releases/tags/v1.0.0", "").await;
        assert_eq!(r.status, 502, "upstream {status}: {}", r.text());
        let msg = basic_error(&r, 502);
        assert!(
            msg.contains(&status.to_string()),
            "upstream {status}: {msg}"
        );
        assert!(msg.contains("GitLab"), "upstream {status}: {msg}");
        // An HTTP answer, even a 5xx, is not a connection failure: no retry.
        assert_eq!(upstream(&fake).len(), 1, "upstream {status}");
    }
}

// ------------------------------------------------------------ the gateway's own refusals

#[tokio::test]
async fn unknown_route_is_404_naming_the_path() {
    let (fake, gw) = one_route("*", "/*", Reply::json(200, &json!([]))).await;
    let r = send("GET", &gw, "/repos/o/r/nonsense/here", "").await;
    let msg = basic_error(&r, 404);
    assert!(msg.contains("/repos/o/r/nonsense/here"), "{msg}");
    // The gateway's own errors name the request where GitHub does, too.
    let id = r.header("x-request-id").expect("request id");
    assert_eq!(r.header("x-github-request-id"), Some(id));
    let r = send("GET", &gw, "/definitely-not-an-api", "").await;
    let msg = basic_error(&r, 404);
    assert!(msg.contains("/definitely-not-an-api"), "{msg}");
    assert_eq!(fake.request_count(), 0);
}

#[tokio::test]
async fn wrong_method_on_known_path_is_405() {
    let (fake, gw) = one_route("*", "/*", Reply::json(200, &json!([]))).await;
    let r = send("PUT", &gw, "/repos/o/r/releases", CREATE_BODY).await;
    let msg = basic_error(&r, 405);
    assert!(msg.contains("PUT"), "{msg}");
    assert!(msg.contains("GET") && msg.contains("POST"), "{msg}");
    // RFC 9110 15.5.6: a 405 carries the methods the resource does support.
    let mut allow: Vec<&str> = r
        .header("allow")
        .expect("Allow header")
        .split(", ")
        .collect();
    allow.sort_unstable();
    // HEAD goes wherever GET does.
    assert_eq!(allow, ["GET", "HEAD", "POST"]);
    let r = send("POST", &gw, "/repos/o/r/releases/tags/v1.0.0", CREATE_BODY).await;
    basic_error(&r, 405);
    assert_eq!(r.header("allow"), Some("GET, HEAD"));
    let r = send("POST", &gw, "/repos/o/r/releases/123", CREATE_BODY).await;
    basic_error(&r, 405);
    let mut allow: Vec<&str> = r
        .header("allow")
        .expect("Allow header")
        .split(", ")
        .collect();
    allow.sort_unstable();
    assert_eq!(allow, ["DELETE", "GET", "HEAD", "PATCH"]);
    assert_eq!(fake.request_count(), 0);
}

#[tokio::test]
async fn malformed_json_is_400_problems_parsing_json() {
    let (fake, gw) = one_route("*", "/*", Reply::json(201, &gl_release("v1.0.0"))).await;
    for body in [r#"{"tag_name": "v1.0.0""#, "not json", r#"["tag_name"]"#] {
        let r = send("POST", &gw, "/repos/o/r/releases", body).await;
        let msg = basic_error(&r, 400);
        assert!(msg.starts_with("Problems parsing JSON"), "{body}: {msg}");
    }
    assert_eq!(fake.request_count(), 0);
}

#[tokio::test]
async fn body_over_limit_with_content_length_is_413() {
    let (fake, gw) = {
        let fake = FakeUpstream::builder()
            .fallback(Reply::json(201, &gl_release("v1.0.0")))
            .start()
            .await;
        let gw = gw_with(&fake, "[limits]\nmax_body_bytes = 64\n").await;
        (fake, gw)
    };
    let big = format!(r#"{{"tag_name":"v1.0.0","body":"{}"}}"#, "x".repeat(200));
    let r = send("POST", &gw, "/repos/o/r/releases", &big).await;
    let msg = basic_error(&r, 413);
    assert!(msg.contains("64"), "{msg}");
    assert_eq!(fake.request_count(), 0);
    // Under the limit still goes through.
    let r = send(
        "POST",
        &gw,
        "/repos/o/r/releases",
        r#"{"tag_name":"v1.0.0"}"#,
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text());
    schema::github_release(&r.json()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(upstream(&fake).len(), 1);
}

/// Sends a raw HTTP/1.1 request and reads the whole answer (the request asks to close).
async fn raw_http(addr: std::net::SocketAddr, head: &str, body: &[u8]) -> (u16, String) {
    let out = raw_exchange(addr, head, body).await;
    let status = out
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {out:?}"));
    let body = out.split_once("\r\n\r\n").map_or("", |(_, b)| b).to_owned();
    (status, body)
}

#[tokio::test]
async fn body_over_limit_chunked_is_413() {
    let fake = FakeUpstream::builder()
        .fallback(Reply::json(201, &gl_release("v1.0.0")))
        .start()
        .await;
    let gw = gw_with(&fake, "[limits]\nmax_body_bytes = 64\n").await;
    let json = format!(r#"{{"tag_name":"v1.0.0","body":"{}"}}"#, "y".repeat(300));
    let chunked = chunked(json.as_bytes(), 40);
    let head = format!(
        "POST /repos/o/r/releases HTTP/1.1\r\nHost: {}\r\nAuthorization: {AUTH}\r\n\
         Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        gw.addr
    );
    let (status, body) = raw_http(gw.addr, &head, &chunked).await;
    assert_eq!(status, 413, "{body}");
    // The answer may itself be chunked or length-delimited; find the JSON in it.
    let start = body.find('{').expect("JSON body");
    let end = body.rfind('}').expect("JSON body");
    let v: Value = serde_json::from_str(&body[start..=end]).expect("JSON");
    schema::github_basic_error(&v).unwrap_or_else(|e| panic!("{e}"));
    assert!(v["message"].as_str().unwrap().contains("64"), "{v}");
    assert!(!body.contains(TOKEN));
    assert_eq!(fake.request_count(), 0);
}

#[tokio::test]
async fn upstream_refusing_connections_is_502_fast() {
    let gw = TestGateway::start(&closed_port_url()).await;
    let t = Instant::now();
    let r = send("GET", &gw, "/repos/o/r/releases", "").await;
    assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
    let msg = basic_error(&r, 502);
    assert!(msg.contains("connect") && msg.contains("GitLab"), "{msg}");
    let r = send("POST", &gw, "/repos/o/r/releases", CREATE_BODY).await;
    basic_error(&r, 502);
}

#[tokio::test]
async fn slow_upstream_is_504_at_the_timeout() {
    let (fake, gw) = {
        let fake = FakeUpstream::builder()
            .route(
                "GET",
                LIST,
                Reply::json(200, &json!([])).with_delay(Duration::from_secs(3)),
            )
            .start()
            .await;
        let gw = gw_with(&fake, "[limits]\nupstream_timeout_ms = 300\n").await;
        (fake, gw)
    };
    let t = Instant::now();
    let r = send("GET", &gw, "/repos/o/r/releases", "").await;
    let took = t.elapsed();
    assert!(
        took >= Duration::from_millis(250) && took < Duration::from_millis(1500),
        "{took:?}"
    );
    let msg = basic_error(&r, 504);
    assert!(msg.contains("300 ms"), "{msg}");
    // A timeout is not a connection failure: the GET is not sent twice.
    assert_eq!(upstream(&fake).len(), 1);
}

#[tokio::test]
async fn upstream_non_json_is_502() {
    let (fake, gw) = one_route("GET", GET_V1, Reply::raw(200, "text/html", "<html>")).await;
    let r = send("GET", &gw, "/repos/o/r/releases/tags/v1.0.0", "").await;
    let msg = basic_error(&r, 502);
    assert!(msg.contains("JSON") && msg.contains("GitLab"), "{msg}");
    assert_eq!(upstream(&fake).len(), 1);
}

#[tokio::test]
async fn upstream_truncated_json_is_502() {
    let body = serde_json::to_vec(&gl_release("v1.0.0")).unwrap();
    let cut = body.len() / 2;
    let (fake, gw) = one_route(
        "GET",
        GET_V1,
        Reply::json(200, &gl_release("v1.0.0")).truncated(cut),
    )
    .await;
    let r = send("GET", &gw, "/repos/o/r/releases/tags/v1.0.0", "").await;
    let msg = basic_error(&r, 502);
    assert!(msg.contains("GitLab"), "{msg}");
    // Cut short is not a connection failure, but a GET may be sent at most twice.
    let n = upstream(&fake).len();
    assert!((1..=2).contains(&n), "{n} requests");
}

#[tokio::test]
async fn upstream_body_not_utf8_is_502() {
    // Valid JSON but for one byte that is not UTF-8, inside a string value.
    let mut body = serde_json::to_vec(&json!([gl_release("v1.0.0")])).unwrap();
    let at = body.windows(6).position(|w| w == b"v1.0.0").unwrap() + 1;
    body[at] = 0xff;
    let (fake, gw) = one_route("GET", LIST, Reply::raw(200, "application/json", body)).await;
    let r = send("GET", &gw, "/repos/o/r/releases", "").await;
    let msg = basic_error(&r, 502);
    assert!(msg.contains("GitLab"), "{msg}");
    assert!(msg.contains("not UTF-8"), "{msg}");
    assert_eq!(upstream(&fake).len(), 1);
}

#[tokio::test]
async fn upstream_json_of_wrong_shape_is_502() {
    let (fake, gw) = one_route("GET", LIST, Reply::json(200, &json!({"a": 1}))).await;
    let r = send("GET", &gw, "/repos/o/r/releases", "").await;
    let msg = basic_error(&r, 502);
    assert!(msg.contains("GitLab"), "{msg}");
    assert_eq!(upstream(&fake).len(), 1);

    // A list whose elements are not objects is not a list of releases: refused,
    // not answered with empty releases.
    let (fake, gw) = one_route("GET", LIST, Reply::json(200, &json!([1, 2]))).await;
    let r = send("GET", &gw, "/repos/o/r/releases", "").await;
    let msg = basic_error(&r, 502);
    assert!(msg.contains("an array of objects"), "{msg}");
    assert_eq!(upstream(&fake).len(), 1);

    // A single release without a tag is no release either.
    let (fake, gw) = one_route("GET", GET_V1, Reply::json(200, &json!({"name": "x"}))).await;
    let r = send("GET", &gw, "/repos/o/r/releases/tags/v1.0.0", "").await;
    basic_error(&r, 502);
    assert_eq!(upstream(&fake).len(), 1);
}

/// Releases that break what the upstream mapping declares of them (types,
/// required fields) are refused with a message naming the release and the
/// upstream's key, not handed to the client malformed; a `null` where the
/// mapping can derive the value is derived.
#[tokio::test]
async fn upstream_releases_of_wrong_types_or_without_required_fields_are_502() {
    let cases = [
        (
            "/created_at",
            None,
            "release `v1.0.0`, whose `created_at` is missing",
        ),
        (
            "/created_at",
            Some(json!(null)),
            "release `v1.0.0`, whose `created_at` is missing",
        ),
        ("/tag_name", Some(json!(null)), "a release without a tag"),
        (
            "/tag_name",
            Some(json!(7)),
            "release `7`, whose `tag_name` is not a string",
        ),
        (
            "/author/id",
            Some(json!("x")),
            "release `v1.0.0`, whose `author.id` is not an integer",
        ),
        (
            "/author/id",
            Some(json!(1.5)),
            "release `v1.0.0`, whose `author.id` is not an integer",
        ),
        (
            "/name",
            Some(json!({"a": 1})),
            "release `v1.0.0`, whose `name` is not a string",
        ),
        (
            "/assets/links/0/url",
            Some(json!(["x"])),
            "release `v1.0.0`, whose asset `url` is not a string",
        ),
    ];
    for (pointer, with, expected) in cases {
        let rel = fixtures::altered(&gl_release("v1.0.0"), pointer, with.as_ref());
        for (path, upstream_path, reply) in [
            ("/repos/o/r/releases/tags/v1.0.0", GET_V1, rel.clone()),
            (
                "/repos/o/r/releases",
                LIST,
                json!([gl_release("v0.9"), rel.clone()]),
            ),
        ] {
            let (fake, gw) = one_route("GET", upstream_path, Reply::json(200, &reply)).await;
            let r = send("GET", &gw, path, "").await;
            let msg = basic_error(&r, 502);
            assert!(
                msg.contains(expected) && msg.contains("GitLab"),
                "{pointer} = {with:?} on {path}: {msg}"
            );
            assert_eq!(upstream(&fake).len(), 1);
        }
    }

    // `_links.self` null: the web page is derived, as when it is absent.
    let mut rel = gl_release("v1.0.0");
    rel["_links"]["self"] = Value::Null;
    let (_fake, gw) = one_route("GET", GET_V1, Reply::json(200, &rel)).await;
    let r = send("GET", &gw, "/repos/o/r/releases/tags/v1.0.0", "").await;
    assert_eq!(r.status, 200);
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    schema::github_release(&v).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        v["html_url"]
            .as_str()
            .unwrap()
            .ends_with("/o/r/-/releases/v1.0.0"),
        "{v}"
    );
}

/// A `null` where GitLab's schema has none, in a field no release needs, is
/// taken as absent: the GitHub client gets the release, with `null` or its default.
#[tokio::test]
async fn upstream_null_in_a_field_that_is_not_required_is_absent() {
    let mut rel = gl_release("v1.0.0");
    for key in ["name", "description", "released_at", "upcoming_release"] {
        rel[key] = Value::Null;
    }
    rel["author"]["username"] = Value::Null;
    rel["assets"]["links"][0]["link_type"] = Value::Null;
    let (_fake, gw) = one_route("GET", GET_V1, Reply::json(200, &rel)).await;
    let r = send("GET", &gw, "/repos/o/r/releases/tags/v1.0.0", "").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    schema::github_release(&v).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (
            &v["name"],
            &v["body"],
            &v["published_at"],
            &v["author"]["login"]
        ),
        // An account with no name is GitHub's placeholder user.
        (&Value::Null, &Value::Null, &Value::Null, &json!("ghost"))
    );
    assert_eq!(v["assets"][0]["name"], rel["assets"]["links"][0]["name"]);
}

#[tokio::test]
async fn upstream_huge_body_is_502() {
    let list: Vec<Value> = (0..20).map(|i| gl_release(&format!("v{i}"))).collect();
    let fake = FakeUpstream::builder()
        .route("GET", LIST, Reply::json(200, &json!(list)))
        .start()
        .await;
    let gw = gw_with(&fake, "[limits]\nmax_response_bytes = 1024\n").await;
    let r = send("GET", &gw, "/repos/o/r/releases", "").await;
    let msg = basic_error(&r, 502);
    assert!(msg.contains("1024"), "{msg}");
    assert_eq!(upstream(&fake).len(), 1);
}

#[tokio::test]
async fn gateway_survives_every_fault_and_still_serves() {
    let slow = "/api/v4/projects/o%2Fr/releases/slow";
    let fake = FakeUpstream::builder()
        .route("GET", GET_V1, Reply::json(200, &gl_release("v1.0.0")))
        .route(
            "GET",
            "/api/v4/projects/o%2Fr/releases/html",
            Reply::raw(200, "text/html", "<html>"),
        )
        .route(
            "GET",
            "/api/v4/projects/o%2Fr/releases/cut",
            Reply::json(200, &gl_release("cut")).truncated(10),
        )
        .route(
            "GET",
            slow,
            Reply::json(200, &gl_release("slow")).with_delay(Duration::from_secs(2)),
        )
        .route("GET", "/api/v4/projects/o%2Fr/releases/gone", Reply::Hangup)
        .route(
            "GET",
            "/api/v4/projects/o%2Fr/releases/e500",
            Reply::json(500, &json!({})),
        )
        .route(
            "GET",
            "/api/v4/projects/o%2Fr/releases/empty",
            Reply::empty(200),
        )
        .route("POST", LIST, Reply::Hangup)
        .route("GET", LIST, Reply::json(200, &json!({"a": 1})))
        .start()
        .await;
    let gw = gw_with(
        &fake,
        "[limits]\nupstream_timeout_ms = 300\nmax_body_bytes = 256\n",
    )
    .await;
    let cases: &[(&str, &str, &str, u16)] = &[
        ("GET", "/repos/o/r/releases/tags/html", "", 502),
        ("GET", "/repos/o/r/releases/tags/cut", "", 502),
        ("GET", "/repos/o/r/releases/tags/slow", "", 504),
        ("GET", "/repos/o/r/releases/tags/gone", "", 502),
        ("GET", "/repos/o/r/releases/tags/e500", "", 502),
        ("GET", "/repos/o/r/releases/tags/empty", "", 502),
        ("GET", "/repos/o/r/releases", "", 502),
        ("POST", "/repos/o/r/releases", CREATE_BODY, 502),
        ("POST", "/repos/o/r/releases", "{", 400),
        ("POST", "/repos/o/r/releases", "\u{0}\u{1}binary", 400),
        ("PUT", "/repos/o/r/releases", "", 405),
        ("GET", "/nowhere", "", 404),
        ("GET", "/repos/o/r/releases/abc", "", 404),
        (
            "GET",
            "/repos/o/r/releases/99999999999999999999999",
            "",
            404,
        ),
    ];
    for (m, p, b, want) in cases {
        let r = send(m, &gw, p, b).await;
        assert_eq!(r.status, *want, "{m} {p}: {}", r.text());
        basic_error(&r, *want);
    }
    let big = format!(r#"{{"tag_name":"{}"}}"#, "z".repeat(1000));
    basic_error(&send("POST", &gw, "/repos/o/r/releases", &big).await, 413);

    let r = send("GET", &gw, "/repos/o/r/releases/tags/v1.0.0", "").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    schema::github_release(&v).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(v["tag_name"], "v1.0.0");
    assert_eq!(v["id"], json!(id_of("v1.0.0")));
    assert_no_token(&r);
    upstream(&fake);
}

// ------------------------------------------------------------ writes are never retried

fn count(reqs: &[Recorded], method: &str) -> usize {
    reqs.iter().filter(|r| r.method == method).count()
}

#[tokio::test]
async fn create_against_hangup_is_502_and_sent_once() {
    let (fake, gw) = one_route("POST", LIST, Reply::Hangup).await;
    let r = send("POST", &gw, "/repos/o/r/releases", CREATE_BODY).await;
    let msg = basic_error(&r, 502);
    assert!(msg.contains("GitLab"), "{msg}");
    let reqs = upstream(&fake);
    assert_eq!(summary(&reqs), [format!("POST {LIST}")]);
}

#[tokio::test]
async fn update_against_hangup_is_502_and_put_once() {
    let fake = FakeUpstream::builder()
        .route(
            "GET",
            LIST,
            Reply::json(200, &json!([gl_release("v1.0.0")])),
        )
        .route("PUT", GET_V1, Reply::Hangup)
        .start()
        .await;
    let gw = TestGateway::start(&fake.url()).await;
    let path = format!("/repos/o/r/releases/{}", id_of("v1.0.0"));
    let r = send("PATCH", &gw, &path, r#"{"name":"renamed"}"#).await;
    basic_error(&r, 502);
    let reqs = upstream(&fake);
    assert_eq!(count(&reqs, "PUT"), 1, "{:?}", summary(&reqs));
    assert_eq!(reqs.last().unwrap().path_and_query, GET_V1);
    assert_eq!(reqs.last().unwrap().json(), json!({"name": "renamed"}));
}

#[tokio::test]
async fn delete_against_hangup_is_502_and_sent_once() {
    let fake = FakeUpstream::builder()
        .route(
            "GET",
            LIST,
            Reply::json(200, &json!([gl_release("v1.0.0")])),
        )
        .route("DELETE", GET_V1, Reply::Hangup)
        .start()
        .await;
    let gw = TestGateway::start(&fake.url()).await;
    let path = format!("/repos/o/r/releases/{}", id_of("v1.0.0"));
    let r = send("DELETE", &gw, &path, "").await;
    basic_error(&r, 502);
    let reqs = upstream(&fake);
    assert_eq!(count(&reqs, "DELETE"), 1, "{:?}", summary(&reqs));
}

#[tokio::test]
async fn get_against_hangup_is_retried_at_most_once() {
    let (fake, gw) = one_route("GET", GET_V1, Reply::Hangup).await;
    let r = send("GET", &gw, "/repos/o/r/releases/tags/v1.0.0", "").await;
    basic_error(&r, 502);
    let reqs = upstream(&fake);
    assert!((1..=2).contains(&reqs.len()), "{:?}", summary(&reqs));
    assert!(reqs.iter().all(|r| r.path_and_query == GET_V1));
}

#[tokio::test]
async fn get_succeeding_on_second_try_is_200() {
    let fake = FakeUpstream::builder()
        .route_seq(
            "GET",
            GET_V1,
            vec![Reply::Hangup, Reply::json(200, &gl_release("v1.0.0"))],
        )
        .start()
        .await;
    let gw = TestGateway::start(&fake.url()).await;
    let r = send("GET", &gw, "/repos/o/r/releases/tags/v1.0.0", "").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    schema::github_release(&v).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(v["tag_name"], "v1.0.0");
    assert_no_token(&r);
    let reqs = upstream(&fake);
    assert_eq!(
        summary(&reqs),
        [format!("GET {GET_V1}"), format!("GET {GET_V1}")]
    );
    // The retry is built again, not copied: it carries the same token,
    // request id and other headers as the first try, on a new connection.
    assert_eq!(reqs[1].header("private-token"), Some(TOKEN));
    assert!(reqs[0].header("x-request-id").is_some());
    assert_eq!(reqs[0].headers, reqs[1].headers);
    assert_ne!(reqs[0].connection, reqs[1].connection);
}

// ------------------------------------------------------------ tokens

#[tokio::test]
async fn token_goes_only_to_private_token_and_never_back() {
    let fake = FakeUpstream::builder()
        .route(
            "GET",
            LIST,
            Reply::json(200, &json!([gl_release("v1.0.0")])),
        )
        .route("GET", GET_V1, Reply::json(200, &gl_release("v1.0.0")))
        .route(
            "POST",
            LIST,
            Reply::json(409, &json!({"message": "Release already exists"})),
        )
        .route(
            "PUT",
            GET_V1,
            Reply::json(401, &json!({"message": "401 Unauthorized"})),
        )
        .route("DELETE", GET_V1, Reply::Hangup)
        .route(
            "GET",
            "/api/v4/projects/o%2Fr/releases/bad",
            Reply::raw(200, "text/html", "<html>"),
        )
        .start()
        .await;
    let gw = TestGateway::start(&fake.url()).await;
    let id = id_of("v1.0.0");
    let calls: Vec<(&str, String, &str)> = vec![
        ("GET", "/repos/o/r/releases".into(), ""),
        ("GET", "/repos/o/r/releases/tags/v1.0.0".into(), ""),
        ("GET", format!("/repos/o/r/releases/{id}"), ""),
        ("GET", "/repos/o/r/releases/tags/bad".into(), ""),
        ("GET", "/repos/o/r/releases/424242".into(), ""),
        ("POST", "/repos/o/r/releases".into(), CREATE_BODY),
        ("POST", "/repos/o/r/releases".into(), "{oops"),
        (
            "PATCH",
            format!("/repos/o/r/releases/{id}"),
            r#"{"name":"n"}"#,
        ),
        ("DELETE", format!("/repos/o/r/releases/{id}"), ""),
        ("PUT", "/repos/o/r/releases".into(), ""),
        ("GET", "/elsewhere".into(), ""),
    ];
    for (m, p, b) in &calls {
        let r = send(m, &gw, p, b).await;
        assert_no_token(&r);
        if !r.body.is_empty() {
            let v = r.json();
            let ok = schema::github_basic_error(&v)
                .or_else(|_| schema::github_validation_error(&v))
                .or_else(|_| schema::github_release(&v))
                .or_else(|_| schema::github_release_list(&v));
            ok.unwrap_or_else(|e| panic!("{m} {p}: {e}\n{v}"));
        }
    }
    // Bearer is accepted too and moved the same way.
    let r = call(
        "GET",
        &format!("{}/repos/o/r/releases/tags/v1.0.0", gw.url),
        &[("Authorization", &format!("Bearer {TOKEN}"))],
        "",
    )
    .await;
    assert_eq!(r.status, 200);
    assert_no_token(&r);
    let reqs = upstream(&fake);
    assert!(reqs.len() >= 8, "{:?}", summary(&reqs));
    assert!(reqs.iter().all(|r| r.header("authorization").is_none()));
}

#[tokio::test]
async fn no_token_means_no_credential_upstream() {
    let (fake, gw) = one_route(
        "GET",
        GET_V1,
        Reply::json(401, &json!({"message": "401 Unauthorized"})),
    )
    .await;
    let r = call(
        "GET",
        &format!("{}/repos/o/r/releases/tags/v1.0.0", gw.url),
        &[],
        "",
    )
    .await;
    assert_eq!(basic_error(&r, 401), "Bad credentials");
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 1);
    schema::gitlab_path(&reqs[0].method, &reqs[0].path_and_query).unwrap();
    assert_eq!(reqs[0].header("private-token"), None);
    assert_eq!(reqs[0].header("authorization"), None);
}
