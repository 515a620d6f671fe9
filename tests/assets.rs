//! A release's assets: as a list (GitHub's `GET …/releases/{id}/assets`, the
//! `assets_url` every release gives, in front of GitLab's release links, and
//! GitLab's `GET …/releases/{tag}/assets/links` in front of GitHub's assets),
//! and one at a time (GitHub's `GET …/releases/assets/{asset_id}`, each
//! asset's `url`, with its download redirect, and GitLab's
//! `GET …/assets/links/{link_id}`). Each answer is checked against the
//! client's official schema, each request the upstream received against the
//! upstream's spec paths.

mod support;
use forgebridge::canonical::synthetic_id;
use serde_json::{json, Value};
use support::fake::{FakeUpstream, Reply};
use support::gateway::{call, Resp, TestGateway};
use support::{fixtures, schema};

const GITHUB_TOKEN: [(&str, &str); 1] = [("Authorization", "token ghp-secret")];
const GITLAB_TOKEN: [(&str, &str); 1] = [("PRIVATE-TOKEN", "glpat-secret")];

/// The GitLab releases collection of project `o/r`.
const GL: &str = "/api/v4/projects/o%2Fr/releases";

/// The seed's GitLab release, tagged `tag`.
fn gl_release(tag: &str) -> Value {
    let mut r = fixtures::load("gitlab/get_release.json");
    r["tag_name"] = json!(tag);
    r
}

/// Release links as GitLab answers them: the seed's link, and one in the
/// current format (with `direct_asset_url`).
fn gl_links() -> Value {
    let seed = fixtures::load("gitlab/get_release.json")["assets"]["links"][0].clone();
    let links = json!([seed, {
        "id": 7,
        "name": "checksums.txt",
        "url": "https://example.com/app/checksums.txt",
        "direct_asset_url": "https://gitlab.example.com/o/r/-/releases/release%2F1.0/downloads/checksums.txt",
        "link_type": "other",
    }]);
    schema::gitlab_release_links(&links).unwrap_or_else(|e| panic!("{e}\n{links:#}"));
    links
}

/// A GitLab link as the GitHub asset a client of the gateway at `api` gets:
/// what GitLab does not track has GitHub's documented values.
fn gh_asset(api: &str, id: u64, name: &str, download: &str) -> Value {
    json!({
        "url": format!("{api}/repos/o/r/releases/assets/{id}"),
        "browser_download_url": download,
        "id": id, "node_id": format!("RA_{id}"), "name": name, "label": "",
        "state": "uploaded", "content_type": "application/octet-stream",
        "size": 0, "digest": null, "download_count": 0,
        "created_at": "1970-01-01T00:00:00Z", "updated_at": "1970-01-01T00:00:00Z",
        "uploader": null,
    })
}

/// The download URL of the seed's GitLab link (id 3, `hoge`).
const HOGE: &str =
    "https://gitlab.example.com/root/awesome-app/-/tags/v0.11.1/binaries/linux-amd64";

fn asset_list_of(r: &Resp) -> Value {
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let v = r.json();
    schema::github_asset_list(&v).unwrap_or_else(|e| panic!("{e}\n{v:#}"));
    v
}

/// Every request the GitLab fake saw, as `METHOD path?query`, each checked
/// against GitLab's spec and for the translated credential.
fn gitlab_saw(fake: &FakeUpstream) -> Vec<String> {
    let seen = fake.requests_checked(schema::gitlab_path, "private-token", &["ghp-secret"], &[]);
    seen.iter()
        .map(|r| format!("{} {}", r.method, r.path_and_query))
        .collect()
}

#[tokio::test]
async fn github_client_lists_a_releases_assets_from_its_gitlab_links() {
    let tag = "release/1.0";
    let id = synthetic_id("o/r", tag);
    let links = format!("{GL}/release%2F1.0/assets/links");
    let fake = FakeUpstream::builder()
        .route("GET", GL, Reply::json(200, &json!([gl_release(tag)])))
        .route(
            "GET",
            &links,
            Reply::json(200, &gl_links())
                .with_header("X-Page", "1")
                .with_header("X-Per-Page", "2")
                .with_header("X-Next-Page", "2")
                .with_header("X-Total-Pages", "2")
                .with_header("X-Total", "3"),
        )
        .start()
        .await;
    let gw = TestGateway::start(&fake.url()).await;
    let url = format!("{}/repos/o/r/releases/{id}/assets?per_page=2", gw.url);

    let r = call("GET", &url, &GITHUB_TOKEN, "").await;
    let list = asset_list_of(&r);
    let api = &gw.url;
    let asset = |id, name, download| gh_asset(api, id, name, download);
    assert_eq!(
        list,
        json!([
            asset(
                3,
                "hoge",
                "https://gitlab.example.com/root/awesome-app/-/tags/v0.11.1/binaries/linux-amd64"
            ),
            asset(7, "checksums.txt", "https://example.com/app/checksums.txt"),
        ])
    );
    let next = format!("{api}/repos/o/r/releases/{id}/assets?per_page=2&page=2");
    assert_eq!(
        r.header("link"),
        Some(format!(r#"<{next}>; rel="next", <{next}>; rel="last""#).as_str())
    );
    // The id was unknown: the release list was walked for it first. A second
    // request finds it in the cache and asks for the links alone.
    let again = call("GET", &url, &GITHUB_TOKEN, "").await;
    assert_eq!(asset_list_of(&again), list);
    assert_eq!(
        gitlab_saw(&fake),
        [
            format!("GET {GL}?page=1&per_page=100"),
            format!("GET {links}?page=1&per_page=2"),
            format!("GET {links}?page=1&per_page=2"),
        ]
    );
}

#[tokio::test]
async fn assets_of_an_unknown_release_are_a_github_404() {
    let fake = FakeUpstream::builder()
        .route("GET", GL, Reply::json(200, &json!([gl_release("v1.0")])))
        .start()
        .await;
    let gw = TestGateway::start(&fake.url()).await;
    let id = synthetic_id("o/r", "v9.9");
    let url = format!("{}/repos/o/r/releases/{id}/assets", gw.url);
    let r = call("GET", &url, &GITHUB_TOKEN, "").await;
    assert_eq!(r.status, 404);
    let v = r.json();
    schema::github_basic_error(&v).unwrap_or_else(|e| panic!("{e}\n{v:#}"));
    assert_eq!(v["message"], "Not Found", "{v:#}");
    // Only the walk: no links were asked for.
    assert_eq!(gitlab_saw(&fake), [format!("GET {GL}?page=1&per_page=100")]);
}

#[tokio::test]
async fn unusable_link_lists_are_refused_with_502() {
    let id = synthetic_id("o/r", "v1.0");
    // A link without its URL, and an answer that is not a list.
    for (links, cause) in [
        (
            json!([{"id": 1, "name": "linux"}]),
            "asset `linux`, whose `url` is missing",
        ),
        (json!({"id": 1}), "JSON without an array at $"),
    ] {
        let fake = FakeUpstream::builder()
            .route("GET", GL, Reply::json(200, &json!([gl_release("v1.0")])))
            .route(
                "GET",
                &format!("{GL}/v1.0/assets/links"),
                Reply::json(200, &links),
            )
            .start()
            .await;
        let gw = TestGateway::start(&fake.url()).await;
        let url = format!("{}/repos/o/r/releases/{id}/assets", gw.url);
        let r = call("GET", &url, &GITHUB_TOKEN, "").await;
        assert_eq!(r.status, 502, "{links}");
        let text = String::from_utf8_lossy(&r.body).into_owned();
        assert!(text.contains(cause), "{text}");
    }
}

/// Every request the GitHub fake saw, as `METHOD path?query`, each checked
/// against GitHub's spec and for the translated credential.
fn github_saw(fake: &FakeUpstream) -> Vec<String> {
    let seen = fake.requests_checked(
        schema::github_path,
        "authorization",
        &["Bearer glpat-secret"],
        &[],
    );
    seen.iter()
        .map(|r| format!("{} {}", r.method, r.path_and_query))
        .collect()
}

/// GitHub's own example asset (`components.examples.release-asset`).
fn github_asset() -> Value {
    schema::github_example("release-asset")
}

#[tokio::test]
async fn gitlab_client_lists_release_links_from_github_assets() {
    let mut second = github_asset();
    second["id"] = json!(2);
    second["name"] = json!("notes.txt");
    second["browser_download_url"] =
        json!("https://github.com/octo/app/releases/download/release/1.0/notes.txt");
    let next = "https://api.github.test/repositories/1/releases/42/assets?per_page=2&page=2";
    let fake = FakeUpstream::builder()
        .route(
            "GET",
            "/repos/octo/app/releases/tags/release%2F1.0",
            Reply::json(200, &schema::github_example_release("release/1.0", 42)),
        )
        .route(
            "GET",
            "/repos/octo/app/releases/42/assets",
            Reply::json(200, &json!([github_asset(), second])).with_header(
                "Link",
                &format!(r#"<{next}>; rel="next", <{next}>; rel="last""#),
            ),
        )
        .start()
        .await;
    let gw = TestGateway::start_pair("gitlab", "github", &fake.url(), "").await;
    let url = format!(
        "{}/api/v4/projects/octo%2Fapp/releases/release%2F1.0/assets/links?per_page=2",
        gw.url
    );
    let r = call("GET", &url, &GITLAB_TOKEN, "").await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let v = r.json();
    schema::gitlab_release_links(&v).unwrap_or_else(|e| panic!("{e}\n{v:#}"));
    assert_eq!(
        v,
        json!([
            {
                "id": 1, "name": "example.zip",
                "url": "https://github.com/octocat/Hello-World/releases/download/v1.0.0/example.zip",
                "direct_asset_url": "https://github.com/octocat/Hello-World/releases/download/v1.0.0/example.zip",
                "link_type": "other",
            },
            {
                "id": 2, "name": "notes.txt",
                "url": "https://github.com/octo/app/releases/download/release/1.0/notes.txt",
                "direct_asset_url": "https://github.com/octo/app/releases/download/release/1.0/notes.txt",
                "link_type": "other",
            },
        ])
    );
    assert_eq!(r.header("x-page"), Some("1"));
    assert_eq!(r.header("x-per-page"), Some("2"));
    assert_eq!(r.header("x-next-page"), Some("2"));
    let saw = github_saw(&fake);
    assert_eq!(
        saw,
        [
            "GET /repos/octo/app/releases/tags/release%2F1.0",
            "GET /repos/octo/app/releases/42/assets?page=1&per_page=2",
        ]
    );
}

#[tokio::test]
async fn same_dialect_passes_release_links_through() {
    let links = format!("{GL}/release%2F1.0/assets/links");
    let body = serde_json::to_vec(&gl_links()).unwrap();
    let fake = FakeUpstream::builder()
        .route(
            "GET",
            &links,
            Reply::raw(200, "application/json", body.clone()).with_header("X-Total", "2"),
        )
        .start()
        .await;
    let gw = TestGateway::start_accepting(&fake.url(), "gitlab", "").await;
    let r = call(
        "GET",
        &format!("{}{links}?per_page=5", gw.url),
        &GITLAB_TOKEN,
        "",
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(&r.body[..], &body[..]);
    assert_eq!(r.header("x-total"), Some("2"));
    let seen = fake.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].path_and_query, format!("{links}?per_page=5"));
    assert_eq!(seen[0].header("private-token"), Some("glpat-secret"));
}

fn asset_of(r: &Resp) -> Value {
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(
        r.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    let v = r.json();
    schema::github_asset(&v).unwrap_or_else(|e| panic!("{e}\n{v:#}"));
    v
}

const OCTET_STREAM: [(&str, &str); 2] = [
    ("Authorization", "token ghp-secret"),
    ("Accept", "application/octet-stream"),
];

#[tokio::test]
async fn github_client_gets_an_asset_and_its_file_from_gitlab() {
    let tag = "release/1.0";
    let one = format!("{GL}/release%2F1.0");
    let fake = FakeUpstream::builder()
        .route(
            "GET",
            GL,
            Reply::json(200, &json!([gl_release("v0.9"), gl_release(tag)]))
                .with_header("RateLimit-Remaining", "41"),
        )
        .route("GET", &one, Reply::json(200, &gl_release(tag)))
        .start()
        .await;
    let gw = TestGateway::start(&fake.url()).await;
    let url = format!("{}/repos/o/r/releases/assets/3", gw.url);

    // Unknown to the gateway: the list is walked, and the first release that
    // holds the asset answers.
    let r = call("GET", &url, &GITHUB_TOKEN, "").await;
    assert_eq!(asset_of(&r), gh_asset(&gw.url, 3, "hoge", HOGE));
    assert_eq!(r.header("x-ratelimit-remaining"), Some("41"));
    // Now known: its release alone is asked for.
    let again = call("GET", &url, &GITHUB_TOKEN, "").await;
    assert_eq!(asset_of(&again), gh_asset(&gw.url, 3, "hoge", HOGE));
    // The file itself, as gh and octokit ask for it: GitHub's redirect.
    let file = call("GET", &url, &OCTET_STREAM, "").await;
    assert_eq!(file.status, 302, "{}", String::from_utf8_lossy(&file.body));
    assert_eq!(file.header("location"), Some(HOGE));
    assert_eq!(file.header("content-type"), None);
    assert!(file.body.is_empty());
    // Several media types, as curl sends them with two -H: the file still.
    let both = call(
        "GET",
        &url,
        &[
            ("Authorization", "token ghp-secret"),
            (
                "Accept",
                "application/vnd.github+json, application/octet-stream;q=0.9",
            ),
        ],
        "",
    )
    .await;
    assert_eq!(both.status, 302);
    assert_eq!(
        gitlab_saw(&fake),
        [
            format!("GET {GL}?page=1&per_page=100"),
            format!("GET {one}"),
            format!("GET {one}"),
            format!("GET {one}"),
        ]
    );
}

#[tokio::test]
async fn an_asset_is_found_again_after_it_moved() {
    // The asset was in v1.0 when the release was read; later it is in v2.0.
    let mut moved = gl_release("v2.0");
    moved["assets"]["links"] = gl_release("v1.0")["assets"]["links"].clone();
    let mut emptied = gl_release("v1.0");
    emptied["assets"]["links"] = json!([]);
    let fake = FakeUpstream::builder()
        .route("GET", &format!("{GL}/v1.0"), Reply::json(200, &emptied))
        .route_seq(
            "GET",
            GL,
            vec![
                Reply::json(200, &json!([gl_release("v1.0")])),
                Reply::json(200, &json!([emptied.clone(), moved])),
            ],
        )
        .start()
        .await;
    let gw = TestGateway::start(&fake.url()).await;
    let url = format!("{}/repos/o/r/releases/assets/3", gw.url);
    assert_eq!(call("GET", &url, &GITHUB_TOKEN, "").await.status, 200);
    let r = call("GET", &url, &GITHUB_TOKEN, "").await;
    assert_eq!(asset_of(&r), gh_asset(&gw.url, 3, "hoge", HOGE));
    assert_eq!(
        gitlab_saw(&fake),
        [
            format!("GET {GL}?page=1&per_page=100"),
            format!("GET {GL}/v1.0"),
            format!("GET {GL}?page=1&per_page=100"),
        ]
    );
}

#[tokio::test]
async fn an_asset_no_release_holds_is_a_github_404() {
    let fake = FakeUpstream::builder()
        .route("GET", GL, Reply::json(200, &json!([gl_release("v1.0")])))
        .start()
        .await;
    let gw = TestGateway::start(&fake.url()).await;
    for accept in [GITHUB_TOKEN.as_slice(), OCTET_STREAM.as_slice()] {
        let url = format!("{}/repos/o/r/releases/assets/99", gw.url);
        let r = call("GET", &url, accept, "").await;
        assert_eq!(r.status, 404);
        let v = r.json();
        schema::github_basic_error(&v).unwrap_or_else(|e| panic!("{e}\n{v:#}"));
        // GitHub's own 404, word for word (PyGithub tells a missing object
        // by its message); what was looked for is in the gateway's log.
        assert_eq!(
            v,
            json!({
                "message": "Not Found",
                "documentation_url": "https://docs.github.com/rest/releases/releases",
                "status": "404",
            })
        );
    }
    // Not a number above zero: no route, and nothing is asked.
    let r = call(
        "GET",
        &format!("{}/repos/o/r/releases/assets/0", gw.url),
        &GITHUB_TOKEN,
        "",
    )
    .await;
    assert_eq!(r.status, 404);
    assert_eq!(gitlab_saw(&fake).len(), 2);
}

#[tokio::test]
async fn a_download_without_a_file_url_is_a_502() {
    let mut release = gl_release("v1.0");
    release["assets"]["links"] = json!([{"id": 3, "name": "linux", "url": ""}]);
    let fake = FakeUpstream::builder()
        .route("GET", GL, Reply::json(200, &json!([release])))
        .start()
        .await;
    let gw = TestGateway::start(&fake.url()).await;
    let url = format!("{}/repos/o/r/releases/assets/3", gw.url);
    let r = call("GET", &url, &OCTET_STREAM, "").await;
    assert_eq!(r.status, 502);
    let v = r.json();
    assert_eq!(
        v["message"],
        "the upstream (GitLab) answered list with asset `linux` without a file URL (`url`)",
        "{v:#}"
    );
}

#[tokio::test]
async fn gitlab_client_gets_a_release_link_from_a_github_release() {
    let fake = FakeUpstream::builder()
        .route(
            "GET",
            "/repos/octo/app/releases/tags/release%2F1.0",
            Reply::json(200, &schema::github_example_release("release/1.0", 42)),
        )
        .start()
        .await;
    let gw = TestGateway::start_pair("gitlab", "github", &fake.url(), "").await;
    let links = format!(
        "{}/api/v4/projects/octo%2Fapp/releases/release%2F1.0/assets/links",
        gw.url
    );
    let r = call("GET", &format!("{links}/1"), &GITLAB_TOKEN, "").await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let v = r.json();
    schema::gitlab_release_link(&v).unwrap_or_else(|e| panic!("{e}\n{v:#}"));
    let zip = "https://github.com/octocat/Hello-World/releases/download/v1.0.0/example.zip";
    assert_eq!(
        v,
        json!({
            "id": 1, "name": "example.zip", "url": zip, "direct_asset_url": zip,
            "link_type": "other",
        })
    );
    // A link of another release (or of none): GitLab's 404.
    let r = call("GET", &format!("{links}/2"), &GITLAB_TOKEN, "").await;
    assert_eq!(r.status, 404);
    assert_eq!(r.json(), json!({"message": "404 Not found"}));
    let saw = github_saw(&fake);
    assert_eq!(saw, ["GET /repos/octo/app/releases/tags/release%2F1.0"; 2]);
}

#[tokio::test]
async fn same_dialect_passes_a_download_redirect_through() {
    let file = "https://objects.example/release-assets/5?sig=abc";
    let fake = FakeUpstream::builder()
        .route(
            "GET",
            "/repos/o/r/releases/assets/5",
            Reply::empty(302).with_header("Location", file),
        )
        .start()
        .await;
    let gw = TestGateway::start_pair("github", "github", &fake.url(), "").await;
    let url = format!("{}/repos/o/r/releases/assets/5", gw.url);
    let r = call("GET", &url, &OCTET_STREAM, "").await;
    assert_eq!(r.status, 302);
    assert_eq!(r.header("location"), Some(file));
    let seen = fake.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].path_and_query, "/repos/o/r/releases/assets/5");
    assert_eq!(seen[0].header("accept"), Some("application/octet-stream"));
    assert_eq!(seen[0].header("authorization"), Some("token ghp-secret"));
}

#[tokio::test]
async fn github_client_deletes_an_asset_of_a_gitlab_release() {
    let link = format!("{GL}/release%2F1.0/assets/links/3");
    let fake = FakeUpstream::builder()
        .route(
            "GET",
            GL,
            Reply::json(200, &json!([gl_release("release/1.0")])),
        )
        .route(
            "DELETE",
            &link,
            Reply::json(200, &gl_links()[0]).with_header("RateLimit-Remaining", "7"),
        )
        .start()
        .await;
    let gw = TestGateway::start(&fake.url()).await;
    let url = format!("{}/repos/o/r/releases/assets/3", gw.url);
    let r = call("DELETE", &url, &GITHUB_TOKEN, "").await;
    assert_eq!(r.status, 204, "{}", String::from_utf8_lossy(&r.body));
    assert!(r.body.is_empty());
    assert_eq!(r.header("content-type"), None);
    assert_eq!(r.header("x-ratelimit-remaining"), Some("7"));
    // An asset no release holds: nothing is deleted.
    let none = format!("{}/repos/o/r/releases/assets/99", gw.url);
    let r = call("DELETE", &none, &GITHUB_TOKEN, "").await;
    assert_eq!(r.status, 404);
    assert_eq!(r.json()["message"], "Not Found");
    assert_eq!(
        gitlab_saw(&fake),
        [
            format!("GET {GL}?page=1&per_page=100"),
            format!("DELETE {link}"),
            format!("GET {GL}?page=1&per_page=100"),
        ]
    );
}

#[tokio::test]
async fn an_asset_delete_that_fails_is_sent_once() {
    let link = format!("{GL}/v1.0/assets/links/3");
    let fake = FakeUpstream::builder()
        .route("GET", GL, Reply::json(200, &json!([gl_release("v1.0")])))
        .route("DELETE", &link, Reply::Hangup)
        .start()
        .await;
    let gw = TestGateway::start(&fake.url()).await;
    let url = format!("{}/repos/o/r/releases/assets/3", gw.url);
    let r = call("DELETE", &url, &GITHUB_TOKEN, "").await;
    assert_eq!(r.status, 502);
    let v = r.json();
    schema::github_basic_error(&v).unwrap_or_else(|e| panic!("{e}\n{v:#}"));
    let deletes = fake
        .requests()
        .iter()
        .filter(|r| r.method == "DELETE")
        .count();
    assert_eq!(deletes, 1);
}

#[tokio::test]
async fn gitlab_client_deletes_a_release_link_from_a_github_release() {
    let fake = FakeUpstream::builder()
        .route(
            "GET",
            "/repos/octo/app/releases/tags/release%2F1.0",
            Reply::json(200, &schema::github_example_release("release/1.0", 42)),
        )
        .route(
            "DELETE",
            "/repos/octo/app/releases/assets/1",
            Reply::empty(204),
        )
        .start()
        .await;
    let gw = TestGateway::start_pair("gitlab", "github", &fake.url(), "").await;
    let links = format!(
        "{}/api/v4/projects/octo%2Fapp/releases/release%2F1.0/assets/links",
        gw.url
    );
    // GitLab answers with the deleted link: the client gets it as it was found.
    let r = call("DELETE", &format!("{links}/1"), &GITLAB_TOKEN, "").await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let v = r.json();
    schema::gitlab_release_link(&v).unwrap_or_else(|e| panic!("{e}\n{v:#}"));
    assert_eq!((&v["id"], &v["name"]), (&json!(1), &json!("example.zip")));
    // A link of another release: GitLab's 404, and nothing is deleted.
    let r = call("DELETE", &format!("{links}/2"), &GITLAB_TOKEN, "").await;
    assert_eq!(r.status, 404);
    let saw = github_saw(&fake);
    assert_eq!(
        saw,
        [
            "GET /repos/octo/app/releases/tags/release%2F1.0",
            "DELETE /repos/octo/app/releases/assets/1",
            "GET /repos/octo/app/releases/tags/release%2F1.0",
        ]
    );
}

/// A file over the body limit, to a GitLab release: the client's 413 before
/// anything is asked of GitLab (not even which release the id names).
#[tokio::test]
async fn an_upload_over_the_limit_is_refused_before_anything_is_sent() {
    let fake = FakeUpstream::builder().start().await;
    let gw = TestGateway::start_with(&fake.url(), "[limits]\nmax_body_bytes = 1024\n").await;
    let id = synthetic_id("o/r", "v1.0");
    // Where a translated release's upload_url points, with its name filled in.
    let url = format!("{}/repos/o/r/releases/{id}/assets?name=app.tar.gz", gw.url);
    let file = "x".repeat(4096);
    let headers = [
        ("Authorization", "token ghp-secret"),
        ("Content-Type", "application/gzip"),
    ];
    let r = call("POST", &url, &headers, &file).await;
    assert_eq!(r.status, 413, "{}", String::from_utf8_lossy(&r.body));
    let v = r.json();
    schema::github_basic_error(&v).unwrap_or_else(|e| panic!("{e}\n{v:#}"));
    assert_eq!(
        v["message"],
        "request body is larger than the limit of 1024 bytes"
    );
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn same_dialect_passes_an_upload_through() {
    let path = "/repos/o/r/releases/5/assets";
    let fake = FakeUpstream::builder()
        .route("POST", path, Reply::json(201, &github_asset()))
        .start()
        .await;
    let gw = TestGateway::start_pair("github", "github", &fake.url(), "").await;
    let url = format!(
        "{}{path}?name=example.zip&label=short%20description",
        gw.url
    );
    let headers = [
        ("Authorization", "token ghp-secret"),
        ("Content-Type", "application/zip"),
    ];
    let r = call("POST", &url, &headers, "PK\u{3}\u{4} the file").await;
    assert_eq!(r.status, 201);
    assert_eq!(r.json(), github_asset());
    let seen = fake.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0].path_and_query,
        format!("{path}?name=example.zip&label=short%20description")
    );
    assert_eq!(seen[0].header("content-type"), Some("application/zip"));
    assert_eq!(seen[0].body_text(), "PK\u{3}\u{4} the file");
}

/// A Gitea attachment as Gitea answers an upload (its `Attachment`).
fn gitea_attachment() -> Value {
    json!({
        "id": 12,
        "name": "app v1.tar.gz",
        "size": 16,
        "download_count": 0,
        "created_at": "2024-05-01T10:00:00Z",
        "uuid": "f1d2d2f9-24c3-4a4b-9d8d-6f1b3e0c2a11",
        "browser_download_url": "https://gitea.example.com/attachments/f1d2d2f9-24c3-4a4b-9d8d-6f1b3e0c2a11"
    })
}

/// A GitHub client's upload (to a translated release's `upload_url`) in front of
/// Gitea, which takes a file as the raw body named in the query (Gitea 1.21 and
/// later, Forgejo): the body goes on as it came, its name in Gitea's query, once;
/// Gitea's attachment comes back as GitHub's asset.
#[tokio::test]
async fn github_client_uploads_a_file_to_a_gitea_release() {
    let path = "/api/v1/repos/o/r/releases/5/assets";
    let fake = FakeUpstream::builder()
        .route("POST", path, Reply::json(201, &gitea_attachment()))
        .start()
        .await;
    let gw = TestGateway::start_pair("github", "gitea", &fake.url(), "").await;
    let url = format!(
        "{}/repos/o/r/releases/5/assets?name=app%20v1.tar.gz&label=The%20app",
        gw.url
    );
    let file = "\u{1f}\u{7f}\u{8}\u{0} a gzip file";
    let headers = [
        ("Authorization", "token ghp-secret"),
        ("Content-Type", "application/gzip"),
    ];
    let r = call("POST", &url, &headers, file).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let v = r.json();
    schema::github_asset(&v).unwrap_or_else(|e| panic!("{e}\n{v:#}"));
    assert_eq!(
        (&v["id"], &v["name"], &v["size"], &v["label"]),
        (&json!(12), &json!("app v1.tar.gz"), &json!(16), &json!(""))
    );
    assert_eq!(
        v["browser_download_url"],
        gitea_attachment()["browser_download_url"]
    );
    assert_eq!(
        v["url"],
        json!(format!("{}/repos/o/r/releases/assets/12", gw.url))
    );
    let seen = fake.requests();
    assert_eq!(seen.len(), 1);
    // Gitea has no label: not sent.
    assert_eq!(
        seen[0].path_and_query,
        format!("{path}?name=app%20v1.tar.gz")
    );
    assert_eq!(seen[0].header_all("content-type"), ["application/gzip"]);
    assert_eq!(seen[0].header_all("authorization"), ["token ghp-secret"]);
    assert_eq!(seen[0].body, file.as_bytes());
}

/// What cannot go across is refused before anything is sent: a multipart form
/// (which only a side of the client's own dialect reads), a file without its name,
/// an upstream that takes files at another host (api.github.com's); and an upload the
/// upstream drops without answering is not sent again.
#[tokio::test]
async fn an_upload_that_cannot_go_across_is_refused_and_none_is_sent_twice() {
    let path = "/api/v1/repos/o/r/releases/5/assets";
    let fake = FakeUpstream::builder()
        .route("POST", path, Reply::Hangup)
        .start()
        .await;
    let gw = TestGateway::start_pair("github", "gitea", &fake.url(), "").await;
    let assets = format!("{}/repos/o/r/releases/5/assets", gw.url);
    let multipart = [
        ("Authorization", "token t"),
        ("Content-Type", "multipart/form-data; boundary=xyz"),
    ];
    let body = "--xyz\r\nContent-Disposition: form-data; name=\"attachment\"; filename=\"a.txt\"\r\n\r\nhi\r\n--xyz--\r\n";
    let r = call("POST", &format!("{assets}?name=a.txt"), &multipart, body).await;
    assert_eq!(r.status, 501, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(
        r.json()["message"],
        "a file sent as a multipart form is passed on only to an upstream of the client's \
         dialect (GitHub), not to Gitea; send the file as the request body, its name in the \
         query (`?name=…`)"
    );
    let raw = [("Authorization", "token t"), ("Content-Type", "text/plain")];
    let r = call("POST", &assets, &raw, "hi").await;
    assert_eq!(r.status, 422, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(
        r.json()["errors"][0]["message"],
        "the file's name is missing: give it in the query (`?name=…`)"
    );
    assert_eq!(fake.request_count(), 0);
    let r = call("POST", &format!("{assets}?name=a.txt"), &raw, "hi").await;
    assert_eq!(r.status, 502, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(fake.request_count(), 1);

    // A file over `max_body_bytes`: the client's 413, nothing sent.
    let fake = FakeUpstream::builder()
        .route("POST", path, Reply::json(201, &gitea_attachment()))
        .start()
        .await;
    let gw = TestGateway::start_pair(
        "github",
        "gitea",
        &fake.url(),
        "[limits]\nmax_body_bytes = 1024\n",
    )
    .await;
    let url = format!("{}/repos/o/r/releases/5/assets?name=big.bin", gw.url);
    let r = call("POST", &url, &raw, &"x".repeat(4096)).await;
    assert_eq!(r.status, 413, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(fake.request_count(), 0);

    // A Gitea client's raw upload in front of api.github.com, which takes
    // files at another host only (an upstream URL that ends with no API root
    // of GitHub Enterprise's).
    let fake = FakeUpstream::builder().start().await;
    let gw = TestGateway::start_pair("gitea", "github", &fake.url(), "").await;
    let url = format!("{}/api/v1/repos/o/r/releases/5/assets?name=a.txt", gw.url);
    let r = call("POST", &url, &raw, "hi").await;
    assert_eq!(r.status, 501, "{}", String::from_utf8_lossy(&r.body));
    assert!(r.json()["message"].as_str().is_some_and(|m| m.starts_with(
        "the upstream (GitHub) has no `upload` operation: api.github.com takes a release's files at another host (uploads.github.com), where the gateway sends no token"
    )));
    assert_eq!(fake.request_count(), 0);
}

/// GitHub Enterprise takes a release's files beside its API (`/api/uploads`
/// where the API is `/api/v3`): a Gitea client's upload goes there, on the
/// upstream's host, with the credential, once; the asset comes back as
/// Gitea's attachment.
#[tokio::test]
async fn a_gitea_client_uploads_to_github_enterprise_beside_its_api() {
    let at = "/ghe/api/uploads/repos/o/r/releases/5/assets";
    let asset = json!({
        "url": "http://ghe.example/api/v3/repos/o/r/releases/assets/9",
        "browser_download_url": "http://ghe.example/o/r/releases/download/v1/a.txt",
        "id": 9, "node_id": "RA_9", "name": "a.txt", "label": "",
        "state": "uploaded", "content_type": "text/plain", "size": 2,
        "download_count": 0, "created_at": "2024-05-01T10:00:00Z",
        "updated_at": "2024-05-01T10:00:00Z", "uploader": null,
    });
    let fake = FakeUpstream::builder()
        .route("POST", at, Reply::json(201, &asset))
        .start()
        .await;
    let base = format!("{}/ghe/api/v3", fake.url());
    let gw = TestGateway::start_pair("gitea", "github", &base, "").await;
    let url = format!("{}/api/v1/repos/o/r/releases/5/assets?name=a.txt", gw.url);
    let headers = [
        ("Authorization", "token gitea-secret"),
        ("Content-Type", "text/plain"),
    ];
    let r = call("POST", &url, &headers, "hi").await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let v = r.json();
    assert_eq!(
        (&v["id"], &v["name"], &v["size"], &v["browser_download_url"]),
        (
            &json!(9),
            &json!("a.txt"),
            &json!(2),
            &asset["browser_download_url"]
        )
    );
    let seen = fake.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].path_and_query, format!("{at}?name=a.txt"));
    assert_eq!(seen[0].header_all("authorization"), ["Bearer gitea-secret"]);
    assert_eq!(seen[0].header_all("content-type"), ["text/plain"]);
    assert_eq!(seen[0].body, b"hi");
}

/// api.github.com takes a release's files at another host
/// (uploads.github.com): where the config names it (`[upstream.hosts]
/// uploads`), a Gitea client's upload goes there, with the credential, once;
/// the API host gets nothing.
#[tokio::test]
async fn a_gitea_client_uploads_to_api_github_com_at_its_named_upload_host() {
    let api = FakeUpstream::builder().start().await;
    let uploads = FakeUpstream::builder()
        .route(
            "POST",
            "/repos/o/r/releases/5/assets",
            Reply::json(201, &github_asset()),
        )
        .start()
        .await;
    let cfg = format!("[upstream.hosts]\nuploads = \"{}\"\n", uploads.url());
    let gw = TestGateway::start_pair("gitea", "github", &api.url(), &cfg).await;
    let url = format!("{}/api/v1/repos/o/r/releases/5/assets?name=a.zip", gw.url);
    let headers = [
        ("Authorization", "token gitea-secret"),
        ("Content-Type", "application/zip"),
    ];
    let r = call("POST", &url, &headers, "PK").await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["name"], github_asset()["name"]);
    let seen = uploads.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0].path_and_query,
        "/repos/o/r/releases/5/assets?name=a.zip"
    );
    assert_eq!(seen[0].header_all("authorization"), ["Bearer gitea-secret"]);
    assert_eq!(seen[0].body, b"PK");
    assert_eq!(api.request_count(), 0);
}

/// Between two GitHub sides, an upload a client sends to the gateway's
/// `/api/uploads` (as GitHub Enterprise's releases name it) goes to the
/// upstream's, beside its API; one sent under the API root too.
#[tokio::test]
async fn same_dialect_passes_an_upload_beside_the_api_to_its_place() {
    let at = "/api/uploads/repos/o/r/releases/5/assets";
    let fake = FakeUpstream::builder()
        .route("POST", at, Reply::json(201, &github_asset()))
        .start()
        .await;
    let base = format!("{}/api/v3", fake.url());
    let gw = TestGateway::start_pair("github", "github", &base, "").await;
    for client_path in [at, "/api/v3/repos/o/r/releases/5/assets"] {
        let url = format!("{}{client_path}?name=example.zip", gw.url);
        let headers = [("Authorization", "token ghp-secret")];
        let r = call("POST", &url, &headers, "PK").await;
        assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    }
    let seen = fake.requests();
    assert_eq!(
        seen.iter()
            .map(|r| r.path_and_query.as_str())
            .collect::<Vec<_>>(),
        [
            format!("{at}?name=example.zip"),
            format!("{at}?name=example.zip")
        ]
    );
    // A list of assets is not served beside the API.
    let r = support::gateway::get(&format!("{}{at}", gw.url)).await;
    assert_eq!(r.status, 405, "{}", String::from_utf8_lossy(&r.body));
}

/// Between two GitHub sides in front of api.github.com, an upload a client
/// sends to the gateway (go-github's upload URL set to it, goreleaser's
/// `github_urls.upload`) goes to the upload host the config names, with the
/// client's credential, once; the API host gets nothing. The answer names the
/// API: rewritten to the gateway, as every pass-through answer is.
#[tokio::test]
async fn same_dialect_passes_an_upload_to_the_named_upload_host() {
    let api = FakeUpstream::builder().start().await;
    let mut asset = github_asset();
    asset["url"] = json!(format!("{}/repos/o/r/releases/assets/1", api.url()));
    let uploads = FakeUpstream::builder()
        .route(
            "POST",
            "/repos/o/r/releases/5/assets",
            Reply::json(201, &asset),
        )
        .start()
        .await;
    let cfg = format!("[upstream.hosts]\nuploads = \"{}\"\n", uploads.url());
    let gw = TestGateway::start_pair("github", "github", &api.url(), &cfg).await;
    for client_path in [
        "/repos/o/r/releases/5/assets",
        "/api/uploads/repos/o/r/releases/5/assets",
    ] {
        let url = format!("{}{client_path}?name=a.zip", gw.url);
        let headers = [
            ("Authorization", "token ghp-secret"),
            ("Content-Type", "application/zip"),
        ];
        let r = call("POST", &url, &headers, "PK").await;
        assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
        assert_eq!(
            r.json()["url"],
            json!(format!("{}/repos/o/r/releases/assets/1", gw.url))
        );
    }
    let seen = uploads.requests();
    assert_eq!(seen.len(), 2);
    for s in &seen {
        assert_eq!(s.path_and_query, "/repos/o/r/releases/5/assets?name=a.zip");
        assert_eq!(s.header_all("authorization"), ["token ghp-secret"]);
        assert_eq!(s.body, b"PK");
    }
    assert_eq!(api.request_count(), 0);
}

/// A GitLab link to a file under GitLab's API (a generic package, as GitLab CI
/// release jobs and goreleaser keep a release's files): such a URL wants the
/// token, which a client following a redirect to GitLab would not send (a
/// private project's file would be GitLab's 404 or sign-in page). The gateway
/// asks it itself, with the credential, and streams the file; a redirect
/// elsewhere (object storage) is passed on as it is, and GitLab's error is
/// the client's, in GitHub's words. A link anywhere else is still GitHub's
/// redirect.
#[tokio::test]
async fn a_file_under_the_upstreams_api_is_fetched_with_the_credential() {
    const PKG: &str = "/api/v4/projects/3/packages/generic/app/1.0";
    let fake = FakeUpstream::builder()
        .start_knowing_url(|url, b| {
            let mut rel = gl_release("v1.0");
            rel["assets"]["links"] = json!([
                { "id": 3, "name": "app.tgz", "url": format!("{url}{PKG}/app.tgz"), "link_type": "package" },
                { "id": 4, "name": "big.iso", "url": format!("{url}{PKG}/big.iso"), "link_type": "image" },
                { "id": 5, "name": "gone.txt", "url": format!("{url}{PKG}/gone.txt"), "link_type": "other" },
                { "id": 6, "name": "web.txt", "url": format!("{url}/o/r/uploads/abc/web.txt"), "link_type": "other" },
            ]);
            b.route("GET", &format!("{GL}/v1.0"), Reply::json(200, &rel))
                .route("GET", GL, Reply::json(200, &json!([rel])))
                .route(
                    "GET",
                    &format!("{PKG}/app.tgz"),
                    Reply::raw(200, "application/gzip", b"\x1f\x8bgzip bytes".to_vec())
                        .with_header("Content-Disposition", "attachment; filename=\"app.tgz\"")
                        .with_header("ETag", "\"abc\"")
                        .with_header("Set-Cookie", "_gitlab_session=x"),
                )
                .route(
                    "GET",
                    &format!("{PKG}/big.iso"),
                    Reply::empty(302)
                        .with_header("Location", "https://objects.example.com/big.iso?X-Amz-Signature=s"),
                )
                .route(
                    "GET",
                    &format!("{PKG}/gone.txt"),
                    Reply::json(404, &json!({"message": "404 Package Not Found"})),
                )
        })
        .await;
    let gw = TestGateway::start(&fake.url()).await;
    let asset = |id: u64| format!("{}/repos/o/r/releases/assets/{id}", gw.url);

    let file = call("GET", &asset(3), &OCTET_STREAM, "").await;
    assert_eq!(file.status, 200, "{}", String::from_utf8_lossy(&file.body));
    assert_eq!(&file.body[..], b"\x1f\x8bgzip bytes");
    assert_eq!(file.header("content-type"), Some("application/gzip"));
    assert_eq!(
        file.header("content-disposition"),
        Some("attachment; filename=\"app.tgz\"")
    );
    assert_eq!(file.header("etag"), Some("\"abc\""));
    assert_eq!(file.header("set-cookie"), None);
    let got = fake.last_request().expect("the file was asked");
    assert_eq!(got.path_and_query, format!("{PKG}/app.tgz"));
    assert_eq!(got.header_all("private-token"), ["ghp-secret"]);
    assert_eq!(got.header("authorization"), None);

    let moved = call("GET", &asset(4), &OCTET_STREAM, "").await;
    assert_eq!(moved.status, 302);
    assert_eq!(
        moved.header("location"),
        Some("https://objects.example.com/big.iso?X-Amz-Signature=s")
    );

    let gone = call("GET", &asset(5), &OCTET_STREAM, "").await;
    assert_eq!(gone.status, 404, "{}", String::from_utf8_lossy(&gone.body));
    assert_eq!(gone.json()["message"], json!("Not Found"));

    // Outside the API: the client follows GitHub's redirect, nothing asked.
    let before = fake.request_count();
    let web = call("GET", &asset(6), &OCTET_STREAM, "").await;
    assert_eq!(web.status, 302);
    assert_eq!(
        web.header("location"),
        Some(format!("{}/o/r/uploads/abc/web.txt", fake.url()).as_str())
    );
    assert_eq!(
        fake.request_count(),
        before + 1,
        "only the release was read"
    );
    // The asset's record itself is still its record.
    let record = call("GET", &asset(3), &GITHUB_TOKEN, "").await;
    assert_eq!(record.status, 200);
    assert_eq!(record.json()["name"], json!("app.tgz"));
}
