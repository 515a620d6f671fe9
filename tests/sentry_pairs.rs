//! Clients of GitHub, GitLab and Gitea in front of a simulated Sentry
//! (`forgebridge::sim` serving `mappings/sentry.toml`), end to end: the release
//! list walked page by page through `Link` (Sentry's cursors carried for
//! clients that page by number), get by version and by id, writes, and what
//! Sentry cannot do. Every answer is checked against the client dialect's
//! schema. (Sentry clients in front of the other forges: `tests/sentry.rs` and
//! sentry-cli in `tests/clients/run`.)

mod support;

use forgebridge::sim::{self, Sim};
use serde_json::{json, Value};
use support::gateway::{call, Resp, TestGateway};
use support::schema;

/// The demo seed's versions, newest first.
const SEED: [&str; 3] = ["release/2.0", "v1.1.0", "v1.0.0"];

struct Pair {
    gw: TestGateway,
    _sim: tokio::task::JoinHandle<()>,
}

async fn pair(client: &str) -> Pair {
    let dialect = support::gateway::mappings()
        .get("sentry")
        .expect("the Sentry mapping")
        .clone();
    let (addr, task) = Sim::start(dialect, 0, sim::DEMO_PROJECT, &sim::demo_seed())
        .await
        .expect("the simulated forge starts");
    let gw = TestGateway::start_pair(client, "sentry", &format!("http://{addr}"), "").await;
    Pair { gw, _sim: task }
}

const TOKEN: [(&str, &str); 1] = [("Authorization", "Bearer sntrys-demo")];

async fn get(url: &str) -> Resp {
    call("GET", url, &TOKEN, "").await
}

/// Walks the list from `first` through `Link`, one release a page; each page
/// is checked with `valid`; returns the tags in order and the pages' count.
async fn walk(first: &str, key: &str, valid: fn(&Value) -> Result<(), String>) -> Vec<String> {
    let mut url = Some(first.to_owned());
    let mut tags = Vec::new();
    let mut pages = 0;
    while let Some(u) = url {
        pages += 1;
        assert!(pages <= 10, "the walk does not end: {u}");
        let r = get(&u).await;
        assert_eq!(r.status, 200, "{u}: {}", r.text());
        let v = r.json();
        valid(&v).unwrap_or_else(|e| panic!("{u}: {e}"));
        for rel in v.as_array().into_iter().flatten() {
            tags.push(rel[key].as_str().unwrap_or_default().to_owned());
        }
        url = r.next_link();
    }
    tags
}

#[tokio::test]
async fn github_client_in_front_of_sentry() {
    let p = pair("github").await;
    let base = format!("{}/repos/demo/hello/releases", p.gw.url);
    // One a page: each next page's cursor travels under Sentry's own name.
    let first = get(&format!("{base}?per_page=1")).await;
    assert_eq!(
        first.next_link().as_deref(),
        Some(&*format!("{base}?per_page=1&cursor=2"))
    );
    let tags = walk(
        &format!("{base}?per_page=1"),
        "tag_name",
        schema::github_release_list,
    )
    .await;
    assert_eq!(tags, SEED);

    let by_tag = get(&format!("{base}/tags/v1.1.0")).await;
    assert_eq!(by_tag.status, 200, "{}", by_tag.text());
    let v = by_tag.json();
    schema::github_release(&v).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (&v["tag_name"], &v["name"], &v["body"]),
        (&json!("v1.1.0"), &Value::Null, &Value::Null)
    );
    assert_eq!(v["published_at"], "2026-03-02T12:30:00Z");
    let id = v["id"].as_u64().expect("an id");
    let by_id = get(&format!("{base}/{id}")).await;
    assert_eq!(by_id.status, 200, "{}", by_id.text());
    assert_eq!(by_id.json()["tag_name"], "v1.1.0");

    // Writes: create, the same tag again, edit, delete.
    let made = call(
        "POST",
        &base,
        &TOKEN,
        r#"{"tag_name":"v3.0.0","target_commitish":"main","body":"dropped"}"#,
    )
    .await;
    assert_eq!(made.status, 201, "{}", made.text());
    schema::github_release(&made.json()).unwrap_or_else(|e| panic!("{e}"));
    let id = made.json()["id"].as_u64().expect("an id");
    let again = call("POST", &base, &TOKEN, r#"{"tag_name":"v3.0.0"}"#).await;
    assert_eq!(again.status, 422, "{}", again.text());
    assert_eq!(again.json()["errors"][0]["code"], "already_exists");
    let edited = call(
        "PATCH",
        &format!("{base}/{id}"),
        &TOKEN,
        r#"{"target_commitish":"abc"}"#,
    )
    .await;
    assert_eq!(edited.status, 200, "{}", edited.text());
    assert_eq!(edited.json()["target_commitish"], "abc");
    let gone = call("DELETE", &format!("{base}/{id}"), &TOKEN, "").await;
    assert_eq!(gone.status, 204, "{}", gone.text());
    assert_eq!(get(&format!("{base}/tags/v3.0.0")).await.status, 404);
    let tags = walk(
        &format!("{base}?per_page=2"),
        "tag_name",
        schema::github_release_list,
    )
    .await;
    assert_eq!(tags, SEED);

    // What Sentry cannot do.
    let draft = call("POST", &base, &TOKEN, r#"{"tag_name":"v4","draft":true}"#).await;
    assert_eq!(draft.status, 501, "{}", draft.text());
    // Sentry has no latest release: the gateway finds it in the list.
    let latest = get(&format!("{base}/latest")).await;
    assert_eq!(latest.status, 200, "{}", latest.text());
    schema::github_release(&latest.json()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(latest.json()["tag_name"], "release/2.0");
}

#[tokio::test]
async fn gitlab_client_in_front_of_sentry() {
    let p = pair("gitlab").await;
    let base = format!("{}/api/v4/projects/demo%2Fhello/releases", p.gw.url);
    let tags = walk(
        &format!("{base}?per_page=1"),
        "tag_name",
        schema::gitlab_release_list,
    )
    .await;
    assert_eq!(tags, SEED);
    let one = get(&format!("{base}/release%2F2.0")).await;
    assert_eq!(one.status, 200, "{}", one.text());
    let v = one.json();
    schema::gitlab_release(&v).unwrap_or_else(|e| panic!("{e}"));
    // GitLab names a release after its tag when it has no title.
    assert_eq!(
        (&v["tag_name"], &v["name"], &v["description"]),
        (&json!("release/2.0"), &json!("release/2.0"), &json!(""))
    );
    let latest = get(&format!("{base}/permalink/latest")).await;
    assert_eq!(latest.status, 200, "{}", latest.text());
    schema::gitlab_release(&latest.json()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(latest.json()["tag_name"], "release/2.0");
    let made = call(
        "POST",
        &base,
        &TOKEN,
        r#"{"tag_name":"v3.0.0","ref":"main"}"#,
    )
    .await;
    assert_eq!(made.status, 201, "{}", made.text());
    let again = call(
        "POST",
        &base,
        &TOKEN,
        r#"{"tag_name":"v3.0.0","ref":"main"}"#,
    )
    .await;
    assert_eq!(again.status, 409, "{}", again.text());
    let fin = call(
        "PUT",
        &format!("{base}/v3.0.0"),
        &TOKEN,
        r#"{"released_at":"2026-11-01T00:00:00Z"}"#,
    )
    .await;
    assert_eq!(fin.status, 200, "{}", fin.text());
    assert_eq!(fin.json()["released_at"], "2026-11-01T00:00:00Z");
    // GitLab answers a delete with the release: read first, then deleted.
    let gone = call("DELETE", &format!("{base}/v3.0.0"), &TOKEN, "").await;
    assert_eq!(gone.status, 200, "{}", gone.text());
    assert_eq!(gone.json()["tag_name"], "v3.0.0");
    assert_eq!(get(&format!("{base}/v3.0.0")).await.status, 404);
}

#[tokio::test]
async fn gitea_client_in_front_of_sentry() {
    let p = pair("gitea").await;
    let base = format!("{}/api/v1/repos/demo/hello/releases", p.gw.url);
    let tags = walk(
        &format!("{base}?limit=1"),
        "tag_name",
        schema::gitea_release_list,
    )
    .await;
    assert_eq!(tags, SEED);
    let one = get(&format!("{base}/tags/v1.0.0")).await;
    assert_eq!(one.status, 200, "{}", one.text());
    schema::gitea_release(&one.json()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(one.json()["published_at"], "2026-01-10T09:00:00Z");
}
