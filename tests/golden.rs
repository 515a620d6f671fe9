//! Golden tests built from the literal examples of the seed docs.
//!
//! GitLab answers (seeds/004, `tests/fixtures/gitlab/`) go in through the fake upstream; the
//! GitHub body the gateway returns is compared, whole, with `tests/golden/<name>.json`. The
//! gateway's ephemeral base URL is replaced by `http://gateway.test` before comparing.
//!
//! The golden files were generated once from the gateway's output and then read by hand against
//! the field mapping (see the report in each test). To regenerate after a deliberate mapping
//! change: `FORGEBRIDGE_BLESS=1 cargo test --test golden`, then review the diff by hand.
//!
//! The other direction: the literal GitHub create/edit examples (seeds/002) must reach GitLab as
//! exactly the documented GitLab request bodies.

mod support;

use forgebridge::canonical::synthetic_id;
use serde_json::{json, Value};
use std::path::PathBuf;
use support::fake::{FakeUpstream, Recorded, Reply};
use support::gateway::{call, get, Resp, TestGateway};
use support::{fixtures, schema};

/// What the gateway's base URL becomes in the golden files.
const GATEWAY: &str = "http://gateway.test";
/// What the upstream's base URL becomes in the golden files: it appears only in `html_url`,
/// derived as the GitLab web page of a release whose GitLab answer has no `_links.self`.
const UPSTREAM: &str = "http://gitlab.test";
/// The GitLab releases collection of project `o/r`.
const UP_RELEASES: &str = "/api/v4/projects/o%2Fr/releases";

fn golden_path(name: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden")).join(format!("{name}.json"))
}

/// The response body as JSON, with the gateway's ephemeral base URL replaced by [`GATEWAY`] and
/// the fake upstream's by [`UPSTREAM`]. Also checks that neither address is left anywhere else.
fn normalised(r: &Resp, gw: &TestGateway, fake: &FakeUpstream) -> Value {
    let text = String::from_utf8(r.body.to_vec()).expect("UTF-8 body");
    let text = text
        .replace(&gw.url, GATEWAY)
        .replace(&fake.url(), UPSTREAM);
    assert!(
        !text.contains(&gw.addr.to_string()),
        "the gateway address is still in the body: {text}"
    );
    assert!(
        !text.contains(&fake.addr().to_string()),
        "the upstream address leaked into the body: {text}"
    );
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("response is not JSON ({e}): {text}"))
}

/// Compares `actual` with `tests/golden/<name>.json` (or writes it under FORGEBRIDGE_BLESS=1).
fn assert_golden(name: &str, actual: &Value) {
    let path = golden_path(name);
    if std::env::var_os("FORGEBRIDGE_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().expect("golden dir")).expect("create tests/golden");
        let mut text = serde_json::to_string_pretty(actual).expect("serialize");
        text.push('\n');
        std::fs::write(&path, text).expect("write golden file");
        return;
    }
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {} ({e}); generate it with FORGEBRIDGE_BLESS=1 and review it by hand",
            path.display()
        )
    });
    let expected: Value = serde_json::from_str(&text).expect("golden file is JSON");
    assert!(
        *actual == expected,
        "{name}: the gateway's output differs from {}\n--- expected\n{}\n--- actual\n{}",
        path.display(),
        serde_json::to_string_pretty(&expected).expect("serialize"),
        serde_json::to_string_pretty(actual).expect("serialize"),
    );
}

/// Every key of `example` must be in `actual`, at every object level. Where `actual` holds
/// `null` for an object in the example, the path must be in `nullable` (a documented lossy value
/// that the spec allows to be null). Arrays: every element of `actual` is checked against the
/// first element of `example`.
fn assert_keys_cover(
    example: &Value,
    actual: &Value,
    at: &str,
    nullable: &[&str],
    problems: &mut Vec<String>,
) {
    match (example, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (k, ev) in e {
                let here = format!("{at}.{k}");
                match a.get(k) {
                    None => problems.push(format!("{here}: missing")),
                    Some(av) => assert_keys_cover(ev, av, &here, nullable, problems),
                }
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            if let Some(e0) = e.first() {
                for av in a {
                    assert_keys_cover(e0, av, &format!("{at}[]"), nullable, problems);
                }
            }
        }
        (Value::Object(_), Value::Null) if nullable.contains(&at) => {}
        (Value::Object(_) | Value::Array(_), other) => problems.push(format!(
            "{at}: expected {}, got {other}",
            if example.is_object() {
                "an object"
            } else {
                "an array"
            }
        )),
        _ => {}
    }
}

/// The GitHub `required` lists of `release`, `release-asset` and `simple-user`, as an example
/// object whose keys are those names (values only give the nesting).
fn spec_required_keys() -> Value {
    let spec: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/specs/github/releases.openapi.json"
        ))
        .expect("read the GitHub spec"),
    )
    .expect("GitHub spec is JSON");
    let required = |schema: &str| -> Vec<String> {
        spec.pointer(&format!("/components/schemas/{schema}/required"))
            .and_then(Value::as_array)
            .unwrap_or_else(|| panic!("no required list for {schema}"))
            .iter()
            .map(|v| v.as_str().expect("string").to_owned())
            .collect()
    };
    let obj = |keys: Vec<String>, nested: &[(&str, Value)]| {
        let mut m = serde_json::Map::new();
        for k in keys {
            m.insert(k, Value::Null);
        }
        for (k, v) in nested {
            m.insert((*k).to_owned(), v.clone());
        }
        Value::Object(m)
    };
    let user = obj(required("simple-user"), &[]);
    let asset = obj(required("release-asset"), &[("uploader", user.clone())]);
    obj(
        required("release"),
        &[("author", user), ("assets", json!([asset]))],
    )
}

/// The checks every GitHub release the gateway returns must pass: the spec's schema, the keys of
/// the seeds/002 example and of the spec's `required` lists, and the documented lossy values.
fn assert_github_release(r: &Value) {
    if let Err(e) = schema::github_release(r) {
        panic!("not a GitHub release: {e}\n{r:#}");
    }
    // GitLab links have no uploader: `uploader` is null (the spec allows it), not an object.
    let nullable = ["$.assets[].uploader"];
    let mut problems = Vec::new();
    assert_keys_cover(
        &fixtures::load("github/release.json"),
        r,
        "$",
        &nullable,
        &mut problems,
    );
    assert_keys_cover(&spec_required_keys(), r, "$", &nullable, &mut problems);
    assert!(
        problems.is_empty(),
        "keys missing from the GitHub release:\n{}\n{r:#}",
        problems.join("\n")
    );
    // GitLab has neither flag: documented as lossy, both read as false.
    assert_eq!(r["draft"], json!(false), "draft");
    assert_eq!(r["prerelease"], json!(false), "prerelease");
}

/// Checks every request the fake received against GitLab's paths (and bodies against its
/// request schemas).
fn assert_gitlab_requests(reqs: &[Recorded]) {
    for q in reqs {
        if let Err(e) = schema::gitlab_path(&q.method, &q.path_and_query) {
            panic!("not a GitLab releases request: {e}");
        }
        match q.method.as_str() {
            "POST" => schema::gitlab_create_request(&q.json()).expect("GitLab create body"),
            "PUT" => schema::gitlab_update_request(&q.json()).expect("GitLab update body"),
            _ => assert!(
                q.body.is_empty(),
                "{} {} has a body: {}",
                q.method,
                q.path_and_query,
                q.body_text()
            ),
        }
    }
}

fn v01_id() -> u64 {
    synthetic_id("o/r", "v0.1")
}

/// The field mapping read from the GitLab release `gl` for a GitHub release `gh`, checked value
/// by value (independent of the golden files).
fn assert_mapped_from(gh: &Value, gl: &Value, project: &str) {
    let tag = gl["tag_name"].as_str().expect("tag_name");
    let id = synthetic_id(project, tag);
    let api = format!("{GATEWAY}/repos/o/r/releases/{id}");
    assert_eq!(gh["tag_name"], gl["tag_name"]);
    assert_eq!(gh["name"], gl["name"]);
    assert_eq!(gh["body"], gl["description"]);
    assert_eq!(gh["created_at"], gl["created_at"]);
    assert_eq!(gh["published_at"], gl["released_at"]);
    assert_eq!(gh["id"], json!(id));
    assert_eq!(gh["url"], json!(api));
    assert_eq!(gh["assets_url"], json!(format!("{api}/assets")));
    assert_eq!(
        gh["upload_url"],
        json!(format!("{api}/assets{{?name,label}}"))
    );
    assert_eq!(gh["target_commitish"], gl["commit"]["id"]);
    assert_eq!(gh["author"]["login"], gl["author"]["username"]);
    assert_eq!(gh["author"]["id"], gl["author"]["id"]);
    assert_eq!(gh["author"]["avatar_url"], gl["author"]["avatar_url"]);
    assert_eq!(gh["author"]["html_url"], gl["author"]["web_url"]);
    let source = |fmt: &str| {
        gl["assets"]["sources"]
            .as_array()
            .expect("sources")
            .iter()
            .find(|s| s["format"] == fmt)
            .map(|s| s["url"].clone())
            .expect("source")
    };
    assert_eq!(gh["tarball_url"], source("tar.gz"));
    assert_eq!(gh["zipball_url"], source("zip"));
    match gl.pointer("/_links/self") {
        Some(s) => assert_eq!(gh["html_url"], *s),
        // No `_links` (older GitLab): the release's GitLab web page, derived from the upstream.
        None => assert_eq!(
            gh["html_url"],
            json!(format!("{UPSTREAM}/{project}/-/releases/{tag}"))
        ),
    }
    let links = gl["assets"]["links"].as_array().expect("links");
    let assets = gh["assets"].as_array().expect("assets");
    assert_eq!(
        assets.len(),
        links.len(),
        "one GitHub asset per GitLab link"
    );
    for (a, l) in assets.iter().zip(links) {
        assert_eq!(a["id"], l["id"]);
        assert_eq!(a["name"], l["name"]);
        assert_eq!(a["browser_download_url"], l["url"]);
        assert_eq!(
            a["url"],
            json!(format!("{GATEWAY}/repos/o/r/releases/assets/{}", l["id"]))
        );
    }
}

// ------------------------------------------------------------------ GitLab → GitHub responses

#[tokio::test]
async fn golden_list() {
    let list = fixtures::load("gitlab/list_releases.json");
    let fake = FakeUpstream::builder()
        .route("GET", UP_RELEASES, Reply::json(200, &list))
        .start()
        .await;
    let gw = TestGateway::start(&fake.url()).await;
    let r = get(&format!("{}/repos/o/r/releases", gw.url)).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let v = normalised(&r, &gw, &fake);
    schema::github_release_list(&v).expect("GitHub release list");
    let items = v.as_array().expect("array");
    assert_eq!(items.len(), 2);
    for (gh, gl) in items.iter().zip(list.as_array().expect("array")) {
        assert_github_release(gh);
        assert_mapped_from(gh, gl, "o/r");
    }
    assert_golden("list", &v);
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(
        reqs[0].path_and_query,
        format!("{UP_RELEASES}?page=1&per_page=30")
    );
    assert_gitlab_requests(&reqs);
}

#[tokio::test]
async fn golden_get_by_tag() {
    let rel = fixtures::load("gitlab/get_release.json");
    let fake = FakeUpstream::builder()
        .route(
            "GET",
            &format!("{UP_RELEASES}/v0.1"),
            Reply::json(200, &rel),
        )
        .start()
        .await;
    let gw = TestGateway::start(&fake.url()).await;
    let r = get(&format!("{}/repos/o/r/releases/tags/v0.1", gw.url)).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let v = normalised(&r, &gw, &fake);
    assert_github_release(&v);
    assert_mapped_from(&v, &rel, "o/r");
    assert_golden("get_by_tag", &v);
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].method, "GET");
    assert_eq!(reqs[0].path_and_query, format!("{UP_RELEASES}/v0.1"));
    assert_gitlab_requests(&reqs);
}

#[tokio::test]
async fn golden_get_by_id_resolves_the_tag_by_listing() {
    let rel = fixtures::load("gitlab/get_release.json");
    let list = fixtures::load("gitlab/list_releases.json");
    let fake = FakeUpstream::builder()
        .route("GET", UP_RELEASES, Reply::json(200, &list))
        .route(
            "GET",
            &format!("{UP_RELEASES}/v0.1"),
            Reply::json(200, &rel),
        )
        .start()
        .await;
    let gw = TestGateway::start(&fake.url()).await;
    let r = get(&format!("{}/repos/o/r/releases/{}", gw.url, v01_id())).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let v = normalised(&r, &gw, &fake);
    assert_github_release(&v);
    assert_mapped_from(&v, &rel, "o/r");
    // Same upstream release as by tag: the same GitHub release.
    assert_golden("get_by_tag", &v);
    let reqs = fake.requests();
    let paths: Vec<&str> = reqs.iter().map(|q| q.path_and_query.as_str()).collect();
    assert_eq!(
        paths,
        [
            format!("{UP_RELEASES}?page=1&per_page=100"),
            format!("{UP_RELEASES}/v0.1")
        ],
        "one list call to find the tag, then the get"
    );
    assert_gitlab_requests(&reqs);

    // The id is cached now: a second get needs no listing.
    let r = get(&format!("{}/repos/o/r/releases/{}", gw.url, v01_id())).await;
    assert_eq!(r.status, 200);
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 3);
    assert_eq!(reqs[2].path_and_query, format!("{UP_RELEASES}/v0.1"));
}

#[tokio::test]
async fn golden_latest() {
    let rel = fixtures::load("gitlab/get_release.json");
    let fake = FakeUpstream::builder()
        .route(
            "GET",
            &format!("{UP_RELEASES}/permalink/latest"),
            Reply::json(200, &rel),
        )
        .start()
        .await;
    let gw = TestGateway::start(&fake.url()).await;
    let r = get(&format!("{}/repos/o/r/releases/latest", gw.url)).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let v = normalised(&r, &gw, &fake);
    assert_github_release(&v);
    assert_mapped_from(&v, &rel, "o/r");
    assert_golden("latest", &v);
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(
        reqs[0].path_and_query,
        format!("{UP_RELEASES}/permalink/latest")
    );
    assert_gitlab_requests(&reqs);
}

#[tokio::test]
async fn golden_create() {
    let created = fixtures::load("gitlab/create_response.json");
    let fake = FakeUpstream::builder()
        .route("POST", UP_RELEASES, Reply::json(201, &created))
        .start()
        .await;
    let gw = TestGateway::start(&fake.url()).await;
    let body = r#"{"tag_name":"v0.3","name":"New release","body":"Super nice release"}"#;
    let r = call(
        "POST",
        &format!("{}/repos/o/r/releases", gw.url),
        &[("Content-Type", "application/json")],
        body,
    )
    .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let v = normalised(&r, &gw, &fake);
    assert_github_release(&v);
    assert_mapped_from(&v, &created, "o/r");
    assert_golden("create", &v);
    let id = synthetic_id("o/r", "v0.3");
    assert_eq!(
        r.header("location"),
        Some(format!("{}/repos/o/r/releases/{id}", gw.url).as_str())
    );
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].method, "POST");
    assert_eq!(
        reqs[0].json(),
        json!({"tag_name": "v0.3", "name": "New release", "description": "Super nice release"})
    );
    assert_gitlab_requests(&reqs);
}

#[tokio::test]
async fn golden_update_by_id() {
    let list = fixtures::load("gitlab/list_releases.json");
    let updated = fixtures::load("gitlab/update_response.json");
    let fake = FakeUpstream::builder()
        .route("GET", UP_RELEASES, Reply::json(200, &list))
        .route(
            "PUT",
            &format!("{UP_RELEASES}/v0.1"),
            Reply::json(200, &updated),
        )
        .start()
        .await;
    let gw = TestGateway::start(&fake.url()).await;
    let url = format!("{}/repos/o/r/releases/{}", gw.url, v01_id());
    let r = call(
        "PATCH",
        &url,
        &[("Content-Type", "application/json")],
        r#"{"name":"new name"}"#,
    )
    .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let v = normalised(&r, &gw, &fake);
    assert_github_release(&v);
    assert_mapped_from(&v, &updated, "o/r");
    assert_golden("update", &v);
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[1].method, "PUT");
    assert_eq!(reqs[1].path_and_query, format!("{UP_RELEASES}/v0.1"));
    assert_eq!(reqs[1].json(), json!({"name": "new name"}));
    assert_gitlab_requests(&reqs);
}

#[tokio::test]
async fn golden_delete_by_id_is_204_without_body() {
    let list = fixtures::load("gitlab/list_releases.json");
    let deleted = fixtures::load("gitlab/delete_response.json");
    let fake = FakeUpstream::builder()
        .route("GET", UP_RELEASES, Reply::json(200, &list))
        .route(
            "DELETE",
            &format!("{UP_RELEASES}/v0.1"),
            Reply::json(200, &deleted),
        )
        .start()
        .await;
    let gw = TestGateway::start(&fake.url()).await;
    let r = call(
        "DELETE",
        &format!("{}/repos/o/r/releases/{}", gw.url, v01_id()),
        &[],
        "",
    )
    .await;
    assert_eq!(r.status, 204, "{}", String::from_utf8_lossy(&r.body));
    assert!(r.body.is_empty(), "204 with a body: {:?}", r.body);
    assert_eq!(
        r.header("content-type"),
        None,
        "no content type without a body"
    );
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[1].method, "DELETE");
    assert_eq!(reqs[1].path_and_query, format!("{UP_RELEASES}/v0.1"));
    assert_gitlab_requests(&reqs);
}

/// A release without `_links` (the first release of the list example) still gets a GitHub
/// `html_url` that the spec accepts (a URI): its GitLab web page, derived from the upstream URL
/// and project path, never "" or a missing key.
#[tokio::test]
async fn release_without_links_has_a_valid_html_url() {
    let list = fixtures::load("gitlab/list_releases.json");
    assert!(
        list[0].get("_links").is_none(),
        "fixture: the first release has no _links"
    );
    let fake = FakeUpstream::builder()
        .route("GET", UP_RELEASES, Reply::json(200, &list))
        .start()
        .await;
    let gw = TestGateway::start(&fake.url()).await;
    let r = get(&format!("{}/repos/o/r/releases", gw.url)).await;
    assert_eq!(r.status, 200);
    let v = normalised(&r, &gw, &fake);
    assert_eq!(
        v[0]["html_url"],
        json!(format!("{UPSTREAM}/o/r/-/releases/v0.2"))
    );
    assert_eq!(v[1]["html_url"], list[1]["_links"]["self"]);
    schema::github_release(&v[0]).expect("GitHub release");
}

// ------------------------------------------------------------------ GitHub → GitLab requests

#[tokio::test]
async fn github_create_example_reaches_gitlab_as_documented() {
    for auth in ["token", "Bearer"] {
        let created = fixtures::load("gitlab/create_response.json");
        let fake = FakeUpstream::builder()
            .route("POST", UP_RELEASES, Reply::json(201, &created))
            .start()
            .await;
        let gw = TestGateway::start(&fake.url()).await;
        let body =
            String::from_utf8(fixtures::load_bytes("github/create_request.json")).expect("UTF-8");
        let authz = format!("{auth} s3cr3t-t0ken");
        let r = call(
            "POST",
            &format!("{}/repos/o/r/releases", gw.url),
            &[
                ("Authorization", &authz),
                ("Content-Type", "application/json"),
            ],
            &body,
        )
        .await;
        assert_eq!(
            r.status,
            201,
            "{auth}: {}",
            String::from_utf8_lossy(&r.body)
        );
        assert_github_release(&r.json());
        let reqs = fake.requests();
        assert_eq!(reqs.len(), 1, "{auth}");
        let q = &reqs[0];
        assert_eq!(q.method, "POST");
        assert_eq!(q.path_and_query, UP_RELEASES);
        assert_eq!(
            q.json(),
            json!({"tag_name": "v1.0.0", "name": "v1.0.0", "description": "Description of the release", "ref": "master"}),
            "{auth}: the GitLab create body"
        );
        assert_eq!(q.header_all("private-token"), ["s3cr3t-t0ken"], "{auth}");
        assert!(
            q.header("authorization").is_none(),
            "{auth}: Authorization went upstream"
        );
        assert_eq!(q.header("content-type"), Some("application/json"), "{auth}");
        schema::gitlab_create_request(&q.json()).expect("GitLab create body");
        assert_gitlab_requests(&reqs);
    }
}

#[tokio::test]
async fn github_edit_example_reaches_gitlab_as_put_by_tag() {
    let mut rel = fixtures::load("gitlab/get_release.json");
    rel["tag_name"] = json!("v1.0.0");
    let fake = FakeUpstream::builder()
        .route("GET", UP_RELEASES, Reply::json(200, &json!([rel.clone()])))
        .route(
            "PUT",
            &format!("{UP_RELEASES}/v1.0.0"),
            Reply::json(200, &rel),
        )
        .start()
        .await;
    let gw = TestGateway::start(&fake.url()).await;
    let body = String::from_utf8(fixtures::load_bytes("github/edit_request.json")).expect("UTF-8");
    let url = format!(
        "{}/repos/o/r/releases/{}",
        gw.url,
        synthetic_id("o/r", "v1.0.0")
    );
    let r = call(
        "PATCH",
        &url,
        &[
            ("Authorization", "token t"),
            ("Content-Type", "application/json"),
        ],
        &body,
    )
    .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let v = r.json();
    assert_github_release(&v);
    assert_eq!(v["tag_name"], "v1.0.0");
    let reqs = fake.requests();
    let puts: Vec<&Recorded> = reqs.iter().filter(|q| q.method == "PUT").collect();
    assert_eq!(puts.len(), 1);
    assert_eq!(
        puts[0].path_and_query,
        "/api/v4/projects/o%2Fr/releases/v1.0.0"
    );
    assert_eq!(
        puts[0].json(),
        json!({"name": "v1.0.0", "description": "Description of the release"})
    );
    assert_eq!(puts[0].header("private-token"), Some("t"));
    assert_eq!(puts[0].header("content-type"), Some("application/json"));
    schema::gitlab_update_request(&puts[0].json()).expect("GitLab update body");
    assert_gitlab_requests(&reqs);
}
