//! Proves that the shared test support works: the fake upstream, the spec validators and the
//! seed fixtures.

mod support;

use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Request, StatusCode};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use support::fake::{closed_port_url, FakeUpstream, Reply};
use support::fixtures::{self, load};
use support::schema;

/// Fails with the validator's report printed as text.
#[track_caller]
fn valid(result: Result<(), String>) {
    if let Err(e) = result {
        panic!("{e}");
    }
}

type TestClient = Client<HttpConnector, Full<Bytes>>;

fn client() -> TestClient {
    Client::builder(TokioExecutor::new()).build_http()
}

fn get(url: &str) -> Request<Full<Bytes>> {
    Request::get(url).body(Full::default()).expect("request")
}

/// Sends `req` and reads the whole answer: (status, headers, body).
async fn fetch(c: &TestClient, req: Request<Full<Bytes>>) -> (StatusCode, hyper::HeaderMap, Bytes) {
    let res = c.request(req).await.expect("request");
    let (parts, body) = res.into_parts();
    let body = body.collect().await.expect("body").to_bytes();
    (parts.status, parts.headers, body)
}

// ---------------------------------------------------------------- fake upstream

#[tokio::test]
async fn fake_records_method_raw_path_headers_and_body() {
    let up = FakeUpstream::builder()
        .route(
            "POST",
            "/api/v4/projects/group%2Fproj/releases",
            Reply::json(201, &json!({"tag_name": "v1"}))
                .with_header("x-extra", "yes")
                .with_header("Content-Type", "application/json; charset=utf-8"),
        )
        .start()
        .await;
    let c = client();
    let req = Request::post(format!(
        "{}/api/v4/projects/group%2Fproj/releases?q=a%2Fb&n=1",
        up.url()
    ))
    .header("PRIVATE-TOKEN", "secret")
    .header("content-type", "application/json")
    .body(Full::new(Bytes::from_static(
        br#"{"tag_name":"v1","name":"x"}"#,
    )))
    .expect("request");
    let (status, headers, body) = fetch(&c, req).await;
    assert_eq!(status, 201);
    assert_eq!(headers["x-extra"], "yes");
    assert_eq!(
        headers.get_all("content-type").iter().collect::<Vec<_>>(),
        ["application/json; charset=utf-8"]
    );
    let body: Value = serde_json::from_slice(&body).expect("JSON body");
    assert_eq!(body, json!({"tag_name": "v1"}));

    let reqs = up.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(up.request_count(), 1);
    let r = &reqs[0];
    assert_eq!(r.method, "POST");
    assert_eq!(
        r.path_and_query,
        "/api/v4/projects/group%2Fproj/releases?q=a%2Fb&n=1"
    );
    assert_eq!(r.path(), "/api/v4/projects/group%2Fproj/releases");
    assert_eq!(r.query(), Some("q=a%2Fb&n=1"));
    assert_eq!(r.header("private-token"), Some("secret"));
    assert_eq!(r.header("Private-Token"), Some("secret"));
    assert!(r.headers.iter().all(|(k, _)| *k == k.to_ascii_lowercase()));
    assert_eq!(r.body, br#"{"tag_name":"v1","name":"x"}"#);
    assert_eq!(r.json(), json!({"tag_name": "v1", "name": "x"}));

    // Routes compare raw paths: a decoded slash is a different path and gets the fallback.
    let (status, _, body) = fetch(
        &c,
        get(&format!("{}/api/v4/projects/group/proj/releases", up.url())),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(
        serde_json::from_slice::<Value>(&body).expect("JSON body"),
        json!({"message": "404 Not found"})
    );
    assert_eq!(up.request_count(), 2);
    assert_eq!(
        up.last_request().expect("a request").path_and_query,
        "/api/v4/projects/group/proj/releases"
    );
}

#[tokio::test]
async fn fake_keeps_connections_alive_for_a_pooled_client() {
    let up = FakeUpstream::builder()
        .route("GET", "/a", Reply::raw(200, "text/plain", "hello"))
        .start()
        .await;
    let c = client();
    for _ in 0..3 {
        let (status, _, body) = fetch(&c, get(&format!("{}/a", up.url()))).await;
        assert_eq!(status, 200);
        assert_eq!(&body[..], b"hello");
    }
    let conns: Vec<usize> = up.requests().iter().map(|r| r.connection).collect();
    assert_eq!(conns, vec![0, 0, 0], "all three requests on one connection");
}

#[tokio::test]
async fn fake_reads_chunked_and_sequential_requests_on_one_socket() {
    let up = FakeUpstream::builder()
        .route("POST", "/up", Reply::empty(204))
        .start()
        .await;
    let mut s = tokio::net::TcpStream::connect(up.addr())
        .await
        .expect("connect");
    s.write_all(
        b"POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n\
          5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n\
          POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc",
    )
    .await
    .expect("request");
    let mut raw = String::new();
    s.read_to_string(&mut raw).await.expect("read");
    assert_eq!(
        raw.matches("HTTP/1.1 204 No Content\r\n").count(),
        2,
        "{raw}"
    );
    let reqs = up.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0].body, b"hello world");
    assert_eq!(reqs[1].body, b"abc");
    assert_eq!(reqs[0].connection, reqs[1].connection);
}

#[tokio::test]
async fn fake_route_seq_repeats_the_last_reply() {
    let up = FakeUpstream::builder()
        .route_seq(
            "GET",
            "/flaky",
            vec![
                Reply::json(500, &json!({"message": "boom"})),
                Reply::json(502, &json!({"message": "bad gateway"})),
                Reply::json(200, &json!([])),
            ],
        )
        .fallback(Reply::empty(418))
        .start()
        .await;
    let c = client();
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(fetch(&c, get(&format!("{}/flaky", up.url()))).await.0);
    }
    assert_eq!(statuses, [500, 502, 200, 200]);
    let (status, _, _) = fetch(&c, get(&format!("{}/other", up.url()))).await;
    assert_eq!(status, 418);
}

#[tokio::test]
async fn fake_prefix_routes_and_any_method() {
    let up = FakeUpstream::builder()
        .route("*", "/files/*", Reply::raw(200, "text/plain", "f"))
        .start()
        .await;
    let c = client();
    let (status, _, _) = fetch(&c, get(&format!("{}/files/a/b.zip", up.url()))).await;
    assert_eq!(status, 200);
    let del = Request::delete(format!("{}/files/x", up.url()))
        .body(Full::default())
        .expect("request");
    assert_eq!(fetch(&c, del).await.0, 200);
    assert_eq!(fetch(&c, get(&format!("{}/file", up.url()))).await.0, 404);
}

#[tokio::test]
async fn fake_delays_replies() {
    let up = FakeUpstream::builder()
        .route(
            "GET",
            "/slow",
            Reply::json(200, &json!({})).with_delay(Duration::from_millis(300)),
        )
        .start()
        .await;
    let c = client();
    let started = Instant::now();
    let (status, _, _) = fetch(&c, get(&format!("{}/slow", up.url()))).await;
    assert_eq!(status, 200);
    assert!(started.elapsed() >= Duration::from_millis(300));

    // A client with a shorter timeout gives up; the request was still recorded.
    let quick = tokio::time::timeout(
        Duration::from_millis(50),
        c.request(get(&format!("{}/slow", up.url()))),
    )
    .await;
    assert!(quick.is_err(), "should time out");
    assert_eq!(up.request_count(), 2);
}

#[tokio::test]
async fn fake_truncate_breaks_the_body_mid_way() {
    let full = serde_json::to_vec(&load("github/release.json")).expect("serialize");
    let up = FakeUpstream::builder()
        .route(
            "GET",
            "/cut",
            Reply::json(200, &load("github/release.json")).truncated(100),
        )
        .route(
            "GET",
            "/cut-raw",
            Reply::Truncate {
                status: 200,
                headers: vec![("content-type".into(), "text/plain".into())],
                body: b"0123456789".to_vec(),
                cut_at: 4,
            },
        )
        .start()
        .await;
    let c = client();
    let res = c
        .request(get(&format!("{}/cut", up.url())))
        .await
        .expect("headers arrive");
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-length"], full.len().to_string());
    let err = res.into_body().collect().await.expect_err("body must fail");
    // hyper has no predicate for a short body; its source says what happened.
    let source = std::error::Error::source(&err).map(ToString::to_string);
    assert!(
        source
            .as_deref()
            .unwrap_or_default()
            .contains("end of file"),
        "{err:?}"
    );

    let res = c
        .request(get(&format!("{}/cut-raw", up.url())))
        .await
        .expect("request");
    assert_eq!(res.headers()["content-length"], "10");
    assert!(res.into_body().collect().await.is_err());
    assert_eq!(up.request_count(), 2);
}

#[tokio::test]
async fn fake_hangup_closes_without_answer_but_records() {
    let up = FakeUpstream::builder()
        .route("POST", "/gone", Reply::Hangup)
        .start()
        .await;
    let req = Request::post(format!("{}/gone", up.url()))
        .body(Full::new(Bytes::from_static(b"payload")))
        .expect("request");
    let err = client().request(req).await.expect_err("no answer");
    assert!(!err.is_connect(), "connected, then hung up: {err:?}");
    let reqs = up.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].body, b"payload");
}

#[tokio::test]
async fn closed_port_refuses_connections() {
    let url = closed_port_url();
    assert!(url.starts_with("http://127.0.0.1:"));
    let err = client()
        .request(get(&format!("{url}/x")))
        .await
        .expect_err("nobody listens");
    assert!(err.is_connect(), "{err:?}");
}

#[tokio::test]
async fn fake_stops_when_dropped() {
    let up = FakeUpstream::builder().start().await;
    let addr = up.addr();
    drop(up);
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        tokio::task::yield_now().await;
        if tokio::net::TcpStream::connect(addr).await.is_err() {
            break;
        }
        assert!(Instant::now() < deadline, "still listening after drop");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

// ---------------------------------------------------------------- fixtures

const FIXTURES: [&str; 13] = [
    "gitlab/list_releases.json",
    "gitlab/get_release.json",
    "gitlab/create_request.json",
    "gitlab/create_response.json",
    "gitlab/update_request.json",
    "gitlab/update_response.json",
    "gitlab/delete_response.json",
    "github/release.json",
    "github/list_releases.json",
    "github/create_request.json",
    "github/create_response.json",
    "github/edit_request.json",
    "github/edit_response.json",
];

#[test]
fn every_fixture_parses() {
    for f in FIXTURES {
        let v = load(f);
        let want_array = f.ends_with("list_releases.json");
        assert_eq!(v.is_array(), want_array, "{f}");
        assert!(!fixtures::load_bytes(f).is_empty());
    }
    assert_eq!(
        load("gitlab/list_releases.json")
            .as_array()
            .expect("array")
            .len(),
        2
    );
    // The structural fix in get_release.json: `_links` belongs to the release, not `evidences`.
    let get = load("gitlab/get_release.json");
    assert_eq!(get["evidences"].as_array().expect("array").len(), 1);
    assert!(get["_links"]["self"].is_string());
}

// ---------------------------------------------------------------- GitHub schema

/// Asserts `result` failed and that every error line names one of `fields`.
fn assert_only_drift(what: &str, result: Result<(), String>, fields: &[&str]) {
    let err = result.expect_err(what);
    for line in err.lines().skip(1) {
        assert!(
            fields.iter().any(|f| line.contains(f)),
            "{what}: unexpected error {line}\nall: {err}"
        );
    }
}

const GITHUB_DRIFT: [&str; 3] = ["node_id", "digest", "browser_download_url"];

#[test]
fn github_spec_example_is_a_valid_release() {
    valid(schema::github_release(&schema::github_example("release")));
    valid(schema::github_release_list(&schema::github_example(
        "release-items",
    )));
}

#[test]
fn github_fixtures_validate_once_brought_to_the_current_schema() {
    for f in [
        "github/release.json",
        "github/create_response.json",
        "github/edit_response.json",
    ] {
        // The 2013-era docs predate fields the current schema requires.
        assert_only_drift(f, schema::github_release(&load(f)), &GITHUB_DRIFT);
        let current = fixtures::github_as_current(load(f));
        if let Err(e) = schema::github_release(&current) {
            panic!("{f}: {e}");
        }
    }
    let list = load("github/list_releases.json");
    assert_only_drift("list", schema::github_release_list(&list), &GITHUB_DRIFT);
    valid(schema::github_release_list(&fixtures::github_as_current(
        list,
    )));
}

#[test]
fn github_broken_release_is_rejected_with_every_error() {
    let mut r = fixtures::github_as_current(load("github/release.json"));
    r.as_object_mut().expect("object").remove("tag_name");
    r["id"] = json!("1");
    r["created_at"] = json!("yesterday");
    r["url"] = json!("not a uri");
    let err = schema::github_release(&r).expect_err("should be rejected");
    assert!(err.contains("\"tag_name\" is a required property"), "{err}");
    assert!(
        err.contains("/id: \"1\" is not of type \"integer\""),
        "{err}"
    );
    assert!(
        err.contains("/created_at:"),
        "format date-time is checked: {err}"
    );
    assert!(err.contains("/url:"), "format uri is checked: {err}");
    assert!(err.starts_with("4 error(s)"), "{err}");
    // Inside a list, the index shows in the path.
    let err = schema::github_release_list(&json!([r])).expect_err("should be rejected");
    assert!(err.contains("/0/id:"), "{err}");
}

#[test]
fn github_nullable_fields_accept_null() {
    let mut r = fixtures::github_as_current(load("github/release.json"));
    r["name"] = Value::Null;
    r["body"] = Value::Null;
    r["published_at"] = Value::Null;
    r["assets"][0]["label"] = Value::Null;
    valid(schema::github_release(&r));
    r["draft"] = Value::Null;
    let err = schema::github_release(&r).expect_err("should be rejected");
    assert!(err.contains("/draft:"), "{err}");
}

#[test]
fn github_error_bodies() {
    valid(schema::github_basic_error(&json!({
        "message": "Not Found",
        "documentation_url": "https://docs.github.com/rest/releases/releases#get-a-release"
    })));
    assert!(schema::github_basic_error(&json!({"message": 404})).is_err());
    valid(schema::github_validation_error(&json!({
        "message": "Validation Failed",
        "documentation_url": "https://docs.github.com/rest",
        "errors": [
            {"resource": "Release", "code": "already_exists", "field": "tag_name"},
            {"code": "custom", "value": null},
            {"code": "custom", "value": 3},
        ]
    })));
    let err = schema::github_validation_error(&json!({
        "message": "Validation Failed",
        "errors": [{"field": "tag_name"}]
    }))
    .expect_err("should be rejected");
    assert!(
        err.contains("\"documentation_url\" is a required property"),
        "{err}"
    );
    assert!(
        err.contains("/errors/0: \"code\" is a required property"),
        "{err}"
    );
}

// ---------------------------------------------------------------- GitLab schema

const GITLAB_DRIFT: [&str; 7] = [
    "web_url",
    "expired",
    "evidence_sha",
    "evidence_file_path",
    "issue_stats",
    "/commit:",
    "branch 0: ",
];

#[test]
fn gitlab_fixtures_validate_once_brought_to_the_current_schema() {
    for f in [
        "gitlab/get_release.json",
        "gitlab/create_response.json",
        "gitlab/update_response.json",
        "gitlab/delete_response.json",
    ] {
        assert_only_drift(f, schema::gitlab_release(&load(f)), &GITLAB_DRIFT);
        let current = fixtures::gitlab_as_current(load(f));
        if let Err(e) = schema::gitlab_release(&current) {
            panic!("{f}: {e}");
        }
    }
    let list = load("gitlab/list_releases.json");
    assert_only_drift("list", schema::gitlab_release_list(&list), &GITLAB_DRIFT);
    let current = fixtures::gitlab_as_current(list);
    if let Err(e) = schema::gitlab_release_list(&current) {
        panic!("{e}");
    }
}

#[test]
fn gitlab_release_errors_explain_failed_one_of_branches() {
    let mut r = fixtures::gitlab_as_current(load("gitlab/get_release.json"));
    r["commit"]["title"] = json!(7);
    r["tag_name"] = json!(null);
    let err = schema::gitlab_release(&r).expect_err("should be rejected");
    assert!(
        err.contains("/tag_name: null is not of type \"string\""),
        "{err}"
    );
    assert!(
        err.contains("branch 1: /commit/title: 7 is not of type \"string\""),
        "{err}"
    );
    assert!(schema::gitlab_release_list(&json!({})).is_err());
}

#[test]
fn gitlab_request_bodies() {
    valid(schema::gitlab_create_request(&load(
        "gitlab/create_request.json",
    )));
    valid(schema::gitlab_update_request(&load(
        "gitlab/update_request.json",
    )));

    let err = schema::gitlab_create_request(&json!({"tag_name": "v1", "body": "x"}))
        .expect_err("should be rejected");
    assert!(
        err.contains("/body: property \"body\" is not declared"),
        "{err}"
    );
    let err = schema::gitlab_create_request(&json!({"name": "x"})).expect_err("should be rejected");
    assert!(err.contains("\"tag_name\" is a required property"), "{err}");
    let err = schema::gitlab_create_request(&json!({
        "tag_name": "v1",
        "released_at": "last tuesday",
        "assets": {"links": [{"name": "a"}]}
    }))
    .expect_err("should be rejected");
    assert!(err.contains("/released_at:"), "{err}");
    assert!(
        err.contains("/assets/links/0: \"url\" is a required property"),
        "{err}"
    );
    // PUT takes the tag from the path, never from the body.
    let err =
        schema::gitlab_update_request(&json!({"tag_name": "v1"})).expect_err("should be rejected");
    assert!(
        err.contains("property \"tag_name\" is not declared"),
        "{err}"
    );
}

#[test]
fn gitlab_paths() {
    for (method, ok) in [
        ("GET", "/api/v4/projects/group%2Fproj/releases/v1.0"),
        ("GET", "/api/v4/projects/24/releases"),
        (
            "GET",
            "/api/v4/projects/24/releases?per_page=20&page=2&order_by=released_at&sort=desc",
        ),
        ("POST", "/api/v4/projects/group%2Fsub%2Fproj/releases"),
        ("PUT", "/api/v4/projects/24/releases/v1.0%2Frc1"),
        ("DELETE", "/api/v4/projects/24/releases/v0.1"),
        ("GET", "/api/v4/projects/24/releases/permalink/latest"),
        (
            "GET",
            "/api/v4/projects/24/releases/permalink/latest/evidence",
        ),
        (
            "GET",
            "/api/v4/projects/24/releases/v0.1/downloads/bin/asset.exe",
        ),
        ("GET", "/api/v4/projects/24/releases/v0.1/assets/links/3"),
    ] {
        if let Err(e) = schema::gitlab_path(method, ok) {
            panic!("{method} {ok}: {e}");
        }
    }
    for (method, bad) in [
        ("GET", "/api/v4/projects/group/proj/releases"),
        ("GET", "/api/v4/projects/24/releases/v 1"),
        ("GET", "/api/v4/projects/24/releases/v1%2"),
        ("GET", "/api/v4/projects/24/releases?page=1&nope=2"),
        ("GET", "/api/v4/projects/24/releases/v0.1?per_page=5"),
        ("PATCH", "/api/v4/projects/24/releases/v0.1"),
        ("POST", "/api/v4/projects/24/releases/v0.1"),
        ("GET", "/api/v4/projects//releases"),
        ("GET", "/projects/24/releases"),
    ] {
        assert!(
            schema::gitlab_path(method, bad).is_err(),
            "{method} {bad} should be rejected"
        );
    }
    let err = schema::gitlab_path("GET", "/api/v4/projects/24/releases?nope=2")
        .expect_err("should be rejected");
    assert!(err.contains("\"nope\""), "{err}");
}

#[test]
fn github_paths() {
    for (method, ok) in [
        (
            "GET",
            "/repos/octocat/Hello-World/releases?per_page=30&page=2",
        ),
        ("POST", "/repos/octocat/Hello-World/releases"),
        ("GET", "/repos/octocat/Hello-World/releases/1"),
        ("PATCH", "/repos/octocat/Hello-World/releases/1"),
        ("DELETE", "/repos/octocat/Hello-World/releases/1"),
        ("GET", "/repos/octocat/Hello-World/releases/latest"),
        ("GET", "/repos/octocat/Hello-World/releases/tags/v1.0%2Frc"),
        (
            "GET",
            "/api/v3/repos/octocat/Hello-World/releases/tags/v1.0.0",
        ),
        (
            "POST",
            "/api/uploads/repos/octocat/Hello-World/releases/1/assets?name=a.zip&label=A",
        ),
    ] {
        if let Err(e) = schema::github_path(method, ok) {
            panic!("{method} {ok}: {e}");
        }
    }
    for (method, bad) in [
        ("GET", "/repos/octocat/Hello-World/releases?sort=asc"),
        ("PUT", "/repos/octocat/Hello-World/releases/1"),
        ("GET", "/repos/octocat/Hello/World/releases"),
        ("GET", "/api/v4/projects/24/releases"),
    ] {
        assert!(
            schema::github_path(method, bad).is_err(),
            "{method} {bad} should be rejected"
        );
    }
}

// ---------------------------------------------------------------- DoltHub schema

/// Seed 000's "Create a release" 200 example, as printed.
fn dolthub_seed_created() -> Value {
    json!({
      "status": "Success",
      "database_owner": "dolthub",
      "database_name": "museum-collections",
      "release_tag": "v1",
      "release_description": "First version of the database",
      "release_commit_sha": "1234567890",
      "release_title": "my-release-v1",
      "release_created_at": "2021-01-01T00:00:00Z",
      "release_updated_at": "2021-01-01T00:00:00Z"
    })
}

/// Seed 000's "List releases" 200 example, as printed.
fn dolthub_seed_list() -> Value {
    json!({
      "status": "Success",
      "database_owner": "dolthub",
      "database_name": "museum-collections",
      "next_page_token": "1234567890",
      "releases": [
        {
          "release_title": "my-release-v1",
          "release_tag": "v1",
          "release_commit_sha": "1234567890",
          "release_description": "First version of the database",
          "release_created_at": "2023-03-31T18:00:00Z",
          "release_updated_at": "2023-03-31T18:00:00Z"
        }
      ]
    })
}

#[test]
fn dolthub_seed_examples_are_valid() {
    valid(schema::dolthub_created_release(&dolthub_seed_created()));
    valid(schema::dolthub_release_list(&dolthub_seed_list()));
    valid(schema::dolthub_release_list(
        &json!({"status": "Success", "releases": []}),
    ));
    // The seed's 400 examples (the create's carries the release too).
    valid(schema::dolthub_error(&json!({
      "status": "Error",
      "message": "Error creating a release.",
      "database_owner": "dolthub",
      "database_name": "museum-collections"
    })));
    valid(schema::dolthub_error(&json!({
      "status": "Error",
      "message": "Error creating a release.",
      "database_owner": "dolthub",
      "database_name": "museum-collections",
      "release_tag": "v1",
      "release_description": "First version of the database",
      "release_commit_sha": "1234567890",
      "release_title": "my-release-v1"
    })));
}

#[test]
fn dolthub_broken_releases_are_rejected_with_every_error() {
    // In a list: no tag, a number for a title, a key the seed does not have.
    let mut list = dolthub_seed_list();
    let r = &mut list["releases"][0];
    r.as_object_mut().expect("object").remove("release_tag");
    r["release_title"] = json!(1);
    r["tag_name"] = json!("v1");
    let err = schema::dolthub_release_list(&list).expect_err("should be rejected");
    assert!(
        err.contains("/releases/0: \"release_tag\" is a required property"),
        "{err}"
    );
    assert!(
        err.contains("/releases/0/release_title: 1 is not of type \"string\""),
        "{err}"
    );
    assert!(
        err.contains("/releases/0:") && err.contains("'tag_name' was unexpected"),
        "{err}"
    );
    assert!(err.starts_with("3 error(s)"), "{err}");
    // An empty tag, a null description, a failed status.
    let mut list = dolthub_seed_list();
    list["releases"][0]["release_tag"] = json!("");
    list["releases"][0]["release_description"] = Value::Null;
    list["status"] = json!("Error");
    let err = schema::dolthub_release_list(&list).expect_err("should be rejected");
    assert!(err.contains("/releases/0/release_tag:"), "{err}");
    assert!(err.contains("/releases/0/release_description:"), "{err}");
    assert!(err.contains("/status:"), "{err}");
    // The spec's own types are checked too (`database_owner` is a string there).
    let mut list = dolthub_seed_list();
    list["database_owner"] = json!(7);
    let err = schema::dolthub_release_list(&list).expect_err("should be rejected");
    assert!(err.contains("/database_owner: 7"), "{err}");
    assert!(schema::dolthub_release_list(&json!([])).is_err());

    // The create answer: the same, and its envelope.
    let mut made = dolthub_seed_created();
    made.as_object_mut().expect("object").remove("release_tag");
    made["release_updated_at"] = json!(20210101);
    made["html_url"] = json!("https://www.dolthub.com/repositories/dolthub/museum-collections");
    let err = schema::dolthub_created_release(&made).expect_err("should be rejected");
    assert!(
        err.contains("/: \"release_tag\" is a required property"),
        "{err}"
    );
    assert!(err.contains("/release_updated_at: 20210101"), "{err}");
    assert!(err.contains("'html_url' was unexpected"), "{err}");
    let mut made = dolthub_seed_created();
    made.as_object_mut()
        .expect("object")
        .remove("database_name");
    made["status"] = json!("Error");
    let err = schema::dolthub_created_release(&made).expect_err("should be rejected");
    assert!(
        err.contains("\"database_name\" is a required property"),
        "{err}"
    );
    assert!(err.contains("/status:"), "{err}");
    // A list is no create answer.
    assert!(schema::dolthub_created_release(&dolthub_seed_list()).is_err());
}

#[test]
fn dolthub_create_bodies_and_errors() {
    // Both documents' names at once, as the gateway writes a create.
    valid(schema::dolthub_create_request(&json!({
        "tag": "v1", "title": "my-release-v1", "description": "First version",
        "commitSha": "main", "createTagIfNotExists": true,
        "tagName": "v1", "tagMessage": "First version",
        "revisionType": "ref", "revisionName": "main"
    })));
    // Either document's body alone lacks the other's required members.
    let err = schema::dolthub_create_request(&json!({
        "tag": "v1", "title": "t", "commitSha": "main"
    }))
    .expect_err("should be rejected");
    for k in ["tagName", "tagMessage", "revisionType", "revisionName"] {
        assert!(
            err.contains(&format!("\"{k}\" is a required property")),
            "{k}: {err}"
        );
    }
    let err = schema::dolthub_create_request(&json!({
        "tagName": "v1", "tagMessage": "m", "revisionType": "branch", "revisionName": "main"
    }))
    .expect_err("should be rejected");
    for k in ["title", "commitSha", "tag"] {
        assert!(
            err.contains(&format!("\"{k}\" is a required property")),
            "{k}: {err}"
        );
    }
    // Types, and keys neither document declares.
    let err = schema::dolthub_create_request(&json!({
        "tag": "v1", "title": "t", "commitSha": "main", "createTagIfNotExists": "yes",
        "tagName": "v1", "tagMessage": 1, "revisionType": "ref", "revisionName": "main",
        "tag_name": "v1", "draft": false
    }))
    .expect_err("should be rejected");
    assert!(err.contains("/createTagIfNotExists:"), "{err}");
    assert!(err.contains("/tagMessage: 1"), "{err}");
    assert!(
        err.contains("/tag_name: property \"tag_name\" is not declared"),
        "{err}"
    );
    assert!(
        err.contains("/draft: property \"draft\" is not declared"),
        "{err}"
    );

    let err = schema::dolthub_error(&json!({"status": "Error", "message": ""}))
        .expect_err("should be rejected");
    assert!(err.contains("/message:"), "{err}");
    let err = schema::dolthub_error(&json!({"status": "Success", "message": "x"}))
        .expect_err("should be rejected");
    assert!(err.contains("/status:"), "{err}");
    assert!(schema::dolthub_error(&json!({"message": "x"})).is_err());
    assert!(schema::dolthub_error(&json!({"status": "Error"})).is_err());
    assert!(schema::dolthub_error(&json!({"detail": "x"})).is_err());
}

#[test]
fn dolthub_paths() {
    for (method, ok) in [
        ("GET", "/api/v1alpha1/dolthub/museum-collections/releases"),
        ("POST", "/api/v1alpha1/dolthub/museum-collections/releases"),
        ("GET", "/api/v1alpha1/demo/hello/releases"),
        // The seed's list parameter.
        (
            "GET",
            "/api/v1alpha1/dolthub/museum-collections/releases?next_page_token=1234567890",
        ),
    ] {
        if let Err(e) = schema::dolthub_path(method, ok) {
            panic!("{method} {ok}: {e}");
        }
    }
    for (method, bad) in [
        // The spec's paths are under its server's path.
        ("GET", "/dolthub/museum-collections/releases"),
        (
            "GET",
            "/api/v1alpha1/dolthub/museum-collections/releases/v1",
        ),
        ("GET", "/api/v1alpha1/dolthub/museum/collections/releases"),
        ("PATCH", "/api/v1alpha1/dolthub/museum-collections/releases"),
        (
            "DELETE",
            "/api/v1alpha1/dolthub/museum-collections/releases",
        ),
        // Neither document declares another query parameter, nor one for a create.
        (
            "GET",
            "/api/v1alpha1/dolthub/museum-collections/releases?page=2",
        ),
        (
            "POST",
            "/api/v1alpha1/dolthub/museum-collections/releases?next_page_token=1",
        ),
        ("GET", "/api/v1alphaX/dolthub/museum-collections/releases"),
    ] {
        assert!(
            schema::dolthub_path(method, bad).is_err(),
            "{method} {bad} should be rejected"
        );
    }
    let err = schema::dolthub_path("GET", "/dolthub/museum-collections/releases")
        .expect_err("should be rejected");
    assert!(err.contains("/api/v1alpha1"), "{err}");
}
