//! The literal JSON examples of the seed docs, cleaned to valid JSON (see
//! `tests/fixtures/README.md` for every change made to them).
//! And the means to damage them: every place in a document (`places`), and a
//! copy with one place replaced or removed (`altered`).

use std::path::PathBuf;

use serde_json::{json, Value};

fn path(rel: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures")).join(rel)
}

/// Raw bytes of `tests/fixtures/<rel>`, e.g. `load_bytes("gitlab/get_release.json")`.
pub fn load_bytes(rel: &str) -> Vec<u8> {
    let p = path(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("cannot read fixture {}: {e}", p.display()))
}

/// `tests/fixtures/<rel>` parsed as JSON.
pub fn load(rel: &str) -> Value {
    serde_json::from_slice(&load_bytes(rel))
        .unwrap_or_else(|e| panic!("fixture {rel} is not valid JSON: {e}"))
}

/// A GitHub release (or array of releases) from the seed docs, with the fields that the current
/// `release` schema requires but the old docs predate filled in: `node_id` on the release, its
/// author, assets and uploaders, and `digest` (null) and `browser_download_url` on assets.
/// Values already present are never changed.
pub fn github_as_current(mut v: Value) -> Value {
    fn user(u: &mut Value) {
        fill(u, "node_id", json!("MDQ6VXNlcjE="));
    }
    fn release(r: &mut Value) {
        fill(r, "node_id", json!("MDc6UmVsZWFzZTE="));
        let tag = r["tag_name"].as_str().unwrap_or("v1.0.0").to_owned();
        if let Some(author) = r.get_mut("author") {
            user(author);
        }
        for a in r
            .get_mut("assets")
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            let name = a["name"].as_str().unwrap_or("asset").to_owned();
            fill(a, "node_id", json!("MDEyOlJlbGVhc2VBc3NldDE="));
            fill(a, "digest", Value::Null);
            fill(
                a,
                "browser_download_url",
                json!(format!(
                    "https://github.com/octocat/Hello-World/releases/download/{tag}/{name}"
                )),
            );
            if let Some(uploader) = a.get_mut("uploader") {
                user(uploader);
            }
        }
    }
    match &mut v {
        Value::Array(list) => list.iter_mut().for_each(release),
        other => release(other),
    }
    v
}

/// A GitLab release (or array of releases) from the seed docs, reshaped to what the JSON schema
/// of GitLab's own API tests (`public_api/v4/release.json`) demands: adds `commit.web_url` and
/// `milestones[].expired` (false), drops `evidence_sha` and `assets.evidence_file_path` (not
/// allowed there), and turns an `issue_stats` of `{opened, closed}` into `{total, closed}` with
/// `total = opened + closed`.
pub fn gitlab_as_current(mut v: Value) -> Value {
    fn release(r: &mut Value) {
        if let Some(m) = r.as_object_mut() {
            m.remove("evidence_sha");
        }
        if let Some(assets) = r.get_mut("assets").and_then(Value::as_object_mut) {
            assets.remove("evidence_file_path");
        }
        let project = r["commit_path"]
            .as_str()
            .and_then(|p| p.split("/commit/").next())
            .unwrap_or("/root/awesome-app")
            .to_owned();
        if let Some(commit) = r.get_mut("commit").filter(|c| c.is_object()) {
            let id = commit["id"].as_str().unwrap_or_default().to_owned();
            fill(
                commit,
                "web_url",
                json!(format!("https://gitlab.example.com{project}/-/commit/{id}")),
            );
        }
        let milestones = r.get_mut("milestones").and_then(Value::as_array_mut);
        for m in milestones.into_iter().flatten() {
            fill(m, "expired", json!(false));
            if let Some(stats) = m.get_mut("issue_stats").and_then(Value::as_object_mut) {
                if let Some(opened) = stats.remove("opened") {
                    let closed = stats.get("closed").and_then(Value::as_i64).unwrap_or(0);
                    let total = opened.as_i64().unwrap_or(0) + closed;
                    stats.entry("total").or_insert(json!(total));
                }
            }
        }
    }
    match &mut v {
        Value::Array(list) => list.iter_mut().for_each(release),
        other => release(other),
    }
    v
}

fn fill(obj: &mut Value, key: &str, value: Value) {
    if let Some(m) = obj.as_object_mut() {
        m.entry(key).or_insert(value);
    }
}

/// The seed's get-by-tag release, completed to the current schema, under another tag.
pub fn gitlab_release(tag: &str) -> Value {
    let mut v = gitlab_as_current(load("gitlab/get_release.json"));
    v["tag_name"] = json!(tag);
    v
}

/// The seed's release list, completed to the current schema.
pub fn gitlab_list() -> Value {
    gitlab_as_current(load("gitlab/list_releases.json"))
}

/// Every place in `v` (as JSON pointers), containers and leaves, the root excluded.
pub fn places(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let p = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
                out.push(p.clone());
                places(x, p, out);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                let p = format!("{at}/{i}");
                out.push(p.clone());
                places(x, p, out);
            }
        }
        _ => {}
    }
}

/// `v` with the value at `pointer` replaced by `with`, or removed when `with` is `None`.
pub fn altered(v: &Value, pointer: &str, with: Option<&Value>) -> Value {
    let mut v = v.clone();
    let (parent, last) = pointer.rsplit_once('/').expect("a pointer below the root");
    let key = last.replace("~1", "/").replace("~0", "~");
    match v.pointer_mut(parent).expect("parent exists") {
        Value::Object(m) => match with {
            Some(w) => {
                m.insert(key, w.clone());
            }
            None => {
                m.remove(&key);
            }
        },
        Value::Array(a) => {
            let i: usize = key.parse().expect("index");
            match with {
                Some(w) => a[i] = w.clone(),
                None => drop(a.remove(i)),
            }
        }
        _ => unreachable!("places() yields only children of containers"),
    }
    v
}
