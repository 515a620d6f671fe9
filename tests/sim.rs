//! The simulated forge behind `forgebridge demo`, served in GitLab's dialect:
//! every release answer it gives (list, get, latest, create with asset links,
//! update, delete) must pass GitLab's own release schema, and its links
//! GitLab's links schemas, as python-gitlab and GitLab clients of the demo see
//! it. Served in GitHub's dialect, it answers a request for an asset's file
//! with GitHub's redirect, and takes uploads.

mod support;
use forgebridge::sim::{self, Sim};
use serde_json::{json, Value};
use support::gateway::{call, get};
use support::schema;

async fn gitlab_sim() -> (String, tokio::task::JoinHandle<()>) {
    let maps = support::gateway::mappings();
    let d = maps.get("gitlab").expect("gitlab dialect").clone();
    let (addr, task) = Sim::start(d, 0, sim::DEMO_PROJECT, &sim::demo_seed())
        .await
        .expect("sim starts");
    let base = format!("http://{addr}/api/v4/projects/demo%2Fhello/releases");
    (base, task)
}

fn release(v: &Value) -> Value {
    schema::gitlab_release(v).unwrap_or_else(|e| panic!("{e}\n{v:#}"));
    v.clone()
}

#[tokio::test]
async fn every_release_answer_passes_gitlab_schema() {
    let (base, _task) = gitlab_sim().await;
    let token = [("PRIVATE-TOKEN", "glpat-demo")];

    let list = get(&base).await;
    assert_eq!(list.status, 200);
    let list = list.json();
    schema::gitlab_release_list(&list).unwrap_or_else(|e| panic!("{e}\n{list:#}"));
    assert_eq!(list.as_array().map(Vec::len), Some(3));
    // The seed's releases carry no commit or source archives; the newest no links.
    assert_eq!(list[0]["commit"], Value::Null);
    assert_eq!(
        list[0]["assets"],
        json!({"count": 0, "links": [], "sources": []})
    );
    assert_eq!(list[0]["author"]["state"], "active");

    // v1.1.0 has two links, in the release and at its links route, paged.
    let v11 = release(&get(&format!("{base}/v1.1.0")).await.json());
    assert_eq!(v11["assets"]["count"], 2);
    let links = get(&format!("{base}/v1.1.0/assets/links?per_page=1")).await;
    assert_eq!(links.status, 200);
    assert_eq!(
        (links.header("x-total"), links.header("x-next-page")),
        (Some("2"), Some("2"))
    );
    let links = links.json();
    schema::gitlab_release_links(&links).unwrap_or_else(|e| panic!("{e}\n{links:#}"));
    assert_eq!(links, json!([v11["assets"]["links"][0]]));
    assert_eq!(links[0]["name"], "hello-linux-amd64.tar.gz");
    let none = get(&format!("{base}/v9/assets/links")).await;
    assert_eq!(none.status, 404);
    // One link, under its release's tag only.
    let second = &v11["assets"]["links"][1];
    let link = get(&format!("{base}/v1.1.0/assets/links/{}", second["id"])).await;
    assert_eq!(link.status, 200);
    let link = link.json();
    schema::gitlab_release_link(&link).unwrap_or_else(|e| panic!("{e}\n{link:#}"));
    assert_eq!(&link, second);
    let elsewhere = get(&format!(
        "{base}/release%2F2.0/assets/links/{}",
        second["id"]
    ))
    .await;
    assert_eq!(elsewhere.status, 404);

    let one = release(&get(&format!("{base}/release%2F2.0")).await.json());
    assert_eq!(one["tag_name"], "release/2.0");
    release(&get(&format!("{base}/permalink/latest")).await.json());

    let body = json!({
        "tag_name": "v3.0.0",
        "ref": "main",
        "assets": {"links": [
            {"name": "linux", "url": "https://example.com/app-linux.tar.gz", "link_type": "package"},
            {"name": "notes", "url": "https://example.com/notes.txt"},
        ]},
    });
    let created = call("POST", &base, &token, &body.to_string()).await;
    assert_eq!(
        created.status,
        201,
        "{}",
        String::from_utf8_lossy(&created.body)
    );
    let created = release(&created.json());
    // No name given: GitLab names the release after its tag; no description: "".
    assert_eq!(created["name"], "v3.0.0");
    assert_eq!(created["description"], "");
    let links = &created["assets"]["links"];
    assert_eq!(created["assets"]["count"], 2);
    assert_eq!(links[0]["link_type"], "package");
    assert_eq!(links[1]["link_type"], "other");
    assert_eq!(
        links[1]["direct_asset_url"],
        "https://example.com/notes.txt"
    );
    let listed = get(&format!("{base}/v3.0.0/assets/links")).await.json();
    assert_eq!(&listed, links);

    let edit = json!({"name": "Three", "description": "Notes."});
    let updated = call("PUT", &format!("{base}/v3.0.0"), &token, &edit.to_string()).await;
    assert_eq!(updated.status, 200);
    let updated = release(&updated.json());
    assert_eq!(
        (&updated["name"], &updated["description"]),
        (&json!("Three"), &json!("Notes."))
    );

    let deleted = call("DELETE", &format!("{base}/v3.0.0"), &token, "").await;
    assert_eq!(deleted.status, 200);
    release(&deleted.json());
}

/// The seed the client checks read (`tests/clients/demo_seed.json`, newest
/// first) is the demo's own.
#[test]
fn the_client_checks_seed_is_the_demos() {
    let file: Value = serde_json::from_str(include_str!("clients/demo_seed.json")).unwrap();
    let mut ours: Vec<Value> = sim::demo_seed()
        .iter()
        .map(|r| {
            json!({
                "tag": r.tag, "name": r.name, "body": r.body,
                "published_at": r.published_at, "assets": r.assets,
            })
        })
        .collect();
    ours.sort_by(|a, b| b["published_at"].as_str().cmp(&a["published_at"].as_str()));
    assert_eq!(file, Value::Array(ours));
}

#[tokio::test]
async fn served_as_github_an_asset_file_is_a_redirect() {
    let maps = support::gateway::mappings();
    let d = maps.get("github").expect("github dialect").clone();
    let (addr, _task) = Sim::start(d, 0, sim::DEMO_PROJECT, &sim::demo_seed())
        .await
        .expect("sim starts");
    let base = format!("http://{addr}/repos/demo/hello/releases");
    let v11 = get(&format!("{base}/tags/v1.1.0")).await.json();
    let asset = &v11["assets"][1];
    let url = asset["url"].as_str().expect("an asset url");
    let one = get(url).await;
    assert_eq!(one.status, 200);
    let one = one.json();
    schema::github_asset(&one).unwrap_or_else(|e| panic!("{e}\n{one:#}"));
    assert_eq!(&one, asset);
    let file = call("GET", url, &[("Accept", "application/octet-stream")], "").await;
    assert_eq!(file.status, 302);
    assert_eq!(
        file.header("location"),
        Some("https://downloads.invalid/hello/v1.1.0/checksums.txt")
    );
    assert!(file.body.is_empty());

    // An upload, as GitHub takes it: the body is the file, its name in the query.
    let upload = format!("{base}/{}/assets?name=notes.txt&label=Notes", v11["id"]);
    let made = call("POST", &upload, &[("Content-Type", "text/plain")], "hello").await;
    assert_eq!(made.status, 201, "{}", String::from_utf8_lossy(&made.body));
    let made = made.json();
    schema::github_asset(&made).unwrap_or_else(|e| panic!("{e}\n{made:#}"));
    assert_eq!(
        (
            &made["name"],
            &made["label"],
            &made["size"],
            &made["content_type"]
        ),
        (
            &json!("notes.txt"),
            &json!("Notes"),
            &json!(5),
            &json!("text/plain")
        )
    );
    let again = call("POST", &upload, &[], "hello").await;
    assert_eq!(again.status, 422);
    let listed = get(&format!("{base}/{}/assets", v11["id"])).await.json();
    assert_eq!(listed.as_array().map(Vec::len), Some(3));
}

/// Served as GitHub, the simulated forge answers GitHub's GraphQL queries (those
/// gh sends, passed on to it by a gateway between two GitHub sides) through its own
/// routes; its tags are its releases', and stay when a release is deleted.
#[tokio::test]
async fn served_as_github_it_answers_graphql_through_its_routes() {
    let maps = support::gateway::mappings();
    let d = maps.get("github").expect("github dialect").clone();
    let (addr, _task) = Sim::start(d, 0, sim::DEMO_PROJECT, &sim::demo_seed())
        .await
        .expect("sim starts");
    let ask = |q: &str| {
        let body = json!({ "query": q }).to_string();
        let url = format!("http://{addr}/graphql");
        async move { call("POST", &url, &[("Content-Type", "application/json")], &body).await }
    };
    let r = ask("{ repository(owner: \"demo\", name: \"hello\") { releases(first: 2) { nodes { tagName isLatest } pageInfo { hasNextPage endCursor } } } }").await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(
        r.json(),
        json!({"data": {"repository": {"releases": {
            "nodes": [{"tagName": "release/2.0", "isLatest": true}, {"tagName": "v1.1.0", "isLatest": false}],
            "pageInfo": {"hasNextPage": true, "endCursor": "1"}
        }}}})
    );
    let ref_of = |tag: &str| {
        format!("{{ repository(owner: \"demo\", name: \"hello\") {{ ref(qualifiedName: \"refs/tags/{tag}\") {{ id }} }} }}")
    };
    let found = ask(&ref_of("v1.1.0")).await.json();
    assert!(
        found["data"]["repository"]["ref"]["id"]
            .as_str()
            .is_some_and(|id| id.starts_with("REF_") && id.len() == 44),
        "{found}"
    );
    let v11 = get(&format!(
        "http://{addr}/repos/demo/hello/releases/tags/v1.1.0"
    ))
    .await
    .json();
    let gone = call(
        "DELETE",
        &format!("http://{addr}/repos/demo/hello/releases/{}", v11["id"]),
        &[],
        "",
    )
    .await;
    assert_eq!(gone.status, 204);
    assert_eq!(ask(&ref_of("v1.1.0")).await.json(), found);
    assert_eq!(
        ask(&ref_of("v9")).await.json(),
        json!({"data": {"repository": {"ref": null}}})
    );
    let bad = call("POST", &format!("http://{addr}/graphql"), &[], "{").await;
    assert_eq!(bad.status, 400);
}

/// The simulated GitLab keeps a file sent as a multipart form (its field
/// `file`) and answers where, as GitLab's uploads API does; a link to it is
/// made in a release and listed there. A form without the field is a 400.
#[tokio::test]
async fn the_simulated_gitlab_keeps_files_and_links_them() {
    let (base, _task) = gitlab_sim().await;
    let project = base.trim_end_matches("/releases");
    let form = [
        ("PRIVATE-TOKEN", "glpat-demo"),
        ("Content-Type", "multipart/form-data; boundary=b0"),
    ];
    let body = "--b0\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a b.txt\"\r\n\
                Content-Type: text/plain\r\n\r\nhello\r\n--b0--\r\n";
    let r = call("POST", &format!("{project}/uploads"), &form, body).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let kept = r.json();
    let path = kept["full_path"].as_str().unwrap_or_default().to_owned();
    assert!(
        path.starts_with("/-/project/") && path.ends_with("/a%20b.txt"),
        "{kept}"
    );
    // The file is served there, as it was sent.
    let origin = base.split("/api/v4").next().unwrap_or_default();
    let file = get(&format!("{origin}{path}")).await;
    assert_eq!(
        (file.status, file.header("content-type"), file.text()),
        (200, Some("text/plain"), "hello".to_owned())
    );
    let other = body.replace("name=\"file\"", "name=\"attachment\"");
    let r = call("POST", &format!("{project}/uploads"), &form, &other).await;
    assert_eq!(
        (r.status, r.json()),
        (400, json!({"message": "the form has no `file`"}))
    );

    let json = [
        ("PRIVATE-TOKEN", "glpat-demo"),
        ("Content-Type", "application/json"),
    ];
    let url = format!("https://gitlab.example.com{path}");
    let made = json!({"name": "a b.txt", "url": url});
    let links = format!("{base}/v1.0.0/assets/links");
    let r = call("POST", &links, &json, &made.to_string()).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let link = r.json();
    schema::gitlab_release_link(&link).unwrap_or_else(|e| panic!("{e}\n{link:#}"));
    assert_eq!((&link["name"], &link["url"]), (&made["name"], &made["url"]));
    assert_eq!(get(&links).await.json(), json!([link]));
    // The same name again: refused, nothing added.
    let r = call("POST", &links, &json, &made.to_string()).await;
    assert_eq!(r.status, 409, "{}", r.text());
    assert_eq!(get(&links).await.json().as_array().map(Vec::len), Some(1));
}

/// The simulated forges name a project by its number as the forges do: GitHub
/// at `/repositories/{id}`, GitLab wherever it takes a path. The number is the
/// one a read by path gives; the answer names the project by its path. A number
/// it does not know is a 404.
#[tokio::test]
async fn projects_are_found_by_their_number() {
    let maps = support::gateway::mappings();
    for (dialect, by_path, by_number, path_member) in [
        (
            "github",
            "/repos/demo/hello",
            "/repositories/",
            "/full_name",
        ),
        (
            "gitlab",
            "/api/v4/projects/demo%2Fhello",
            "/api/v4/projects/",
            "/path_with_namespace",
        ),
    ] {
        let d = maps.get(dialect).expect("dialect").clone();
        let (addr, _task) = Sim::start(d, 0, sim::DEMO_PROJECT, &sim::demo_seed())
            .await
            .expect("sim starts");
        let read = get(&format!("http://{addr}{by_path}")).await.json();
        let id = read["id"].as_u64().expect("a numeric id");
        let found = get(&format!("http://{addr}{by_number}{id}")).await;
        assert_eq!(found.status, 200, "{dialect}: {}", found.text());
        assert_eq!(found.json(), read, "{dialect}");
        assert_eq!(
            read.pointer(path_member),
            Some(&json!("demo/hello")),
            "{dialect}"
        );
        let unknown = get(&format!("http://{addr}{by_number}{}", id + 1)).await;
        assert_eq!(unknown.status, 404, "{dialect}: {}", unknown.text());
    }
}
