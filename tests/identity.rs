//! Numeric release ids for GitHub clients of a GitLab upstream: synthesized deterministically
//! from project + tag, resolved back to a tag through the upstream's list (walking its pages),
//! cached with a bound, and forgotten on delete.
mod support;

use forgebridge::canonical::synthetic_id;
use serde_json::{json, Value};
use support::fake::{FakeUpstream, Recorded, Reply};
use support::fixtures;
use support::gateway::{call, get, one_route, Resp, TestGateway};
use support::schema;

const LIST: &str = "/api/v4/projects/o%2Fr/releases";
const MAX_SAFE: u64 = (1 << 53) - 1;

fn gl_release(tag: &str) -> Value {
    fixtures::gitlab_release(tag)
}

fn gl_list(tags: &[&str]) -> Value {
    json!(tags.iter().map(|t| gl_release(t)).collect::<Vec<_>>())
}

/// A list page; `next` is the `X-Next-Page` GitLab sends (empty on the last page).
fn page(tags: &[&str], page: u32, next: Option<u32>) -> Reply {
    Reply::json(200, &gl_list(tags))
        .with_header("X-Page", &page.to_string())
        .with_header("X-Per-Page", "100")
        .with_header(
            "X-Next-Page",
            &next.map_or(String::new(), |n| n.to_string()),
        )
}

fn rel_path(tag: &str) -> String {
    format!("{LIST}/{tag}")
}

fn id(tag: &str) -> u64 {
    synthetic_id("o/r", tag)
}

/// Every request the fake received is a valid GitLab releases call; returns "METHOD target".
fn upstream(fake: &FakeUpstream) -> Vec<String> {
    let reqs: Vec<Recorded> = fake.requests();
    for r in &reqs {
        schema::gitlab_path(&r.method, &r.path_and_query)
            .unwrap_or_else(|e| panic!("{} {}: {e}", r.method, r.path_and_query));
        match r.method.as_str() {
            "POST" => schema::gitlab_create_request(&r.json()).unwrap_or_else(|e| panic!("{e}")),
            "PUT" => schema::gitlab_update_request(&r.json()).unwrap_or_else(|e| panic!("{e}")),
            _ => assert!(r.body.is_empty()),
        }
    }
    reqs.iter()
        .map(|r| format!("{} {}", r.method, r.path_and_query))
        .collect()
}

fn list_call(project: &str, page: u32) -> String {
    format!("GET /api/v4/projects/{project}/releases?page={page}&per_page=100")
}

fn release_json(r: &Resp) -> Value {
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    schema::github_release(&v).unwrap_or_else(|e| panic!("{e}\n{v}"));
    v
}

fn not_found(r: &Resp) -> String {
    assert_eq!(r.status, 404, "{}", r.text());
    let v = r.json();
    schema::github_basic_error(&v).unwrap_or_else(|e| panic!("{e}\n{v}"));
    v["message"].as_str().expect("message").to_owned()
}

/// (tag, id) pairs of a GitHub release list answer.
fn ids_of(r: &Resp) -> Vec<(String, u64)> {
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    schema::github_release_list(&v).unwrap_or_else(|e| panic!("{e}\n{v}"));
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| {
            (
                x["tag_name"].as_str().expect("tag_name").to_owned(),
                x["id"].as_u64().expect("numeric id"),
            )
        })
        .collect()
}

// ------------------------------------------------------------ synthesized ids

#[tokio::test]
async fn ids_are_synthetic_ids_of_project_and_tag() {
    let fake = FakeUpstream::builder()
        .route(
            "GET",
            LIST,
            Reply::json(200, &gl_list(&["v2.0", "v1.0", "release/1.0"])),
        )
        .route(
            "GET",
            &rel_path("v2.0"),
            Reply::json(200, &gl_release("v2.0")),
        )
        .start()
        .await;
    let gw = TestGateway::start(&fake.url()).await;
    let got = ids_of(&get(&format!("{}/repos/o/r/releases", gw.url)).await);
    assert_eq!(got.len(), 3);
    for (tag, n) in &got {
        assert_eq!(*n, id(tag), "{tag}");
        assert!(*n > 0 && *n <= MAX_SAFE, "{tag}: {n}");
    }
    let v = release_json(&get(&format!("{}/repos/o/r/releases/tags/v2.0", gw.url)).await);
    assert_eq!(v["id"], json!(id("v2.0")));
    // The id is also in the URLs that point back at the release.
    assert_eq!(
        v["url"],
        json!(format!("{}/repos/o/r/releases/{}", gw.url, id("v2.0")))
    );
    upstream(&fake);
}

#[tokio::test]
async fn ids_are_stable_across_separate_gateways() {
    let fake = FakeUpstream::builder()
        .route("GET", LIST, Reply::json(200, &gl_list(&["v3", "v2", "v1"])))
        .start()
        .await;
    let a = TestGateway::start(&fake.url()).await;
    let b = TestGateway::start(&fake.url()).await;
    let ia = ids_of(&get(&format!("{}/repos/o/r/releases", a.url)).await);
    let ib = ids_of(&get(&format!("{}/repos/o/r/releases", b.url)).await);
    assert_eq!(ia, ib);
    a.stop().await;
    // A gateway started after the first one is gone gives the same ids again.
    let c = TestGateway::start(&fake.url()).await;
    let ic = ids_of(&get(&format!("{}/repos/o/r/releases", c.url)).await);
    assert_eq!(ia, ic);
    // And a fresh gateway resolves an id it never handed out.
    let d = TestGateway::start(&fake.url()).await;
    assert!(d.gateway.ids.is_empty());
    // (the fake has no release route for v2: its 404 comes back as GitHub's)
    not_found(&get(&format!("{}/repos/o/r/releases/{}", d.url, id("v2"))).await);
    assert_eq!(d.gateway.ids.get("o/r", id("v2")).as_deref(), Some("v2"));
    upstream(&fake);
}

#[tokio::test]
async fn ids_differ_per_project_and_per_tag() {
    let fake = FakeUpstream::builder()
        .route("GET", LIST, Reply::json(200, &gl_list(&["v1", "v2"])))
        .route(
            "GET",
            "/api/v4/projects/o%2Fs/releases",
            Reply::json(200, &gl_list(&["v1", "v2"])),
        )
        .start()
        .await;
    let gw = TestGateway::start(&fake.url()).await;
    let r = ids_of(&get(&format!("{}/repos/o/r/releases", gw.url)).await);
    let s = ids_of(&get(&format!("{}/repos/o/s/releases", gw.url)).await);
    assert_ne!(r[0].1, r[1].1, "tags v1 and v2 share an id");
    assert_ne!(r[0].1, s[0].1, "o/r and o/s share an id for v1");
    assert_ne!(r[1].1, s[1].1, "o/r and o/s share an id for v2");
    assert_eq!(s[0].1, synthetic_id("o/s", "v1"));
    upstream(&fake);
}

#[tokio::test]
async fn ids_use_the_upstream_project_when_projects_are_mapped() {
    let fake = FakeUpstream::builder()
        .route(
            "GET",
            "/api/v4/projects/grp%2Fsub%2Fproj/releases",
            Reply::json(200, &gl_list(&["v1"])),
        )
        .start()
        .await;
    let gw = TestGateway::start_with(&fake.url(), "[projects]\n\"o/r\" = \"grp/sub/proj\"\n").await;
    let got = ids_of(&get(&format!("{}/repos/o/r/releases", gw.url)).await);
    assert_eq!(got, [("v1".to_owned(), synthetic_id("grp/sub/proj", "v1"))]);
    assert_eq!(
        upstream(&fake),
        [list_call("grp%2Fsub%2Fproj", 1).replace("per_page=100", "per_page=30")]
    );
}

#[tokio::test]
async fn created_release_has_its_synthetic_id_and_location() {
    let (fake, gw) = one_route("POST", LIST, Reply::json(201, &gl_release("v9.9.9"))).await;
    let r = call(
        "POST",
        &format!("{}/repos/o/r/releases", gw.url),
        &[("Content-Type", "application/json")],
        r#"{"tag_name":"v9.9.9","target_commitish":"main"}"#,
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let v = r.json();
    schema::github_release(&v).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(v["id"], json!(id("v9.9.9")));
    assert_eq!(
        r.header("location"),
        Some(format!("{}/repos/o/r/releases/{}", gw.url, id("v9.9.9")).as_str())
    );
    // Created releases are known at once: addressing them by id lists nothing.
    assert_eq!(
        gw.gateway.ids.get("o/r", id("v9.9.9")).as_deref(),
        Some("v9.9.9")
    );
    upstream(&fake);
}

// ------------------------------------------------------------ id → tag by walking the list

/// A fake whose list has v1, v2 on page 1 and v3 on page 2, and which serves v3 itself.
async fn two_pages() -> FakeUpstream {
    FakeUpstream::builder()
        .route_seq(
            "GET",
            LIST,
            vec![page(&["v1", "v2"], 1, Some(2)), page(&["v3"], 2, None)],
        )
        .route("GET", &rel_path("v3"), Reply::json(200, &gl_release("v3")))
        .route("PUT", &rel_path("v3"), Reply::json(200, &gl_release("v3")))
        .route(
            "DELETE",
            &rel_path("v3"),
            Reply::json(200, &gl_release("v3")),
        )
        .start()
        .await
}

#[tokio::test]
async fn get_by_unknown_id_walks_pages_then_hits_cache() {
    let fake = two_pages().await;
    let gw = TestGateway::start(&fake.url()).await;
    let url = format!("{}/repos/o/r/releases/{}", gw.url, id("v3"));
    let v = release_json(&get(&url).await);
    assert_eq!(v["tag_name"], "v3");
    assert_eq!(v["id"], json!(id("v3")));
    assert_eq!(
        upstream(&fake),
        [
            list_call("o%2Fr", 1),
            list_call("o%2Fr", 2),
            format!("GET {}", rel_path("v3"))
        ]
    );
    // Second time: straight to the release.
    release_json(&get(&url).await);
    let calls = upstream(&fake);
    assert_eq!(calls.len(), 4, "{calls:?}");
    assert_eq!(calls[3], format!("GET {}", rel_path("v3")));
}

#[tokio::test]
async fn walking_the_list_caches_every_release_seen() {
    let fake = two_pages().await;
    let gw = TestGateway::start(&fake.url()).await;
    release_json(&get(&format!("{}/repos/o/r/releases/{}", gw.url, id("v3"))).await);
    for t in ["v1", "v2", "v3"] {
        assert_eq!(gw.gateway.ids.get("o/r", id(t)).as_deref(), Some(t));
    }
}

#[tokio::test]
async fn patch_by_unknown_id_walks_pages_then_puts_by_tag() {
    let fake = two_pages().await;
    let gw = TestGateway::start(&fake.url()).await;
    let url = format!("{}/repos/o/r/releases/{}", gw.url, id("v3"));
    let r = call(
        "PATCH",
        &url,
        &[("Content-Type", "application/json")],
        r#"{"name":"Three","body":"notes"}"#,
    )
    .await;
    let v = release_json(&r);
    assert_eq!(v["id"], json!(id("v3")));
    assert_eq!(
        upstream(&fake),
        [
            list_call("o%2Fr", 1),
            list_call("o%2Fr", 2),
            format!("PUT {}", rel_path("v3"))
        ]
    );
    let put = fake.last_request().unwrap();
    assert_eq!(put.json(), json!({"name": "Three", "description": "notes"}));
    // Cached now: a second edit goes straight to the PUT.
    let r = call(
        "PATCH",
        &url,
        &[("Content-Type", "application/json")],
        r#"{"name":"Three again"}"#,
    )
    .await;
    release_json(&r);
    let calls = upstream(&fake);
    assert_eq!(calls.len(), 4, "{calls:?}");
    assert_eq!(calls[3], format!("PUT {}", rel_path("v3")));
}

#[tokio::test]
async fn delete_by_unknown_id_walks_pages_then_deletes_by_tag() {
    let fake = two_pages().await;
    let gw = TestGateway::start(&fake.url()).await;
    let r = call(
        "DELETE",
        &format!("{}/repos/o/r/releases/{}", gw.url, id("v3")),
        &[],
        "",
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.text());
    assert!(r.body.is_empty(), "{}", r.text());
    assert_eq!(
        upstream(&fake),
        [
            list_call("o%2Fr", 1),
            list_call("o%2Fr", 2),
            format!("DELETE {}", rel_path("v3"))
        ]
    );
}

#[tokio::test]
async fn id_found_on_first_page_stops_the_walk() {
    let fake = two_pages().await;
    let gw = TestGateway::start(&fake.url()).await;
    // v1 is on page 1; there is no GET route for v1, so the fake's 404 comes back.
    let r = get(&format!("{}/repos/o/r/releases/{}", gw.url, id("v1"))).await;
    not_found(&r);
    assert_eq!(
        upstream(&fake),
        [list_call("o%2Fr", 1), format!("GET {}", rel_path("v1"))]
    );
}

#[tokio::test]
async fn unknown_id_is_404_after_walking_every_page() {
    let fake = FakeUpstream::builder()
        .route_seq(
            "GET",
            LIST,
            vec![
                page(&["v1"], 1, Some(2)),
                page(&["v2"], 2, Some(3)),
                page(&["v3"], 3, None),
            ],
        )
        .fallback(Reply::json(500, &json!({"message": "unexpected"})))
        .start()
        .await;
    let gw = TestGateway::start(&fake.url()).await;
    let missing = id("never-released");
    let msg = not_found(&get(&format!("{}/repos/o/r/releases/{missing}", gw.url)).await);
    // GitHub's own words for a missing object.
    assert_eq!(msg, "Not Found");
    assert_eq!(
        upstream(&fake),
        [
            list_call("o%2Fr", 1),
            list_call("o%2Fr", 2),
            list_call("o%2Fr", 3)
        ]
    );
}

#[tokio::test]
async fn unknown_id_on_patch_and_delete_is_404_with_nothing_written() {
    let fake = FakeUpstream::builder()
        .route("GET", LIST, page(&["v1"], 1, None))
        .fallback(Reply::json(500, &json!({"message": "unexpected"})))
        .start()
        .await;
    let gw = TestGateway::start(&fake.url()).await;
    let url = format!("{}/repos/o/r/releases/{}", gw.url, id("nope"));
    not_found(
        &call(
            "PATCH",
            &url,
            &[("Content-Type", "application/json")],
            r#"{"name":"x"}"#,
        )
        .await,
    );
    not_found(&call("DELETE", &url, &[], "").await);
    let calls = upstream(&fake);
    assert!(calls.iter().all(|c| c.starts_with("GET ")), "{calls:?}");
    assert_eq!(calls, [list_call("o%2Fr", 1), list_call("o%2Fr", 1)]);
}

#[tokio::test]
async fn empty_list_is_404_without_further_pages() {
    let (fake, gw) = one_route("GET", LIST, page(&[], 1, Some(2))).await;
    not_found(&get(&format!("{}/repos/o/r/releases/12345", gw.url)).await);
    assert_eq!(upstream(&fake), [list_call("o%2Fr", 1)]);
}

#[tokio::test]
async fn upstream_failure_during_the_walk_is_reported() {
    let fake = FakeUpstream::builder()
        .route_seq(
            "GET",
            LIST,
            vec![
                page(&["v1"], 1, Some(2)),
                Reply::json(401, &json!({"message": "401 Unauthorized"})),
            ],
        )
        .start()
        .await;
    let gw = TestGateway::start(&fake.url()).await;
    let r = get(&format!("{}/repos/o/r/releases/{}", gw.url, id("v9"))).await;
    assert_eq!(r.status, 401, "{}", r.text());
    let v = r.json();
    schema::github_basic_error(&v).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(v["message"], "Bad credentials");
    assert_eq!(
        upstream(&fake),
        [list_call("o%2Fr", 1), list_call("o%2Fr", 2)]
    );
}

#[tokio::test]
async fn malformed_ids_are_404_without_upstream_calls() {
    let fake = FakeUpstream::builder()
        .fallback(Reply::json(200, &gl_list(&["v1"])))
        .start()
        .await;
    let gw = TestGateway::start(&fake.url()).await;
    for bad in ["abc", "0", "-1", "1.5", "18446744073709551616", "12abc"] {
        let url = format!("{}/repos/o/r/releases/{bad}", gw.url);
        not_found(&get(&url).await);
        not_found(
            &call(
                "PATCH",
                &url,
                &[("Content-Type", "application/json")],
                r#"{"name":"x"}"#,
            )
            .await,
        );
        not_found(&call("DELETE", &url, &[], "").await);
    }
    assert_eq!(fake.request_count(), 0, "{:?}", upstream(&fake));
}

// ------------------------------------------------------------ the cache

#[tokio::test]
async fn delete_by_id_forgets_the_id() {
    let fake = FakeUpstream::builder()
        .route("GET", LIST, page(&["v3", "v2"], 1, None))
        .route(
            "DELETE",
            &rel_path("v3"),
            Reply::json(200, &gl_release("v3")),
        )
        .route(
            "GET",
            &rel_path("v3"),
            Reply::json(404, &json!({"message": "404 Not found"})),
        )
        .start()
        .await;
    let gw = TestGateway::start(&fake.url()).await;
    // Listing teaches the gateway both ids.
    ids_of(&get(&format!("{}/repos/o/r/releases", gw.url)).await);
    assert_eq!(gw.gateway.ids.get("o/r", id("v3")).as_deref(), Some("v3"));
    let url = format!("{}/repos/o/r/releases/{}", gw.url, id("v3"));
    let r = call("DELETE", &url, &[], "").await;
    assert_eq!(r.status, 204, "{}", r.text());
    assert_eq!(gw.gateway.ids.get("o/r", id("v3")), None);
    assert_eq!(gw.gateway.ids.get("o/r", id("v2")).as_deref(), Some("v2"));
    let mut expected = vec![
        "GET /api/v4/projects/o%2Fr/releases?page=1&per_page=30".to_owned(),
        format!("DELETE {}", rel_path("v3")),
    ];
    assert_eq!(upstream(&fake), expected);
    // A later GET by that id asks the upstream's list again.
    // (the fake still lists v3 but answers 404 for it, as a deleted release)
    not_found(&get(&url).await);
    let calls = upstream(&fake);
    expected.push(list_call("o%2Fr", 1));
    assert_eq!(calls[..3], expected[..], "{calls:?}");
}

#[tokio::test]
async fn cache_is_bounded_and_evicts_oldest() {
    let tags = ["v5", "v4", "v3", "v2", "v1"];
    let fake = FakeUpstream::builder()
        .route("GET", LIST, page(&tags, 1, None))
        .route("GET", &rel_path("v1"), Reply::json(200, &gl_release("v1")))
        .route("GET", &rel_path("v5"), Reply::json(200, &gl_release("v5")))
        .start()
        .await;
    let gw = TestGateway::start_with(&fake.url(), "[limits]\nid_cache_entries = 2\n").await;
    let got = ids_of(&get(&format!("{}/repos/o/r/releases", gw.url)).await);
    assert_eq!(got.len(), 5, "the bound limits the cache, not the answer");
    assert!(gw.gateway.ids.len() <= 2, "{}", gw.gateway.ids.len());
    // The newest entries (last listed) survive: v1 by id needs no listing.
    let before = fake.request_count();
    release_json(&get(&format!("{}/repos/o/r/releases/{}", gw.url, id("v1"))).await);
    assert_eq!(
        upstream(&fake)[before..],
        [format!("GET {}", rel_path("v1"))]
    );
    // The evicted v5 is found again by listing.
    let before = fake.request_count();
    release_json(&get(&format!("{}/repos/o/r/releases/{}", gw.url, id("v5"))).await);
    assert_eq!(
        upstream(&fake)[before..],
        [list_call("o%2Fr", 1), format!("GET {}", rel_path("v5"))]
    );
    assert!(gw.gateway.ids.len() <= 2, "{}", gw.gateway.ids.len());
}

#[tokio::test]
async fn cache_is_per_project() {
    let fake = FakeUpstream::builder()
        .route("GET", LIST, page(&["v1"], 1, None))
        .route(
            "GET",
            "/api/v4/projects/o%2Fs/releases",
            page(&["v2"], 1, None),
        )
        .start()
        .await;
    let gw = TestGateway::start(&fake.url()).await;
    ids_of(&get(&format!("{}/repos/o/r/releases", gw.url)).await);
    // o/r's id of v1 means nothing in o/s: the gateway looks in o/s and finds nothing.
    let r = get(&format!("{}/repos/o/s/releases/{}", gw.url, id("v1"))).await;
    not_found(&r);
    let calls = upstream(&fake);
    assert_eq!(calls.last().unwrap(), &list_call("o%2Fs", 1));
}

/// What GitLab cannot take is refused before the id is resolved: no walk of
/// the list for an edit that would be refused anyway.
#[tokio::test]
async fn a_refused_edit_by_id_asks_the_upstream_nothing() {
    let fake = FakeUpstream::builder()
        .fallback(page(&["v1.0.0"], 1, None))
        .start()
        .await;
    let gw = TestGateway::start(&fake.url()).await;
    let r = call(
        "PATCH",
        &format!("{}/repos/o/r/releases/123", gw.url),
        &[("Authorization", "token t")],
        r#"{"draft":true}"#,
    )
    .await;
    assert_eq!(r.status, 501, "{}", String::from_utf8_lossy(&r.body));
    assert!(
        r.json()["message"]
            .as_str()
            .is_some_and(|m| m.contains("GitLab has no draft releases")),
        "{}",
        r.json()
    );
    assert_eq!(fake.request_count(), 0);
}
