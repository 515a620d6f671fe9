//! The DoltHub dialect (`mappings/dolthub.toml`) on both sides, against a fake forge: what
//! the upstream receives (path, query, credential, body, each checked against the upstream's
//! spec) and what the client gets (checked against its own dialect's spec). DoltHub's answers
//! are the seed's literal examples (`tests/fixtures/dolthub/`).

mod support;
use serde_json::{json, Value};
use support::fake::{targets, FakeUpstream, Recorded, Reply};
use support::fixtures;
use support::gateway::{call, Resp, TestGateway};
use support::schema;

const LIST: &str = "/api/v1alpha1/dolthub/museum-collections/releases";

fn ok<T: std::fmt::Debug>(r: Result<(), String>, v: &T) {
    r.unwrap_or_else(|e| panic!("{e}\n{v:#?}"));
}

/// Every request a DoltHub upstream saw: each a DoltHub release operation carrying the
/// client's token in DoltHub's `authorization: token …`, and nothing else of it.
fn dolthub_saw(fake: &FakeUpstream) -> Vec<Recorded> {
    fake.requests_checked(
        schema::dolthub_path,
        "authorization",
        &["token dhat.secret"],
        &["private-token"],
    )
}

/// Every request a GitLab upstream saw, checked against GitLab's spec, with the token.
fn gitlab_saw(fake: &FakeUpstream) -> Vec<Recorded> {
    fake.requests_checked(
        schema::gitlab_path,
        "private-token",
        &["dhat.secret"],
        &["authorization"],
    )
}

async fn github_call(gw: &TestGateway, method: &str, path: &str, body: &str) -> Resp {
    call(
        method,
        &format!("{}/repos/dolthub/museum-collections/releases{path}", gw.url),
        &[("Authorization", "token dhat.secret")],
        body,
    )
    .await
}

async fn dolthub_call(gw: &TestGateway, method: &str, path: &str, body: &str) -> Resp {
    call(
        method,
        &format!("{}{path}", gw.url),
        &[("authorization", "token dhat.secret")],
        body,
    )
    .await
}

/// The seed's list example, with its releases replaced by `releases` (seed-shaped
/// releases made from the example's one) and its token by `next`.
fn dolthub_list(tags: &[(&str, &str)], next: &str) -> Value {
    let mut v = fixtures::load("dolthub/list_releases.json");
    let one = v["releases"][0].clone();
    v["releases"] = tags
        .iter()
        .map(|(tag, at)| {
            let mut r = one.clone();
            r["release_tag"] = json!(tag);
            r["release_title"] = json!(format!("title of {tag}"));
            r["release_created_at"] = json!(at);
            r["release_updated_at"] = json!(at);
            r
        })
        .collect();
    v["next_page_token"] = json!(next);
    v
}

// ------------------------------------------------------------- GitHub client, DoltHub upstream

#[tokio::test]
async fn github_client_reads_the_seed_list_and_follows_its_token() {
    let first = fixtures::load("dolthub/list_releases.json");
    ok(schema::dolthub_release_list(&first), &first);
    let fake = FakeUpstream::builder()
        .route_seq(
            "GET",
            LIST,
            vec![
                Reply::json(200, &first),
                Reply::json(200, &dolthub_list(&[("v0", "2023-01-01T00:00:00Z")], "")),
            ],
        )
        .start()
        .await;
    let gw = TestGateway::start_pair("github", "dolthub", &fake.url(), "").await;
    let r = github_call(&gw, "GET", "?per_page=5", "").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    ok(schema::github_release_list(&v), &v);
    let rel = &v[0];
    assert_eq!(v.as_array().map(Vec::len), Some(1));
    for (k, want) in [
        ("tag_name", json!("v1")),
        ("name", json!("my-release-v1")),
        ("body", json!("First version of the database")),
        ("target_commitish", json!("1234567890")),
        ("created_at", json!("2023-03-31T18:00:00Z")),
        // A DoltHub release is published when it is made.
        ("published_at", json!("2023-03-31T18:00:00Z")),
        ("draft", json!(false)),
        ("prerelease", json!(false)),
        ("assets", json!([])),
        (
            "html_url",
            json!(format!(
                "{}/repositories/dolthub/museum-collections/releases",
                fake.url()
            )),
        ),
    ] {
        assert_eq!(rel[k], want, "{k}");
    }
    let id = rel["id"].as_u64().expect("a synthesized id");
    assert!(id > 0 && id < (1 << 53), "{id}");
    assert_eq!(
        rel["url"],
        format!("{}/repos/dolthub/museum-collections/releases/{id}", gw.url)
    );
    // DoltHub's token travels in the client's Link, under DoltHub's name; DoltHub's page
    // size is its own, so the client's per_page stays in the link and is not sent.
    let next = r.next_link().expect("a next page");
    assert_eq!(
        next,
        format!(
            "{}/repos/dolthub/museum-collections/releases?per_page=5&next_page_token=1234567890",
            gw.url
        )
    );
    let r2 = call("GET", &next, &[("Authorization", "token dhat.secret")], "").await;
    assert_eq!(r2.status, 200, "{}", r2.text());
    let v2 = r2.json();
    ok(schema::github_release_list(&v2), &v2);
    assert_eq!(v2[0]["tag_name"], "v0");
    assert_eq!(r2.next_link(), None, "an empty token ends the list");

    let seen = dolthub_saw(&fake);
    let targets = targets(&seen);
    assert_eq!(
        targets,
        [
            LIST.to_owned(),
            format!("{LIST}?next_page_token=1234567890")
        ]
    );
    assert!(seen.iter().all(|r| r.method == "GET"));
}

#[tokio::test]
async fn github_client_gets_a_release_found_in_the_list() {
    let list = dolthub_list(
        &[
            ("v2", "2024-02-01T00:00:00Z"),
            ("v1/rc", "2024-01-01T00:00:00Z"),
        ],
        "",
    );
    let fake = FakeUpstream::builder()
        .route("GET", LIST, Reply::json(200, &list))
        .start()
        .await;
    let gw = TestGateway::start_pair("github", "dolthub", &fake.url(), "").await;

    // By tag: DoltHub has no such route; the release is found in its list.
    let r = github_call(&gw, "GET", "/tags/v1%2Frc", "").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    ok(schema::github_release(&v), &v);
    assert_eq!(v["tag_name"], "v1/rc");
    assert_eq!(v["name"], "title of v1/rc");
    let id = v["id"].as_u64().unwrap();
    assert_eq!(dolthub_saw(&fake).len(), 1);

    // By id: the same release, the same id, in one walk.
    let r = github_call(&gw, "GET", &format!("/{id}"), "").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json(), v);
    assert_eq!(dolthub_saw(&fake).len(), 2);

    // Latest: the one published last.
    let r = github_call(&gw, "GET", "/latest", "").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let latest = r.json();
    ok(schema::github_release(&latest), &latest);
    assert_eq!(latest["tag_name"], "v2");

    // A tag the list does not hold.
    let r = github_call(&gw, "GET", "/tags/v9", "").await;
    assert_eq!(r.status, 404, "{}", r.text());
    ok(schema::github_basic_error(&r.json()), &r.text());
    let r = github_call(&gw, "GET", "/123", "").await;
    assert_eq!(r.status, 404, "{}", r.text());

    // Every request was a read of the list, one a lookup (by tag, by id, latest and the
    // two that found nothing): the list holds one page.
    let seen = dolthub_saw(&fake);
    assert_eq!(seen.len(), 5);
    assert!(seen
        .iter()
        .all(|r| r.method == "GET" && r.path_and_query == LIST));
}

/// A fake DoltHub answering every create with the seed's create example, and a
/// gateway for GitHub clients in front of it.
async fn github_in_front_of_a_dolthub_that_creates() -> (FakeUpstream, TestGateway) {
    let fake = FakeUpstream::builder()
        .route(
            "POST",
            LIST,
            Reply::json(200, &fixtures::load("dolthub/create_response.json")),
        )
        .start()
        .await;
    let gw = TestGateway::start_pair("github", "dolthub", &fake.url(), "").await;
    (fake, gw)
}

#[tokio::test]
async fn github_client_creates_a_release_on_dolthub() {
    let (fake, gw) = github_in_front_of_a_dolthub_that_creates().await;
    let body = fixtures::load("github/create_request.json");
    let r = github_call(&gw, "POST", "", &body.to_string()).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let v = r.json();
    ok(schema::github_release(&v), &v);
    // The answer is the seed's release.
    assert_eq!(v["tag_name"], "v1");
    assert_eq!(v["name"], "my-release-v1");
    assert_eq!(v["target_commitish"], "1234567890");
    let id = v["id"].as_u64().unwrap();
    assert_eq!(
        r.header("location"),
        Some(format!("{}/repos/dolthub/museum-collections/releases/{id}", gw.url).as_str())
    );

    let seen = dolthub_saw(&fake);
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].method, "POST");
    let sent = seen[0].json();
    ok(schema::dolthub_create_request(&sent), &sent);
    // Both documents' names; GitHub's prerelease and draft have no DoltHub counterpart.
    assert_eq!(
        sent,
        json!({
            "tag": "v1.0.0",
            "title": "v1.0.0",
            "description": "Description of the release",
            "commitSha": "master",
            "createTagIfNotExists": true,
            "tagName": "v1.0.0",
            "tagMessage": "Description of the release",
            "revisionType": "ref",
            "revisionName": "master"
        })
    );
    assert_eq!(
        seen[0].header("content-type"),
        Some("application/json"),
        "{:?}",
        seen[0].headers
    );
}

#[tokio::test]
async fn github_client_without_a_target_creates_from_main() {
    let (fake, gw) = github_in_front_of_a_dolthub_that_creates().await;
    let r = github_call(&gw, "POST", "", r#"{"tag_name":"v2"}"#).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let sent = dolthub_saw(&fake)[0].json();
    ok(schema::dolthub_create_request(&sent), &sent);
    assert_eq!(
        sent,
        json!({
            "tag": "v2",
            "title": "v2",
            "commitSha": "main",
            "createTagIfNotExists": true,
            "tagName": "v2",
            "tagMessage": "",
            "revisionType": "ref",
            "revisionName": "main"
        })
    );
}

#[tokio::test]
async fn dolthub_refusals_reach_github_clients_in_their_shape() {
    let fake = FakeUpstream::builder()
        .route_seq(
            "POST",
            LIST,
            vec![
                Reply::json(
                    400,
                    &json!({"status": "Error", "message": "release v1 already exists"}),
                ),
                Reply::json(400, &fixtures::load("dolthub/create_error.json")),
            ],
        )
        .start()
        .await;
    let gw = TestGateway::start_pair("github", "dolthub", &fake.url(), "").await;
    let create = r#"{"tag_name":"v1","target_commitish":"main"}"#;
    // A duplicate, told by its message: GitHub's 422 already_exists.
    let r = github_call(&gw, "POST", "", create).await;
    assert_eq!(r.status, 422, "{}", r.text());
    let v = r.json();
    ok(schema::github_validation_error(&v), &v);
    assert_eq!(v["errors"][0]["code"], "already_exists");
    assert_eq!(v["errors"][0]["field"], "tag_name");
    // Any other 400 (the seed's example) is the client's 400, with DoltHub's message.
    let r = github_call(&gw, "POST", "", create).await;
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(
        r.text().contains("Error creating a release."),
        "{}",
        r.text()
    );
    assert_eq!(dolthub_saw(&fake).len(), 2);

    // What DoltHub cannot do is refused, and nothing is sent.
    for (method, path, body, why) in [
        (
            "PATCH",
            "/1",
            r#"{"name":"x"}"#,
            "DoltHub's API creates and lists releases; it cannot edit one",
        ),
        (
            "DELETE",
            "/1",
            "",
            "DoltHub's API creates and lists releases; it cannot delete one",
        ),
        (
            "POST",
            "",
            r#"{"tag_name":"v3","draft":true}"#,
            "DoltHub has no draft releases; create the release when it is ready",
        ),
    ] {
        let r = github_call(&gw, method, path, body).await;
        assert_eq!(r.status, 501, "{method} {path}: {}", r.text());
        let v = r.json();
        ok(schema::github_basic_error(&v), &v);
        assert!(
            v["message"].as_str().unwrap().contains(why),
            "{method} {path}: {v}"
        );
    }
    assert_eq!(fake.request_count(), 2, "nothing more was sent");
}

// ------------------------------------------------------------- DoltHub client, GitLab upstream

#[tokio::test]
async fn dolthub_client_pages_a_gitlab_list_by_token() {
    let list = fixtures::gitlab_list();
    let project = "/api/v4/projects/dolthub%2Fmuseum-collections/releases";
    let fake = FakeUpstream::builder()
        .route(
            "GET",
            project,
            Reply::json(200, &list)
                .with_header("X-Page", "1")
                .with_header("X-Next-Page", "2")
                .with_header("X-Total-Pages", "2"),
        )
        .start()
        .await;
    let gw = TestGateway::start_pair("dolthub", "gitlab", &fake.url(), "").await;
    let r = dolthub_call(&gw, "GET", LIST, "").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    ok(schema::dolthub_release_list(&v), &v);
    assert_eq!(v["status"], "Success");
    assert_eq!(v["database_owner"], "dolthub");
    assert_eq!(v["database_name"], "museum-collections");
    // GitLab's next page, as DoltHub's token.
    assert_eq!(v["next_page_token"], "2");
    assert_eq!(r.header("link"), None);
    let tags: Vec<&str> = v["releases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["release_tag"].as_str().unwrap())
        .collect();
    let want: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["tag_name"].as_str().unwrap())
        .collect();
    assert_eq!(tags, want);
    let first = &v["releases"][0];
    assert_eq!(first["release_title"], list[0]["name"]);
    assert_eq!(first["release_description"], list[0]["description"]);
    assert_eq!(first["release_commit_sha"], list[0]["commit"]["id"]);
    assert_eq!(first["release_created_at"], list[0]["created_at"]);

    // The token asks GitLab for that page.
    let r = dolthub_call(&gw, "GET", &format!("{LIST}?next_page_token=2"), "").await;
    assert_eq!(r.status, 200, "{}", r.text());
    // A token the gateway did not give is refused in DoltHub's shape, and not sent.
    let r = dolthub_call(&gw, "GET", &format!("{LIST}?next_page_token=abc"), "").await;
    assert_eq!(r.status, 400, "{}", r.text());
    let e = r.json();
    ok(schema::dolthub_error(&e), &e);

    let seen = gitlab_saw(&fake);
    let targets = targets(&seen);
    assert_eq!(
        targets,
        [format!("{project}?page=1"), format!("{project}?page=2")]
    );
}

#[tokio::test]
async fn dolthub_client_creates_on_gitlab_with_either_documents_names() {
    let project = "/api/v4/projects/dolthub%2Fmuseum-collections/releases";
    let created = fixtures::gitlab_release("v1");
    let fake = FakeUpstream::builder()
        .route("POST", project, Reply::json(201, &created))
        .start()
        .await;
    let gw = TestGateway::start_pair("dolthub", "gitlab", &fake.url(), "").await;
    // The seed's names.
    let seed_body = json!({
        "tag": "v1",
        "title": "my-release-v1",
        "commitSha": "1234567890",
        "description": "First version of the database",
        "createTagIfNotExists": true
    });
    let r = dolthub_call(&gw, "POST", LIST, &seed_body.to_string()).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    ok(schema::dolthub_created_release(&v), &v);
    assert_eq!(v["status"], "Success");
    assert_eq!(v["database_owner"], "dolthub");
    assert_eq!(v["database_name"], "museum-collections");
    assert_eq!(v["release_tag"], created["tag_name"]);
    assert_eq!(v["release_title"], created["name"]);
    // The OpenAPI fragments' names.
    let spec_body = json!({
        "tagName": "v1",
        "tagMessage": "First version of the database",
        "revisionType": "commit",
        "revisionName": "1234567890"
    });
    let r = dolthub_call(&gw, "POST", LIST, &spec_body.to_string()).await;
    assert_eq!(r.status, 200, "{}", r.text());

    let seen = gitlab_saw(&fake);
    assert_eq!(seen.len(), 2);
    let sent: Vec<Value> = seen.iter().map(Recorded::json).collect();
    for s in &sent {
        ok(schema::gitlab_create_request(s), s);
    }
    assert_eq!(
        sent[0],
        json!({
            "tag_name": "v1",
            "name": "my-release-v1",
            "description": "First version of the database",
            "ref": "1234567890"
        })
    );
    assert_eq!(
        sent[1],
        json!({
            "tag_name": "v1",
            "description": "First version of the database",
            "ref": "1234567890"
        })
    );
}

#[tokio::test]
async fn dolthub_client_errors_are_in_dolthubs_shape() {
    let project = "/api/v4/projects/dolthub%2Fmuseum-collections/releases";
    let fake = FakeUpstream::builder()
        .route(
            "POST",
            project,
            Reply::json(409, &json!({"message": "Release already exists"})),
        )
        .start()
        .await;
    let gw = TestGateway::start_pair("dolthub", "gitlab", &fake.url(), "").await;
    for (method, path, body, status) in [
        // GitLab's duplicate.
        (
            "POST",
            LIST,
            r#"{"tag":"v1","title":"t","commitSha":"main"}"#,
            400,
        ),
        // Malformed JSON.
        ("POST", LIST, r#"{"tag":"#, 400),
        // No tag.
        ("POST", LIST, r#"{"title":"t"}"#, 400),
        // No such DoltHub route.
        ("GET", &format!("{LIST}/v1") as &str, "", 404),
        ("DELETE", LIST, "", 405),
    ] {
        let r = dolthub_call(&gw, method, path, body).await;
        assert_eq!(r.status, status, "{method} {path} {body}: {}", r.text());
        let v = r.json();
        ok(schema::dolthub_error(&v), &v);
        assert_eq!(v["status"], "Error");
    }
    assert_eq!(gitlab_saw(&fake).len(), 1, "only the duplicate was sent");
}

// ------------------------------------------------------------- DoltHub on both sides

#[tokio::test]
async fn dolthub_pass_through_hands_back_the_seed_example() {
    let body = fixtures::load_bytes("dolthub/list_releases.json");
    let fake = FakeUpstream::builder()
        .route(
            "GET",
            LIST,
            Reply::raw(200, "application/json", body.clone()),
        )
        .start()
        .await;
    let gw = TestGateway::start_pair("dolthub", "dolthub", &fake.url(), "").await;
    let r = dolthub_call(&gw, "GET", &format!("{LIST}?next_page_token=abc"), "").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.body.as_ref(), body.as_slice());
    let seen = dolthub_saw(&fake);
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0].path_and_query,
        format!("{LIST}?next_page_token=abc")
    );
}

// ------------------------------------------------------------- a forge that does not page

/// The shipped mappings, with DoltHub's `[paging]` left out: a forge whose list answer
/// holds every release, and whose clients expect every release in one answer.
fn unpaged_mappings() -> support::tmp::TempDir {
    support::gateway::mappings_edited("unpaged", |name, text| {
        if name == "dolthub.toml" {
            let start = text.find("[paging]").expect("DoltHub's [paging]");
            let end = start + text[start..].find("\n\n").expect("the end of [paging]");
            text.replace_range(start..end, "");
            assert!(!text.contains("next_page_token\"\n"), "{text}");
        }
    })
}

#[tokio::test]
async fn an_unpaged_forges_list_is_cut_into_the_clients_pages() {
    let all: Vec<(String, String)> = (0..5)
        .map(|i| {
            (
                format!("v{}", 5 - i),
                format!("2024-0{}-01T00:00:00Z", 5 - i),
            )
        })
        .collect();
    let refs: Vec<(&str, &str)> = all.iter().map(|(t, d)| (t.as_str(), d.as_str())).collect();
    let mut whole = dolthub_list(&refs, "");
    whole.as_object_mut().unwrap().remove("next_page_token");
    let fake = FakeUpstream::builder()
        .route("GET", LIST, Reply::json(200, &whole))
        .start()
        .await;
    let dir = unpaged_mappings();
    let gw = TestGateway::start_pair_in(dir.path(), "github", "dolthub", &fake.url(), "").await;
    let base = format!("{}/repos/dolthub/museum-collections/releases", gw.url);
    let mut url = Some(format!("{base}?per_page=2"));
    let mut pages = Vec::new();
    while let Some(u) = url {
        let r = call("GET", &u, &[("Authorization", "token dhat.secret")], "").await;
        assert_eq!(r.status, 200, "{u}: {}", r.text());
        let v = r.json();
        ok(schema::github_release_list(&v), &v);
        pages.push(
            v.as_array()
                .unwrap()
                .iter()
                .map(|r| r["tag_name"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>(),
        );
        url = r.next_link();
        assert!(pages.len() <= 5, "the walk does not end");
    }
    assert_eq!(pages, [vec!["v5", "v4"], vec!["v3", "v2"], vec!["v1"]]);
    // The last page is named, and a page past the end is empty.
    let r = call("GET", &format!("{base}?per_page=2&page=2"), &[], "").await;
    let link = r.header("link").unwrap();
    assert!(link.contains("page=3>; rel=\"last\""), "{link}");
    let r = call("GET", &format!("{base}?per_page=2&page=9"), &[], "").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json(), json!([]));
    // Every page was cut from one answer each: no paging parameter was sent.
    assert!(fake
        .requests()
        .iter()
        .all(|r| r.path_and_query == LIST && r.method == "GET"));
}

#[tokio::test]
async fn an_unpaged_forges_client_gets_every_page_in_one_answer() {
    let project = "/api/v4/projects/dolthub%2Fmuseum-collections/releases";
    let page = |tag: &str| fixtures::gitlab_release(tag);
    let fake = FakeUpstream::builder()
        .route_seq(
            "GET",
            project,
            vec![
                Reply::json(200, &json!([page("v3"), page("v2")])).with_header("X-Next-Page", "2"),
                Reply::json(200, &json!([page("v1")])).with_header("X-Next-Page", ""),
            ],
        )
        .start()
        .await;
    let dir = unpaged_mappings();
    let gw = TestGateway::start_pair_in(dir.path(), "dolthub", "gitlab", &fake.url(), "").await;
    let r = dolthub_call(&gw, "GET", LIST, "").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    let tags: Vec<&str> = v["releases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["release_tag"].as_str().unwrap())
        .collect();
    assert_eq!(tags, ["v3", "v2", "v1"]);
    assert_eq!(v.get("next_page_token"), None, "{v}");
    assert_eq!(v["database_name"], "museum-collections");
    // GitLab's largest pages, walked to the end.
    let seen = gitlab_saw(&fake);
    let targets = targets(&seen);
    assert_eq!(
        targets,
        [
            format!("{project}?page=1&per_page=100"),
            format!("{project}?page=2&per_page=100")
        ]
    );
}
