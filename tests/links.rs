//! Files of releases on a forge whose release assets are links (GitLab's): a
//! GitHub client's upload goes there in two requests, the file kept in the
//! project (`store`) and then linked to the release (`link`); a GitLab
//! client's release link (`link`) passes through to GitLab and is refused,
//! with the reason, in front of forges that keep files themselves.

mod support;
use forgebridge::canonical::synthetic_id;
use serde_json::{json, Value};
use support::fake::{FakeBuilder, FakeUpstream, Recorded, Reply};
use support::gateway::{call, TestGateway};
use support::{fixtures, schema};

/// Project `o/r` on GitLab.
const GL: &str = "/api/v4/projects/o%2Fr";

const FILE: &str = "\u{1f}\u{8b}\u{8}\u{0} a gzip file";

/// GitLab's answer to a project upload, as its Markdown uploads API documents
/// it (GitLab 17.1 and later: `full_path` under `/-/project/<id>/`).
fn kept_file() -> Value {
    json!({
        "id": 5,
        "alt": "app v1.tar",
        "url": "/uploads/66dbcd21ec5d24ed6ea225176098d52b/app_v1.tar.gz",
        "full_path": "/-/project/1234/uploads/66dbcd21ec5d24ed6ea225176098d52b/app_v1.tar.gz",
        "markdown": "[app v1.tar.gz](/uploads/66dbcd21ec5d24ed6ea225176098d52b/app_v1.tar.gz)"
    })
}

/// GitLab's release link for `url`, as it answers the link's creation.
fn link(id: u64, name: &str, url: &str) -> Value {
    let v = json!({
        "id": id,
        "name": name,
        "url": url,
        "direct_asset_url": url,
        "link_type": "other"
    });
    schema::gitlab_release_link(&v).unwrap_or_else(|e| panic!("{e}\n{v:#}"));
    v
}

/// A GitLab that keeps a file in project `o/r` (its documented answer) and
/// answers the link to it with `links`; its release list holds `v1.0`.
fn keeps_and_links(links: Reply) -> FakeBuilder {
    FakeUpstream::builder()
        .route(
            "GET",
            &format!("{GL}/releases"),
            Reply::json(200, &releases()),
        )
        .route(
            "POST",
            &format!("{GL}/uploads"),
            Reply::json(201, &kept_file()),
        )
        .route("POST", &format!("{GL}/releases/v1.0/assets/links"), links)
}

/// The GitLab list the gateway reads to learn which tag a GitHub client's
/// release id stands for.
fn releases() -> Value {
    json!([fixtures::gitlab_release("v1.0")])
}

/// A GitHub client's upload (to a translated release's `upload_url`).
async fn upload(gw: &TestGateway, query: &str) -> support::gateway::Resp {
    let id = synthetic_id("o/r", "v1.0");
    let url = format!("{}/repos/o/r/releases/{id}/assets?{query}", gw.url);
    let headers = [
        ("Authorization", "token ghp-secret"),
        ("Content-Type", "application/gzip"),
    ];
    call("POST", &url, &headers, FILE).await
}

fn saw(seen: &[Recorded]) -> Vec<String> {
    seen.iter()
        .map(|r| format!("{} {}", r.method, r.path_and_query))
        .collect()
}

/// The multipart form the gateway sends GitLab: the file as the field `file`,
/// named and typed as the client sent it, under the boundary its
/// `Content-Type` names.
fn form_of(r: &Recorded, name: &str) -> String {
    let ct = r.header("content-type").unwrap_or_default();
    let boundary = ct
        .strip_prefix("multipart/form-data; boundary=")
        .unwrap_or_else(|| panic!("not a form: {ct}"));
    assert!(!FILE.contains(boundary));
    format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
         Content-Type: application/gzip\r\n\r\n{FILE}\r\n--{boundary}--\r\n"
    )
}

#[tokio::test]
async fn github_client_uploads_a_file_to_a_gitlab_release_as_a_kept_file_and_its_link() {
    // GitLab answers with the link it made (here at its own host's URL).
    let answered = "https://gitlab.example.com/-/project/1234/uploads/66dbcd21ec5d24ed6ea225176098d52b/app_v1.tar.gz";
    // The release, with the link.
    let mut linked = fixtures::gitlab_release("v1.0");
    linked["assets"]["links"] = json!([link(9, "app v1.tar.gz", answered)]);
    let fake = keeps_and_links(Reply::json(201, &link(9, "app v1.tar.gz", answered)))
        .route(
            "GET",
            &format!("{GL}/releases/v1.0"),
            Reply::json(200, &linked),
        )
        .start()
        .await;
    let kept_at = format!(
        "{}{}",
        fake.url(),
        kept_file()["full_path"].as_str().unwrap_or_default()
    );
    let gw = TestGateway::start(&fake.url()).await;
    let r = upload(&gw, "name=app%20v1.tar.gz&label=The%20app").await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let v = r.json();
    schema::github_asset(&v).unwrap_or_else(|e| panic!("{e}\n{v:#}"));
    // The link's id and URL; the size and media type of the file sent, which
    // a link does not carry.
    assert_eq!(
        (&v["id"], &v["name"], &v["browser_download_url"]),
        (&json!(9), &json!("app v1.tar.gz"), &json!(answered))
    );
    assert_eq!(
        (&v["size"], &v["content_type"], &v["label"]),
        (&json!(FILE.len()), &json!("application/gzip"), &json!(""))
    );
    assert_eq!(
        v["url"],
        json!(format!("{}/repos/o/r/releases/assets/9", gw.url))
    );

    let seen = fake.requests();
    assert_eq!(
        saw(&seen),
        [
            format!("GET {GL}/releases?page=1&per_page=100"),
            format!("POST {GL}/uploads"),
            format!("POST {GL}/releases/v1.0/assets/links"),
        ]
    );
    for r in &seen {
        assert_eq!(r.header_all("private-token"), ["ghp-secret"]);
        assert_eq!(r.header("authorization"), None);
    }
    // The file, byte for byte, in GitLab's form field; the name as GitLab
    // reads it (no label: GitLab's link has none).
    assert_eq!(seen[1].body_text(), form_of(&seen[1], "app v1.tar.gz"));
    // The link: the file's name, at the URL GitLab's answer gives (its path
    // on the GitLab host).
    assert_eq!(seen[2].header("content-type"), Some("application/json"));
    assert_eq!(
        seen[2].json(),
        json!({"name": "app v1.tar.gz", "url": kept_at})
    );

    // A release the list does not hold: GitHub's 404, and no file is kept.
    let before = fake.request_count();
    let url = format!("{}/repos/o/r/releases/12345/assets?name=a.txt", gw.url);
    let r = call("POST", &url, &[("Authorization", "token ghp-secret")], FILE).await;
    assert_eq!(r.status, 404, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(
        saw(&fake.requests())[before..],
        [format!("GET {GL}/releases?page=1&per_page=100")]
    );

    // The asset is found again by its id, in the release it was linked to
    // (read whole, as the gateway reads one asset), without a search.
    let url = format!("{}/repos/o/r/releases/assets/9", gw.url);
    let r = call("GET", &url, &[("Authorization", "token ghp-secret")], "").await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["browser_download_url"], json!(answered));
    assert_eq!(
        saw(&fake.requests())[4..],
        [format!("GET {GL}/releases/v1.0")]
    );
}

/// A link that GitLab refuses leaves the file kept in the project but in no
/// release: the client gets GitLab's error, and where the file is. Nothing
/// is sent twice.
#[tokio::test]
async fn a_link_gitlab_refuses_says_where_the_file_is_kept() {
    let taken = json!({"message": {"name": ["has already been taken"]}});
    let fake = keeps_and_links(Reply::json(400, &taken)).start().await;
    let gw = TestGateway::start(&fake.url()).await;
    let r = upload(&gw, "name=app.tar.gz").await;
    assert_eq!(r.status, 400, "{}", String::from_utf8_lossy(&r.body));
    let v = r.json();
    schema::github_basic_error(&v).unwrap_or_else(|e| panic!("{e}\n{v:#}"));
    let kept_at = format!(
        "{}{}",
        fake.url(),
        kept_file()["full_path"].as_str().unwrap_or_default()
    );
    let message = v["message"].as_str().unwrap_or_default();
    assert!(
        message.ends_with(&format!(
            "(the file is kept at {kept_at} but is linked to no release: link it, or upload it again)"
        )),
        "{message}"
    );
    assert_eq!(fake.request_count(), 3);

    // A link whose answer never comes is not asked again either: 502.
    let fake = keeps_and_links(Reply::Hangup).start().await;
    let gw = TestGateway::start(&fake.url()).await;
    let r = upload(&gw, "name=app.tar.gz").await;
    assert_eq!(r.status, 502, "{}", String::from_utf8_lossy(&r.body));
    assert!(r.json()["message"]
        .as_str()
        .is_some_and(|m| m.contains("the file is kept at")));
    assert_eq!(
        saw(&fake.requests())[1..],
        [
            format!("POST {GL}/uploads"),
            format!("POST {GL}/releases/v1.0/assets/links")
        ]
    );
}

/// A file GitLab does not keep is linked to nothing: its error, or a 502 for
/// an answer that does not say where the file is; the link is never asked.
#[tokio::test]
async fn a_file_gitlab_does_not_keep_is_linked_to_nothing() {
    let too_large = json!({"message": "413 Request Entity Too Large"});
    let no_path = json!({"id": 5, "alt": "app", "url": "/uploads/x/app.tar.gz"});
    for (reply, status, message) in [
        (
            Reply::json(413, &too_large),
            413,
            "413 Request Entity Too Large",
        ),
        (
            Reply::json(201, &no_path),
            502,
            "the upstream (GitLab) answered store with asset `5`, whose `full_path` is missing",
        ),
        (
            Reply::raw(201, "text/html", "<html>signed out</html>"),
            502,
            "answered store with JSON without an object at $",
        ),
        (Reply::Hangup, 502, ""),
    ] {
        let fake = FakeUpstream::builder()
            .route(
                "GET",
                &format!("{GL}/releases"),
                Reply::json(200, &releases()),
            )
            .route("POST", &format!("{GL}/uploads"), reply)
            .start()
            .await;
        let gw = TestGateway::start(&fake.url()).await;
        let r = upload(&gw, "name=app.tar.gz").await;
        assert_eq!(r.status, status, "{}", String::from_utf8_lossy(&r.body));
        let got = r.json()["message"].as_str().unwrap_or_default().to_owned();
        assert!(got.contains(message), "{got}");
        assert_eq!(
            saw(&fake.requests())[1..],
            [format!("POST {GL}/uploads")],
            "{got}"
        );
    }
}

/// A GitLab client's release link: passed through between two GitLab sides,
/// refused with the reason in front of forges that keep files themselves,
/// nothing sent. (A link to a file the gateway holds is `tests/held.rs`'s:
/// in front of Gitea, which takes files, the refusal says so.)
#[tokio::test]
async fn gitlab_client_links_a_file_to_a_release_on_gitlab_only() {
    let path = format!("{GL}/releases/v1.0/assets/links");
    let body =
        r#"{"name":"app.tar.gz","url":"https://example.com/app.tar.gz","link_type":"package"}"#;
    let made = link(3, "app.tar.gz", "https://example.com/app.tar.gz");
    let fake = FakeUpstream::builder()
        .route("POST", &path, Reply::json(201, &made))
        .start()
        .await;
    let gw = TestGateway::start_pair("gitlab", "gitlab", &fake.url(), "").await;
    let headers = [
        ("PRIVATE-TOKEN", "glpat-secret"),
        ("Content-Type", "application/json"),
    ];
    let r = call("POST", &format!("{}{path}", gw.url), &headers, body).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json(), made);
    let seen = fake.requests();
    assert_eq!(saw(&seen), [format!("POST {path}")]);
    assert_eq!(seen[0].body_text(), body);

    for (up, title, reason) in [
        ("github", "GitHub", "GitHub keeps a release's files itself and links none kept elsewhere; upload the file to the release"),
        ("gitea", "Gitea", "Gitea's release attachments are files it keeps, not links to files kept elsewhere; upload the file to the release"),
        ("sentry", "Sentry", "Sentry releases have no assets to link a file to"),
        ("dolthub", "DoltHub", "DoltHub releases have no assets"),
    ] {
        let fake = FakeUpstream::builder().start().await;
        let gw = TestGateway::start_pair("gitlab", up, &fake.url(), "").await;
        let r = call("POST", &format!("{}{path}", gw.url), &headers, body).await;
        assert_eq!(r.status, 501, "{up}: {}", String::from_utf8_lossy(&r.body));
        let held = match up {
            "gitea" => ". The gateway uploads to the release a file kept in the project through it (within 3600 s): this link's URL names none it holds",
            _ => "",
        };
        assert_eq!(
            r.json(),
            json!({"message": format!("the upstream ({title}) has no `link` operation: {reason}{held}")}),
            "{up}"
        );
        assert_eq!(fake.request_count(), 0, "{up}");
    }
}

/// A GitLab client's project upload (python-gitlab's `project.upload`):
/// passed through between two GitLab sides, the form byte for byte; in front
/// of api.github.com, which takes no file from the gateway, refused with the
/// reason (in front of forges that take files in releases the file is held:
/// `tests/held.rs`).
#[tokio::test]
async fn gitlab_client_keeps_a_file_in_a_project_on_gitlab_only() {
    let path = format!("{GL}/uploads");
    let headers = [
        ("PRIVATE-TOKEN", "glpat-secret"),
        ("Content-Type", "multipart/form-data; boundary=b0"),
    ];
    let form = "--b0\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\r\nhi\r\n--b0--\r\n";
    let fake = FakeUpstream::builder()
        .route("POST", &path, Reply::json(201, &kept_file()))
        .start()
        .await;
    let gw = TestGateway::start_pair("gitlab", "gitlab", &fake.url(), "").await;
    let r = call("POST", &format!("{}{path}", gw.url), &headers, form).await;
    assert_eq!((r.status, r.json()), (201, kept_file()));
    let seen = fake.requests();
    assert_eq!(saw(&seen), [format!("POST {path}")]);
    assert_eq!(seen[0].body_text(), form);
    assert_eq!(seen[0].header("content-type"), Some(headers[1].1));

    let fake = FakeUpstream::builder().start().await;
    let gw = TestGateway::start_pair("gitlab", "github", &fake.url(), "").await;
    let r = call("POST", &format!("{}{path}", gw.url), &headers, form).await;
    assert_eq!(
        (r.status, r.json()),
        (
            501,
            json!({"message": "the upstream (GitHub) has no `store` operation: GitHub keeps no files outside a release, and the gateway holds one for a link only where it can upload it to the release: at GitHub Enterprise, or at api.github.com with its upload host named in the config ([upstream.hosts] uploads = \"https://uploads.github.com\"); upload the file to a release"})
        )
    );
    assert_eq!(fake.request_count(), 0);
}

/// A Gitea client's upload as Gitea's SDKs send it (giteapy, tea): a
/// multipart form whose field `attachment` holds the file. In front of
/// GitLab the file is read from the form, named by `?name=` or else by its
/// filename, and kept and linked as any other; in front of GitHub it is
/// refused before anything is sent.
#[tokio::test]
async fn gitea_client_uploads_a_form_to_a_gitlab_release() {
    let answered = "https://gitlab.example.com/-/project/1234/uploads/66dbcd21ec5d24ed6ea225176098d52b/app.tar.gz";
    let fake = keeps_and_links(Reply::json(201, &link(9, "app.tar.gz", answered)))
        .start()
        .await;
    let gw = TestGateway::start_pair("gitea", "gitlab", &fake.url(), "").await;
    let id = synthetic_id("o/r", "v1.0");
    let url = format!("{}/api/v1/repos/o/r/releases/{id}/assets", gw.url);
    let headers = [
        ("Authorization", "token gitea-secret"),
        ("Content-Type", "multipart/form-data; boundary=9a8b"),
    ];
    let form = format!(
        "--9a8b\r\nContent-Disposition: form-data; name=\"attachment\"; filename=\"app.tar.gz\"\r\n\
         Content-Type: application/gzip\r\n\r\n{FILE}\r\n--9a8b--\r\n"
    );
    let r = call("POST", &url, &headers, &form).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let v = r.json();
    schema::gitea_attachment(&v).unwrap_or_else(|e| panic!("{e}\n{v:#}"));
    assert_eq!(
        (&v["id"], &v["name"], &v["size"], &v["browser_download_url"]),
        (
            &json!(9),
            &json!("app.tar.gz"),
            &json!(FILE.len()),
            &json!(answered)
        )
    );
    let seen = fake.requests();
    assert_eq!(
        saw(&seen)[1..],
        [
            format!("POST {GL}/uploads"),
            format!("POST {GL}/releases/v1.0/assets/links"),
        ]
    );
    // The file, byte for byte, in GitLab's field, named and typed as in the
    // client's form.
    assert_eq!(seen[1].body_text(), form_of(&seen[1], "app.tar.gz"));
    assert_eq!(seen[1].header_all("private-token"), ["gitea-secret"]);
    assert_eq!(seen[2].json()["name"], "app.tar.gz");

    // `?name=` names it over the filename.
    let before = fake.request_count();
    let r = call(
        "POST",
        &format!("{url}?name=app%20v1.tar.gz"),
        &headers,
        &form,
    )
    .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let seen = fake.requests();
    assert_eq!(
        seen[before].body_text(),
        form_of(&seen[before], "app v1.tar.gz")
    );

    // A form without the field: the client's 422, nothing sent.
    let before = fake.request_count();
    let other = form.replace("name=\"attachment\"", "name=\"file\"");
    let r = call("POST", &url, &headers, &other).await;
    assert_eq!(r.status, 422, "{}", String::from_utf8_lossy(&r.body));
    let v = r.json();
    schema::gitea_error(&v).unwrap_or_else(|e| panic!("{e}\n{v:#}"));
    assert_eq!(
        v["message"],
        "the form has no `attachment`: the file goes in `attachment`"
    );
    assert_eq!(fake.request_count(), before);

    // In front of api.github.com (files at another host only): 501, nothing sent.
    let fake = FakeUpstream::builder().start().await;
    let gw = TestGateway::start_pair("gitea", "github", &fake.url(), "").await;
    let url = format!("{}/api/v1/repos/o/r/releases/5/assets", gw.url);
    let r = call("POST", &url, &headers, &form).await;
    assert_eq!(r.status, 501, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(fake.request_count(), 0);
}
