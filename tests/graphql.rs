//! GitHub's GraphQL endpoint (`[graphql]` of `mappings/github.toml`), as the GitHub
//! CLI uses it: `gh release list` lists through it, and `view`, `download`, `upload`,
//! `edit` and `delete` look the release up through it. The two queries below are
//! the literal documents gh 2.23 sends. Every field is read through the GitHub
//! routes, here in front of a fake GitLab answering the seed's releases.

mod support;
use serde_json::{json, Value};
use support::fake::{calls, closed_port_url, FakeUpstream, Reply};
use support::fixtures::{gitlab_list, gitlab_release};
use support::gateway::{call, mappings_edited, Resp, TestGateway};

const LIST: &str = "query RepositoryReleaseList($endCursor:String$name:String!$owner:String!$perPage:Int!){repository(owner: $owner, name: $name){releases(first: $perPage, orderBy: {field: CREATED_AT, direction: DESC}, after: $endCursor){nodes{name,tagName,isDraft,isLatest,isPrerelease,createdAt,publishedAt},pageInfo{hasNextPage,endCursor}}}}";
const BY_TAG: &str = "query RepositoryReleaseByTag($name:String!$owner:String!$tagName:String!){repository(owner: $owner, name: $name){release(tagName: $tagName){databaseId,isDraft}}}";

/// What `gh release create --verify-tag` asks first (gh 2.23, as it sends it).
const FIND_REF: &str = "query RepositoryFindRef($name:String!$owner:String!$tagName:String!){repository(owner: $owner, name: $name){ref(qualifiedName: $tagName){id}}}";

const PROJECT: &str = "/api/v4/projects/group%2Fproject";

async fn graphql(gw: &TestGateway, path: &str, body: &Value) -> Resp {
    call(
        "POST",
        &format!("{}{path}", gw.url),
        &[
            ("Authorization", "bearer glpat-secret"),
            ("Content-Type", "application/json; charset=utf-8"),
        ],
        &body.to_string(),
    )
    .await
}

/// A query and its variables, as gh sends them.
fn query(q: &str, variables: Value) -> Value {
    json!({ "query": q, "variables": variables })
}

fn list_vars(per_page: u64, after: Option<&str>) -> Value {
    json!({ "endCursor": after, "name": "project", "owner": "group", "perPage": per_page })
}

/// A fake GitLab with the seed's list (v0.2, v0.1; v0.2 the latest) and both of its
/// releases by tag.
async fn gitlab() -> FakeUpstream {
    FakeUpstream::builder()
        .route(
            "GET",
            &format!("{PROJECT}/releases"),
            Reply::json(200, &gitlab_list()),
        )
        .route(
            "GET",
            &format!("{PROJECT}/releases/permalink/latest"),
            Reply::json(200, &gitlab_release("v0.2")),
        )
        .route(
            "GET",
            &format!("{PROJECT}/releases/v0.1"),
            Reply::json(200, &gitlab_release("v0.1")),
        )
        .start()
        .await
}

fn errors_of(v: &Value) -> Vec<String> {
    v["errors"]
        .as_array()
        .map(|e| {
            e.iter()
                .map(|e| e["message"].as_str().unwrap_or("").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn gh_release_list_reads_the_list_and_the_latest_through_the_rest_routes() {
    let fake = gitlab().await;
    let gw = TestGateway::start(&fake.url()).await;
    let r = graphql(&gw, "/api/graphql", &query(LIST, list_vars(30, None))).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    assert!(r.header("x-github-request-id").is_some());
    assert_eq!(
        r.json(),
        json!({"data": {"repository": {"releases": {
            "nodes": [
                {"name": "Awesome app v0.2 beta", "tagName": "v0.2", "isDraft": false, "isLatest": true,
                 "isPrerelease": false, "createdAt": "2019-01-03T01:56:19.539Z", "publishedAt": "2019-01-03T01:56:19.539Z"},
                {"name": "Awesome app v0.1 alpha", "tagName": "v0.1", "isDraft": false, "isLatest": false,
                 "isPrerelease": false, "createdAt": "2019-01-03T01:55:18.203Z", "publishedAt": "2019-01-03T01:55:18.203Z"}
            ],
            "pageInfo": {"hasNextPage": false, "endCursor": "1"}
        }}}})
    );
    // The members come in the order the query names them.
    assert!(
        r.text()
            .starts_with(r#"{"data":{"repository":{"releases":{"nodes":[{"name":"#),
        "{}",
        r.text()
    );
    let seen = fake.requests();
    assert_eq!(
        calls(&seen),
        [
            (
                "GET",
                "/api/v4/projects/group%2Fproject/releases?page=1&per_page=30"
            ),
            (
                "GET",
                "/api/v4/projects/group%2Fproject/releases/permalink/latest"
            ),
        ]
    );
    for s in &seen {
        assert_eq!(s.header_all("private-token"), ["glpat-secret"]);
        assert_eq!(s.header("authorization"), None);
    }
}

#[tokio::test]
async fn pages_follow_the_cursor_and_the_upstream_s_next_page() {
    let one = |tag: &str| json!([gitlab_release(tag)]);
    let fake = FakeUpstream::builder()
        .route_seq(
            "GET",
            &format!("{PROJECT}/releases"),
            vec![
                Reply::json(200, &one("v0.2")).with_header("X-Next-Page", "2"),
                Reply::json(200, &one("v0.1")).with_header("X-Next-Page", ""),
            ],
        )
        .route(
            "GET",
            &format!("{PROJECT}/releases/permalink/latest"),
            Reply::json(200, &gitlab_release("v0.2")),
        )
        .start()
        .await;
    let gw = TestGateway::start(&fake.url()).await;
    let q = "query($c: String) { repository(owner: \"group\", name: \"project\") { releases(first: 1, after: $c) { edges { cursor node { tagName isLatest } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } }";
    let r = graphql(&gw, "/graphql", &query(q, json!({}))).await;
    let page = &r.json()["data"]["repository"]["releases"];
    assert_eq!(
        page["edges"],
        json!([{"cursor": "0", "node": {"tagName": "v0.2", "isLatest": true}}]),
        "{}",
        r.text()
    );
    assert_eq!(
        page["pageInfo"],
        json!({"hasNextPage": true, "hasPreviousPage": false, "startCursor": "0", "endCursor": "0"})
    );
    let r = graphql(&gw, "/graphql", &query(q, json!({"c": "0"}))).await;
    let page = &r.json()["data"]["repository"]["releases"];
    assert_eq!(
        page["edges"],
        json!([{"cursor": "1", "node": {"tagName": "v0.1", "isLatest": false}}]),
        "{}",
        r.text()
    );
    assert_eq!(
        page["pageInfo"],
        json!({"hasNextPage": false, "hasPreviousPage": true, "startCursor": "1", "endCursor": "1"})
    );
    let lists: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|s| s.path().ends_with("/releases"))
        .map(|s| s.query().unwrap_or("").to_owned())
        .collect();
    assert_eq!(lists, ["page=1&per_page=1", "page=2&per_page=1"]);
}

#[tokio::test]
async fn a_release_by_tag_has_the_rest_id_and_a_missing_one_is_null() {
    let fake = gitlab().await;
    let gw = TestGateway::start(&fake.url()).await;
    let vars = |tag: &str| json!({"name": "project", "owner": "group", "tagName": tag});
    let r = graphql(&gw, "/api/graphql", &query(BY_TAG, vars("v0.1"))).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let rest = call(
        "GET",
        &format!("{}/repos/group/project/releases/tags/v0.1", gw.url),
        &[("Authorization", "token glpat-secret")],
        "",
    )
    .await
    .json();
    assert_eq!(
        r.json(),
        json!({"data": {"repository": {"release": {"databaseId": rest["id"], "isDraft": false}}}})
    );
    // No such tag: null, as GitHub answers, and gh then asks REST.
    let r = graphql(&gw, "/api/graphql", &query(BY_TAG, vars("v9"))).await;
    assert_eq!(
        r.json(),
        json!({"data": {"repository": {"release": null}}}),
        "{}",
        r.text()
    );
}

/// `ref(qualifiedName:)` reads the tag after `refs/tags/` through the tag route:
/// its id where the tag exists, `null` where it does not. Another kind of
/// reference is refused before anything is read.
#[tokio::test]
async fn a_tag_reference_is_read_through_the_tag_route() {
    let fake = FakeUpstream::builder()
        .route(
            "GET",
            &format!("{PROJECT}/repository/tags/release%2F2.0"),
            Reply::json(
                200,
                &json!({"name": "release/2.0", "message": null, "target": "60a8ff03",
                        "commit": {"id": "60a8ff033665e1207714d6670fcd7b65304ec02f"},
                        "release": null, "protected": false}),
            ),
        )
        .fallback(Reply::json(404, &json!({"message": "404 Tag Not Found"})))
        .start()
        .await;
    let gw = TestGateway::start(&fake.url()).await;
    let vars = |name: &str| json!({"name": "project", "owner": "group", "tagName": name});
    let r = graphql(
        &gw,
        "/api/graphql",
        &query(FIND_REF, vars("refs/tags/release/2.0")),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.json(),
        json!({"data": {"repository": {"ref": {"id": "REF_60a8ff033665e1207714d6670fcd7b65304ec02f"}}}})
    );
    let r = graphql(&gw, "/api/graphql", &query(FIND_REF, vars("refs/tags/v9"))).await;
    assert_eq!(
        r.json(),
        json!({"data": {"repository": {"ref": null}}}),
        "{}",
        r.text()
    );
    let seen = fake.requests();
    assert_eq!(
        calls(&seen),
        [
            (
                "GET",
                "/api/v4/projects/group%2Fproject/repository/tags/release%2F2.0"
            ),
            ("GET", "/api/v4/projects/group%2Fproject/repository/tags/v9"),
        ]
    );
    assert_eq!(seen[0].header_all("private-token"), ["glpat-secret"]);
    let r = graphql(
        &gw,
        "/api/graphql",
        &query(FIND_REF, vars("refs/heads/main")),
    )
    .await;
    assert_eq!(
        errors_of(&r.json()),
        ["Field 'ref' is served with `qualifiedName` starting \"refs/tags/\" only"]
    );
    assert_eq!(r.json().get("data"), None);
    assert_eq!(fake.request_count(), 2);
}

/// What current gh asks before `gh release list` on a GitHub Enterprise host (the
/// gateway is one): which fields `Release` has, to know whether it may ask for
/// `immutable`. Answered from the mapping, nothing read: without `immutable`, gh
/// asks the list without it.
#[tokio::test]
async fn a_type_s_fields_are_answered_from_the_mapping() {
    let fake = FakeUpstream::builder().start().await;
    let gw = TestGateway::start(&fake.url()).await;
    let q = "query Release_fields{Release: __type(name: \"Release\"){fields{name}}}";
    let r = graphql(&gw, "/api/graphql", &query(q, Value::Null)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let names = [
        "databaseId",
        "name",
        "tagName",
        "description",
        "isDraft",
        "isPrerelease",
        "isLatest",
        "createdAt",
        "publishedAt",
        "url",
    ];
    let fields: Vec<Value> = names.iter().map(|n| json!({ "name": n })).collect();
    assert_eq!(r.json(), json!({"data": {"Release": {"fields": fields}}}));
    let q = "{ a: __type(name: \"Repository\") { name kind fields(includeDeprecated: true) { name } } b: __type(name: \"Issue\") { name } }";
    let r = graphql(&gw, "/api/graphql", &query(q, Value::Null)).await;
    assert_eq!(
        r.json(),
        json!({"data": {
            "a": {"name": "Repository", "kind": "OBJECT", "fields": [{"name": "release"}, {"name": "releases"}, {"name": "ref"}]},
            "b": null
        }})
    );
    let q = "{ __type(name: \"Release\") { interfaces { name } } }";
    let r = graphql(&gw, "/api/graphql", &query(q, Value::Null)).await;
    assert_eq!(
        errors_of(&r.json()),
        ["Field 'interfaces' doesn't exist on type '__Type' (not served by this endpoint)"]
    );
    assert_eq!(fake.request_count(), 0);
}

#[tokio::test]
async fn an_unknown_project_is_null_with_a_not_found_error() {
    let fake = FakeUpstream::builder()
        .fallback(Reply::json(
            404,
            &json!({"message": "404 Project Not Found"}),
        ))
        .start()
        .await;
    let gw = TestGateway::start(&fake.url()).await;
    let r = graphql(&gw, "/api/graphql", &query(LIST, list_vars(30, None))).await;
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!(v["data"], json!({"repository": null}), "{v}");
    assert_eq!(v["errors"][0]["type"], "NOT_FOUND");
    assert_eq!(v["errors"][0]["path"], json!(["repository", "releases"]));
    assert_eq!(fake.request_count(), 1);
}

#[tokio::test]
async fn what_the_endpoint_does_not_serve_is_refused_before_anything_is_read() {
    let fake = gitlab().await;
    let gw = TestGateway::start(&fake.url()).await;
    let cases: &[(&str, Value, &str)] = &[
        (
            "{ repository(owner: \"group\", name: \"project\") { releases(first: 1) { nodes { author { login } } } } }",
            json!({}),
            "Field 'author' doesn't exist on type 'Release' (not served by this endpoint)",
        ),
        (
            "{ repository(owner: \"group\", name: \"project\") { issues(first: 1) { nodes { title } } } }",
            json!({}),
            "Field 'issues' doesn't exist on type 'Repository' (not served by this endpoint)",
        ),
        (
            "{ viewer { login } }",
            json!({}),
            "Field 'viewer' doesn't exist on type 'Query' (not served by this endpoint)",
        ),
        (
            "{ repository(owner: \"group\", name: \"project\") { releases(first: 1, orderBy: {field: NAME, direction: DESC}) { nodes { name } } } }",
            json!({}),
            "Field 'releases' is served with `orderBy` as the mapping names it only ({field: CREATED_AT, direction: DESC} or {field: CREATED_AT, direction: ASC})",
        ),
        (
            "{ repository(owner: \"group\", name: \"project\") { releases(last: 1) { nodes { name } } } }",
            json!({}),
            "`last` is not served: this endpoint pages forward, with `first` and `after`",
        ),
        (
            "{ repository(owner: \"group\", name: \"project\") { releases(first: 101) { nodes { name } } } }",
            json!({}),
            "`first` on the `releases` connection is a number from 1 to 100",
        ),
        (
            "{ repository(owner: \"group\") { release(tagName: \"v0.1\") { name } } }",
            json!({}),
            "Field 'repository' is missing required argument 'name'",
        ),
        (LIST, json!({"name": "project", "owner": "group"}), "Variable $perPage of type Int! was not given a value"),
        (
            LIST,
            json!({"name": "project", "owner": "group", "perPage": "30"}),
            "`first` on the `releases` connection is a number from 1 to 100, not \"30\"",
        ),
        (
            "{ repository(owner: $o, name: \"project\") { release(tagName: \"v0.1\") { name } } }",
            json!({}),
            "Variable $o is used by 'repository' but not declared",
        ),
        (
            "{ repository(owner: \"group\", name: \"project\") { release(tagName: \"v0.1\") { name { x } } } }",
            json!({}),
            "Selections can't be made on scalars (field 'name' on type 'Release')",
        ),
        (
            "mutation { createRelease(input: {}) { release { name } } }",
            json!({}),
            "this endpoint serves queries only, not a mutation: writes go through the REST routes",
        ),
        ("{ repository(owner: \"group\"", json!({}), ""),
    ];
    for (q, vars, want) in cases {
        let r = graphql(&gw, "/api/graphql", &query(q, vars.clone())).await;
        assert_eq!(r.status, 200, "{q}: {}", r.text());
        let v = r.json();
        assert_eq!(v.get("data"), None, "{q}: {v}");
        let errors = errors_of(&v);
        assert!(
            errors.iter().any(|e| e.starts_with(want)),
            "{q}: {errors:?}"
        );
        assert!(v["errors"][0]["locations"][0]["line"].is_u64(), "{q}: {v}");
    }
    assert_eq!(fake.request_count(), 0, "{:?}", calls(&fake.requests()));
}

#[tokio::test]
async fn a_refusal_of_the_credentials_is_the_routes_own_answer() {
    let fake = FakeUpstream::builder()
        .fallback(Reply::json(401, &json!({"message": "401 Unauthorized"})))
        .start()
        .await;
    let gw = TestGateway::start(&fake.url()).await;
    let r = graphql(&gw, "/api/graphql", &query(LIST, list_vars(30, None))).await;
    assert_eq!(r.status, 401, "{}", r.text());
    assert_eq!(r.json()["message"], "Bad credentials");
    // The upstream down: the route's 502, in GitHub's shape.
    let gw = TestGateway::start(&closed_port_url()).await;
    let r = graphql(
        &gw,
        "/api/graphql",
        &query(
            BY_TAG,
            json!({"name": "project", "owner": "group", "tagName": "v1"}),
        ),
    )
    .await;
    assert_eq!(r.status, 502, "{}", r.text());
    assert!(
        r.json()["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{}",
        r.text()
    );
}

#[tokio::test]
async fn a_body_that_is_no_graphql_request_is_a_400_in_github_s_shape() {
    let fake = gitlab().await;
    let gw = TestGateway::start(&fake.url()).await;
    for body in ["{", "{\"variables\":{}}", "[]"] {
        let r = call(
            "POST",
            &format!("{}/graphql", gw.url),
            &[("Content-Type", "application/json")],
            body,
        )
        .await;
        assert_eq!(r.status, 400, "{body}: {}", r.text());
        assert!(
            r.json()["message"]
                .as_str()
                .is_some_and(|m| m.contains("GraphQL request")),
            "{}",
            r.text()
        );
    }
    // GraphQL is POST only: a GET is no route.
    let r = call("GET", &format!("{}/graphql", gw.url), &[], "").await;
    assert_eq!(r.status, 404);
    assert_eq!(fake.request_count(), 0);
}

#[tokio::test]
async fn operations_are_chosen_by_name_and_typenames_answered() {
    let fake = gitlab().await;
    let gw = TestGateway::start(&fake.url()).await;
    let doc = "query A { __typename } query B { r: repository(owner: \"group\", name: \"project\") { __typename release(tagName: \"v0.1\") { __typename tag: tagName } } }";
    let r = graphql(
        &gw,
        "/graphql",
        &json!({"query": doc, "operationName": "B"}),
    )
    .await;
    assert_eq!(
        r.json(),
        json!({"data": {"r": {"__typename": "Repository", "release": {"__typename": "Release", "tag": "v0.1"}}}}),
        "{}",
        r.text()
    );
    let r = graphql(&gw, "/graphql", &json!({"query": doc})).await;
    assert_eq!(
        errors_of(&r.json()),
        ["the document holds several operations: name one in `operationName`"]
    );
}

#[tokio::test]
async fn a_dialect_without_graphql_has_no_such_endpoint() {
    let fake = gitlab().await;
    let gw = TestGateway::start_pair("gitlab", "github", &fake.url(), "").await;
    let r = graphql(&gw, "/api/graphql", &query(LIST, list_vars(30, None))).await;
    assert_eq!(r.status, 404, "{}", r.text());
    assert_eq!(fake.request_count(), 0);
}

/// Five releases, newest first.
const FIVE: [&str; 5] = ["v5", "v4", "v3", "v2", "v1"];

/// The mappings, with GitLab serving at most 2 releases a page.
fn two_per_page(name: &str) -> support::tmp::TempDir {
    mappings_edited(name, |file, text| {
        if file == "gitlab.toml" {
            *text = text.replace("max_per_page = 100", "max_per_page = 2");
        }
    })
}

/// GitLab's page of (at most) two of `FIVE`, from `from` on, with its next page.
fn page_of_two(from: usize, next: &str) -> Reply {
    let list: Vec<Value> = FIVE[from..(from + 2).min(5)]
        .iter()
        .map(|t| gitlab_release(t))
        .collect();
    Reply::json(200, &json!(list)).with_header("X-Next-Page", next)
}

#[tokio::test]
async fn an_upstream_with_smaller_pages_is_read_page_after_page_and_nothing_is_skipped() {
    // GitLab serving at most 2 per page; the client asks for 3 at a time.
    let dir = two_per_page("graphql_small_pages");
    let tags = FIVE;
    let page = page_of_two;
    let fake = FakeUpstream::builder()
        .route_seq(
            "GET",
            &format!("{PROJECT}/releases"),
            vec![page(0, "2"), page(2, "3"), page(2, "3"), page(4, "")],
        )
        .start()
        .await;
    let gw = TestGateway::start_pair_in(dir.path(), "github", "gitlab", &fake.url(), "").await;
    let q = "query($c: String) { repository(owner: \"group\", name: \"project\") { releases(first: 3, after: $c) { nodes { tagName } pageInfo { hasNextPage endCursor } } } }";
    let mut seen = Vec::new();
    let mut after = Value::Null;
    for _ in 0..3 {
        let r = graphql(&gw, "/graphql", &query(q, json!({ "c": after }))).await;
        let page = r.json()["data"]["repository"]["releases"].clone();
        for n in page["nodes"].as_array().expect("nodes") {
            seen.push(n["tagName"].as_str().unwrap_or("").to_owned());
        }
        after = page["pageInfo"]["endCursor"].clone();
        if page["pageInfo"]["hasNextPage"] != json!(true) {
            break;
        }
    }
    assert_eq!(seen, tags);
    let asked: Vec<String> = fake
        .requests()
        .iter()
        .map(|s| s.query().unwrap_or("").to_owned())
        .collect();
    assert_eq!(
        asked,
        [
            "page=1&per_page=2",
            "page=2&per_page=2",
            "page=2&per_page=2",
            "page=3&per_page=2"
        ]
    );
}

/// `totalCount`: what the first page of one record says (the number of its last
/// page, from the upstream's total), else the list counted whole.
#[tokio::test]
async fn a_connection_s_total_is_what_the_paging_says_else_the_list_counted() {
    let q = query(
        "{ repository(owner: \"group\", name: \"project\") { releases(first: 1) { totalCount nodes { tagName } } } }",
        json!({}),
    );
    let fake = FakeUpstream::builder()
        .route(
            "GET",
            &format!("{PROJECT}/releases"),
            Reply::json(200, &json!([gitlab_release("v0.2")]))
                .with_header("X-Next-Page", "2")
                .with_header("X-Total", "7")
                .with_header("X-Total-Pages", "7"),
        )
        .start()
        .await;
    let gw = TestGateway::start(&fake.url()).await;
    let r = graphql(&gw, "/api/graphql", &q).await;
    assert_eq!(
        r.json(),
        json!({"data": {"repository": {"releases": {"totalCount": 7, "nodes": [{"tagName": "v0.2"}]}}}}),
        "{}",
        r.text()
    );
    let asked: Vec<String> = fake
        .requests()
        .iter()
        .map(|s| s.query().unwrap_or("").to_owned())
        .collect();
    assert_eq!(asked, ["page=1&per_page=1", "page=1&per_page=1"]);

    // An upstream that says only whether a next page follows: counted page by page.
    let page = |tag: &str, next: &str| {
        Reply::json(200, &json!([gitlab_release(tag)])).with_header("X-Next-Page", next)
    };
    let fake = FakeUpstream::builder()
        .route_seq(
            "GET",
            &format!("{PROJECT}/releases"),
            vec![
                page("v0.2", "2"),
                page("v0.2", "2"),
                page("v0.2", "2"),
                page("v0.1", ""),
            ],
        )
        .start()
        .await;
    let gw = TestGateway::start(&fake.url()).await;
    let r = graphql(&gw, "/api/graphql", &q).await;
    assert_eq!(
        r.json()["data"]["repository"]["releases"]["totalCount"],
        json!(2),
        "{}",
        r.text()
    );
    assert_eq!(fake.request_count(), 4);
}

/// What current gh sends for `gh release list` (the order a variable: `--order asc`
/// gives ASC).
const LIST_ORDERED: &str = "query RepositoryReleaseList($direction:OrderDirection!$endCursor:String$name:String!$owner:String!$perPage:Int!){repository(owner: $owner, name: $name){releases(first: $perPage, orderBy: {field: CREATED_AT, direction: $direction}, after: $endCursor){nodes{name,tagName,isDraft,isLatest,isPrerelease,createdAt,publishedAt},pageInfo{hasNextPage,endCursor}}}}";

/// Oldest first (`orderBy` ASC, the mapping's `reversed`): the list is read whole, in
/// the largest pages the upstream serves, and paged from its end; newest first is
/// the route's own order, as before.
#[tokio::test]
async fn oldest_first_reads_the_list_whole_and_pages_it_from_the_end() {
    let dir = two_per_page("graphql_reversed");
    let (tags, page) = (FIVE, page_of_two);
    let whole = [page(0, "2"), page(2, "3"), page(4, "")];
    let fake = FakeUpstream::builder()
        .route_seq(
            "GET",
            &format!("{PROJECT}/releases"),
            whole.iter().cycle().take(9).cloned().collect(),
        )
        .route(
            "GET",
            &format!("{PROJECT}/releases/permalink/latest"),
            Reply::json(200, &gitlab_release("v5")),
        )
        .start()
        .await;
    let gw = TestGateway::start_pair_in(dir.path(), "github", "gitlab", &fake.url(), "").await;
    let vars = |after: &Value| json!({"direction": "ASC", "endCursor": after, "name": "project", "owner": "group", "perPage": 2});
    let mut seen = Vec::new();
    let mut after = Value::Null;
    let mut pages = 0;
    loop {
        let r = graphql(&gw, "/graphql", &query(LIST_ORDERED, vars(&after))).await;
        assert_eq!(r.status, 200, "{}", r.text());
        let page = r.json()["data"]["repository"]["releases"].clone();
        for n in page["nodes"].as_array().expect("nodes") {
            seen.push((
                n["tagName"].as_str().unwrap_or("").to_owned(),
                n["isLatest"].clone(),
            ));
        }
        pages += 1;
        after = page["pageInfo"]["endCursor"].clone();
        if page["pageInfo"]["hasNextPage"] != json!(true) {
            break;
        }
    }
    assert_eq!(pages, 3);
    let want: Vec<(String, Value)> = tags
        .iter()
        .rev()
        .map(|t| (t.to_string(), json!(*t == "v5")))
        .collect();
    assert_eq!(seen, want);
    let lists: Vec<String> = fake
        .requests()
        .iter()
        .filter(|s| s.path() == format!("{PROJECT}/releases"))
        .map(|s| s.query().unwrap_or("").to_owned())
        .collect();
    assert_eq!(
        lists,
        [
            "page=1&per_page=2",
            "page=2&per_page=2",
            "page=3&per_page=2"
        ]
        .repeat(3)
    );
}

/// A list longer than `max_id_scan_pages` is not reversed in part: the field is null
/// with an error saying so.
#[tokio::test]
async fn oldest_first_of_a_list_longer_than_the_page_limit_is_an_error() {
    let fake = FakeUpstream::builder()
        .route(
            "GET",
            &format!("{PROJECT}/releases"),
            Reply::json(200, &json!([gitlab_release("v0.2")])).with_header("X-Next-Page", "2"),
        )
        .start()
        .await;
    let gw = TestGateway::start_pair(
        "github",
        "gitlab",
        &fake.url(),
        "[limits]\nmax_id_scan_pages = 3\n",
    )
    .await;
    let vars = json!({"direction": "ASC", "endCursor": null, "name": "project", "owner": "group", "perPage": 30});
    let r = graphql(&gw, "/graphql", &query(LIST_ORDERED, vars)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["data"], json!({"repository": {"releases": null}}), "{v}");
    assert_eq!(
        errors_of(&v),
        ["the list is read whole to be reversed, and it is longer than 3 pages of 100"]
    );
    assert_eq!(fake.request_count(), 3);
}

/// Between two GitHub sides a query is not read through the routes: it goes to the
/// upstream's own endpoint, whatever it asks (here what the gateway's own endpoint
/// does not serve), its body and credential as the client sent them, and the
/// answer comes back as the upstream gave it. The endpoint stands in place of the
/// API root the upstream's URL ends with: GitHub Enterprise's `/api/v3`, or
/// api.github.com's root.
#[tokio::test]
async fn between_two_github_sides_the_upstream_endpoint_answers_any_query() {
    let q = query(
        "{ repository(owner: \"octocat\", name: \"Hello-World\") { releases(first: 1) { totalCount nodes { author { login } } } } }",
        json!({}),
    );
    let answer = r#"{"data":{"repository":{"releases":{"totalCount":7,"nodes":[{"author":{"login":"octocat"}}]}}}}"#;
    for (base, endpoint) in [
        ("/api/v3", "/api/graphql"),
        ("", "/graphql"),
        ("/ghe/api/v3", "/ghe/api/graphql"),
    ] {
        let fake = FakeUpstream::builder()
            .route(
                "POST",
                endpoint,
                Reply::raw(200, "application/json; charset=utf-8", answer),
            )
            .start()
            .await;
        let gw =
            TestGateway::start_pair("github", "github", &format!("{}{base}", fake.url()), "").await;
        // The client's own layout does not matter: either of its paths.
        for path in ["/api/graphql", "/graphql"] {
            let r = graphql(&gw, path, &q).await;
            assert_eq!(r.status, 200, "{base} {path}: {}", r.text());
            assert_eq!(r.text(), answer, "{base} {path}");
            assert_eq!(
                r.header("content-type"),
                Some("application/json; charset=utf-8")
            );
        }
        let seen = fake.requests();
        assert_eq!(
            calls(&seen),
            [("POST", endpoint), ("POST", endpoint)],
            "{base}"
        );
        for s in &seen {
            assert_eq!(s.body, q.to_string().as_bytes(), "{base}");
            assert_eq!(s.header_all("authorization"), ["bearer glpat-secret"]);
            assert_eq!(
                s.header("content-type"),
                Some("application/json; charset=utf-8")
            );
        }
    }
}

/// What the upstream's endpoint answers, errors included, is the client's; an
/// upstream that cannot be reached is a 502 in GitHub's shape, the query sent once.
#[tokio::test]
async fn between_two_github_sides_the_upstream_endpoint_s_errors_are_the_client_s() {
    let fake = FakeUpstream::builder()
        .route(
            "POST",
            "/api/graphql",
            Reply::json(401, &json!({"message": "Bad credentials", "documentation_url": "https://docs.github.com/graphql"})),
        )
        .start()
        .await;
    let gw =
        TestGateway::start_pair("github", "github", &format!("{}/api/v3", fake.url()), "").await;
    let r = graphql(&gw, "/api/graphql", &query(LIST, list_vars(30, None))).await;
    assert_eq!(r.status, 401, "{}", r.text());
    assert_eq!(r.json()["message"], "Bad credentials");
    assert_eq!(fake.request_count(), 1);

    let gw = TestGateway::start_pair("github", "github", &closed_port_url(), "").await;
    let r = graphql(&gw, "/api/graphql", &query(LIST, list_vars(30, None))).await;
    assert_eq!(r.status, 502, "{}", r.text());
    assert!(
        r.json()["message"]
            .as_str()
            .is_some_and(|m| m.contains("GitHub")),
        "{}",
        r.text()
    );

    // A query larger than `max_body_bytes` is the client's 413.
    let fake = FakeUpstream::builder()
        .route("POST", "/graphql", Reply::json(200, &json!({"data": {}})))
        .start()
        .await;
    let gw = TestGateway::start_pair(
        "github",
        "github",
        &fake.url(),
        "[limits]\nmax_body_bytes = 1024\n",
    )
    .await;
    let big = query(&format!("{{ __typename }}{}", " ".repeat(2048)), json!({}));
    let r = graphql(&gw, "/graphql", &big).await;
    assert_eq!(r.status, 413, "{}", r.text());
    assert_eq!(fake.request_count(), 0);

    // A query may write (a mutation): one the upstream read and dropped without an
    // answer is not sent again.
    let fake = FakeUpstream::builder()
        .route("POST", "/graphql", Reply::Hangup)
        .start()
        .await;
    let gw = TestGateway::start_pair("github", "github", &fake.url(), "").await;
    let r = graphql(&gw, "/graphql", &query(LIST, list_vars(30, None))).await;
    assert_eq!(r.status, 502, "{}", r.text());
    assert_eq!(fake.request_count(), 1);
}
