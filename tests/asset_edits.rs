//! An asset edited (`update_asset`): GitHub's `PATCH …/releases/assets/{id}`
//! (octokit's `updateReleaseAsset`, PyGithub's `update_asset`), GitLab's
//! `PUT …/assets/links/{link_id}` (python-gitlab's `link.save()`) and Gitea's
//! `PATCH …/releases/{id}/assets/{attachment_id}`: found in the release that
//! holds it, then edited there once; what the upstream cannot change (a
//! GitHub or Gitea file's URL) is refused with the reason and nothing is sent.

mod support;
use serde_json::{json, Value};
use support::fake::{FakeUpstream, Recorded, Reply};
use support::gateway::{call, TestGateway};
use support::{fixtures, schema};

const GITHUB: [(&str, &str); 2] = [
    ("Authorization", "token ghp-secret"),
    ("Content-Type", "application/json"),
];
const GITLAB: [(&str, &str); 2] = [
    ("PRIVATE-TOKEN", "glpat-secret"),
    ("Content-Type", "application/json"),
];

/// The GitLab releases collection of project `o/r`.
const GL: &str = "/api/v4/projects/o%2Fr/releases";

fn saw(seen: &[Recorded]) -> Vec<String> {
    seen.iter()
        .map(|r| format!("{} {}", r.method, r.path_and_query))
        .collect()
}

/// The seed's GitLab link (id 3) as GitLab answers its edit: renamed.
fn renamed_link() -> Value {
    let mut l = fixtures::gitlab_release("v1.0")["assets"]["links"][0].clone();
    l["name"] = json!("app-linux.tar.gz");
    schema::gitlab_release_link(&l).unwrap_or_else(|e| panic!("{e}\n{l:#}"));
    l
}

#[tokio::test]
async fn github_client_renames_an_asset_of_a_gitlab_release() {
    let link = format!("{GL}/v1.0/assets/links/3");
    let fake = FakeUpstream::builder()
        .route(
            "GET",
            GL,
            Reply::json(200, &json!([fixtures::gitlab_release("v1.0")])),
        )
        .route("PUT", &link, Reply::json(200, &renamed_link()))
        .start()
        .await;
    let gw = TestGateway::start(&fake.url()).await;
    let url = format!("{}/repos/o/r/releases/assets/3", gw.url);
    // GitHub's documented example body; GitLab's link has no label.
    let body = r#"{"name":"app-linux.tar.gz","label":"Linux build"}"#;
    let r = call("PATCH", &url, &GITHUB, body).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let v = r.json();
    schema::github_asset(&v).unwrap_or_else(|e| panic!("{e}\n{v:#}"));
    assert_eq!(
        (&v["id"], &v["name"], &v["url"]),
        (&json!(3), &json!("app-linux.tar.gz"), &json!(url))
    );
    let seen = fake.requests();
    assert_eq!(
        saw(&seen),
        [
            format!("GET {GL}?page=1&per_page=100"),
            format!("PUT {link}")
        ]
    );
    assert_eq!(seen[1].json(), json!({"name": "app-linux.tar.gz"}));
    assert_eq!(seen[1].header("private-token"), Some("ghp-secret"));

    // An asset no release holds: a 404, nothing edited.
    let none = format!("{}/repos/o/r/releases/assets/99", gw.url);
    let r = call("PATCH", &none, &GITHUB, body).await;
    assert_eq!(r.status, 404, "{}", String::from_utf8_lossy(&r.body));
    assert!(fake.requests().iter().filter(|r| r.method == "PUT").count() == 1);

    // Malformed JSON: the client's 400, nothing sent.
    let before = fake.request_count();
    let r = call("PATCH", &url, &GITHUB, "{\"name\":").await;
    assert_eq!(r.status, 400, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(fake.request_count(), before);
}

/// An edit GitLab does not answer is not sent again.
#[tokio::test]
async fn an_asset_edit_that_fails_is_sent_once() {
    let link = format!("{GL}/v1.0/assets/links/3");
    let fake = FakeUpstream::builder()
        .route(
            "GET",
            GL,
            Reply::json(200, &json!([fixtures::gitlab_release("v1.0")])),
        )
        .route("PUT", &link, Reply::Hangup)
        .start()
        .await;
    let gw = TestGateway::start(&fake.url()).await;
    let url = format!("{}/repos/o/r/releases/assets/3", gw.url);
    let r = call("PATCH", &url, &GITHUB, r#"{"name":"a"}"#).await;
    assert_eq!(r.status, 502, "{}", String::from_utf8_lossy(&r.body));
    let puts = fake.requests().iter().filter(|r| r.method == "PUT").count();
    assert_eq!(puts, 1);
}

#[tokio::test]
async fn github_client_renames_an_attachment_of_a_gitea_release() {
    let mut release = fixtures::load("gitea/release.json");
    release["id"] = json!(5);
    let attachment = release["assets"][0].clone();
    let id = attachment["id"].as_u64().unwrap_or_default();
    let mut renamed = attachment.clone();
    renamed["name"] = json!("app-linux.tar.gz");
    let path = format!("/api/v1/repos/o/r/releases/5/assets/{id}");
    let fake = FakeUpstream::builder()
        .route(
            "GET",
            "/api/v1/repos/o/r/releases",
            Reply::json(200, &json!([release])),
        )
        .route(
            "GET",
            "/api/v1/repos/o/r/releases/tags/v1.2.0",
            Reply::json(200, &release),
        )
        .route("PATCH", &path, Reply::json(201, &renamed))
        .start()
        .await;
    let gw = TestGateway::start_pair("github", "gitea", &fake.url(), "").await;
    let url = format!("{}/repos/o/r/releases/assets/{id}", gw.url);
    let r = call(
        "PATCH",
        &url,
        &GITHUB,
        r#"{"name":"app-linux.tar.gz","label":"x"}"#,
    )
    .await;
    // Gitea answers an edit 201; GitHub clients expect 200.
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let v = r.json();
    schema::github_asset(&v).unwrap_or_else(|e| panic!("{e}\n{v:#}"));
    assert_eq!(
        (&v["id"], &v["name"]),
        (&json!(id), &json!("app-linux.tar.gz"))
    );
    // The release that holds it is found in the list, its id read by its
    // tag (the path names it by id).
    let seen = fake.requests();
    assert_eq!(
        saw(&seen),
        [
            "GET /api/v1/repos/o/r/releases?page=1&limit=50".to_owned(),
            "GET /api/v1/repos/o/r/releases/tags/v1.2.0".to_owned(),
            format!("PATCH {path}"),
        ]
    );
    assert_eq!(seen[2].json(), json!({"name": "app-linux.tar.gz"}));
}

#[tokio::test]
async fn gitlab_client_renames_a_link_of_a_github_release_and_cannot_move_it() {
    let mut renamed = schema::github_example_release("v1.0", 42)["assets"][0].clone();
    let id = renamed["id"].as_u64().unwrap_or_default();
    renamed["name"] = json!("app-linux.tar.gz");
    let fake = FakeUpstream::builder()
        .route(
            "GET",
            "/repos/o/r/releases/tags/v1.0",
            Reply::json(200, &schema::github_example_release("v1.0", 42)),
        )
        .route(
            "PATCH",
            &format!("/repos/o/r/releases/assets/{id}"),
            Reply::json(200, &renamed),
        )
        .start()
        .await;
    let gw = TestGateway::start_pair("gitlab", "github", &fake.url(), "").await;
    let link = format!("{}{GL}/v1.0/assets/links/{id}", gw.url);
    let r = call("PUT", &link, &GITLAB, r#"{"name":"app-linux.tar.gz"}"#).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let v = r.json();
    schema::gitlab_release_link(&v).unwrap_or_else(|e| panic!("{e}\n{v:#}"));
    assert_eq!(
        (&v["id"], &v["name"]),
        (&json!(id), &json!("app-linux.tar.gz"))
    );
    let seen = fake.requests();
    assert_eq!(
        saw(&seen),
        [
            "GET /repos/o/r/releases/tags/v1.0".to_owned(),
            format!("PATCH /repos/o/r/releases/assets/{id}"),
        ]
    );
    assert_eq!(seen[1].json(), json!({"name": "app-linux.tar.gz"}));

    // A new URL or kind: GitHub keeps the file. Refused with the reason
    // before anything is asked.
    for (body, reason) in [
        (
            r#"{"url":"https://example.com/a.tar.gz"}"#,
            "GitHub keeps the file of an asset, whose URL is its own; upload the file anew",
        ),
        (
            r#"{"link_type":"package"}"#,
            "GitHub's assets are files, of no kind; leave `link_type` out",
        ),
    ] {
        let r = call("PUT", &link, &GITLAB, body).await;
        assert_eq!(r.status, 501, "{}", String::from_utf8_lossy(&r.body));
        assert_eq!(
            r.json(),
            json!({"message": format!("the upstream (GitHub) cannot take this asset: {reason}")})
        );
    }
    assert_eq!(fake.request_count(), 2);
}

/// Between two sides of a dialect an edit passes through, byte for byte.
#[tokio::test]
async fn same_dialect_passes_asset_edits_through() {
    let body = r#"{"name":"app-linux.tar.gz","label":"Linux build"}"#;
    let answer = schema::github_example_release("v1.0", 42)["assets"][0].clone();
    let fake = FakeUpstream::builder()
        .route(
            "PATCH",
            "/repos/o/r/releases/assets/1",
            Reply::json(200, &answer),
        )
        .start()
        .await;
    let gw = TestGateway::start_pair("github", "github", &fake.url(), "").await;
    let url = format!("{}/repos/o/r/releases/assets/1", gw.url);
    let r = call("PATCH", &url, &GITHUB, body).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["id"], answer["id"]);
    let seen = fake.requests();
    assert_eq!(saw(&seen), ["PATCH /repos/o/r/releases/assets/1"]);
    assert_eq!(seen[0].body_text(), body);

    let link = format!("{GL}/v1.0/assets/links/3");
    let body = r#"{"name":"app-linux.tar.gz","link_type":"package"}"#;
    let fake = FakeUpstream::builder()
        .route("PUT", &link, Reply::json(200, &renamed_link()))
        .start()
        .await;
    let gw = TestGateway::start_pair("gitlab", "gitlab", &fake.url(), "").await;
    let r = call("PUT", &format!("{}{link}", gw.url), &GITLAB, body).await;
    assert_eq!((r.status, r.json()), (200, renamed_link()));
    assert_eq!(fake.requests()[0].body_text(), body);
}

/// Forges whose releases have no assets: 501 with the reason, nothing sent.
#[tokio::test]
async fn an_asset_edit_in_front_of_sentry_or_dolthub_is_refused() {
    for (up, title, reason) in [
        ("sentry", "Sentry", "Sentry releases have no assets"),
        ("dolthub", "DoltHub", "DoltHub releases have no assets"),
    ] {
        let fake = FakeUpstream::builder().start().await;
        let gw = TestGateway::start_pair("github", up, &fake.url(), "").await;
        let url = format!("{}/repos/o/r/releases/assets/3", gw.url);
        let r = call("PATCH", &url, &GITHUB, r#"{"name":"a"}"#).await;
        assert_eq!(r.status, 501, "{up}: {}", String::from_utf8_lossy(&r.body));
        assert_eq!(
            r.json()["message"],
            json!(format!(
                "the upstream ({title}) has no `update_asset` operation: {reason}"
            ))
        );
        assert_eq!(fake.request_count(), 0, "{up}");
    }
}
