//! A GitLab client attaches a file to a release in two requests: the file
//! kept in the project (`POST …/uploads`), then a release link to its URL
//! (`POST …/releases/{tag}/assets/links`), as python-gitlab's documentation
//! and glab do. In front of a forge that keeps files only in its releases
//! (GitHub Enterprise, Gitea) the gateway holds the kept file, sends nothing,
//! and answers as GitLab does; the link that names it uploads it to the
//! release, once, and the file is let go.

mod support;
use serde_json::{json, Value};
use support::fake::{FakeUpstream, Recorded, Reply};
use support::gateway::{call, Resp, TestGateway};
use support::schema;

const GL: &str = "/api/v4/projects/o%2Fr";
const FILE: &str = "\u{1f}\u{8b}\u{8}\u{0} a gzip file";

/// python-gitlab's `project.upload(name, filedata=…)`: a form whose field
/// `file` holds the file.
async fn keep(gw: &TestGateway, project: &str, name: &str) -> Resp {
    let form = format!(
        "--b0\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
         Content-Type: application/gzip\r\n\r\n{FILE}\r\n--b0--\r\n"
    );
    let headers = [
        ("PRIVATE-TOKEN", "glpat-secret"),
        ("Content-Type", "multipart/form-data; boundary=b0"),
    ];
    let url = format!("{}/api/v4/projects/{project}/uploads", gw.url);
    call("POST", &url, &headers, &form).await
}

/// `release.links.create({"name": …, "url": …})`.
async fn link(gw: &TestGateway, tag: &str, name: &str, url: &str) -> Resp {
    let headers = [
        ("PRIVATE-TOKEN", "glpat-secret"),
        ("Content-Type", "application/json"),
    ];
    let at = format!("{}{GL}/releases/{tag}/assets/links", gw.url);
    let body = json!({"name": name, "url": url}).to_string();
    call("POST", &at, &headers, &body).await
}

/// The kept file's answer, as GitLab gives it (its Markdown uploads API):
/// checked, and its secret.
fn kept(r: &Resp, project_path: &str, name_in_url: &str, alt: &str) -> String {
    assert_eq!(r.status, 201, "{}", r.text());
    let v = r.json();
    let url = v["url"].as_str().expect("url");
    let secret = url
        .strip_prefix("/uploads/")
        .and_then(|s| s.strip_suffix(&format!("/{name_in_url}")))
        .unwrap_or_else(|| panic!("{v:#}"));
    assert_eq!(secret.len(), 32, "{v:#}");
    assert!(secret.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(
        v,
        json!({
            "alt": alt,
            "url": url,
            "full_path": format!("{project_path}{url}"),
            "markdown": format!("[{alt}]({url})"),
        })
    );
    secret.to_owned()
}

/// A file kept in project `o/r` under `name` (a plain one): its secret.
async fn held_in_o_r(gw: &TestGateway, name: &str) -> String {
    kept(&keep(gw, "o%2Fr", name).await, "/o/r", name, name)
}

fn saw(seen: &[Recorded]) -> Vec<String> {
    seen.iter()
        .map(|r| format!("{} {}", r.method, r.path_and_query))
        .collect()
}

/// A GitHub Enterprise release `v1.0` (id 5), as its tag lookup answers.
fn ghe() -> support::fake::FakeBuilder {
    FakeUpstream::builder().route(
        "GET",
        "/api/v3/repos/o/r/releases/tags/v1.0",
        Reply::json(200, &schema::github_example_release("v1.0", 5)),
    )
}

/// GitHub's answer to an upload of `name`.
fn gh_asset(name: &str) -> Value {
    let mut a = schema::github_example("release-asset");
    a["name"] = json!(name);
    a["id"] = json!(77);
    a["browser_download_url"] = json!(format!(
        "https://ghe.example/o/r/releases/download/v1.0/{name}"
    ));
    a
}

#[tokio::test]
async fn a_file_kept_then_linked_is_uploaded_to_a_github_enterprise_release() {
    let fake = ghe()
        .route(
            "POST",
            "/api/uploads/repos/o/r/releases/5/assets",
            Reply::json(201, &gh_asset("app.tar.gz")),
        )
        .start()
        .await;
    let base = format!("{}/api/v3", fake.url());
    let gw = TestGateway::start_pair("gitlab", "github", &base, "").await;

    // Kept: held by the gateway, nothing sent.
    let r = keep(&gw, "o%2Fr", "app v1.tar.gz").await;
    let secret = kept(&r, "/o/r", "app%20v1.tar.gz", "app v1.tar.gz");
    assert_eq!(fake.request_count(), 0);

    // Linked at the URL the client builds from it (the project's web URL
    // and `url`): the file goes to the release under the link's name.
    let url = format!("https://gitlab.example/o/r/uploads/{secret}/app%20v1.tar.gz");
    let r = link(&gw, "v1.0", "app.tar.gz", &url).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let v = r.json();
    schema::gitlab_release_link(&v).unwrap_or_else(|e| panic!("{e}\n{v:#}"));
    let download = gh_asset("app.tar.gz")["browser_download_url"].clone();
    assert_eq!(
        (&v["id"], &v["name"], &v["url"], &v["link_type"]),
        (&json!(77), &json!("app.tar.gz"), &download, &json!("other"))
    );
    let seen = fake.requests();
    assert_eq!(
        saw(&seen),
        [
            "GET /api/v3/repos/o/r/releases/tags/v1.0",
            "POST /api/uploads/repos/o/r/releases/5/assets?name=app.tar.gz",
        ]
    );
    let up = &seen[1];
    assert_eq!(up.body, FILE.as_bytes());
    assert_eq!(up.header_all("content-type"), ["application/gzip"]);
    assert_eq!(up.header_all("authorization"), ["Bearer glpat-secret"]);

    // Let go once in the release: the same link again names nothing held.
    let r = link(&gw, "v1.0", "app.tar.gz", &url).await;
    assert_eq!(r.status, 501, "{}", r.text());
    assert_eq!(fake.request_count(), 2);
}

/// A link whose URL names no held file (a file kept elsewhere, another
/// project's, or one let go) is GitLab's 501 with the reason, nothing sent; a
/// file the upstream refuses stays held, and a second link with another
/// name uploads it.
#[tokio::test]
async fn links_to_files_not_held_are_refused_and_a_refused_upload_keeps_the_file() {
    let fake = ghe()
        .route_seq(
            "POST",
            "/api/uploads/repos/o/r/releases/5/assets",
            vec![
                Reply::json(
                    422,
                    &json!({"message": "Validation Failed", "errors": [{"resource": "ReleaseAsset", "code": "already_exists", "field": "name"}]}),
                ),
                Reply::json(201, &gh_asset("other.tar.gz")),
            ],
        )
        .start()
        .await;
    let base = format!("{}/api/v3", fake.url());
    let gw = TestGateway::start_pair("gitlab", "github", &base, "").await;

    let r = link(&gw, "v1.0", "x", "https://downloads.example/x.tar.gz").await;
    assert_eq!(r.status, 501, "{}", r.text());
    let msg = r.json()["message"].as_str().unwrap_or_default().to_owned();
    assert!(
        msg.starts_with(
            "the upstream (GitHub) has no `link` operation: GitHub keeps a release's files itself"
        ),
        "{msg}"
    );
    assert!(
        msg.ends_with("this link's URL names none it holds"),
        "{msg}"
    );

    // Kept in project o/r, named in a link of another project.
    let r = keep(&gw, "o%2Fr", "app.tar.gz").await;
    let secret = kept(&r, "/o/r", "app.tar.gz", "app.tar.gz");
    let url = format!("https://gitlab.example/o/r/uploads/{secret}/app.tar.gz");
    let other = format!(
        "{}/api/v4/projects/o%2Fother/releases/v1.0/assets/links",
        gw.url
    );
    let headers = [
        ("PRIVATE-TOKEN", "glpat-secret"),
        ("Content-Type", "application/json"),
    ];
    let r = call(
        "POST",
        &other,
        &headers,
        &json!({"name": "a", "url": url}).to_string(),
    )
    .await;
    assert_eq!(r.status, 501, "{}", r.text());
    assert_eq!(fake.request_count(), 0);

    // GitHub refuses the name: the client gets GitHub's refusal, in GitLab's
    // words, and the file is held still.
    let r = link(&gw, "v1.0", "app.tar.gz", &url).await;
    assert_eq!(r.status, 409, "{}", r.text());
    let r = link(&gw, "v1.0", "other.tar.gz", &url).await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.json()["name"], "other.tar.gz");
    let seen = fake.requests();
    assert_eq!(
        saw(&seen)[1..],
        [
            "POST /api/uploads/repos/o/r/releases/5/assets?name=app.tar.gz",
            "GET /api/v3/repos/o/r/releases/tags/v1.0",
            "POST /api/uploads/repos/o/r/releases/5/assets?name=other.tar.gz",
        ]
    );
    assert!(seen
        .iter()
        .filter(|r| r.method == "POST")
        .all(|r| r.body == FILE.as_bytes()));
}

/// Gitea takes the file in its release too: the link's name in its query.
/// A project addressed by number is named so in the file's `full_path`.
#[tokio::test]
async fn a_file_kept_then_linked_is_uploaded_to_a_gitea_release() {
    let attachment = json!({
        "id": 12, "name": "notes.txt", "size": 20, "download_count": 0,
        "created_at": "2024-05-01T10:00:00Z",
        "uuid": "f1d2d2f9-24c3-4a4b-9d8d-6f1b3e0c2a11",
        "browser_download_url": "https://gitea.example.com/attachments/f1d2d2f9-24c3-4a4b-9d8d-6f1b3e0c2a11"
    });
    let release = json!({"id": 8, "tag_name": "v1.0", "name": "v1.0", "body": "",
        "draft": false, "prerelease": false, "created_at": "2024-05-01T10:00:00Z",
        "published_at": "2024-05-01T10:00:00Z", "assets": []});
    let fake = FakeUpstream::builder()
        .route(
            "GET",
            "/api/v1/repos/o/r/releases/tags/v1.0",
            Reply::json(200, &release),
        )
        .route(
            "POST",
            "/api/v1/repos/o/r/releases/8/assets",
            Reply::json(201, &attachment),
        )
        .start()
        .await;
    let gw = TestGateway::start_pair(
        "gitlab",
        "gitea",
        &fake.url(),
        "[projects]\n\"1234\" = \"o/r\"\n",
    )
    .await;
    let r = keep(&gw, "1234", "notes.txt").await;
    let secret = kept(&r, "/1234", "notes.txt", "notes.txt");
    let url = format!("https://gitlab.example/1234/uploads/{secret}/notes.txt");
    let r = link(&gw, "v1.0", "notes.txt", &url).await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(
        (&r.json()["id"], &r.json()["url"]),
        (&json!(12), &attachment["browser_download_url"])
    );
    let seen = fake.requests();
    assert_eq!(
        saw(&seen),
        [
            "GET /api/v1/repos/o/r/releases/tags/v1.0",
            "POST /api/v1/repos/o/r/releases/8/assets?name=notes.txt",
        ]
    );
    assert_eq!(seen[1].body, FILE.as_bytes());
}

/// Held files are bounded: one that does not fit beside the others is
/// GitLab's 413, and nothing is held or sent.
#[tokio::test]
async fn held_files_are_bounded() {
    let fake = ghe().start().await;
    let base = format!("{}/api/v3", fake.url());
    let gw = TestGateway::start_pair(
        "gitlab",
        "github",
        &base,
        "[limits]\nheld_file_bytes = 30\n",
    )
    .await;
    let r = keep(&gw, "o%2Fr", "a.tar.gz").await;
    kept(&r, "/o/r", "a.tar.gz", "a.tar.gz");
    let r = keep(&gw, "o%2Fr", "b.tar.gz").await;
    assert_eq!(r.status, 413, "{}", r.text());
    let msg = r.json()["message"].as_str().unwrap_or_default().to_owned();
    assert!(
        msg.starts_with("the gateway holds at most 30 bytes of files not yet linked to a release"),
        "{msg}"
    );
    assert_eq!(fake.request_count(), 0);
}

/// In front of api.github.com, which takes files at another host, a kept
/// file is refused with the reason, unread.
#[tokio::test]
async fn a_file_kept_in_front_of_api_github_com_is_refused() {
    let fake = FakeUpstream::builder().start().await;
    let gw = TestGateway::start_pair("gitlab", "github", &fake.url(), "").await;
    let r = keep(&gw, "o%2Fr", "a.tar.gz").await;
    assert_eq!(r.status, 501, "{}", r.text());
    assert!(
        r.json()["message"]
            .as_str()
            .is_some_and(|m| m.contains("GitHub keeps no files outside a release")),
        "{}",
        r.text()
    );
    assert_eq!(fake.request_count(), 0);
}

/// A release created with links to held files (semantic-release's and
/// release-it's GitLab way: files kept first, then the release made with
/// `assets.links` to them): made without them, each file then uploaded to
/// it once, and the release read back with its files, as GitLab answers.
#[tokio::test]
async fn a_release_created_with_links_to_held_files_gets_them_uploaded() {
    let made = schema::github_example_release("v2.0", 6);
    let mut after = made.clone();
    after["assets"] = json!([gh_asset("a.tar.gz"), gh_asset("b.tar.gz")]);
    after["assets"][1]["id"] = json!(78);
    let fake = FakeUpstream::builder()
        .route(
            "POST",
            "/api/v3/repos/o/r/releases",
            Reply::json(201, &made),
        )
        .route_seq(
            "POST",
            "/api/uploads/repos/o/r/releases/6/assets",
            vec![
                Reply::json(201, &gh_asset("a.tar.gz")),
                Reply::json(201, &after["assets"][1]),
            ],
        )
        .route(
            "GET",
            "/api/v3/repos/o/r/releases/tags/v2.0",
            Reply::json(200, &after),
        )
        .start()
        .await;
    let base = format!("{}/api/v3", fake.url());
    let gw = TestGateway::start_pair("gitlab", "github", &base, "").await;
    let a = held_in_o_r(&gw, "a.tar.gz").await;
    let b = held_in_o_r(&gw, "b.tar.gz").await;
    let create = json!({
        "tag_name": "v2.0", "name": "Two", "description": "With files.",
        "assets": {"links": [
            {"name": "a.tar.gz", "url": format!("https://gitlab.example/o/r/uploads/{a}/a.tar.gz")},
            {"name": "b.tar.gz", "url": format!("https://gitlab.example/o/r/uploads/{b}/b.tar.gz")},
        ]}
    });
    let headers = [
        ("PRIVATE-TOKEN", "glpat-secret"),
        ("Content-Type", "application/json"),
    ];
    let r = call(
        "POST",
        &format!("{}{GL}/releases", gw.url),
        &headers,
        &create.to_string(),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let v = r.json();
    schema::gitlab_release(&v).unwrap_or_else(|e| panic!("{e}\n{v:#}"));
    let links: Vec<(&Value, &Value)> = v["assets"]["links"]
        .as_array()
        .expect("links")
        .iter()
        .map(|l| (&l["id"], &l["name"]))
        .collect();
    assert_eq!(
        links,
        [
            (&json!(77), &json!("a.tar.gz")),
            (&json!(78), &json!("b.tar.gz"))
        ]
    );
    let seen = fake.requests();
    assert_eq!(
        saw(&seen),
        [
            "POST /api/v3/repos/o/r/releases",
            "POST /api/uploads/repos/o/r/releases/6/assets?name=a.tar.gz",
            "POST /api/uploads/repos/o/r/releases/6/assets?name=b.tar.gz",
            "GET /api/v3/repos/o/r/releases/tags/v2.0",
        ]
    );
    // The release is made without the links GitHub cannot take.
    assert_eq!(
        seen[0].json(),
        json!({"tag_name": "v2.0", "name": "Two", "body": "With files."})
    );
    assert!(seen[1..3].iter().all(|r| r.body == FILE.as_bytes()));
    // Both let go.
    let url = format!("https://gitlab.example/o/r/uploads/{a}/a.tar.gz");
    assert_eq!(link(&gw, "v2.0", "a.tar.gz", &url).await.status, 501);
    assert_eq!(fake.request_count(), 4);
}

/// A create whose links name a file not held (one kept elsewhere) is refused
/// whole, with GitHub's reason, before anything is sent; an upload that fails
/// after the release is made says so, and the files not uploaded stay held.
#[tokio::test]
async fn a_create_with_links_not_all_held_is_refused_and_a_failed_upload_says_what_was_made() {
    let made = schema::github_example_release("v2.0", 6);
    let fake = FakeUpstream::builder()
        .route(
            "POST",
            "/api/v3/repos/o/r/releases",
            Reply::json(201, &made),
        )
        .route(
            "GET",
            "/api/v3/repos/o/r/releases/tags/v2.0",
            Reply::json(200, &made),
        )
        .route_seq(
            "POST",
            "/api/uploads/repos/o/r/releases/6/assets",
            vec![
                Reply::json(201, &gh_asset("a.tar.gz")),
                Reply::json(500, &json!({"message": "Server Error"})),
                Reply::json(201, &gh_asset("b.tar.gz")),
            ],
        )
        .start()
        .await;
    let base = format!("{}/api/v3", fake.url());
    let gw = TestGateway::start_pair("gitlab", "github", &base, "").await;
    let a = held_in_o_r(&gw, "a.tar.gz").await;
    let b = held_in_o_r(&gw, "b.tar.gz").await;
    let held = |s: &str, n: &str| json!({"name": n, "url": format!("https://gitlab.example/o/r/uploads/{s}/{n}")});
    let headers = [
        ("PRIVATE-TOKEN", "glpat-secret"),
        ("Content-Type", "application/json"),
    ];
    let at = format!("{}{GL}/releases", gw.url);

    let mixed = json!({"tag_name": "v2.0", "assets": {"links": [
        held(&a, "a.tar.gz"),
        {"name": "x", "url": "https://downloads.example/x.tar.gz"},
    ]}});
    let r = call("POST", &at, &headers, &mixed.to_string()).await;
    assert_eq!(r.status, 501, "{}", r.text());
    assert!(
        r.text()
            .contains("GitHub attaches files to a release by upload once it exists"),
        "{}",
        r.text()
    );
    assert_eq!(fake.request_count(), 0);

    let both = json!({"tag_name": "v2.0", "assets": {"links": [held(&a, "a.tar.gz"), held(&b, "b.tar.gz")]}});
    let r = call("POST", &at, &headers, &both.to_string()).await;
    assert_eq!(r.status, 502, "{}", r.text());
    let msg = r.json()["message"].as_str().unwrap_or_default().to_owned();
    assert!(
        msg.ends_with("(release v2.0 was made with 1 of its 2 files; `b.tar.gz` and those after it were not uploaded and stay held: link them to the release)"),
        "{msg}"
    );
    // Sent once each, never again.
    assert_eq!(
        saw(&fake.requests()),
        [
            "POST /api/v3/repos/o/r/releases",
            "POST /api/uploads/repos/o/r/releases/6/assets?name=a.tar.gz",
            "POST /api/uploads/repos/o/r/releases/6/assets?name=b.tar.gz",
        ]
    );
    // `b` is held still: its link uploads it.
    let url = format!("https://gitlab.example/o/r/uploads/{b}/b.tar.gz");
    let r = link(&gw, "v2.0", "b.tar.gz", &url).await;
    assert_eq!(r.status, 201, "{}", r.text());
}

/// api.github.com with its upload host named in the config: the kept file
/// goes there when linked, and the release is looked up at the API.
#[tokio::test]
async fn a_file_kept_then_linked_goes_to_the_upload_host_the_config_names() {
    let api = FakeUpstream::builder()
        .route(
            "GET",
            "/repos/o/r/releases/tags/v1.0",
            Reply::json(200, &schema::github_example_release("v1.0", 5)),
        )
        .start()
        .await;
    let uploads = FakeUpstream::builder()
        .route(
            "POST",
            "/repos/o/r/releases/5/assets",
            Reply::json(201, &gh_asset("app.tar.gz")),
        )
        .start()
        .await;
    let cfg = format!("[upstream.hosts]\nuploads = \"{}\"\n", uploads.url());
    let gw = TestGateway::start_pair("gitlab", "github", &api.url(), &cfg).await;
    let secret = held_in_o_r(&gw, "app.tar.gz").await;
    let url = format!("https://gitlab.example/o/r/uploads/{secret}/app.tar.gz");
    let r = link(&gw, "v1.0", "app.tar.gz", &url).await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(saw(&api.requests()), ["GET /repos/o/r/releases/tags/v1.0"]);
    let seen = uploads.requests();
    assert_eq!(
        saw(&seen),
        ["POST /repos/o/r/releases/5/assets?name=app.tar.gz"]
    );
    assert_eq!(seen[0].header_all("authorization"), ["Bearer glpat-secret"]);
    assert_eq!(seen[0].body, FILE.as_bytes());
}
