//! The Gitea dialect (`mappings/gitea.toml`, Gitea and Forgejo) on both sides, against a
//! fake forge: what the upstream receives (path, query, credential, body, each checked
//! against the Gitea and Forgejo specs or GitLab's and GitHub's) and what the client gets
//! (checked against its own dialect's spec, field by field). A Gitea release as Gitea sends
//! it is `tests/fixtures/gitea/release.json`, written from the spec (the seeds have no Gitea
//! example).

mod support;
use serde_json::{json, Value};
use support::fake::{calls, FakeUpstream, Recorded, Reply};
use support::fixtures;
use support::gateway::{call, Resp, TestGateway};
use support::schema;

const GITEA_TOKEN: (&str, &str) = ("Authorization", "token gta-secret");
const GITLAB_TOKEN: (&str, &str) = ("PRIVATE-TOKEN", "glpat-secret");

fn gitea_release() -> Value {
    let v = fixtures::load("gitea/release.json");
    schema::gitea_release(&v).unwrap_or_else(|e| panic!("{e}\n{v:#}"));
    v
}

/// The fixture as another release of the same repository.
fn gitea_release_as(id: u64, tag: &str) -> Value {
    let mut v = gitea_release();
    v["id"] = json!(id);
    v["tag_name"] = json!(tag);
    v["assets"] = json!([]);
    v
}

fn ok<T>(r: Result<(), String>, v: &T) -> &T
where
    T: std::fmt::Debug,
{
    r.unwrap_or_else(|e| panic!("{e}\n{v:#?}"));
    v
}

/// Every request a Gitea upstream saw: each must be a Gitea (and Forgejo) release operation
/// and carry the client's token in Gitea's scheme, and nothing else of it.
fn gitea_saw(fake: &FakeUpstream) -> Vec<Recorded> {
    fake.requests_checked(
        schema::gitea_path,
        "authorization",
        &["token gta-secret", "token glpat-secret"],
        &["private-token"],
    )
}

/// A GitHub client's `method` of `path` (under /repos/octo/app/releases) with
/// the token in `scheme`.
async fn github_call(gw: &TestGateway, method: &str, path: &str, scheme: &str, body: &str) -> Resp {
    let auth = format!("{scheme} gta-secret");
    call(
        method,
        &format!("{}/repos/octo/app/releases{path}", gw.url),
        &[("Authorization", &auth)],
        body,
    )
    .await
}

// ------------------------------------------------------------- GitHub client, Gitea upstream

#[tokio::test]
async fn github_client_reads_a_gitea_release_field_by_field() {
    let fake = FakeUpstream::builder()
        .route(
            "GET",
            "/api/v1/repos/octo/app/releases/tags/v1.2.0",
            Reply::json(200, &gitea_release()),
        )
        .start()
        .await;
    let gw = TestGateway::start_pair("github", "gitea", &fake.url(), "").await;
    let r = github_call(&gw, "GET", "/tags/v1.2.0", "token", "").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    ok(schema::github_release(&v), &v);
    let api = &gw.url;
    // Ids are Gitea's own; API URLs name the gateway, web URLs the forge.
    assert_eq!(v["id"], 42);
    assert_eq!(v["url"], format!("{api}/repos/octo/app/releases/42"));
    assert_eq!(
        v["upload_url"],
        format!("{api}/repos/octo/app/releases/42/assets{{?name,label}}")
    );
    assert_eq!(
        v["html_url"],
        "https://gitea.example.com/octo/app/releases/tag/v1.2.0"
    );
    for (k, want) in [
        ("tag_name", json!("v1.2.0")),
        ("target_commitish", json!("main")),
        ("name", json!("v1.2.0: faster builds")),
        (
            "body",
            json!("Builds are twice as fast.\n\n- cache the toolchain"),
        ),
        ("draft", json!(false)),
        ("prerelease", json!(true)),
        ("created_at", json!("2024-05-01T10:00:00Z")),
        ("published_at", json!("2024-05-01T10:02:00Z")),
        (
            "tarball_url",
            json!("https://gitea.example.com/octo/app/archive/v1.2.0.tar.gz"),
        ),
        (
            "zipball_url",
            json!("https://gitea.example.com/octo/app/archive/v1.2.0.zip"),
        ),
    ] {
        assert_eq!(v[k], want, "{k}");
    }
    assert_eq!(
        (&v["author"]["login"], &v["author"]["id"]),
        (&json!("octo"), &json!(3))
    );
    assert_eq!(v["author"]["html_url"], "https://gitea.example.com/octo");
    let a = &v["assets"][0];
    assert_eq!(v["assets"].as_array().map(Vec::len), Some(1));
    assert_eq!(a["id"], 7);
    assert_eq!(a["url"], format!("{api}/repos/octo/app/releases/assets/7"));
    assert_eq!(
        a["browser_download_url"],
        "https://gitea.example.com/octo/app/releases/download/v1.2.0/app-linux-amd64.tar.gz"
    );
    assert_eq!(
        (&a["name"], &a["size"], &a["download_count"]),
        (&json!("app-linux-amd64.tar.gz"), &json!(1048576), &json!(3))
    );
    // Gitea keeps one date per attachment.
    assert_eq!(
        (&a["created_at"], &a["updated_at"]),
        (
            &json!("2024-05-01T10:05:00Z"),
            &json!("2024-05-01T10:05:00Z")
        )
    );

    let seen = gitea_saw(&fake);
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0].path_and_query,
        "/api/v1/repos/octo/app/releases/tags/v1.2.0"
    );
}

#[tokio::test]
async fn github_paging_becomes_gitea_paging_and_back() {
    let page: Value = json!([
        gitea_release_as(41, "v1.1.0"),
        gitea_release_as(40, "v1.0.0")
    ]);
    let fake = FakeUpstream::builder()
        .route(
            "GET",
            "/api/v1/repos/octo/app/releases",
            Reply::json(200, &page)
                .with_header("X-Total-Count", "5")
                .with_header(
                    "Link",
                    "<https://gitea.example.com/api/v1/repos/octo/app/releases?limit=2&page=3>; rel=\"next\",<https://gitea.example.com/api/v1/repos/octo/app/releases?limit=2&page=3>; rel=\"last\",<https://gitea.example.com/api/v1/repos/octo/app/releases?limit=2&page=1>; rel=\"first\",<https://gitea.example.com/api/v1/repos/octo/app/releases?limit=2&page=1>; rel=\"prev\"",
                ),
        )
        .start()
        .await;
    let gw = TestGateway::start_pair("github", "gitea", &fake.url(), "").await;
    let r = github_call(&gw, "GET", "?per_page=2&page=2", "Bearer", "").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    ok(schema::github_release_list(&v), &v);
    let tags: Vec<&str> = v
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["tag_name"].as_str())
        .collect();
    assert_eq!(tags, ["v1.1.0", "v1.0.0"]);
    let base = format!("{}/repos/octo/app/releases", gw.url);
    let link = r.header("link").expect("a Link header");
    for part in [
        format!("<{base}?per_page=2&page=3>; rel=\"next\""),
        format!("<{base}?per_page=2&page=3>; rel=\"last\""),
        format!("<{base}?per_page=2&page=1>; rel=\"prev\""),
        format!("<{base}?per_page=2&page=1>; rel=\"first\""),
    ] {
        assert!(link.contains(&part), "{part} not in {link}");
    }
    assert!(!link.contains("gitea.example.com"), "{link}");

    // More per page than Gitea serves is Gitea's 50, as a forge that clamps.
    let r = github_call(&gw, "GET", "?per_page=100", "token", "").await;
    assert_eq!(r.status, 200);
    let seen = gitea_saw(&fake);
    let queries: Vec<Option<&str>> = seen.iter().map(Recorded::query).collect();
    assert_eq!(queries, [Some("page=2&limit=2"), Some("page=1&limit=50")]);
}

#[tokio::test]
async fn gitea_errors_reach_github_clients_in_githubs_shapes() {
    let fake = FakeUpstream::builder()
        .route(
            "POST",
            "/api/v1/repos/octo/app/releases",
            Reply::json(
                409,
                &json!({"message": "release tag already exist [tag_name: v1.2.0]", "url": "https://gitea.example.com/api/swagger"}),
            ),
        )
        .route(
            "GET",
            "/api/v1/repos/octo/app/releases/tags/v9",
            Reply::json(
                404,
                &json!({"errors": ["release does not exist"], "message": "The target couldn't be found.", "url": "https://gitea.example.com/api/swagger"}),
            ),
        )
        .route(
            "GET",
            "/api/v1/repos/octo/app/releases/tags/v8",
            Reply::json(401, &json!({"message": "token is required", "url": "https://gitea.example.com/api/swagger"})),
        )
        .start()
        .await;
    let gw = TestGateway::start_pair("github", "gitea", &fake.url(), "").await;
    let dup = github_call(
        &gw,
        "POST",
        "",
        "token",
        r#"{"tag_name":"v1.2.0","name":"again"}"#,
    )
    .await;
    assert_eq!(dup.status, 422, "{}", dup.text());
    let v = dup.json();
    ok(schema::github_validation_error(&v), &v);
    assert_eq!(v["message"], "Validation Failed");
    assert_eq!(
        (
            &v["errors"][0]["code"],
            &v["errors"][0]["field"],
            &v["errors"][0]["resource"]
        ),
        (
            &json!("already_exists"),
            &json!("tag_name"),
            &json!("Release")
        )
    );

    let missing = github_call(&gw, "GET", "/tags/v9", "token", "").await;
    assert_eq!(missing.status, 404);
    let v = missing.json();
    ok(schema::github_basic_error(&v), &v);
    assert_eq!(v["message"], "Not Found");

    let denied = github_call(&gw, "GET", "/tags/v8", "token", "").await;
    assert_eq!(denied.status, 401);
    assert_eq!(denied.json()["message"], "Bad credentials");

    let seen = gitea_saw(&fake);
    assert_eq!(seen.len(), 3, "a failed create is not sent again");
    let body = seen[0].json();
    ok(schema::gitea_create_request(&body), &body);
    assert_eq!(body, json!({"tag_name": "v1.2.0", "name": "again"}));
}

// ------------------------------------------------------------- GitLab client, Gitea upstream

#[tokio::test]
async fn gitlab_client_creates_and_deletes_on_gitea() {
    let created = {
        let mut v = gitea_release_as(43, "v2.0.0");
        v["name"] = json!("Two");
        v["body"] = json!("Notes.");
        v["prerelease"] = json!(false);
        v
    };
    let fake = FakeUpstream::builder()
        .route(
            "POST",
            "/api/v1/repos/group%2Fsub/app/releases",
            Reply::json(201, &created),
        )
        .route(
            "GET",
            "/api/v1/repos/group%2Fsub/app/releases/tags/v2.0.0",
            Reply::json(200, &created),
        )
        .route(
            "DELETE",
            "/api/v1/repos/group%2Fsub/app/releases/tags/v2.0.0",
            Reply::empty(204),
        )
        .start()
        .await;
    let gw = TestGateway::start_pair("gitlab", "gitea", &fake.url(), "").await;
    let base = format!("{}/api/v4/projects/group%2Fsub%2Fapp/releases", gw.url);

    let body = json!({"tag_name": "v2.0.0", "name": "Two", "description": "Notes.", "ref": "main"});
    let r = call("POST", &base, &[GITLAB_TOKEN], &body.to_string()).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let v = r.json();
    ok(schema::gitlab_release(&v), &v);
    assert_eq!(
        (&v["tag_name"], &v["name"], &v["description"]),
        (&json!("v2.0.0"), &json!("Two"), &json!("Notes."))
    );
    assert_eq!(
        v["_links"]["self"], "https://gitea.example.com/octo/app/releases/tag/v1.2.0",
        "the release's web page, as Gitea gives it"
    );
    assert_eq!(
        v["assets"]["sources"],
        json!([
            {"format": "zip", "url": "https://gitea.example.com/octo/app/archive/v1.2.0.zip"},
            {"format": "tar.gz", "url": "https://gitea.example.com/octo/app/archive/v1.2.0.tar.gz"},
        ])
    );

    // GitLab answers a delete with the release; Gitea with 204 and nothing, so
    // the gateway reads the release first (a GET) and deletes it once.
    let r = call("DELETE", &format!("{base}/v2.0.0"), &[GITLAB_TOKEN], "").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    ok(schema::gitlab_release(&v), &v);
    assert_eq!(v["tag_name"], "v2.0.0");

    let seen = gitea_saw(&fake);
    let calls = calls(&seen);
    assert_eq!(
        calls,
        [
            ("POST", "/api/v1/repos/group%2Fsub/app/releases"),
            ("GET", "/api/v1/repos/group%2Fsub/app/releases/tags/v2.0.0"),
            (
                "DELETE",
                "/api/v1/repos/group%2Fsub/app/releases/tags/v2.0.0"
            ),
        ]
    );
    let sent = seen[0].json();
    ok(schema::gitea_create_request(&sent), &sent);
    assert_eq!(
        sent,
        json!({"tag_name": "v2.0.0", "name": "Two", "body": "Notes.", "target_commitish": "main"})
    );
}

#[tokio::test]
async fn a_gitlab_delete_of_a_release_gitea_lacks_deletes_nothing() {
    let fake = FakeUpstream::builder()
        .route(
            "GET",
            "/api/v1/repos/octo/app/releases/tags/v9",
            Reply::json(
                404,
                &json!({"errors": [], "message": "The target couldn't be found.", "url": "https://gitea.example.com/api/swagger"}),
            ),
        )
        .fallback(Reply::empty(204))
        .start()
        .await;
    let gw = TestGateway::start_pair("gitlab", "gitea", &fake.url(), "").await;
    let r = call(
        "DELETE",
        &format!("{}/api/v4/projects/octo%2Fapp/releases/v9", gw.url),
        &[GITLAB_TOKEN],
        "",
    )
    .await;
    assert_eq!(r.status, 404, "{}", r.text());
    assert_eq!(r.json(), json!({"message": "404 Not found"}));
    let seen = gitea_saw(&fake);
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].method, "GET");
}

// ------------------------------------------------------------- Gitea client, GitLab upstream

#[tokio::test]
async fn gitea_client_lists_a_gitlab_project() {
    let list = fixtures::gitlab_list();
    let fake = FakeUpstream::builder()
        .route(
            "GET",
            "/api/v4/projects/octo%2Fapp/releases",
            Reply::json(200, &list)
                .with_header("X-Page", "2")
                .with_header("X-Per-Page", "2")
                .with_header("X-Next-Page", "3")
                .with_header("X-Prev-Page", "1")
                .with_header("X-Total", "6")
                .with_header("X-Total-Pages", "3"),
        )
        .start()
        .await;
    let gw = TestGateway::start_pair("gitea", "gitlab", &fake.url(), "").await;
    let r = call(
        "GET",
        &format!("{}/api/v1/repos/octo/app/releases?limit=2&page=2", gw.url),
        &[GITEA_TOKEN],
        "",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    ok(schema::gitea_release_list(&v), &v);
    assert_eq!(r.header("x-total-count"), Some("6"));
    let base = format!("{}/api/v1/repos/octo/app/releases", gw.url);
    let link = r.header("link").expect("a Link header");
    for part in [
        format!("<{base}?limit=2&page=3>; rel=\"next\""),
        format!("<{base}?limit=2&page=1>; rel=\"prev\""),
        format!("<{base}?limit=2&page=3>; rel=\"last\""),
    ] {
        assert!(link.contains(&part), "{part} not in {link}");
    }
    // The seed's first release, as a Gitea client reads it.
    let first = &v[0];
    let seed = &list[0];
    assert_eq!(first["tag_name"], seed["tag_name"]);
    assert_eq!(first["name"], seed["name"]);
    assert_eq!(first["body"], seed["description"]);
    assert_eq!(first["published_at"], seed["released_at"]);
    assert_eq!(first["target_commitish"], seed["commit"]["id"]);
    // This seed release has no `_links`: its web page is derived.
    assert_eq!(seed["_links"], Value::Null);
    assert_eq!(
        first["html_url"],
        format!(
            "{}/octo/app/-/releases/{}",
            fake.url(),
            seed["tag_name"].as_str().unwrap_or_default()
        )
    );
    assert_eq!(first["author"]["login"], seed["author"]["username"]);
    assert_eq!(first["author"]["full_name"], seed["author"]["name"]);
    let links = seed["assets"]["links"].as_array().expect("links");
    assert_eq!(first["assets"].as_array().map(Vec::len), Some(links.len()));
    assert_eq!(first["assets"][0]["id"], links[0]["id"]);
    assert_eq!(first["assets"][0]["browser_download_url"], links[0]["url"]);
    let id = first["id"].as_u64().expect("a numeric id");
    assert!(id < 1 << 53, "synthesized ids are safe in JavaScript");
    assert_eq!(
        first["url"],
        format!("{}/api/v1/repos/octo/app/releases/{id}", gw.url)
    );

    let seen = fake.requests();
    assert_eq!(seen.len(), 1);
    schema::gitlab_path(&seen[0].method, &seen[0].path_and_query).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        seen[0].path_and_query,
        "/api/v4/projects/octo%2Fapp/releases?page=2&per_page=2"
    );
    assert_eq!(seen[0].header("private-token"), Some("gta-secret"));
    assert_eq!(seen[0].header("authorization"), None);
}

#[tokio::test]
async fn gitea_client_edits_and_deletes_a_gitlab_release_by_id() {
    let release = fixtures::gitlab_release("v1.0");
    let fake = FakeUpstream::builder()
        .route(
            "GET",
            "/api/v4/projects/octo%2Fapp/releases/v1.0",
            Reply::json(200, &release),
        )
        .route(
            "PUT",
            "/api/v4/projects/octo%2Fapp/releases/v1.0",
            Reply::json(200, &release),
        )
        .route(
            "DELETE",
            "/api/v4/projects/octo%2Fapp/releases/v1.0",
            Reply::json(200, &release),
        )
        .start()
        .await;
    let gw = TestGateway::start_pair("gitea", "gitlab", &fake.url(), "").await;
    let base = format!("{}/api/v1/repos/octo/app/releases", gw.url);
    let got = call("GET", &format!("{base}/tags/v1.0"), &[GITEA_TOKEN], "").await;
    assert_eq!(got.status, 200);
    let id = got.json()["id"].as_u64().expect("an id");

    let edit = json!({"name": "Renamed", "body": "New notes."});
    let r = call(
        "PATCH",
        &format!("{base}/{id}"),
        &[GITEA_TOKEN],
        &edit.to_string(),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    ok(schema::gitea_release(&v), &v);

    // The draft flag Gitea clients may send is one GitLab cannot keep.
    let r = call(
        "PATCH",
        &format!("{base}/{id}"),
        &[GITEA_TOKEN],
        r#"{"draft":true}"#,
    )
    .await;
    assert_eq!(r.status, 501, "{}", r.text());
    let v = r.json();
    ok(schema::gitea_error(&v), &v);
    assert!(
        v["message"]
            .as_str()
            .is_some_and(|m| m.contains("GitLab") && m.contains("draft")),
        "{v}"
    );

    let r = call("DELETE", &format!("{base}/{id}"), &[GITEA_TOKEN], "").await;
    assert_eq!(r.status, 204, "{}", r.text());
    assert!(r.body.is_empty());

    let seen = fake.requests();
    let calls = calls(&seen);
    assert_eq!(
        calls,
        [
            ("GET", "/api/v4/projects/octo%2Fapp/releases/v1.0"),
            ("PUT", "/api/v4/projects/octo%2Fapp/releases/v1.0"),
            ("DELETE", "/api/v4/projects/octo%2Fapp/releases/v1.0"),
        ],
        "the id was learnt from the first answer; the refused edit sent nothing"
    );
    let sent = seen[1].json();
    schema::gitlab_update_request(&sent).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        sent,
        json!({"name": "Renamed", "description": "New notes."})
    );
}

#[tokio::test]
async fn gitea_client_errors_are_in_giteas_shape() {
    let fake = FakeUpstream::builder().start().await;
    let gw = TestGateway::start_pair("gitea", "gitlab", &fake.url(), "").await;
    let base = format!("{}/api/v1/repos/octo/app/releases", gw.url);
    for (method, url, body, status) in [
        ("GET", format!("{base}/tags/v9"), "", 404),
        ("POST", base.clone(), "{bad", 400),
        ("POST", base.clone(), r#"{"name":"no tag"}"#, 422),
        ("PUT", format!("{base}/1"), "", 405),
        ("GET", format!("{}/api/v1/user/repos", gw.url), "", 404),
    ] {
        let r = call(method, &url, &[GITEA_TOKEN], body).await;
        assert_eq!(r.status, status, "{method} {url}: {}", r.text());
        let v = r.json();
        ok(schema::gitea_error(&v), &v);
        assert_eq!(v["url"], "https://gitea.com/api/swagger");
        assert!(v["message"].as_str().is_some_and(|m| !m.is_empty()), "{v}");
    }
    let missing = call("GET", &format!("{base}/tags/v9"), &[GITEA_TOKEN], "").await;
    assert_eq!(missing.json()["message"], "The target couldn't be found.");
}

#[tokio::test]
async fn gitea_clients_may_still_say_per_page() {
    let fake = FakeUpstream::builder()
        .route(
            "GET",
            "/api/v4/projects/octo%2Fapp/releases",
            Reply::json(200, &json!([])),
        )
        .start()
        .await;
    let gw = TestGateway::start_pair("gitea", "gitlab", &fake.url(), "").await;
    let base = format!("{}/api/v1/repos/octo/app/releases", gw.url);
    for query in [
        "per_page=7",
        "limit=3&per_page=7",
        "per_page=7&limit=3",
        "per_page=80",
        "",
    ] {
        let r = call("GET", &format!("{base}?{query}"), &[GITEA_TOKEN], "").await;
        assert_eq!(r.status, 200, "{query}");
    }
    let queries: Vec<String> = fake
        .requests()
        .iter()
        .map(|r| r.query().unwrap_or_default().to_owned())
        .collect();
    // `limit` wins where both are given; Gitea's maximum (50) and default (30) hold.
    assert_eq!(
        queries,
        [
            "page=1&per_page=7",
            "page=1&per_page=3",
            "page=1&per_page=3",
            "page=1&per_page=50",
            "page=1&per_page=30",
        ]
    );
}

/// Tokens in the query, as Gitea (deprecated) and GitLab take them, are
/// moved into the upstream's scheme and not sent on in the query.
#[tokio::test]
async fn query_tokens_move_into_the_upstreams_header() {
    let fake = FakeUpstream::builder()
        .route(
            "GET",
            "/api/v4/projects/octo%2Fapp/releases",
            Reply::json(200, &json!([])),
        )
        .route(
            "GET",
            "/api/v1/repos/octo/app/releases",
            Reply::json(200, &json!([])),
        )
        .start()
        .await;
    let gw = TestGateway::start_pair("gitea", "gitlab", &fake.url(), "").await;
    for query in ["access_token=gta-secret", "token=gta-secret"] {
        let r = call(
            "GET",
            &format!("{}/api/v1/repos/octo/app/releases?{query}&limit=5", gw.url),
            &[],
            "",
        )
        .await;
        assert_eq!(r.status, 200, "{query}");
    }
    let gw = TestGateway::start_pair("gitlab", "gitea", &fake.url(), "").await;
    let r = call(
        "GET",
        &format!(
            "{}/api/v4/projects/octo%2Fapp/releases?private_token=glpat-secret",
            gw.url
        ),
        &[],
        "",
    )
    .await;
    assert_eq!(r.status, 200);
    let seen = fake.requests();
    let got: Vec<(&str, Option<&str>, Option<&str>)> = seen
        .iter()
        .map(|r| {
            (
                r.path_and_query.as_str(),
                r.header("private-token"),
                r.header("authorization"),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "/api/v4/projects/octo%2Fapp/releases?page=1&per_page=5",
                Some("gta-secret"),
                None
            ),
            (
                "/api/v4/projects/octo%2Fapp/releases?page=1&per_page=5",
                Some("gta-secret"),
                None
            ),
            (
                "/api/v1/repos/octo/app/releases?page=1&limit=20",
                None,
                Some("token glpat-secret")
            ),
        ]
    );
}
