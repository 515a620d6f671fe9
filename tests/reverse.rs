//! GitLab clients in front of a GitHub upstream, where the two address a
//! release differently: GitLab updates and deletes by tag, GitHub by numeric
//! id. The gateway looks the id up with GitHub's by-tag route first (a GET,
//! never a write), and a GitLab delete, which answers with the deleted
//! release, gets the release that lookup found (GitHub answers 204),
//! translated before the DELETE is sent. Whatever goes wrong before the
//! write, nothing is written.

mod support;
use serde_json::{json, Value};
use support::fake::{FakeUpstream, Reply};
use support::gateway::{call, Resp, TestGateway};
use support::schema;

const TOKEN: [(&str, &str); 1] = [("PRIVATE-TOKEN", "glpat-secret")];

fn gitlab_release(v: &Value) -> Value {
    schema::gitlab_release(v).unwrap_or_else(|e| panic!("{e}\n{v:#}"));
    v.clone()
}

async fn pair(fake: &FakeUpstream) -> TestGateway {
    TestGateway::start_pair("gitlab", "github", &fake.url(), "").await
}

/// A GitLab client's DELETE of release v1.0.0 of octo/app.
async fn delete_v1(gw: &TestGateway) -> Resp {
    call(
        "DELETE",
        &format!("{}/api/v4/projects/octo%2Fapp/releases/v1.0.0", gw.url),
        &TOKEN,
        "",
    )
    .await
}

/// Every request the upstream saw: method, path, the credential it carried.
fn seen(fake: &FakeUpstream) -> Vec<(String, String, Option<String>)> {
    fake.requests()
        .iter()
        .map(|r| {
            schema::github_path(&r.method, r.path()).unwrap_or_else(|e| panic!("{e}"));
            (
                r.method.clone(),
                r.path().to_owned(),
                r.header("authorization").map(str::to_owned),
            )
        })
        .collect()
}

fn req(method: &str, path: &str) -> (String, String, Option<String>) {
    (
        method.into(),
        path.into(),
        Some("Bearer glpat-secret".into()),
    )
}

#[tokio::test]
async fn update_by_tag_finds_the_id_then_patches_that_release() {
    let mut updated = schema::github_example_release("release/1.0", 42);
    updated["name"] = json!("New name");
    updated["body"] = json!("New notes");
    let fake = FakeUpstream::builder()
        .route(
            "GET",
            "/repos/octo/app/releases/tags/release%2F1.0",
            Reply::json(200, &schema::github_example_release("release/1.0", 42)),
        )
        .route(
            "PATCH",
            "/repos/octo/app/releases/42",
            Reply::json(200, &updated),
        )
        .start()
        .await;
    let gw = pair(&fake).await;

    let r = call(
        "PUT",
        &format!(
            "{}/api/v4/projects/octo%2Fapp/releases/release%2F1.0",
            gw.url
        ),
        &TOKEN,
        r#"{"name":"New name","description":"New notes"}"#,
    )
    .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let v = gitlab_release(&r.json());
    assert_eq!(v["tag_name"], "release/1.0");
    assert_eq!(v["name"], "New name");
    assert_eq!(v["description"], "New notes");

    assert_eq!(
        seen(&fake),
        vec![
            req("GET", "/repos/octo/app/releases/tags/release%2F1.0"),
            req("PATCH", "/repos/octo/app/releases/42"),
        ]
    );
    let patch = fake.last_request().expect("the PATCH");
    assert_eq!(
        patch.json(),
        json!({"name": "New name", "body": "New notes"}),
        "GitLab's description is GitHub's body"
    );
    gw.stop().await;
}

#[tokio::test]
async fn delete_by_tag_answers_with_the_release_the_lookup_found() {
    let fake = FakeUpstream::builder()
        .route(
            "GET",
            "/repos/octo/app/releases/tags/v1.0.0",
            Reply::json(200, &schema::github_example_release("v1.0.0", 7)),
        )
        .route("DELETE", "/repos/octo/app/releases/7", Reply::empty(204))
        .start()
        .await;
    let gw = pair(&fake).await;

    let r = delete_v1(&gw).await;
    // GitLab answers a delete with 200 and the release that was deleted.
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let v = gitlab_release(&r.json());
    assert_eq!(v["tag_name"], "v1.0.0");
    assert_eq!(v["name"], "v1.0.0");
    assert_eq!(v["description"], "Description of the release");
    assert_eq!(v["author"]["username"], "octocat");
    assert_eq!(
        seen(&fake),
        vec![
            req("GET", "/repos/octo/app/releases/tags/v1.0.0"),
            req("DELETE", "/repos/octo/app/releases/7"),
        ]
    );
    gw.stop().await;
}

#[tokio::test]
async fn an_unknown_tag_is_a_gitlab_404_and_nothing_is_written() {
    let fake = FakeUpstream::builder()
        .route(
            "GET",
            "/repos/octo/app/releases/tags/v9",
            Reply::json(
                404,
                &json!({"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}),
            ),
        )
        .fallback(Reply::empty(204))
        .start()
        .await;
    let gw = pair(&fake).await;
    for (method, body) in [("PUT", r#"{"name":"x"}"#), ("DELETE", "")] {
        let r = call(
            method,
            &format!("{}/api/v4/projects/octo%2Fapp/releases/v9", gw.url),
            &TOKEN,
            body,
        )
        .await;
        assert_eq!(
            r.status,
            404,
            "{method}: {}",
            String::from_utf8_lossy(&r.body)
        );
        assert_eq!(r.json(), json!({"message": "404 Not found"}), "{method}");
    }
    assert_eq!(
        seen(&fake),
        vec![
            req("GET", "/repos/octo/app/releases/tags/v9"),
            req("GET", "/repos/octo/app/releases/tags/v9"),
        ],
        "only the lookups reach the upstream"
    );
    gw.stop().await;
}

#[tokio::test]
async fn a_delete_whose_lookup_answer_is_unusable_is_a_502_and_deletes_nothing() {
    // Without an id the release cannot be addressed. Without its author's
    // login (which GitHub's release requires) it cannot be the delete's
    // answer, and that is checked before the DELETE is sent.
    let mut no_id = schema::github_example_release("v1.0.0", 7);
    no_id.as_object_mut().expect("object").remove("id");
    let mut no_login = schema::github_example_release("v1.0.0", 7);
    no_login["author"]
        .as_object_mut()
        .expect("author")
        .remove("login");
    let cases = [
        (
            no_id,
            "the upstream (GitHub) answered the lookup of tag v1.0.0 with a release without an id",
        ),
        (no_login, "author.login"),
    ];
    for (lookup, want) in cases {
        let fake = FakeUpstream::builder()
            .route(
                "GET",
                "/repos/octo/app/releases/tags/v1.0.0",
                Reply::json(200, &lookup),
            )
            .fallback(Reply::empty(204))
            .start()
            .await;
        let gw = pair(&fake).await;
        let r = delete_v1(&gw).await;
        assert_eq!(r.status, 502, "{}", String::from_utf8_lossy(&r.body));
        let msg = r.json()["message"].as_str().unwrap_or_default().to_owned();
        assert!(msg.contains(want), "{msg}");
        assert_eq!(
            seen(&fake),
            vec![req("GET", "/repos/octo/app/releases/tags/v1.0.0")]
        );
        gw.stop().await;
    }
}

#[tokio::test]
async fn what_github_cannot_take_is_refused_before_it_is_sent() {
    let fake = FakeUpstream::builder()
        .route(
            "GET",
            "/repos/octo/app/releases/tags/v1.0.0",
            Reply::json(200, &schema::github_example_release("v1.0.0", 7)),
        )
        .route(
            "POST",
            "/repos/octo/app/releases",
            Reply::json(201, &schema::github_example_release("v2.0.0", 8)),
        )
        .fallback(Reply::json(
            200,
            &schema::github_example_release("v1.0.0", 7),
        ))
        .start()
        .await;
    let gw = pair(&fake).await;
    let releases = format!("{}/api/v4/projects/octo%2Fapp/releases", gw.url);
    let refused = [
        (
            "POST",
            releases.clone(),
            r#"{"tag_name":"v2.0.0","assets":{"links":[{"name":"a.zip","url":"https://example.com/a.zip"}]}}"#,
            "the upstream (GitHub) cannot create this release: GitHub attaches files to a release by upload once it exists",
        ),
        (
            "POST",
            releases.clone(),
            r#"{"tag_name":"v2.0.0","released_at":"2019-01-03T01:56:19Z"}"#,
            "the upstream (GitHub) cannot create this release: GitHub sets a release's publication time itself",
        ),
        (
            "PUT",
            format!("{releases}/v1.0.0"),
            r#"{"released_at":"2019-01-03T01:56:19Z"}"#,
            "the upstream (GitHub) cannot update this release: GitHub sets a release's publication time itself",
        ),
    ];
    for (method, url, body, want) in refused {
        let r = call(method, &url, &TOKEN, body).await;
        assert_eq!(
            r.status,
            501,
            "{body}: {}",
            String::from_utf8_lossy(&r.body)
        );
        let msg = r.json()["message"].as_str().unwrap_or_default().to_owned();
        assert!(msg.starts_with(want), "{body}: {msg}");
    }
    // Refused before anything was asked: not even the update's lookup was sent.
    assert_eq!(seen(&fake), vec![]);

    // No links at all is no loss: the release is created.
    let r = call(
        "POST",
        &releases,
        &TOKEN,
        r#"{"tag_name":"v2.0.0","name":"Two","assets":{"links":[]}}"#,
    )
    .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    gitlab_release(&r.json());
    let post = fake.last_request().expect("the POST");
    assert_eq!(
        (post.method.as_str(), post.path()),
        ("POST", "/repos/octo/app/releases")
    );
    assert_eq!(post.json(), json!({"tag_name": "v2.0.0", "name": "Two"}));
    gw.stop().await;
}
