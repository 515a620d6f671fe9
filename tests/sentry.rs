//! The Sentry dialect (`mappings/sentry.toml`) on both sides, against a fake forge: what
//! the upstream receives (path, query, credential, body, each checked against the upstream's
//! spec) and what the client gets (checked against its own dialect's spec). A Sentry
//! release as Sentry sends it is the seed's example (`tests/fixtures/sentry/`), brought up
//! to the fields today's spec requires. Sentry-client requests are those sentry-cli sends.

mod support;
use serde_json::{json, Value};
use support::fake::{calls, targets, FakeUpstream, Recorded, Reply};
use support::fixtures;
use support::gateway::{call, Resp, TestGateway};
use support::schema;

const BEARER: (&str, &str) = ("Authorization", "Bearer sntrys-secret");

/// The seed's release (the 208 example of "Create a New Release"), as release `id` with
/// version `version`. The example predates fields the spec now requires: `id`, `status`,
/// `versionInfo`, and a project's `id`, `newGroups`, `platform`, `platforms` and
/// `hasHealthData`; they are added, nothing else is changed.
fn sentry_release(id: u64, version: &str) -> Value {
    let mut v = fixtures::load("sentry/create_response.json");
    let e = schema::sentry_release(&v).expect_err("the seed example predates the spec");
    for key in ["id", "status", "versionInfo"] {
        assert!(
            e.contains(&format!("\"{key}\" is a required property")),
            "{e}"
        );
    }
    v["id"] = json!(id);
    v["status"] = json!("open");
    v["versionInfo"] = Value::Null;
    let p = &mut v["projects"][0];
    p["id"] = json!(2);
    p["newGroups"] = json!(0);
    p["platform"] = json!("python");
    p["platforms"] = json!(["python"]);
    p["hasHealthData"] = json!(false);
    v["version"] = json!(version);
    v["shortVersion"] = json!(version);
    schema::sentry_release(&v).unwrap_or_else(|e| panic!("{e}\n{v:#}"));
    v
}

fn ok<T: std::fmt::Debug>(r: Result<(), String>, v: &T) {
    r.unwrap_or_else(|e| panic!("{e}\n{v:#?}"));
}

/// Every request a Sentry upstream saw: each must be a Sentry release operation and carry
/// the client's token as Sentry's bearer token, and nothing else of it.
fn sentry_saw(fake: &FakeUpstream) -> Vec<Recorded> {
    fake.requests_checked(
        schema::sentry_path,
        "authorization",
        &["Bearer sntrys-secret"],
        &[],
    )
}

/// Every request a GitLab upstream saw, checked against GitLab's spec, with the token.
fn gitlab_saw(fake: &FakeUpstream) -> Vec<Recorded> {
    fake.requests_checked(
        schema::gitlab_path,
        "private-token",
        &["sntrys-secret"],
        &["authorization"],
    )
}

async fn github_call(gw: &TestGateway, method: &str, path: &str, body: &str) -> Resp {
    call(
        method,
        &format!("{}/repos/octo/app/releases{path}", gw.url),
        &[("Authorization", "token sntrys-secret")],
        body,
    )
    .await
}

/// A Sentry client's `method` of `path` under /api/0.
async fn sentry_call(gw: &TestGateway, method: &str, path: &str, body: &str) -> Resp {
    call(method, &format!("{}/api/0{path}", gw.url), &[BEARER], body).await
}

fn tags(v: &Value, key: &str) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|r| r[key].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

const ORG_RELEASES: &str = "/api/0/organizations/octo/releases/";
const PROJECT_RELEASES: &str = "/api/0/projects/octo/app/releases/";

// ------------------------------------------------------------- GitHub client, Sentry upstream

#[tokio::test]
async fn github_client_reads_a_sentry_release_field_by_field() {
    let mut rel = sentry_release(17, "2.0rc2");
    rel["url"] = json!("https://ci.example.com/builds/2.0rc2");
    rel["dateReleased"] = json!("2018-12-20T08:00:00Z");
    let fake = FakeUpstream::builder()
        .route(
            "GET",
            "/api/0/organizations/octo/releases/2.0rc2/",
            Reply::json(200, &rel),
        )
        .start()
        .await;
    let gw = TestGateway::start_pair("github", "sentry", &fake.url(), "").await;
    let r = github_call(&gw, "GET", "/tags/2.0rc2", "").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    ok(schema::github_release(&v), &v);
    for (k, want) in [
        ("id", json!(17)),
        ("tag_name", json!("2.0rc2")),
        ("target_commitish", json!("")),
        ("html_url", json!("https://ci.example.com/builds/2.0rc2")),
        ("created_at", json!("2018-12-19T19:25:49.971Z")),
        ("published_at", json!("2018-12-20T08:00:00Z")),
        ("draft", json!(false)),
        ("prerelease", json!(false)),
        ("assets", json!([])),
    ] {
        assert_eq!(v[k], want, "{k}");
    }
    assert_eq!(
        v["url"],
        format!("{}/repos/octo/app/releases/17", gw.url),
        "API URLs name the gateway"
    );
    let seen = sentry_saw(&fake);
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].path(), "/api/0/organizations/octo/releases/2.0rc2/");
}

#[tokio::test]
async fn github_client_walks_sentry_cursor_pages_through_link() {
    // Sentry's own cursors and Link form: both neighbours, each with results="…".
    let page1 = Reply::json(
        200,
        &json!([sentry_release(3, "v3"), sentry_release(2, "v2")]),
    )
    .with_header(
        "Link",
        "<https://sentry.example/api/0/projects/octo/app/releases/?&cursor=2:-1:1>; rel=\"previous\"; results=\"false\"; cursor=\"2:-1:1\", \
         <https://sentry.example/api/0/projects/octo/app/releases/?&cursor=2:1:0>; rel=\"next\"; results=\"true\"; cursor=\"2:1:0\"",
    );
    let page2 = Reply::json(200, &json!([sentry_release(1, "v1")])).with_header(
        "Link",
        "<https://sentry.example/api/0/projects/octo/app/releases/?&cursor=2:0:1>; rel=\"previous\"; results=\"true\"; cursor=\"2:0:1\", \
         <https://sentry.example/api/0/projects/octo/app/releases/?&cursor=2:2:0>; rel=\"next\"; results=\"false\"; cursor=\"2:2:0\"",
    );
    let fake = FakeUpstream::builder()
        .route_seq("GET", PROJECT_RELEASES, vec![page1, page2])
        .start()
        .await;
    let gw = TestGateway::start_pair("github", "sentry", &fake.url(), "").await;

    let r = github_call(&gw, "GET", "?per_page=2", "").await;
    assert_eq!(r.status, 200, "{}", r.text());
    ok(schema::github_release_list(&r.json()), &r.json());
    assert_eq!(tags(&r.json(), "tag_name"), ["v3", "v2"]);
    // The cursor travels under Sentry's name; an empty previous page is no link.
    let next = format!(
        "{}/repos/octo/app/releases?per_page=2&cursor=2%3A1%3A0",
        gw.url
    );
    assert_eq!(r.header("link"), Some(&*format!("<{next}>; rel=\"next\"")));

    let r = call(
        "GET",
        &next,
        &[("Authorization", "token sntrys-secret")],
        "",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(tags(&r.json(), "tag_name"), ["v1"]);
    let prev = format!(
        "{}/repos/octo/app/releases?per_page=2&cursor=2%3A0%3A1",
        gw.url
    );
    assert_eq!(r.header("link"), Some(&*format!("<{prev}>; rel=\"prev\"")));

    let seen = sentry_saw(&fake);
    let asked = targets(&seen);
    assert_eq!(
        asked,
        [
            "/api/0/projects/octo/app/releases/?per_page=2",
            "/api/0/projects/octo/app/releases/?cursor=2%3A1%3A0&per_page=2",
        ]
    );
}

#[tokio::test]
async fn a_page_asked_for_by_number_is_found_through_sentrys_cursors() {
    let page = |versions: &[&str], next: Option<&str>| {
        let v: Vec<Value> = versions
            .iter()
            .enumerate()
            .map(|(i, t)| sentry_release(10 + i as u64, t))
            .collect();
        let next = match next {
            Some(c) => format!("<https://sentry.example/x/?&cursor={c}>; rel=\"next\"; results=\"true\"; cursor=\"{c}\""),
            None => "<https://sentry.example/x/?&cursor=z>; rel=\"next\"; results=\"false\"; cursor=\"z\"".into(),
        };
        Reply::json(200, &json!(v)).with_header("Link", &next)
    };
    let fake = FakeUpstream::builder()
        .route_seq(
            "GET",
            PROJECT_RELEASES,
            vec![
                page(&["v4", "v3"], Some("2:1:0")),
                page(&["v2", "v1"], None),
                page(&["v4", "v3"], Some("2:1:0")),
                page(&["v2", "v1"], None),
            ],
        )
        .start()
        .await;
    let gw = TestGateway::start_pair("github", "sentry", &fake.url(), "").await;
    // Page 2 by number: the first page is read for its next cursor.
    let r = github_call(&gw, "GET", "?per_page=2&page=2", "").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(tags(&r.json(), "tag_name"), ["v2", "v1"]);
    // Page 3 does not exist: no releases.
    let r = github_call(&gw, "GET", "?per_page=2&page=3", "").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json(), json!([]));
    let seen = sentry_saw(&fake);
    let asked = targets(&seen);
    assert_eq!(
        asked,
        [
            "/api/0/projects/octo/app/releases/?per_page=2",
            "/api/0/projects/octo/app/releases/?cursor=2%3A1%3A0&per_page=2",
            "/api/0/projects/octo/app/releases/?per_page=2",
            "/api/0/projects/octo/app/releases/?cursor=2%3A1%3A0&per_page=2",
        ]
    );
    // Beyond the walk's bound: a clear 400, nothing asked.
    let r = github_call(&gw, "GET", "?page=102", "").await;
    assert_eq!(r.status, 400, "{}", r.text());
    assert_eq!(fake.request_count(), 4);
}

#[tokio::test]
async fn an_id_is_found_through_cursors_that_look_like_page_numbers() {
    // A cursor upstream's cursor is followed as one, whatever it looks like.
    let next =
        "<https://sentry.example/x/?&cursor=2>; rel=\"next\"; results=\"true\"; cursor=\"2\"";
    let fake = FakeUpstream::builder()
        .route_seq(
            "GET",
            PROJECT_RELEASES,
            vec![
                Reply::json(200, &json!([sentry_release(9, "v9")])).with_header("Link", next),
                Reply::json(200, &json!([sentry_release(7, "v7")])),
            ],
        )
        .route(
            "GET",
            "/api/0/organizations/octo/releases/v7/",
            Reply::json(200, &sentry_release(7, "v7")),
        )
        .start()
        .await;
    let gw = TestGateway::start_pair("github", "sentry", &fake.url(), "").await;
    let r = github_call(&gw, "GET", "/7", "").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["tag_name"], "v7");
    let seen = sentry_saw(&fake);
    let asked = targets(&seen);
    assert_eq!(
        asked,
        [
            "/api/0/projects/octo/app/releases/?per_page=100",
            "/api/0/projects/octo/app/releases/?cursor=2&per_page=100",
            "/api/0/organizations/octo/releases/v7/",
        ]
    );
}

#[tokio::test]
async fn github_client_creates_in_the_forge_project_and_a_duplicate_is_422() {
    let created = sentry_release(40, "v4.0.0");
    let fake = FakeUpstream::builder()
        .route_seq(
            "POST",
            ORG_RELEASES,
            vec![
                Reply::json(201, &created),
                // Sentry answers a version it has with 208 and the release.
                Reply::json(208, &created),
            ],
        )
        .start()
        .await;
    let gw = TestGateway::start_pair("github", "sentry", &fake.url(), "").await;
    let body = r#"{"tag_name":"v4.0.0","target_commitish":"main","name":"Four","body":"notes","prerelease":true}"#;
    let r = github_call(&gw, "POST", "", body).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let v = r.json();
    ok(schema::github_release(&v), &v);
    assert_eq!((&v["id"], &v["tag_name"]), (&json!(40), &json!("v4.0.0")));
    assert_eq!(
        r.header("location"),
        Some(&*format!("{}/repos/octo/app/releases/40", gw.url))
    );

    let r = github_call(&gw, "POST", "", body).await;
    assert_eq!(r.status, 422, "{}", r.text());
    let e = r.json();
    ok(schema::github_validation_error(&e), &e);
    assert_eq!(e["errors"][0]["code"], "already_exists");
    assert_eq!(e["errors"][0]["field"], "tag_name");

    let seen = sentry_saw(&fake);
    assert_eq!(seen.len(), 2);
    for s in &seen {
        let sent = s.json();
        ok(schema::sentry_create_request(&sent), &sent);
        // The release is created in the forge project's Sentry project; a title, notes and
        // prerelease have no Sentry field.
        assert_eq!(
            sent,
            json!({"version": "v4.0.0", "ref": "main", "projects": ["app"]})
        );
    }
}

#[tokio::test]
async fn github_drafts_and_asset_calls_are_refused_without_asking_sentry() {
    let fake = FakeUpstream::builder().start().await;
    let gw = TestGateway::start_pair("github", "sentry", &fake.url(), "").await;
    let r = github_call(&gw, "POST", "", r#"{"tag_name":"v5","draft":true}"#).await;
    assert_eq!(r.status, 501, "{}", r.text());
    assert!(
        r.json()["message"]
            .as_str()
            .is_some_and(|m| m.contains("Sentry has no draft releases")),
        "{}",
        r.text()
    );
    let r = github_call(&gw, "GET", "/17/assets", "").await;
    assert_eq!(r.status, 501, "{}", r.text());
    ok(schema::github_basic_error(&r.json()), &r.json());
    assert_eq!(fake.request_count(), 0);
}

#[tokio::test]
async fn latest_is_the_release_of_the_first_list_page_published_last() {
    let mut v3 = sentry_release(3, "v3");
    v3["dateCreated"] = json!("2019-03-01T00:00:00Z");
    v3["dateReleased"] = Value::Null;
    let mut v2 = sentry_release(2, "v2");
    v2["dateReleased"] = json!("2019-03-05T00:00:00Z");
    let mut v1 = sentry_release(1, "v1");
    v1["dateReleased"] = json!("2019-01-01T00:00:00Z");
    let fake = FakeUpstream::builder()
        .route(
            "GET",
            PROJECT_RELEASES,
            Reply::json(200, &json!([v3, v2, v1])),
        )
        .start()
        .await;
    let gw = TestGateway::start_pair("github", "sentry", &fake.url(), "").await;
    let r = github_call(&gw, "GET", "/latest", "").await;
    assert_eq!(r.status, 200, "{}", r.text());
    ok(schema::github_release(&r.json()), &r.json());
    assert_eq!(
        (&r.json()["id"], &r.json()["tag_name"]),
        (&json!(2), &json!("v2"))
    );
    let seen = sentry_saw(&fake);
    let asked = targets(&seen);
    // Sentry reads a release as its list holds it (one shape): it is answered from the
    // page, with no read of its own.
    assert_eq!(asked, ["/api/0/projects/octo/app/releases/?per_page=100"]);
}

/// The shipped mappings, with Sentry's release read by version through a shape of its own
/// (a copy of the list's): a forge whose read of one release may hold more than its list.
fn sentry_get_with_its_own_shape() -> support::tmp::TempDir {
    support::gateway::mappings_edited("sentry-detail", |name, text| {
        if name == "sentry.toml" {
            let get = "path = \"/organizations/{owner}/releases/{tag}/\"\nresponse = \"release\"";
            assert_eq!(text.matches(get).count(), 1, "Sentry's get route");
            *text = text.replacen(
                get,
                "path = \"/organizations/{owner}/releases/{tag}/\"\nresponse = \"detail\"",
                1,
            );
            let start = text.find("[shapes.release]").expect("the release shape");
            let end = start + text[start..].find("\n\n").expect("its end");
            let detail = text[start..end].replace("shapes.release", "shapes.detail");
            text.push_str(&format!("\n{detail}\n"));
        }
    })
}

#[tokio::test]
async fn latest_is_read_by_version_where_that_read_has_its_own_shape() {
    let mut v2 = sentry_release(2, "v2");
    v2["dateReleased"] = json!("2019-03-05T00:00:00Z");
    let mut v1 = sentry_release(1, "v1");
    v1["dateReleased"] = json!("2019-01-01T00:00:00Z");
    let mut detail = v2.clone();
    detail["url"] = json!("https://ci.example.com/v2");
    let fake = FakeUpstream::builder()
        .route("GET", PROJECT_RELEASES, Reply::json(200, &json!([v1, v2])))
        .route(
            "GET",
            "/api/0/organizations/octo/releases/v2/",
            Reply::json(200, &detail),
        )
        .start()
        .await;
    let dir = sentry_get_with_its_own_shape();
    let gw = TestGateway::start_pair_in(dir.path(), "github", "sentry", &fake.url(), "").await;
    let r = github_call(&gw, "GET", "/latest", "").await;
    assert_eq!(r.status, 200, "{}", r.text());
    ok(schema::github_release(&r.json()), &r.json());
    // The release as its own read gives it.
    assert_eq!(r.json()["html_url"], "https://ci.example.com/v2");
    let seen = sentry_saw(&fake);
    let asked = targets(&seen);
    assert_eq!(
        asked,
        [
            "/api/0/projects/octo/app/releases/?per_page=100",
            "/api/0/organizations/octo/releases/v2/",
        ]
    );
}

#[tokio::test]
async fn latest_of_a_forge_with_no_release_is_404() {
    let fake = FakeUpstream::builder()
        .route("GET", PROJECT_RELEASES, Reply::json(200, &json!([])))
        .start()
        .await;
    let gw = TestGateway::start_pair("gitlab", "sentry", &fake.url(), "").await;
    let r = call(
        "GET",
        &format!(
            "{}/api/v4/projects/octo%2Fapp/releases/permalink/latest",
            gw.url
        ),
        &[("PRIVATE-TOKEN", "sntrys-secret")],
        "",
    )
    .await;
    assert_eq!(r.status, 404, "{}", r.text());
    assert_eq!(r.json(), json!({"message": "404 Not found"}));
    assert_eq!(sentry_saw(&fake).len(), 1);
}

#[tokio::test]
async fn github_client_edits_and_deletes_by_id_through_the_version() {
    let mut edited = sentry_release(17, "2.0rc2");
    edited["ref"] = json!("abc123");
    let fake = FakeUpstream::builder()
        .route(
            "GET",
            PROJECT_RELEASES,
            Reply::json(
                200,
                &json!([sentry_release(18, "2.1"), sentry_release(17, "2.0rc2")]),
            ),
        )
        .route(
            "PUT",
            "/api/0/organizations/octo/releases/2.0rc2/",
            Reply::json(200, &edited),
        )
        .route(
            "DELETE",
            "/api/0/organizations/octo/releases/2.0rc2/",
            Reply::empty(204),
        )
        .start()
        .await;
    let gw = TestGateway::start_pair("github", "sentry", &fake.url(), "").await;
    let r = github_call(&gw, "PATCH", "/17", r#"{"target_commitish":"abc123"}"#).await;
    assert_eq!(r.status, 200, "{}", r.text());
    ok(schema::github_release(&r.json()), &r.json());
    assert_eq!(r.json()["target_commitish"], "abc123");
    let r = github_call(&gw, "DELETE", "/17", "").await;
    assert_eq!(r.status, 204, "{}", r.text());
    assert!(r.body.is_empty());

    let seen = sentry_saw(&fake);
    let asked = calls(&seen);
    // id → version by the list (largest page), then the operation; the id is remembered.
    assert_eq!(
        asked,
        [
            ("GET", "/api/0/projects/octo/app/releases/?per_page=100"),
            ("PUT", "/api/0/organizations/octo/releases/2.0rc2/"),
            ("DELETE", "/api/0/organizations/octo/releases/2.0rc2/"),
        ]
    );
    ok(
        schema::sentry_update_request(&seen[1].json()),
        &seen[1].json(),
    );
    assert_eq!(seen[1].json(), json!({"ref": "abc123"}));
}

// ------------------------------------------------------------- Sentry on both sides

#[tokio::test]
async fn pass_through_gives_the_seed_208_as_sentry_sent_it() {
    let raw = fixtures::load_bytes("sentry/create_response.json");
    let fake = FakeUpstream::builder()
        .route(
            "POST",
            ORG_RELEASES,
            Reply::raw(208, "application/json", raw.clone()),
        )
        .start()
        .await;
    let gw = TestGateway::start_pair("sentry", "sentry", &fake.url(), "").await;
    let req = fixtures::load("sentry/create_request.json").to_string();
    let r = sentry_call(&gw, "POST", "/organizations/octo/releases/", &req).await;
    assert_eq!(r.status, 208, "{}", r.text());
    assert_eq!(r.body, raw, "the forge's own answer, byte for byte");
    let seen = sentry_saw(&fake);
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].body_text(), req, "the client's body, as it sent it");
}

// ------------------------------------------------------------- Sentry client, GitLab upstream

#[tokio::test]
async fn the_seed_create_request_reaches_gitlab_as_a_release_of_the_mapped_project() {
    let req = fixtures::load("sentry/create_request.json");
    ok(schema::sentry_create_request(&req), &req);
    let fake = FakeUpstream::builder()
        .route(
            "POST",
            "/api/v4/projects/space%2Fpump-station/releases",
            Reply::json(201, &fixtures::gitlab_release("2.0rc2")),
        )
        .start()
        .await;
    let gw = TestGateway::start_pair(
        "sentry",
        "gitlab",
        &fake.url(),
        "[projects]\n\"the-interstellar-jurisdiction\" = \"space/pump-station\"\n",
    )
    .await;
    let r = sentry_call(
        &gw,
        "POST",
        "/organizations/the-interstellar-jurisdiction/releases/",
        &req.to_string(),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let v = r.json();
    ok(schema::sentry_created_release(&v), &v);
    assert_eq!(
        (&v["version"], &v["shortVersion"]),
        (&json!("2.0rc2"), &json!("2.0rc2"))
    );
    let seen = gitlab_saw(&fake);
    assert_eq!(seen.len(), 1);
    ok(
        schema::gitlab_create_request(&seen[0].json()),
        &seen[0].json(),
    );
    assert_eq!(
        seen[0].json(),
        json!({"tag_name": "2.0rc2", "ref": "6ba09a7c53235ee8a8fa5ee4c1ca8ca886e7fdbb"})
    );
}

#[tokio::test]
async fn sentry_cli_requests_against_gitlab() {
    let fake = FakeUpstream::builder()
        .route_seq(
            "POST",
            "/api/v4/projects/octo%2Fapp/releases",
            vec![
                Reply::json(201, &fixtures::gitlab_release("1.0.0")),
                Reply::json(409, &json!({"message": "Release already exists"})),
            ],
        )
        .route(
            "GET",
            "/api/v4/projects/octo%2Fapp/releases/1.0.0",
            Reply::json(200, &fixtures::gitlab_release("1.0.0")),
        )
        .route(
            "PUT",
            "/api/v4/projects/octo%2Fapp/releases/1.0.0",
            Reply::json(200, &fixtures::gitlab_release("1.0.0")),
        )
        .route(
            "DELETE",
            "/api/v4/projects/octo%2Fapp/releases/1.0.0",
            Reply::json(200, &fixtures::gitlab_release("1.0.0")),
        )
        .start()
        .await;
    // sentry-cli's organization routes name no project: the organization is mapped to one.
    let gw = TestGateway::start_pair(
        "sentry",
        "gitlab",
        &fake.url(),
        "[projects]\n\"octo\" = \"octo/app\"\n",
    )
    .await;

    // `sentry-cli releases new 1.0.0`, exactly as it sends it.
    let new =
        r#"{"version":"1.0.0","projects":["app"],"dateStarted":"2026-11-23T23:05:36.468643428Z"}"#;
    let r = sentry_call(&gw, "POST", "/organizations/octo/releases/", new).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let v = r.json();
    ok(schema::sentry_created_release(&v), &v);
    assert_eq!(v["version"], "1.0.0");
    let id = v["id"].as_u64().expect("a synthesized id");
    assert!(id > 0 && id < (1 << 53));
    assert_eq!(v["dateCreated"], "2019-01-03T01:55:18.203Z");

    // Again: Sentry's create is idempotent, 208 with the release that is there.
    let r = sentry_call(&gw, "POST", "/organizations/octo/releases/", new).await;
    assert_eq!(r.status, 208, "{}", r.text());
    ok(schema::sentry_created_release(&r.json()), &r.json());
    assert_eq!(
        (&r.json()["id"], &r.json()["version"]),
        (&json!(id), &json!("1.0.0"))
    );

    // `releases info`, `releases finalize`, `releases delete`.
    let r = sentry_call(&gw, "GET", "/organizations/octo/releases/1.0.0/", "").await;
    assert_eq!(r.status, 200, "{}", r.text());
    ok(schema::sentry_release(&r.json()), &r.json());
    let fin = r#"{"projects":["app"],"dateReleased":"2026-11-23T23:05:36.788317925Z"}"#;
    let r = sentry_call(&gw, "PUT", "/organizations/octo/releases/1.0.0/", fin).await;
    assert_eq!(r.status, 200, "{}", r.text());
    ok(schema::sentry_release(&r.json()), &r.json());
    let r = sentry_call(&gw, "DELETE", "/organizations/octo/releases/1.0.0/", "").await;
    assert_eq!(r.status, 204, "{}", r.text());
    assert!(r.body.is_empty());

    let seen = gitlab_saw(&fake);
    let asked = calls(&seen);
    assert_eq!(
        asked,
        [
            ("POST", "/api/v4/projects/octo%2Fapp/releases"),
            ("POST", "/api/v4/projects/octo%2Fapp/releases"),
            ("GET", "/api/v4/projects/octo%2Fapp/releases/1.0.0"),
            ("GET", "/api/v4/projects/octo%2Fapp/releases/1.0.0"),
            ("PUT", "/api/v4/projects/octo%2Fapp/releases/1.0.0"),
            ("DELETE", "/api/v4/projects/octo%2Fapp/releases/1.0.0"),
        ]
    );
    ok(
        schema::gitlab_create_request(&seen[0].json()),
        &seen[0].json(),
    );
    assert_eq!(seen[0].json(), json!({"tag_name": "1.0.0"}));
    ok(
        schema::gitlab_update_request(&seen[4].json()),
        &seen[4].json(),
    );
    assert_eq!(
        seen[4].json(),
        json!({"released_at": "2026-11-23T23:05:36.788317925Z"})
    );
}

#[tokio::test]
async fn sentry_client_pages_by_cursor_over_gitlab_pages() {
    let page = |tags: &[&str], n: &str, next: &str, prev: &str| {
        let v: Vec<Value> = tags.iter().map(|t| fixtures::gitlab_release(t)).collect();
        Reply::json(200, &json!(v))
            .with_header("X-Page", n)
            .with_header("X-Next-Page", next)
            .with_header("X-Prev-Page", prev)
            .with_header("X-Total", "3")
    };
    let fake = FakeUpstream::builder()
        .route_seq(
            "GET",
            "/api/v4/projects/octo%2Fapp/releases",
            vec![
                page(&["v3", "v2"], "1", "2", ""),
                page(&["v1"], "2", "", "1"),
            ],
        )
        .start()
        .await;
    let gw = TestGateway::start_pair("sentry", "gitlab", &fake.url(), "").await;
    let r = sentry_call(&gw, "GET", "/projects/octo/app/releases/?per_page=2", "").await;
    assert_eq!(r.status, 200, "{}", r.text());
    ok(schema::sentry_project_release_list(&r.json()), &r.json());
    assert_eq!(tags(&r.json(), "version"), ["v3", "v2"]);
    let base = format!("{}/api/0/projects/octo/app/releases/?per_page=2", gw.url);
    assert_eq!(
        r.header("link"),
        Some(&*format!(
            "<{base}&cursor=1>; rel=\"previous\"; results=\"false\"; cursor=\"1\", \
             <{base}&cursor=2>; rel=\"next\"; results=\"true\"; cursor=\"2\""
        ))
    );
    let r = call("GET", &format!("{base}&cursor=2"), &[BEARER], "").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(tags(&r.json(), "version"), ["v1"]);
    assert_eq!(
        r.header("link"),
        Some(&*format!(
            "<{base}&cursor=1>; rel=\"previous\"; results=\"true\"; cursor=\"1\", \
             <{base}&cursor=2>; rel=\"next\"; results=\"false\"; cursor=\"2\""
        ))
    );
    let seen = gitlab_saw(&fake);
    let asked = targets(&seen);
    assert_eq!(
        asked,
        [
            "/api/v4/projects/octo%2Fapp/releases?page=1&per_page=2",
            "/api/v4/projects/octo%2Fapp/releases?page=2&per_page=2",
        ]
    );
}

#[tokio::test]
async fn sentry_client_errors_are_sentry_shaped() {
    let fake = FakeUpstream::builder().start().await;
    let gw = TestGateway::start_pair("sentry", "gitlab", &fake.url(), "").await;
    // An unknown version (the fake answers GitLab's 404).
    let r = sentry_call(&gw, "GET", "/organizations/octo/releases/nope/", "").await;
    assert_eq!(r.status, 404, "{}", r.text());
    assert_eq!(
        r.json(),
        json!({"detail": "The requested resource does not exist"})
    );
    // Malformed JSON: nothing is sent.
    let before = fake.request_count();
    let r = sentry_call(
        &gw,
        "POST",
        "/organizations/octo/releases/",
        r#"{"version":"#,
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.text());
    let e = r.json();
    assert!(
        e["detail"].as_str().is_some_and(|d| d.contains("JSON")),
        "{e}"
    );
    assert_eq!(e.as_object().map(|o| o.len()), Some(1), "{e}");
    // A cursor this gateway did not give (Sentry's own form).
    let r = sentry_call(
        &gw,
        "GET",
        "/projects/octo/app/releases/?cursor=100:1:0",
        "",
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.text());
    assert_eq!(
        r.json(),
        json!({"detail": "invalid cursor `100:1:0`: the cursors of this gateway are the ones its Link headers give"})
    );
    // No version: Sentry's 400.
    let r = sentry_call(
        &gw,
        "POST",
        "/organizations/octo/releases/",
        r#"{"projects":["app"]}"#,
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.text());
    assert_eq!(fake.request_count(), before);
}

#[tokio::test]
async fn an_organization_the_upstream_cannot_address_is_a_clear_404() {
    // GitHub addresses owner/repo; a Sentry organization alone names no repository.
    let fake = FakeUpstream::builder().start().await;
    let gw = TestGateway::start_pair("sentry", "github", &fake.url(), "").await;
    let r = sentry_call(&gw, "GET", "/organizations/octo/releases/1.0.0/", "").await;
    assert_eq!(r.status, 404, "{}", r.text());
    let d = r.json()["detail"].as_str().unwrap_or_default().to_owned();
    assert!(
        d.contains("`octo` is not an owner/repo path") && d.contains("[projects]"),
        "{d}"
    );
    assert_eq!(fake.request_count(), 0);
    // The project-scoped list names both.
    let r = sentry_call(&gw, "GET", "/projects/octo/app/releases/", "").await;
    assert_eq!(
        fake.last_request().map(|r| r.path_and_query),
        Some("/repos/octo/app/releases?page=1&per_page=100".to_owned())
    );
    assert_eq!(r.status, 404, "{}", r.text());
}
