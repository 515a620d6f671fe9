//! Route and translation behaviour of a GitHub-speaking gateway in front of a (fake) GitLab:
//! both GitHub layouts, percent-encoding of projects and tags, statuses and `Location`, request
//! ids, paging, rate-limit headers, auth, refusals of what GitLab cannot represent, and
//! validation of client bodies.

mod support;

use forgebridge::canonical::synthetic_id;
use serde_json::{json, Value};
use support::fake::{FakeUpstream, Recorded, Reply};
use support::gateway::{call, get, head_then_get, one_route, Resp, TestGateway};
use support::{fixtures, schema};

/// The GitLab releases collection of project `o/r`.
const UP: &str = "/api/v4/projects/o%2Fr/releases";
const JSON: (&str, &str) = ("Content-Type", "application/json");

/// The seed's GitLab release, re-tagged (its web link follows the tag).
fn gl_release(tag: &str) -> Value {
    let mut r = fixtures::load("gitlab/get_release.json");
    r["tag_name"] = json!(tag);
    r["_links"]["self"] = json!(format!(
        "https://gitlab.example.com/root/awesome-app/-/releases/{}",
        segment(tag)
    ));
    r
}

/// `s` percent-encoded as one URL path segment (everything but RFC 3986 unreserved bytes).
fn segment(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A GitHub release body: schema-valid, and returned as-is.
fn release_of(r: &Resp) -> Value {
    let v = r.json();
    if let Err(e) = schema::github_release(&v) {
        panic!("not a GitHub release: {e}\n{v:#}");
    }
    v
}

fn release_list_of(r: &Resp) -> Value {
    let v = r.json();
    if let Err(e) = schema::github_release_list(&v) {
        panic!("not a GitHub release list: {e}\n{v:#}");
    }
    v
}

/// Every request the fake received is a GitLab releases request (and bodies fit its schemas).
fn check_upstream(reqs: &[Recorded]) {
    for q in reqs {
        if let Err(e) = schema::gitlab_path(&q.method, &q.path_and_query) {
            panic!("not a GitLab releases request: {e}");
        }
        match q.method.as_str() {
            "POST" => schema::gitlab_create_request(&q.json()).expect("GitLab create body"),
            "PUT" => schema::gitlab_update_request(&q.json()).expect("GitLab update body"),
            _ => {}
        }
    }
}

// ------------------------------------------------------------------ both GitHub layouts

/// Every route under `root` ("" for api.github.com, "/api/v3" for GitHub Enterprise): statuses,
/// and every API URL in bodies, `Location` and `Link` under the same layout.
async fn every_route_at(root: &str) {
    let v01 = synthetic_id("o/r", "v0.1");
    let fake = FakeUpstream::builder()
        .route(
            "GET",
            UP,
            Reply::json(200, &fixtures::load("gitlab/list_releases.json"))
                .with_header("X-Next-Page", "2")
                .with_header("X-Total-Pages", "2"),
        )
        .route(
            "GET",
            &format!("{UP}/v0.1"),
            Reply::json(200, &fixtures::load("gitlab/get_release.json")),
        )
        .route(
            "GET",
            &format!("{UP}/permalink/latest"),
            Reply::json(200, &fixtures::load("gitlab/get_release.json")),
        )
        .route(
            "POST",
            UP,
            Reply::json(201, &fixtures::load("gitlab/create_response.json")),
        )
        .route(
            "PUT",
            &format!("{UP}/v0.1"),
            Reply::json(200, &fixtures::load("gitlab/update_response.json")),
        )
        .route(
            "DELETE",
            &format!("{UP}/v0.1"),
            Reply::json(200, &fixtures::load("gitlab/delete_response.json")),
        )
        .start()
        .await;
    let gw = TestGateway::start(&fake.url()).await;
    let api = format!("{}{root}", gw.url);
    let base = format!("{api}/repos/o/r/releases");
    let check_urls = |v: &Value| {
        let id = v["id"].as_u64().expect("id");
        assert_eq!(v["url"], json!(format!("{base}/{id}")), "{root}");
        assert_eq!(
            v["assets_url"],
            json!(format!("{base}/{id}/assets")),
            "{root}"
        );
        assert_eq!(
            v["upload_url"],
            json!(format!("{base}/{id}/assets{{?name,label}}")),
            "{root}"
        );
        assert_eq!(
            v["author"]["url"],
            json!(format!("{api}/users/root")),
            "{root}"
        );
        for a in v["assets"].as_array().expect("assets") {
            assert_eq!(
                a["url"],
                json!(format!("{base}/assets/{}", a["id"])),
                "{root}"
            );
        }
    };

    let r = get(&base).await;
    assert_eq!(r.status, 200, "{root} list: {}", r.text());
    let list = release_list_of(&r);
    list.as_array().expect("array").iter().for_each(check_urls);
    let link = r.header("link").expect("Link on a paged list");
    assert!(
        link.contains(&format!("<{base}?page=2>; rel=\"next\"")),
        "{root}: {link}"
    );

    let r = get(&format!("{base}/tags/v0.1")).await;
    assert_eq!(r.status, 200, "{root} get by tag: {}", r.text());
    check_urls(&release_of(&r));

    let r = get(&format!("{base}/{v01}")).await;
    assert_eq!(r.status, 200, "{root} get by id: {}", r.text());
    check_urls(&release_of(&r));

    let r = get(&format!("{base}/latest")).await;
    assert_eq!(r.status, 200, "{root} latest: {}", r.text());
    check_urls(&release_of(&r));

    let r = call("POST", &base, &[JSON], r#"{"tag_name":"v0.3"}"#).await;
    assert_eq!(r.status, 201, "{root} create: {}", r.text());
    let v = release_of(&r);
    check_urls(&v);
    assert_eq!(
        r.header("location"),
        v["url"].as_str(),
        "{root}: Location is the release url"
    );

    let r = call(
        "PATCH",
        &format!("{base}/{v01}"),
        &[JSON],
        r#"{"name":"new name"}"#,
    )
    .await;
    assert_eq!(r.status, 200, "{root} update: {}", r.text());
    check_urls(&release_of(&r));

    let r = call("DELETE", &format!("{base}/{v01}"), &[], "").await;
    assert_eq!(r.status, 204, "{root} delete: {}", r.text());
    assert!(r.body.is_empty(), "{root}: 204 with a body");

    // The client's layout never reaches GitLab.
    let reqs = fake.requests();
    check_upstream(&reqs);
    assert!(
        reqs.iter().all(|q| q.path().starts_with(UP)),
        "{root}: {reqs:#?}"
    );
    let ops: Vec<String> = reqs
        .iter()
        .map(|q| format!("{} {}", q.method, q.path()))
        .collect();
    for want in [
        "GET {UP}",
        "GET {UP}/v0.1",
        "GET {UP}/permalink/latest",
        "POST {UP}",
        "PUT {UP}/v0.1",
        "DELETE {UP}/v0.1",
    ] {
        let want = want.replace("{UP}", UP);
        assert!(
            ops.contains(&want),
            "{root}: {want} never reached GitLab: {ops:?}"
        );
    }
}

#[tokio::test]
async fn every_route_at_the_github_com_layout() {
    every_route_at("").await;
}

#[tokio::test]
async fn every_route_at_the_enterprise_layout() {
    every_route_at("/api/v3").await;
}

// ------------------------------------------------------------------ percent-encoding

#[tokio::test]
async fn mapped_nested_project_is_one_encoded_segment() {
    let up = "/api/v4/projects/group%2Fsub%2Fproj/releases";
    let fake = FakeUpstream::builder()
        .route("GET", up, Reply::json(200, &json!([gl_release("v1")])))
        .route(
            "GET",
            &format!("{up}/v1"),
            Reply::json(200, &gl_release("v1")),
        )
        .start()
        .await;
    let gw =
        TestGateway::start_with(&fake.url(), "[projects]\n\"o/r\" = \"group/sub/proj\"\n").await;
    let r = get(&format!("{}/repos/o/r/releases", gw.url)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let list = release_list_of(&r);
    // Ids are those of the upstream project; URLs keep the client's owner/repo.
    let id = synthetic_id("group/sub/proj", "v1");
    assert_eq!(list[0]["id"], json!(id));
    assert_eq!(
        list[0]["url"],
        json!(format!("{}/repos/o/r/releases/{id}", gw.url))
    );
    let r = get(&format!("{}/repos/o/r/releases/{id}", gw.url)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(release_of(&r)["tag_name"], "v1");
    let reqs = fake.requests();
    let paths: Vec<&str> = reqs.iter().map(|q| q.path_and_query.as_str()).collect();
    assert_eq!(
        paths,
        [format!("{up}?page=1&per_page=30"), format!("{up}/v1")]
    );
    check_upstream(&reqs);
}

/// Gets `client_path` (under /repos/o/r/releases/) from a gateway whose GitLab answers any
/// `GET {UP}/...` with a release tagged `tag`; returns the response and the upstream path.
async fn get_tag(client_path: &str, tag: &str) -> (Value, String) {
    let (fake, gw) = one_route(
        "GET",
        &format!("{UP}/*"),
        Reply::json(200, &gl_release(tag)),
    )
    .await;
    let r = get(&format!("{}/repos/o/r/releases/{client_path}", gw.url)).await;
    assert_eq!(r.status, 200, "{client_path}: {}", r.text());
    let v = release_of(&r);
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 1, "{client_path}");
    check_upstream(&reqs);
    (v, reqs[0].path_and_query.clone())
}

#[tokio::test]
async fn slash_tag_reaches_gitlab_as_one_segment() {
    for client in [
        "tags/release/1.0",
        "tags/release%2F1.0",
        "tags/release%2f1.0",
    ] {
        let (v, upstream) = get_tag(client, "release/1.0").await;
        assert_eq!(upstream, format!("{UP}/release%2F1.0"), "{client}");
        assert_eq!(v["tag_name"], "release/1.0", "{client}");
        assert_eq!(v["id"], json!(synthetic_id("o/r", "release/1.0")));
    }
}

#[tokio::test]
async fn slash_tag_update_by_id_is_one_segment() {
    let tag = "release/1.0";
    let fake = FakeUpstream::builder()
        .route("GET", UP, Reply::json(200, &json!([gl_release(tag)])))
        .route(
            "PUT",
            &format!("{UP}/release%2F1.0"),
            Reply::json(200, &gl_release(tag)),
        )
        .start()
        .await;
    let gw = TestGateway::start(&fake.url()).await;
    let url = format!("{}/repos/o/r/releases/{}", gw.url, synthetic_id("o/r", tag));
    let r = call("PATCH", &url, &[JSON], r#"{"body":"notes"}"#).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(release_of(&r)["tag_name"], tag);
    let reqs = fake.requests();
    assert_eq!(
        reqs.last().expect("a request").path_and_query,
        format!("{UP}/release%2F1.0")
    );
    assert_eq!(
        reqs.last().expect("a request").json(),
        json!({"description": "notes"})
    );
    check_upstream(&reqs);
}

#[tokio::test]
async fn plus_tag_is_encoded_not_read_as_space() {
    for client in ["tags/v1.0+build", "tags/v1.0%2Bbuild"] {
        let (v, upstream) = get_tag(client, "v1.0+build").await;
        assert_eq!(upstream, format!("{UP}/v1.0%2Bbuild"), "{client}");
        assert_eq!(v["tag_name"], "v1.0+build", "{client}");
    }
}

#[tokio::test]
async fn space_and_unicode_tag_round_trips() {
    let (v, upstream) = get_tag("tags/v1%20%C3%BCn%C3%AF", "v1 ünï").await;
    assert_eq!(upstream, format!("{UP}/v1%20%C3%BCn%C3%AF"));
    assert_eq!(v["tag_name"], "v1 ünï");
}

#[tokio::test]
async fn dot_dot_tag_cannot_escape_the_releases_segment() {
    for (client, tag, want) in [
        ("tags/../../users", "../../users", "..%2F..%2Fusers"),
        (
            "tags/%2E%2E%2F%2E%2E%2Fusers",
            "../../users",
            "..%2F..%2Fusers",
        ),
        ("tags/..", "..", "%2E%2E"),
    ] {
        let (v, upstream) = get_tag(client, tag).await;
        assert_eq!(upstream, format!("{UP}/{want}"), "{client}");
        let rest = upstream
            .strip_prefix(&format!("{UP}/"))
            .expect("under /releases/");
        assert!(
            !rest.contains('/'),
            "{client}: more than one segment after /releases/: {upstream}"
        );
        assert_eq!(v["tag_name"], tag, "{client}");
    }
}

// ------------------------------------------------------------------ statuses, Location, ids

#[tokio::test]
async fn create_is_201_with_location_of_the_release_url() {
    let (fake, gw) = one_route("POST", UP, Reply::json(201, &gl_release("v2.0"))).await;
    let r = call(
        "POST",
        &format!("{}/repos/o/r/releases", gw.url),
        &[JSON],
        r#"{"tag_name":"v2.0"}"#,
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let v = release_of(&r);
    let url = format!(
        "{}/repos/o/r/releases/{}",
        gw.url,
        synthetic_id("o/r", "v2.0")
    );
    assert_eq!(v["url"], json!(url));
    assert_eq!(r.header("location"), Some(url.as_str()));
    // The new release is addressable by that URL.
    let fake_reqs = fake.requests();
    check_upstream(&fake_reqs);
    assert_eq!(fake_reqs[0].json(), json!({"tag_name": "v2.0"}));
}

#[tokio::test]
async fn delete_by_tag_resolved_id_is_204_without_body() {
    let fake = FakeUpstream::builder()
        .route("GET", UP, Reply::json(200, &json!([gl_release("v9")])))
        .route(
            "DELETE",
            &format!("{UP}/v9"),
            Reply::json(200, &gl_release("v9")),
        )
        .start()
        .await;
    let gw = TestGateway::start(&fake.url()).await;
    let r = call(
        "DELETE",
        &format!(
            "{}/repos/o/r/releases/{}",
            gw.url,
            synthetic_id("o/r", "v9")
        ),
        &[],
        "",
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.text());
    assert!(r.body.is_empty());
    assert_eq!(r.header("content-length").unwrap_or("0"), "0");
    let reqs = fake.requests();
    assert_eq!(reqs.iter().filter(|q| q.method == "DELETE").count(), 1);
    check_upstream(&reqs);
}

#[tokio::test]
async fn client_request_id_is_forwarded_and_echoed() {
    let (fake, gw) = one_route("GET", UP, Reply::json(200, &json!([]))).await;
    let r = call(
        "GET",
        &format!("{}/repos/o/r/releases", gw.url),
        &[("X-Request-Id", "abc-123_x.y:z")],
        "",
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(release_list_of(&r), json!([]));
    assert_eq!(r.header("x-request-id"), Some("abc-123_x.y:z"));
    // Where GitHub names a request, for clients that log it (octokit).
    assert_eq!(r.header("x-github-request-id"), Some("abc-123_x.y:z"));
    let reqs = fake.requests();
    assert_eq!(reqs[0].header_all("x-request-id"), ["abc-123_x.y:z"]);
    check_upstream(&reqs);
}

/// The upstream's validators describe the upstream's representation, not the
/// translated one: a client's conditional headers do not go upstream, the
/// answer is a full 200, and the upstream's `ETag` and `Last-Modified` are not
/// handed to the client.
#[tokio::test]
async fn conditional_get_gets_the_whole_translated_answer() {
    let (fake, gw) = one_route(
        "GET",
        UP,
        Reply::json(200, &json!([gl_release("v1.0")]))
            .with_header("ETag", "W/\"gl-7\"")
            .with_header("Last-Modified", "Tue, 03 Nov 2026 10:00:00 GMT"),
    )
    .await;
    let r = call(
        "GET",
        &format!("{}/repos/o/r/releases", gw.url),
        &[
            ("If-None-Match", "W/\"gl-7\""),
            ("If-Modified-Since", "Tue, 03 Nov 2026 10:00:00 GMT"),
        ],
        "",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let list = release_list_of(&r);
    assert_eq!(list[0]["tag_name"], "v1.0");
    assert_eq!(r.header("etag"), None);
    assert_eq!(r.header("last-modified"), None);
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].header("if-none-match"), None);
    assert_eq!(reqs[0].header("if-modified-since"), None);
    check_upstream(&reqs);
}

#[tokio::test]
async fn request_id_is_generated_when_absent_or_unusable() {
    let (fake, gw) = one_route("GET", UP, Reply::json(200, &json!([]))).await;
    let url = format!("{}/repos/o/r/releases", gw.url);
    let a = call("GET", &url, &[], "").await;
    let b = call("GET", &url, &[("X-Request-Id", "has spaces\tand tabs")], "").await;
    let reqs = fake.requests();
    check_upstream(&reqs);
    let mut seen = Vec::new();
    for (r, q) in [(&a, &reqs[0]), (&b, &reqs[1])] {
        assert_eq!(r.status, 200);
        release_list_of(r);
        let id = r.header("x-request-id").expect("a generated request id");
        assert!(!id.is_empty() && !id.contains(' '), "{id:?}");
        assert_eq!(r.header("x-github-request-id"), Some(id));
        assert_eq!(q.header_all("x-request-id"), [id], "the same id upstream");
        seen.push(id.to_owned());
    }
    assert_ne!(seen[0], seen[1], "each request gets its own id");
}

// ------------------------------------------------------------------ paging

#[tokio::test]
async fn page_query_is_translated_and_clamped() {
    for (client_q, upstream_q) in [
        ("?per_page=100&page=3", "page=3&per_page=100"),
        ("?page=3&per_page=100", "page=3&per_page=100"),
        ("?per_page=500", "page=1&per_page=100"),
        ("", "page=1&per_page=30"),
        ("?page=2", "page=2&per_page=30"),
    ] {
        let (fake, gw) = one_route("GET", UP, Reply::json(200, &json!([]))).await;
        let r = get(&format!("{}/repos/o/r/releases{client_q}", gw.url)).await;
        assert_eq!(r.status, 200, "{client_q}: {}", r.text());
        release_list_of(&r);
        let reqs = fake.requests();
        assert_eq!(reqs.len(), 1);
        assert_eq!(reqs[0].query(), Some(upstream_q), "{client_q}");
        check_upstream(&reqs);
    }
}

/// The response headers and body must not name the upstream anywhere.
fn assert_no_upstream(r: &Resp, fake: &FakeUpstream) {
    let host = fake.addr().to_string();
    for (k, v) in &r.headers {
        let v = v.to_str().unwrap_or("");
        assert!(
            !v.contains(&host) && !v.contains("gitlab.example"),
            "{k}: {v} names the upstream"
        );
        assert!(
            !k.as_str().starts_with("x-next") && !k.as_str().starts_with("x-total"),
            "GitLab header {k} leaked"
        );
    }
    assert!(
        !r.text().contains(&host),
        "the body names the upstream: {}",
        r.text()
    );
}

#[tokio::test]
async fn link_is_rebuilt_from_gitlab_paging_headers() {
    let up_link = |p: u32, rel: &str| {
        format!("<http://gitlab.example.com{UP}?id=o%2Fr&page={p}&per_page=30>; rel=\"{rel}\"")
    };
    let link = [
        up_link(2, "prev"),
        up_link(4, "next"),
        up_link(1, "first"),
        up_link(5, "last"),
    ]
    .join(", ");
    let (fake, gw) = one_route(
        "GET",
        UP,
        Reply::json(200, &json!([gl_release("v3")]))
            .with_header("X-Page", "3")
            .with_header("X-Per-Page", "30")
            .with_header("X-Next-Page", "4")
            .with_header("X-Prev-Page", "2")
            .with_header("X-Total-Pages", "5")
            .with_header("X-Total", "150")
            .with_header("Link", &link),
    )
    .await;
    let r = get(&format!("{}/repos/o/r/releases?page=3", gw.url)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    release_list_of(&r);
    let got = r.header("link").expect("Link");
    let base = format!("{}/repos/o/r/releases", gw.url);
    let mut rels: Vec<String> = got.split(", ").map(str::to_owned).collect();
    rels.sort();
    let mut want = vec![
        format!("<{base}?page=1>; rel=\"first\""),
        format!("<{base}?page=2>; rel=\"prev\""),
        format!("<{base}?page=4>; rel=\"next\""),
        format!("<{base}?page=5>; rel=\"last\""),
    ];
    want.sort();
    assert_eq!(rels, want, "{got}");
    assert_no_upstream(&r, &fake);
    check_upstream(&fake.requests());
}

#[tokio::test]
async fn head_gets_the_get_answers_head_and_no_body() {
    let missing = format!("{UP}/v9");
    let fake = FakeUpstream::builder()
        .route(
            "GET",
            UP,
            Reply::json(200, &json!([gl_release("v2"), gl_release("v1")]))
                .with_header("X-Page", "1")
                .with_header("X-Per-Page", "2")
                .with_header("X-Next-Page", "2")
                .with_header("X-Total-Pages", "3")
                .with_header("X-Total", "6"),
        )
        .route(
            "GET",
            &missing,
            Reply::json(404, &json!({"message": "404 Not found"})),
        )
        .start()
        .await;
    let gw = TestGateway::start(&fake.url()).await;
    let auth = [("Authorization", "token glpat-abc")];

    let (head, get) = head_then_get(gw.addr, "/repos/o/r/releases?per_page=2", &auth).await;
    assert_eq!(get.status, 200, "{get:?}");
    let list: Value = serde_json::from_slice(&get.body).expect("GET body is JSON");
    schema::github_release_list(&list).expect("GitHub release list");
    assert_eq!(list.as_array().map(Vec::len), Some(2));
    assert_eq!(head.status, 200, "{head:?}");
    // Nothing between the HEAD answer's head and the GET answer: the
    // connection stays in step.
    assert!(
        head.body.is_empty(),
        "HEAD answer carried {} body bytes",
        head.body.len()
    );
    let get_len = get.body.len().to_string();
    assert_eq!(head.header("content-length"), Some(get_len.as_str()));
    for name in ["content-type", "link"] {
        assert_eq!(head.header(name), get.header(name), "{name}");
    }
    assert!(
        head.header("link")
            .is_some_and(|l| l.contains("rel=\"next\"")),
        "{head:?}"
    );
    // GitLab was asked with GET both times, with the client's token moved.
    let reqs = fake.requests();
    assert_eq!(
        reqs.iter().map(|r| r.method.as_str()).collect::<Vec<_>>(),
        ["GET", "GET"]
    );
    for r in &reqs {
        assert_eq!(r.path(), UP);
        assert_eq!(r.header("private-token"), Some("glpat-abc"));
    }
    check_upstream(&reqs);

    // A missing release: the GitHub 404's head, without its body.
    let (head, get) = head_then_get(gw.addr, "/repos/o/r/releases/tags/v9", &auth).await;
    assert_eq!(get.status, 404, "{get:?}");
    let err: Value = serde_json::from_slice(&get.body).expect("GET body is JSON");
    schema::github_basic_error(&err).expect("GitHub basic error");
    assert_eq!(head.status, 404, "{head:?}");
    assert!(head.body.is_empty(), "{head:?}");
    let get_len = get.body.len().to_string();
    assert_eq!(head.header("content-length"), Some(get_len.as_str()));
    assert_eq!(fake.requests().len(), 4);
}

#[tokio::test]
async fn link_keeps_the_clients_per_page_and_other_params() {
    let (fake, gw) = one_route(
        "GET",
        UP,
        Reply::json(200, &json!([gl_release("v1")]))
            .with_header("X-Next-Page", "2")
            .with_header("X-Total-Pages", "7"),
    )
    .await;
    let r = get(&format!(
        "{}/api/v3/repos/o/r/releases?per_page=500",
        gw.url
    ))
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    release_list_of(&r);
    let link = r.header("link").expect("Link");
    let base = format!("{}/api/v3/repos/o/r/releases", gw.url);
    // First page: next and last only; per_page as the client gave it (GitHub clamps silently).
    assert!(
        link.contains(&format!("<{base}?per_page=500&page=2>; rel=\"next\"")),
        "{link}"
    );
    assert!(
        link.contains(&format!("<{base}?per_page=500&page=7>; rel=\"last\"")),
        "{link}"
    );
    assert!(
        !link.contains("rel=\"prev\"") && !link.contains("rel=\"first\""),
        "{link}"
    );
    assert_no_upstream(&r, &fake);
    let reqs = fake.requests();
    assert_eq!(reqs[0].query(), Some("page=1&per_page=100"));
    check_upstream(&reqs);
}

#[tokio::test]
async fn link_is_rebuilt_from_a_gitlab_link_header_alone() {
    // Keyset-style answers carry only `Link`, with GitLab's host and parameters.
    let link = format!(
        "<http://gitlab.example.com{UP}?page=2&per_page=30>; rel=\"next\", <http://gitlab.example.com{UP}?page=3&per_page=30>; rel=\"last\""
    );
    let (fake, gw) = one_route(
        "GET",
        UP,
        Reply::json(200, &json!([gl_release("v1")])).with_header("Link", &link),
    )
    .await;
    let r = get(&format!("{}/repos/o/r/releases", gw.url)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    release_list_of(&r);
    let got = r.header("link").expect("Link");
    let base = format!("{}/repos/o/r/releases", gw.url);
    assert!(
        got.contains(&format!("<{base}?page=2>; rel=\"next\"")),
        "{got}"
    );
    assert!(
        got.contains(&format!("<{base}?page=3>; rel=\"last\"")),
        "{got}"
    );
    assert!(
        !got.contains("rel=\"prev\"") && !got.contains("rel=\"first\""),
        "{got}"
    );
    assert_no_upstream(&r, &fake);
    check_upstream(&fake.requests());
}

#[tokio::test]
async fn last_page_has_no_next() {
    let (fake, gw) = one_route(
        "GET",
        UP,
        Reply::json(200, &json!([gl_release("v1")]))
            .with_header("X-Next-Page", "")
            .with_header("X-Prev-Page", "4")
            .with_header("X-Total-Pages", "5"),
    )
    .await;
    let r = get(&format!("{}/repos/o/r/releases?page=5", gw.url)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    release_list_of(&r);
    let link = r.header("link").expect("Link");
    let base = format!("{}/repos/o/r/releases", gw.url);
    assert!(!link.contains("rel=\"next\""), "{link}");
    assert!(
        link.contains(&format!("<{base}?page=4>; rel=\"prev\"")),
        "{link}"
    );
    assert!(
        link.contains(&format!("<{base}?page=1>; rel=\"first\"")),
        "{link}"
    );
    assert_no_upstream(&r, &fake);
    check_upstream(&fake.requests());
}

// ------------------------------------------------------------------ headers and auth

#[tokio::test]
async fn rate_limit_headers_get_github_names() {
    let (fake, gw) = one_route(
        "GET",
        &format!("{UP}/v1"),
        Reply::json(200, &gl_release("v1"))
            .with_header("RateLimit-Limit", "600")
            .with_header("RateLimit-Remaining", "599")
            .with_header("RateLimit-Reset", "1700000000"),
    )
    .await;
    let r = get(&format!("{}/repos/o/r/releases/tags/v1", gw.url)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    release_of(&r);
    assert_eq!(r.header("x-ratelimit-limit"), Some("600"));
    assert_eq!(r.header("x-ratelimit-remaining"), Some("599"));
    assert_eq!(r.header("x-ratelimit-reset"), Some("1700000000"));
    assert_eq!(
        r.header("ratelimit-remaining"),
        None,
        "GitLab's own name is not passed through"
    );
    check_upstream(&fake.requests());
}

#[tokio::test]
async fn token_and_bearer_in_any_case_become_private_token() {
    let (fake, gw) = one_route("GET", UP, Reply::json(200, &json!([]))).await;
    let cases = [
        "token t0k",
        "Bearer t0k",
        "bearer t0k",
        "TOKEN t0k",
        "BeArEr t0k",
        "Token  t0k ",
    ];
    for authz in cases {
        let r = call(
            "GET",
            &format!("{}/repos/o/r/releases", gw.url),
            &[("Authorization", authz)],
            "",
        )
        .await;
        assert_eq!(r.status, 200, "{authz}: {}", r.text());
        release_list_of(&r);
    }
    let reqs = fake.requests();
    assert_eq!(reqs.len(), cases.len());
    for (q, authz) in reqs.iter().zip(cases) {
        assert_eq!(q.header_all("private-token"), ["t0k"], "{authz}");
        assert!(
            q.header("authorization").is_none(),
            "{authz}: Authorization forwarded"
        );
    }
    check_upstream(&reqs);
}

#[tokio::test]
async fn no_auth_no_private_token_and_client_headers_stay_behind() {
    let (fake, gw) = one_route("GET", UP, Reply::json(200, &json!([]))).await;
    let url = format!("{}/repos/o/r/releases", gw.url);
    let r = get(&url).await;
    assert_eq!(r.status, 200);
    // Headers a GitHub client might send that must never reach GitLab: cookies, a scheme the
    // gateway does not translate, and a GitLab credential header smuggled by the client.
    let r2 = call(
        "GET",
        &url,
        &[
            ("Cookie", "session=abc"),
            ("Authorization", "Basic dXNlcjpwYXNz"),
            ("PRIVATE-TOKEN", "smuggled"),
            ("X-Custom", "1"),
        ],
        "",
    )
    .await;
    assert_eq!(r2.status, 200);
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 2);
    for q in &reqs {
        for h in [
            "private-token",
            "job-token",
            "authorization",
            "cookie",
            "x-custom",
        ] {
            assert!(q.header(h).is_none(), "{h} reached GitLab: {:?}", q.headers);
        }
    }
    check_upstream(&reqs);
}

// ------------------------------------------------------------------ what GitLab cannot hold

#[tokio::test]
async fn draft_create_is_refused_naming_gitlab_and_nothing_is_sent() {
    let fake = FakeUpstream::builder()
        .fallback(Reply::json(201, &gl_release("v1")))
        .start()
        .await;
    let gw = TestGateway::start(&fake.url()).await;
    let r = call(
        "POST",
        &format!("{}/repos/o/r/releases", gw.url),
        &[JSON],
        r#"{"tag_name":"v1","draft":true}"#,
    )
    .await;
    assert_eq!(r.status, 501, "{}", r.text());
    let v = r.json();
    schema::github_basic_error(&v).expect("GitHub basic error");
    let msg = v["message"].as_str().expect("message");
    assert!(msg.contains("GitLab") && msg.contains("draft"), "{msg}");
    assert_eq!(
        fake.request_count(),
        0,
        "a refused request must not reach GitLab"
    );
}

/// What a GitHub client asks GitHub to do besides storing the release (write its
/// notes, open a discussion, keep it from being the latest) is refused where the
/// upstream does none of it, rather than dropped: a release without the notes asked
/// for would be a silent wrong answer. Asked for what the upstream does anyway
/// (no notes, the newest as the latest), nothing is in the way. Passed through to
/// GitHub.
#[tokio::test]
async fn generated_notes_and_a_discussion_are_refused_where_the_upstream_has_neither() {
    for (upstream, forge) in [
        ("gitlab", "GitLab"),
        ("gitea", "Gitea"),
        ("sentry", "Sentry"),
        ("dolthub", "DoltHub"),
    ] {
        let fake = FakeUpstream::builder().start().await;
        let gw = TestGateway::start_pair("github", upstream, &fake.url(), "").await;
        let url = format!("{}/repos/o/r/releases", gw.url);
        for body in [
            r#"{"tag_name":"v1","generate_release_notes":true}"#,
            r#"{"tag_name":"v1","discussion_category_name":"Announcements"}"#,
            r#"{"tag_name":"v1","make_latest":"false"}"#,
        ] {
            let r = call("POST", &url, &[JSON], body).await;
            assert_eq!(r.status, 501, "{upstream} {body}: {}", r.text());
            let v = r.json();
            schema::github_basic_error(&v).expect("GitHub basic error");
            let msg = v["message"].as_str().unwrap_or_default();
            assert!(
                msg.starts_with(&format!(
                    "the upstream ({forge}) cannot create this release: {forge}"
                )),
                "{msg}"
            );
        }
        assert_eq!(fake.request_count(), 0, "{upstream}");
    }
    // Not asked for: created as any release.
    let body = r#"{"tag_name":"v1","generate_release_notes":false,"make_latest":"true"}"#;
    let (fake, r) = created_through("gitlab", gl_release("v1"), body).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let sent = fake.requests();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].json(), json!({"tag_name": "v1"}));
    // Between two GitHub sides, GitHub does what was asked.
    let body = r#"{"tag_name":"v1","generate_release_notes":true,"discussion_category_name":"Announcements"}"#;
    let (fake, r) = created_through("github", json!({"id": 1}), body).await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(fake.requests()[0].body_text(), body);
}

/// A GitHub client's create of `body` through the gateway, in front of a fake
/// `upstream` answering `answer` with 201: the fake, and the client's answer.
async fn created_through(upstream: &str, answer: Value, body: &str) -> (FakeUpstream, Resp) {
    let fake = FakeUpstream::builder()
        .fallback(Reply::json(201, &answer))
        .start()
        .await;
    let gw = TestGateway::start_pair("github", upstream, &fake.url(), "").await;
    let url = format!("{}/repos/o/r/releases", gw.url);
    let r = call("POST", &url, &[JSON], body).await;
    (fake, r)
}

#[tokio::test]
async fn draft_update_is_refused_and_no_put_is_sent() {
    let fake = FakeUpstream::builder()
        .route("GET", UP, Reply::json(200, &json!([gl_release("v1")])))
        .fallback(Reply::json(200, &gl_release("v1")))
        .start()
        .await;
    let gw = TestGateway::start(&fake.url()).await;
    let url = format!(
        "{}/repos/o/r/releases/{}",
        gw.url,
        synthetic_id("o/r", "v1")
    );
    let r = call("PATCH", &url, &[JSON], r#"{"draft":true}"#).await;
    assert_eq!(r.status, 501, "{}", r.text());
    let v = r.json();
    schema::github_basic_error(&v).expect("GitHub basic error");
    assert!(
        v["message"].as_str().expect("message").contains("GitLab"),
        "{v}"
    );
    let reqs = fake.requests();
    assert!(
        reqs.iter().all(|q| q.method == "GET"),
        "only the id lookup may reach GitLab: {reqs:#?}"
    );
    check_upstream(&reqs);
}

#[tokio::test]
async fn changing_the_tag_is_refused_and_no_put_is_sent() {
    let fake = FakeUpstream::builder()
        .route("GET", UP, Reply::json(200, &json!([gl_release("v1")])))
        .fallback(Reply::json(200, &gl_release("v1")))
        .start()
        .await;
    let gw = TestGateway::start(&fake.url()).await;
    let url = format!(
        "{}/repos/o/r/releases/{}",
        gw.url,
        synthetic_id("o/r", "v1")
    );
    // Not cached: the id is resolved by listing, then refused.
    let r = call("PATCH", &url, &[JSON], r#"{"tag_name":"v2"}"#).await;
    assert_eq!(r.status, 501, "{}", r.text());
    let v = r.json();
    schema::github_basic_error(&v).expect("GitHub basic error");
    let msg = v["message"].as_str().expect("message");
    assert!(msg.contains("GitLab") && msg.contains("tag"), "{msg}");
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 1, "{reqs:#?}");
    assert_eq!(reqs[0].method, "GET");
    // Cached now: refused without any upstream call.
    let r = call("PATCH", &url, &[JSON], r#"{"tag_name":"v2","name":"x"}"#).await;
    assert_eq!(r.status, 501, "{}", r.text());
    assert_eq!(fake.request_count(), 1, "{:#?}", fake.requests());
    // The same tag is not a change.
    let r = call("PATCH", &url, &[JSON], r#"{"tag_name":"v1","name":"x"}"#).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let put = fake.last_request().expect("a PUT");
    assert_eq!(put.method, "PUT");
    assert_eq!(put.json(), json!({"name": "x"}));
    check_upstream(&fake.requests());
}

#[tokio::test]
async fn prerelease_is_dropped_on_create() {
    let (fake, gw) = one_route("POST", UP, Reply::json(201, &gl_release("v1-rc1"))).await;
    let body = r#"{"tag_name":"v1-rc1","prerelease":true,"draft":false,"target_commitish":"main"}"#;
    let r = call(
        "POST",
        &format!("{}/repos/o/r/releases", gw.url),
        &[JSON],
        body,
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text());
    // Lossy (documented): GitLab keeps no prerelease flag, so it reads back as false.
    assert_eq!(release_of(&r)["prerelease"], json!(false));
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].json(), json!({"tag_name": "v1-rc1", "ref": "main"}));
    check_upstream(&reqs);
}

#[tokio::test]
async fn wrong_json_types_are_422_naming_the_github_field() {
    let fake = FakeUpstream::builder()
        .fallback(Reply::json(201, &gl_release("v1")))
        .start()
        .await;
    let gw = TestGateway::start(&fake.url()).await;
    let create = format!("{}/repos/o/r/releases", gw.url);
    let update = format!(
        "{}/repos/o/r/releases/{}",
        gw.url,
        synthetic_id("o/r", "v1")
    );
    for (method, url, body, field, code) in [
        ("POST", &create, r#"{"tag_name": 5}"#, "tag_name", "invalid"),
        (
            "POST",
            &create,
            r#"{"tag_name":"v1","draft":"yes"}"#,
            "draft",
            "invalid",
        ),
        (
            "POST",
            &create,
            r#"{"tag_name":"v1","prerelease":1}"#,
            "prerelease",
            "invalid",
        ),
        (
            "POST",
            &create,
            r#"{"name":"no tag"}"#,
            "tag_name",
            "missing_field",
        ),
        ("PATCH", &update, r#"{"name": 5}"#, "name", "invalid"),
        ("PATCH", &update, r#"{"body": ["a"]}"#, "body", "invalid"),
    ] {
        let r = call(method, url, &[JSON], body).await;
        assert_eq!(r.status, 422, "{body}: {}", r.text());
        let v = r.json();
        schema::github_validation_error(&v).unwrap_or_else(|e| panic!("{body}: {e}"));
        assert_eq!(v["message"], "Validation Failed", "{body}");
        assert_eq!(v["errors"][0]["field"], field, "{body}: {v}");
        assert_eq!(v["errors"][0]["code"], code, "{body}: {v}");
        assert_eq!(v["errors"][0]["resource"], "Release", "{body}: {v}");
    }
    assert_eq!(fake.request_count(), 0, "{:#?}", fake.requests());
}

#[tokio::test]
async fn malformed_json_is_400_and_nothing_is_sent() {
    let fake = FakeUpstream::builder()
        .fallback(Reply::json(201, &gl_release("v1")))
        .start()
        .await;
    let gw = TestGateway::start(&fake.url()).await;
    for body in [r#"{"tag_name": "v1""#, "[1, 2]", "not json"] {
        let r = call(
            "POST",
            &format!("{}/repos/o/r/releases", gw.url),
            &[JSON],
            body,
        )
        .await;
        assert_eq!(r.status, 400, "{body}: {}", r.text());
        let v = r.json();
        schema::github_basic_error(&v).unwrap_or_else(|e| panic!("{body}: {e}"));
        let msg = v["message"].as_str().expect("message");
        assert!(msg.starts_with("Problems parsing JSON"), "{body}: {msg}");
    }
    assert_eq!(fake.request_count(), 0, "{:#?}", fake.requests());
}

/// GitHub clients send `"name": null` / `"body": null` (the gateway accepts them: nullable in
/// the GitHub mapping), but GitLab's API declares both as strings. Whatever the gateway makes of
/// a null (drop it, or an empty string), what reaches GitLab must fit GitLab's schema.
#[tokio::test]
async fn null_name_and_body_reach_gitlab_schema_valid() {
    let fake = FakeUpstream::builder()
        .route("GET", UP, Reply::json(200, &json!([gl_release("v1")])))
        .fallback(Reply::json(201, &gl_release("v1")))
        .start()
        .await;
    let gw = TestGateway::start(&fake.url()).await;
    let create = format!("{}/repos/o/r/releases", gw.url);
    let update = format!(
        "{}/repos/o/r/releases/{}",
        gw.url,
        synthetic_id("o/r", "v1")
    );
    for (method, url, body) in [
        (
            "POST",
            &create,
            r#"{"tag_name":"v1","name":null,"body":null}"#,
        ),
        ("PATCH", &update, r#"{"name":null}"#),
        ("PATCH", &update, r#"{"body":null}"#),
    ] {
        let n = fake.request_count();
        let r = call(method, url, &[JSON], body).await;
        let sent: Vec<Recorded> = fake
            .requests()
            .into_iter()
            .skip(n)
            .filter(|q| q.method != "GET")
            .collect();
        match r.status {
            200 | 201 => {
                release_of(&r);
                assert_eq!(sent.len(), 1, "{body}");
                let b = sent[0].json();
                let ok = if method == "POST" {
                    schema::gitlab_create_request(&b)
                } else {
                    schema::gitlab_update_request(&b)
                };
                if let Err(e) = ok {
                    panic!("{method} {body} reached GitLab as {b}: {e}");
                }
            }
            422 => {
                schema::github_validation_error(&r.json()).expect("GitHub validation error");
                assert!(sent.is_empty(), "{body}: refused but sent {sent:#?}");
            }
            s => panic!("{method} {body}: unexpected {s}: {}", r.text()),
        }
    }
}
