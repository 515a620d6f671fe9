//! Checks payloads and paths against the official API descriptions in `shared/specs/`.
//!
//! Every check returns `Err` with one line per problem (`<instance path>: <message>`), so a
//! failing test shows everything that is wrong at once. Each spec is read and compiled once.
//!
//! - GitHub (OpenAPI 3.0.3): `nullable: true` is turned into a `"null"` type before compiling;
//!   compiled as draft 4 with `format` checked (`date-time`, `uri`, ...).
//! - GitLab request bodies (Swagger 2.0 `definitions`): draft 4 with `format` checked, plus a
//!   check that every top-level key is a declared property.
//! - GitLab responses (the JSON schemas of GitLab's own API tests, bundled under `$defs`): draft
//!   2020-12 *without* `format` checks, because those fixtures declare `date-time` for milestone
//!   `due_date`/`start_date`, which GitLab actually sends as plain dates (`2019-08-16`).

use std::sync::OnceLock;

use jsonschema::error::ValidationErrorKind;
use jsonschema::{Draft, Validator};
use serde_json::{json, Map, Value};

const GITHUB_SPEC: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/specs/github/releases.openapi.json"
);
const GITLAB_SPEC: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/specs/gitlab/releases.openapi_v2.json"
);
const GITLAB_BUNDLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/specs/gitlab/release-schemas.bundled.json"
);

const GITLAB_CREATE: &str = "postApiV4ProjectsIdReleases";
const GITLAB_UPDATE: &str = "putApiV4ProjectsIdReleasesTagName";

/// A GitHub `release` object (`components.schemas.release`).
pub fn github_release(v: &Value) -> Result<(), String> {
    check("github release", &github().release, v)
}

/// An array of GitHub `release` objects.
pub fn github_release_list(v: &Value) -> Result<(), String> {
    check("github release list", &github().release_list, v)
}

/// A GitHub `release-asset` object (one asset).
pub fn github_asset(v: &Value) -> Result<(), String> {
    check("github release-asset", &github().asset, v)
}

/// An array of GitHub `release-asset` objects (a release's assets).
pub fn github_asset_list(v: &Value) -> Result<(), String> {
    check("github release-asset list", &github().asset_list, v)
}

/// A GitHub `basic-error` body (`{"message": ..., "documentation_url": ...}`).
pub fn github_basic_error(v: &Value) -> Result<(), String> {
    check("github basic-error", &github().basic_error, v)
}

/// A GitHub `validation-error` body (422).
pub fn github_validation_error(v: &Value) -> Result<(), String> {
    check("github validation-error", &github().validation_error, v)
}

/// The `value` of `components.examples.<name>` in the GitHub spec (e.g. `"release"`,
/// `"release-items"`, `"release-asset"`): GitHub's own current example payloads.
pub fn github_example(name: &str) -> Value {
    github_spec()
        .pointer(&format!("/components/examples/{name}/value"))
        .cloned()
        .unwrap_or_else(|| panic!("{GITHUB_SPEC} has no components.examples.{name}.value"))
}

/// GitHub's own example release, with the tag and id given (checked against the schema).
pub fn github_example_release(tag: &str, id: u64) -> Value {
    let mut v = github_example("release");
    v["tag_name"] = json!(tag);
    v["id"] = json!(id);
    github_release(&v).unwrap_or_else(|e| panic!("{e}\n{v:#}"));
    v
}

/// A body for `POST /api/v4/projects/{id}/releases`.
pub fn gitlab_create_request(v: &Value) -> Result<(), String> {
    gitlab().create.check(v)
}

/// A body for `PUT /api/v4/projects/{id}/releases/{tag_name}`.
pub fn gitlab_update_request(v: &Value) -> Result<(), String> {
    gitlab().update.check(v)
}

/// A GitLab release response (`$defs/v4_release`, i.e. `public_api/v4/release.json`).
pub fn gitlab_release(v: &Value) -> Result<(), String> {
    check("gitlab release", &gitlab_responses().release, v)
}

/// A GitLab release list response (`$defs/v4_releases`).
pub fn gitlab_release_list(v: &Value) -> Result<(), String> {
    check("gitlab release list", &gitlab_responses().release_list, v)
}

/// A GitLab release link (`$defs/release_link`).
pub fn gitlab_release_link(v: &Value) -> Result<(), String> {
    check("gitlab release link", &gitlab_responses().link, v)
}

/// A GitLab release links response (`$defs/release_links`).
pub fn gitlab_release_links(v: &Value) -> Result<(), String> {
    check("gitlab release links", &gitlab_responses().links, v)
}

/// Checks that `method` + `raw_path_and_query` is a GitLab releases operation: the path (before
/// `?`) must fit one of the paths of `gitlab/releases.openapi_v2.json` for that method, where a
/// `{param}` is exactly one non-empty percent-encoded segment (so a project path must arrive as
/// `group%2Fproj`, never `group/proj`), and every query key must be a declared `in: query`
/// parameter of that operation. Parameter types are not checked.
pub fn gitlab_path(method: &str, raw_path_and_query: &str) -> Result<(), String> {
    check_path("GitLab", &gitlab().paths, method, raw_path_and_query)
}

/// Like [`gitlab_path`], against the paths of `github/releases.openapi.json`
/// (`/repos/{owner}/{repo}/releases...`). A GitHub Enterprise prefix (`/api/v3` or
/// `/api/uploads`) is stripped first.
pub fn github_path(method: &str, raw_path_and_query: &str) -> Result<(), String> {
    let rest = ["/api/v3", "/api/uploads"]
        .iter()
        .find_map(|p| {
            raw_path_and_query
                .strip_prefix(p)
                .filter(|r| r.starts_with('/'))
        })
        .unwrap_or(raw_path_and_query);
    check_path("GitHub", &github().paths, method, rest)
}

fn check_path(
    forge: &str,
    known: &[PathOp],
    method: &str,
    raw_path_and_query: &str,
) -> Result<(), String> {
    let (path, query) = match raw_path_and_query.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (raw_path_and_query, None),
    };
    let Some(rest) = path.strip_prefix('/') else {
        return Err(format!("path {path:?} does not start with '/'"));
    };
    let segments: Vec<&str> = rest.split('/').collect();
    let bad: Vec<String> = segments
        .iter()
        .filter(|s| !is_pchars(s))
        .map(|s| format!("segment {s:?} is not a valid percent-encoded path segment"))
        .collect();
    if !bad.is_empty() {
        return Err(format!("{method} {path}:\n{}", bad.join("\n")));
    }
    let ops: Vec<&PathOp> = known
        .iter()
        .filter(|op| op.method.eq_ignore_ascii_case(method))
        .collect();
    let matching: Vec<&&PathOp> = ops
        .iter()
        .filter(|op| template_matches(&op.template, &segments))
        .collect();
    if matching.is_empty() {
        let paths: Vec<&str> = ops.iter().map(|op| op.display.as_str()).collect();
        return Err(format!(
            "{method} {path} matches no {forge} operation; {method} paths are:\n  {}",
            paths.join("\n  ")
        ));
    }
    let mut problems = Vec::new();
    for op in &matching {
        let unknown: Vec<String> = query
            .into_iter()
            .flat_map(|q| q.split('&'))
            .filter(|pair| !pair.is_empty())
            .map(|pair| percent_decode(pair.split('=').next().unwrap_or_default()))
            .filter(|key| !op.query.contains(key))
            .collect();
        if unknown.is_empty() {
            return Ok(());
        }
        problems.push(format!(
            "query keys {unknown:?} are not parameters of {method} {} (declared: {:?})",
            op.display, op.query
        ));
    }
    Err(format!(
        "{method} {raw_path_and_query}:\n{}",
        problems.join("\n")
    ))
}

fn check(what: &str, schema: &Compiled, v: &Value) -> Result<(), String> {
    report(what, schema.errors(v))
}

fn report(what: &str, errors: Vec<String>) -> Result<(), String> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} error(s) against {what}:\n{}",
            errors.len(),
            errors.join("\n")
        ))
    }
}

/// A compiled schema that keeps its source, so that a failed `oneOf`/`anyOf` can be explained
/// branch by branch (the crate only says that no branch matched).
struct Compiled {
    validator: Validator,
    root: Value,
    draft: Draft,
    formats: bool,
}

impl Compiled {
    fn new(draft: Draft, formats: bool, root: Value, what: &str) -> Self {
        let validator = jsonschema::options()
            .with_draft(draft)
            .should_validate_formats(formats)
            .build(&root)
            .unwrap_or_else(|e| panic!("schema {what} does not compile: {e}"));
        Compiled {
            validator,
            root,
            draft,
            formats,
        }
    }

    fn errors(&self, v: &Value) -> Vec<String> {
        let mut out = Vec::new();
        for e in self.validator.iter_errors(v) {
            out.push(describe(&e));
            if matches!(
                e.kind,
                ValidationErrorKind::OneOfNotValid | ValidationErrorKind::AnyOf
            ) {
                out.extend(self.explain_branches(&e));
            }
        }
        out
    }

    fn explain_branches(&self, e: &jsonschema::ValidationError<'_>) -> Vec<String> {
        let Some(Value::Array(branches)) = self.resolve(e.schema_path.as_str()) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, branch) in branches.iter().enumerate() {
            // Each branch is compiled as a document of its own that carries the root's
            // definitions, so local `$ref`s still resolve.
            let mut doc = branch.clone();
            if let Value::Object(m) = &mut doc {
                for key in ["$defs", "definitions"] {
                    if let Some(defs) = self.root.get(key) {
                        m.entry(key).or_insert_with(|| defs.clone());
                    }
                }
            }
            let Ok(sub) = jsonschema::options()
                .with_draft(self.draft)
                .should_validate_formats(self.formats)
                .build(&doc)
            else {
                continue;
            };
            let base = e.instance_path.as_str();
            for be in sub.iter_errors(&e.instance) {
                let path = format!("{base}{}", be.instance_path.as_str());
                let path = if path.is_empty() { "/" } else { &path };
                out.push(format!(
                    "    branch {i}: {path}: {}",
                    shorten(&be.to_string())
                ));
            }
        }
        out
    }

    /// Follows a schema path such as `/$ref/properties/commit/oneOf` through local `$ref`s.
    fn resolve(&self, schema_path: &str) -> Option<&Value> {
        let mut node = &self.root;
        for seg in schema_path.split('/').skip(1) {
            let seg = seg.replace("~1", "/").replace("~0", "~");
            node = if seg == "$ref" {
                let target = node.get("$ref")?.as_str()?.strip_prefix('#')?;
                self.root.pointer(target)?
            } else {
                match node {
                    Value::Object(m) => m.get(&seg)?,
                    Value::Array(a) => a.get(seg.parse::<usize>().ok()?)?,
                    _ => return None,
                }
            };
        }
        Some(node)
    }
}

fn describe(e: &jsonschema::ValidationError<'_>) -> String {
    let path = e.instance_path.as_str();
    let path = if path.is_empty() { "/" } else { path };
    format!(
        "{path}: {} (schema {})",
        shorten(&e.to_string()),
        e.schema_path.as_str()
    )
}

/// Messages quote the failing instance; a whole release in every line would bury the point.
fn shorten(msg: &str) -> String {
    const MAX: usize = 240;
    match msg.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}…", &msg[..i]),
        None => msg.to_owned(),
    }
}

fn read_json(path: &str) -> Value {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read spec {path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("spec {path} is not JSON: {e}"))
}

struct GitHub {
    paths: Vec<PathOp>,
    release: Compiled,
    release_list: Compiled,
    asset: Compiled,
    asset_list: Compiled,
    basic_error: Compiled,
    validation_error: Compiled,
}

fn github_spec() -> &'static Value {
    static CELL: OnceLock<Value> = OnceLock::new();
    CELL.get_or_init(|| read_json(GITHUB_SPEC))
}

fn github() -> &'static GitHub {
    static CELL: OnceLock<GitHub> = OnceLock::new();
    CELL.get_or_init(|| {
        let spec = github_spec();
        let schema = |name: &str| {
            let raw = spec
                .pointer(&format!("/components/schemas/{name}"))
                .unwrap_or_else(|| panic!("{GITHUB_SPEC} has no components.schemas.{name}"));
            openapi_to_json_schema(raw)
        };
        let build = |s: Value, what: &str| Compiled::new(Draft::Draft4, true, s, what);
        let release = schema("release");
        GitHub {
            paths: parse_paths(spec, GITHUB_SPEC),
            release_list: build(json!({"type": "array", "items": release}), "release list"),
            release: build(release, "release"),
            asset: build(schema("release-asset"), "release-asset"),
            asset_list: build(
                json!({"type": "array", "items": schema("release-asset")}),
                "release-asset list",
            ),
            basic_error: build(schema("basic-error"), "basic-error"),
            validation_error: build(schema("validation-error"), "validation-error"),
        }
    })
}

struct RequestBody {
    forge: &'static str,
    name: &'static str,
    schema: Compiled,
    properties: Vec<String>,
}

impl RequestBody {
    fn check(&self, v: &Value) -> Result<(), String> {
        let mut errors = self.schema.errors(v);
        if let Value::Object(body) = v {
            for key in body.keys().filter(|k| !self.properties.contains(k)) {
                errors.push(format!(
                    "/{}: property {key:?} is not declared in {} ({} does not know it; \
                     declared: {:?})",
                    key.replace('~', "~0").replace('/', "~1"),
                    self.name,
                    self.forge,
                    self.properties
                ));
            }
        }
        report(&format!("{} {}", self.forge, self.name), errors)
    }
}

enum Seg {
    Lit(String),
    Param,
    /// `*name` (at least one non-empty segment) or `(/)(*name)` (anything, even nothing).
    Glob {
        optional: bool,
    },
}

struct PathOp {
    method: String,
    display: String,
    template: Vec<Seg>,
    query: Vec<String>,
}

struct GitLab {
    create: RequestBody,
    update: RequestBody,
    paths: Vec<PathOp>,
}

fn gitlab() -> &'static GitLab {
    static CELL: OnceLock<GitLab> = OnceLock::new();
    CELL.get_or_init(|| {
        let spec = read_json(GITLAB_SPEC);
        let definitions = spec
            .get("definitions")
            .and_then(Value::as_object)
            .unwrap_or_else(|| panic!("{GITLAB_SPEC} has no definitions"));
        let converted: Map<String, Value> = definitions
            .iter()
            .map(|(k, v)| (k.clone(), openapi_to_json_schema(v)))
            .collect();
        let body = |name: &'static str| {
            let def = converted
                .get(name)
                .unwrap_or_else(|| panic!("{GITLAB_SPEC} has no definitions.{name}"));
            let properties = def
                .get("properties")
                .and_then(Value::as_object)
                .map(|p| p.keys().cloned().collect())
                .unwrap_or_default();
            // The definition itself is the root; `definitions` rides along so that any
            // `#/definitions/...` reference in it resolves inside the same document.
            let mut root = def.clone();
            root["definitions"] = Value::Object(converted.clone());
            RequestBody {
                forge: "GitLab",
                name,
                schema: Compiled::new(Draft::Draft4, true, root, name),
                properties,
            }
        };
        GitLab {
            create: body(GITLAB_CREATE),
            update: body(GITLAB_UPDATE),
            paths: parse_paths(&spec, GITLAB_SPEC),
        }
    })
}

/// Every operation of a Swagger 2.0 or OpenAPI 3.0 document, with its query parameters
/// (path-level ones included).
fn parse_paths(spec: &Value, file: &str) -> Vec<PathOp> {
    fn query_names(params: Option<&Value>) -> Vec<String> {
        params
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|p| p.get("in").and_then(Value::as_str) == Some("query"))
            .filter_map(|p| p.get("name").and_then(Value::as_str).map(str::to_owned))
            .collect()
    }
    let paths = spec
        .get("paths")
        .and_then(Value::as_object)
        .unwrap_or_else(|| panic!("{file} has no paths"));
    let mut ops = Vec::new();
    for (path, item) in paths {
        let shared = query_names(item.get("parameters"));
        for (method, op) in item.as_object().into_iter().flatten() {
            if !["get", "put", "post", "delete", "patch", "head", "options"]
                .contains(&method.as_str())
            {
                continue;
            }
            let mut query = shared.clone();
            query.extend(query_names(op.get("parameters")));
            ops.push(PathOp {
                method: method.to_ascii_uppercase(),
                display: path.clone(),
                template: parse_template(path),
                query,
            });
        }
    }
    ops
}

fn parse_template(path: &str) -> Vec<Seg> {
    // `latest(/)(*suffix_path)`: an optional slash and an optional tail, both at the end.
    let (base, optional_tail) = match path.split_once("(/)(*") {
        Some((base, tail)) => {
            assert!(
                tail.ends_with(')') && !tail.contains(['/', '(']),
                "unsupported path template {path}"
            );
            (base, true)
        }
        None => (path, false),
    };
    let mut segs = Vec::new();
    for s in base.trim_start_matches('/').split('/') {
        if s.starts_with('{') && s.ends_with('}') {
            segs.push(Seg::Param);
        } else if s.starts_with('*') {
            segs.push(Seg::Glob { optional: false });
        } else if s.contains(['{', '}', '(', ')', '*']) {
            panic!("unsupported path segment {s:?} in {path}");
        } else {
            segs.push(Seg::Lit(s.to_owned()));
        }
    }
    if optional_tail {
        segs.push(Seg::Glob { optional: true });
    }
    segs
}

fn template_matches(template: &[Seg], segments: &[&str]) -> bool {
    match template.split_first() {
        None => segments.is_empty(),
        Some((Seg::Glob { optional }, rest)) => {
            assert!(rest.is_empty(), "a glob must end its path template");
            *optional || segments.iter().any(|s| !s.is_empty())
        }
        Some((seg, rest)) => match segments.split_first() {
            None => false,
            Some((first, more)) => {
                let ok = match seg {
                    Seg::Lit(l) => l == first,
                    Seg::Param => !first.is_empty(),
                    Seg::Glob { .. } => unreachable!(),
                };
                ok && template_matches(rest, more)
            }
        },
    }
}

/// RFC 3986 `*pchar`: unreserved, sub-delims, `:`, `@`, and `%HH`.
fn is_pchars(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                if i + 2 >= b.len()
                    || !(b[i + 1].is_ascii_hexdigit() && b[i + 2].is_ascii_hexdigit())
                {
                    return false;
                }
                i += 3;
            }
            c if c.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@".contains(&c) => i += 1,
            _ => return false,
        }
    }
    true
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match (b[i], b.get(i + 1).copied(), b.get(i + 2).copied()) {
            (b'%', Some(h), Some(l)) if hex(h).is_some() && hex(l).is_some() => {
                out.push(((hex(h).unwrap_or(0) << 4) | hex(l).unwrap_or(0)) as u8);
                i += 3;
            }
            (b'+', _, _) => {
                out.push(b' ');
                i += 1;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

struct GitLabResponses {
    release: Compiled,
    release_list: Compiled,
    link: Compiled,
    links: Compiled,
}

fn gitlab_responses() -> &'static GitLabResponses {
    static CELL: OnceLock<GitLabResponses> = OnceLock::new();
    CELL.get_or_init(|| {
        let bundle = read_json(GITLAB_BUNDLE);
        let mut defs = bundle
            .get("$defs")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_else(|| panic!("{GITLAB_BUNDLE} has no $defs"));
        // The guest variants declare `"type": "date"`, which no draft accepts, and the
        // meta-schema check at compile time covers the whole document: leave them out.
        defs.retain(|k, _| !k.contains("for_guest"));
        let root = |name: &str| {
            assert!(
                defs.contains_key(name),
                "{GITLAB_BUNDLE} has no $defs.{name}"
            );
            json!({"$defs": defs, "$ref": format!("#/$defs/{name}")})
        };
        let build = |name: &str| Compiled::new(Draft::Draft202012, false, root(name), name);
        GitLabResponses {
            release: build("v4_release"),
            release_list: build("v4_releases"),
            link: build("release_link"),
            links: build("release_links"),
        }
    })
}

/// Turns an OpenAPI 3.0 / Swagger 2.0 schema object into plain JSON Schema: `nullable: true`
/// (and Swagger's `x-nullable`) becomes a `"null"` type, and keys that are not JSON Schema
/// (`example`, `x-*`, `discriminator`, `xml`, `externalDocs`) are dropped.
fn openapi_to_json_schema(schema: &Value) -> Value {
    let mut s = schema.clone();
    convert(&mut s, true);
    s
}

/// Converts one schema object in place and returns whether it was marked nullable. With
/// `apply_null` false the caller (a `oneOf`/`anyOf`) adds the `null` alternative itself: making
/// every branch accept `null` would make `null` match all of them and fail `oneOf`.
fn convert(v: &mut Value, apply_null: bool) -> bool {
    let Value::Object(m) = v else {
        return false;
    };
    let nullable = [m.remove("nullable"), m.remove("x-nullable")]
        .iter()
        .any(|n| n.as_ref().and_then(Value::as_bool) == Some(true));
    m.retain(|k, _| {
        !(k == "example"
            || k == "discriminator"
            || k == "xml"
            || k == "externalDocs"
            || k.starts_with("x-"))
    });
    // Draft 4 requires a non-empty `required`.
    if m.get("required")
        .and_then(Value::as_array)
        .is_some_and(Vec::is_empty)
    {
        m.remove("required");
    }
    for key in ["properties", "patternProperties", "definitions"] {
        if let Some(Value::Object(children)) = m.get_mut(key) {
            for child in children.values_mut() {
                convert(child, true);
            }
        }
    }
    for key in ["items", "additionalProperties", "not"] {
        match m.get_mut(key) {
            Some(Value::Array(children)) => {
                for child in children {
                    convert(child, true);
                }
            }
            Some(child @ Value::Object(_)) => {
                convert(child, true);
            }
            _ => {}
        }
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(Value::Array(branches)) = m.get_mut(key) {
            let mut any_null = false;
            for b in branches.iter_mut() {
                any_null |= convert(b, false);
            }
            if any_null {
                branches.push(json!({"type": "null"}));
            }
        }
    }
    if let Some(Value::Array(branches)) = m.get_mut("allOf") {
        for b in branches {
            convert(b, true);
        }
    }
    if nullable && apply_null {
        match m.get_mut("type") {
            Some(Value::String(t)) => {
                let t = std::mem::take(t);
                m.insert("type".to_owned(), json!([t, "null"]));
            }
            Some(Value::Array(types)) if !types.contains(&json!("null")) => {
                types.push(json!("null"));
            }
            _ => {}
        }
        if let Some(Value::Array(values)) = m.get_mut("enum") {
            if !values.contains(&Value::Null) {
                values.push(Value::Null);
            }
        }
    }
    nullable
}

// ------------------------------------------------------------------ Gitea and Forgejo
//
// Both describe one API (Swagger 2.0, `definitions`), Forgejo with a few more optional
// fields; a payload must pass both. Compiled as draft 4 with `format` checked; request bodies
// are also checked for keys their definition does not declare.

const GITEA_SPEC: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/specs/gitea/releases.swagger.json"
);
const FORGEJO_SPEC: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/specs/forgejo/releases.swagger.json"
);

/// A Gitea `Release` (and Forgejo's).
pub fn gitea_release(v: &Value) -> Result<(), String> {
    gitea_check(|s| &s.release, v)
}

/// An array of Gitea `Release` objects.
pub fn gitea_release_list(v: &Value) -> Result<(), String> {
    gitea_check(|s| &s.release_list, v)
}

/// A Gitea `Attachment` (a release asset).
pub fn gitea_attachment(v: &Value) -> Result<(), String> {
    gitea_check(|s| &s.attachment, v)
}

/// An array of Gitea `Attachment` objects.
pub fn gitea_attachment_list(v: &Value) -> Result<(), String> {
    gitea_check(|s| &s.attachment_list, v)
}

/// A Gitea error body (`APIError`: `message`, `url`).
pub fn gitea_error(v: &Value) -> Result<(), String> {
    gitea_check(|s| &s.error, v)
}

/// A body for `POST /repos/{owner}/{repo}/releases` (`CreateReleaseOption`).
pub fn gitea_create_request(v: &Value) -> Result<(), String> {
    gitea_all(|s| s.create.check(v))
}

/// A body for `PATCH /repos/{owner}/{repo}/releases/{id}` (`EditReleaseOption`).
pub fn gitea_edit_request(v: &Value) -> Result<(), String> {
    gitea_all(|s| s.edit.check(v))
}

/// Like [`gitlab_path`], against the release paths of both specs, after the `/api/v1` root.
pub fn gitea_path(method: &str, raw_path_and_query: &str) -> Result<(), String> {
    let Some(rest) = raw_path_and_query
        .strip_prefix("/api/v1")
        .filter(|r| r.starts_with('/'))
    else {
        return Err(format!("{raw_path_and_query} is not under /api/v1"));
    };
    gitea_all(|s| check_path(s.forge, &s.paths, method, rest))
}

struct SwaggerForge {
    forge: &'static str,
    paths: Vec<PathOp>,
    release: Compiled,
    release_list: Compiled,
    attachment: Compiled,
    attachment_list: Compiled,
    error: Compiled,
    create: RequestBody,
    edit: RequestBody,
}

fn gitea_check(pick: impl Fn(&SwaggerForge) -> &Compiled, v: &Value) -> Result<(), String> {
    gitea_all(|s| check(s.forge, pick(s), v))
}

fn gitea_all(f: impl Fn(&SwaggerForge) -> Result<(), String>) -> Result<(), String> {
    let problems: Vec<String> = gitea_specs().iter().filter_map(|s| f(s).err()).collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

fn gitea_specs() -> &'static [SwaggerForge; 2] {
    static CELL: OnceLock<[SwaggerForge; 2]> = OnceLock::new();
    CELL.get_or_init(|| {
        [
            swagger_forge("Gitea", GITEA_SPEC),
            swagger_forge("Forgejo", FORGEJO_SPEC),
        ]
    })
}

fn swagger_forge(forge: &'static str, file: &'static str) -> SwaggerForge {
    let spec = read_json(file);
    let definitions: Map<String, Value> = spec
        .get("definitions")
        .and_then(Value::as_object)
        .unwrap_or_else(|| panic!("{file} has no definitions"))
        .iter()
        .map(|(k, v)| (k.clone(), openapi_to_json_schema(v)))
        .collect();
    let root = |schema: Value| {
        let mut root = schema;
        root["definitions"] = Value::Object(definitions.clone());
        root
    };
    let reference = |name: &str| {
        assert!(
            definitions.contains_key(name),
            "{file} has no definitions.{name}"
        );
        json!({"$ref": format!("#/definitions/{name}")})
    };
    let build = |schema: Value, what: &str| {
        Compiled::new(
            Draft::Draft4,
            true,
            root(schema),
            &format!("{forge} {what}"),
        )
    };
    let body = |name: &'static str| {
        let def = &definitions[name];
        let properties = def
            .get("properties")
            .and_then(Value::as_object)
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default();
        RequestBody {
            forge,
            name,
            schema: build(def.clone(), name),
            properties,
        }
    };
    SwaggerForge {
        forge,
        paths: parse_paths(&spec, file),
        release: build(reference("Release"), "Release"),
        release_list: build(
            json!({"type": "array", "items": reference("Release")}),
            "Release list",
        ),
        attachment: build(reference("Attachment"), "Attachment"),
        attachment_list: build(
            json!({"type": "array", "items": reference("Attachment")}),
            "Attachment list",
        ),
        error: build(reference("APIError"), "APIError"),
        create: body("CreateReleaseOption"),
        edit: body("EditReleaseOption"),
    }
}

// ------------------------------------------------------------------ Sentry
//
// OpenAPI 3 with every schema written inline in its operation: each check compiles the
// operation's own schema (draft 4, `nullable` turned into a `"null"` type, `format` checked);
// request bodies are also checked for keys their schema does not declare.

const SENTRY_SPEC: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/specs/sentry/releases.openapi.json"
);
const SENTRY_ORG_RELEASES: &str = "/api/0/organizations/{organization_id_or_slug}/releases/";
const SENTRY_ORG_RELEASE: &str =
    "/api/0/organizations/{organization_id_or_slug}/releases/{version}/";
const SENTRY_PROJECT_RELEASES: &str =
    "/api/0/projects/{organization_id_or_slug}/{project_id_or_slug}/releases/";

/// One release as `GET …/organizations/{org}/releases/{version}/` answers it.
pub fn sentry_release(v: &Value) -> Result<(), String> {
    check("Sentry release", &sentry().release, v)
}

/// A list as `GET …/organizations/{org}/releases/` answers it.
pub fn sentry_release_list(v: &Value) -> Result<(), String> {
    check("Sentry release list", &sentry().org_list, v)
}

/// A list as `GET …/projects/{org}/{project}/releases/` answers it.
pub fn sentry_project_release_list(v: &Value) -> Result<(), String> {
    check("Sentry project release list", &sentry().project_list, v)
}

/// A release as `POST …/organizations/{org}/releases/` answers it (201 and 208).
pub fn sentry_created_release(v: &Value) -> Result<(), String> {
    check("Sentry created release", &sentry().created, v)
}

/// A body for `POST /api/0/organizations/{org}/releases/`.
pub fn sentry_create_request(v: &Value) -> Result<(), String> {
    sentry().create.check(v)
}

/// A body for `PUT /api/0/organizations/{org}/releases/{version}/`.
pub fn sentry_update_request(v: &Value) -> Result<(), String> {
    sentry().update.check(v)
}

/// Like [`gitlab_path`], against the release paths of Sentry's spec (which name `/api/0`).
pub fn sentry_path(method: &str, raw_path_and_query: &str) -> Result<(), String> {
    check_path("Sentry", &sentry().paths, method, raw_path_and_query)
}

struct Sentry {
    paths: Vec<PathOp>,
    release: Compiled,
    org_list: Compiled,
    project_list: Compiled,
    created: Compiled,
    create: RequestBody,
    update: RequestBody,
}

fn sentry() -> &'static Sentry {
    static CELL: OnceLock<Sentry> = OnceLock::new();
    CELL.get_or_init(|| {
        let spec = read_json(SENTRY_SPEC);
        let op = |path: &str, method: &str| {
            spec.pointer(&format!(
                "/paths/{}/{method}",
                path.replace('~', "~0").replace('/', "~1")
            ))
            .unwrap_or_else(|| panic!("{SENTRY_SPEC} has no {method} {path}"))
        };
        let json_schema = |v: &Value, at: &str| {
            let raw = v
                .pointer(&format!("{at}/content/application~1json/schema"))
                .unwrap_or_else(|| panic!("{SENTRY_SPEC}: no JSON schema at {at}"));
            openapi_to_json_schema(raw)
        };
        let build = |s: Value, what: &str| Compiled::new(Draft::Draft4, true, s, what);
        let response = |path: &str, method: &str, status: &str, what: &str| {
            build(
                json_schema(op(path, method), &format!("/responses/{status}")),
                what,
            )
        };
        let body = |path: &str, method: &str, name: &'static str| {
            let schema = json_schema(op(path, method), "/requestBody");
            let properties = schema
                .get("properties")
                .and_then(Value::as_object)
                .map(|p| p.keys().cloned().collect())
                .unwrap_or_default();
            RequestBody {
                forge: "Sentry",
                name,
                schema: build(schema, name),
                properties,
            }
        };
        Sentry {
            paths: parse_paths(&spec, SENTRY_SPEC),
            release: response(SENTRY_ORG_RELEASE, "get", "200", "release"),
            org_list: response(SENTRY_ORG_RELEASES, "get", "200", "release list"),
            project_list: response(SENTRY_PROJECT_RELEASES, "get", "200", "project releases"),
            created: response(SENTRY_ORG_RELEASES, "post", "201", "created release"),
            create: body(SENTRY_ORG_RELEASES, "post", "the create body"),
            update: body(SENTRY_ORG_RELEASE, "put", "the update body"),
        }
    })
}

// ------------------------------------------------------------------ DoltHub
//
// Two official documents that disagree on every field name: the OpenAPI fragments
// (`dolthub/releases.openapi.json`, every schema inline in its operation, compiled as
// Sentry's are: draft 4, `format` checked) and the seed (`shared/seeds/000_42448f87eccaed40.txt`,
// the releases page of DoltHub's API docs: tables and literal examples), whose shapes are
// written below by hand. A payload must pass both; the spec's schemas declare no required
// member and allow any other, so in practice the seed's decide what a release holds.

const DOLTHUB_SPEC: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/specs/dolthub/releases.openapi.json"
);
const DOLTHUB_RELEASES: &str = "/{owner}/{database}/releases";

/// A release as seed 000 gives it. The "List releases" 200 table types `releases` only as
/// `array<object>`; its example's element has exactly these six members, and the
/// "Create a release" 200 table types each of them `string` (`release_tag`: "Name of the
/// tag", so never empty).
const DOLTHUB_SEED_RELEASE: &str = r#"{
  "type": "object",
  "required": [
    "release_tag", "release_title", "release_description",
    "release_commit_sha", "release_created_at", "release_updated_at"
  ],
  "additionalProperties": false,
  "properties": {
    "release_tag": {"type": "string", "minLength": 1},
    "release_title": {"type": "string"},
    "release_description": {"type": "string"},
    "release_commit_sha": {"type": "string"},
    "release_created_at": {"type": "string"},
    "release_updated_at": {"type": "string"}
  }
}"#;

/// Seed 000, "List releases", 200 table: `status`, `database_owner`, `database_name`,
/// `next_page_token` (strings) and `releases`; a success says "Success". The elements are
/// [`DOLTHUB_SEED_RELEASE`]s (inserted where `items` is null).
const DOLTHUB_SEED_LIST: &str = r#"{
  "type": "object",
  "required": ["status", "releases"],
  "additionalProperties": false,
  "properties": {
    "status": {"enum": ["Success"]},
    "database_owner": {"type": "string"},
    "database_name": {"type": "string"},
    "next_page_token": {"type": "string"},
    "releases": {"type": "array", "items": null}
  }
}"#;

/// Seed 000, "Create a release", 200 table: `status` ("Success", as its example),
/// `database_owner`, `database_name`, then the six members of [`DOLTHUB_SEED_RELEASE`]
/// (merged in), and nothing else.
const DOLTHUB_SEED_CREATED: &str = r#"{
  "type": "object",
  "required": ["status", "database_owner", "database_name"],
  "additionalProperties": false,
  "properties": {
    "status": {"enum": ["Success"]},
    "database_owner": {"type": "string"},
    "database_name": {"type": "string"}
  }
}"#;

/// Seed 000, "Create a release", Request Body table: `title`, `commitSha`, `tag` required
/// strings, `description` a string, `createTagIfNotExists` a boolean.
const DOLTHUB_SEED_CREATE_BODY: &str = r#"{
  "type": "object",
  "required": ["title", "commitSha", "tag"],
  "properties": {
    "title": {"type": "string"},
    "commitSha": {"type": "string"},
    "tag": {"type": "string"},
    "description": {"type": "string"},
    "createTagIfNotExists": {"type": "boolean"}
  }
}"#;

/// What an error says in both documents (the seed's 400 examples and the spec's `example`s):
/// `status` "Error" and a `message` that says something.
const DOLTHUB_ERROR_WORDS: &str = r#"{
  "type": "object",
  "required": ["status", "message"],
  "properties": {
    "status": {"enum": ["Error"]},
    "message": {"type": "string", "minLength": 1}
  }
}"#;

/// A list as `GET /{owner}/{database}/releases` answers it: the spec's 200 schema, and the
/// seed's list with every element a release as the seed gives it.
pub fn dolthub_release_list(v: &Value) -> Result<(), String> {
    check("DoltHub release list", &dolthub().list, v)
}

/// The answer to `POST /{owner}/{database}/releases`: the spec's 200 schema and the seed's
/// create answer (the release's six members, `status`, `database_owner`, `database_name`).
pub fn dolthub_created_release(v: &Value) -> Result<(), String> {
    check("DoltHub created release", &dolthub().created, v)
}

/// A body for `POST /{owner}/{database}/releases`: the spec's `requestBody` (`tagName`,
/// `tagMessage`, `revisionType`, `revisionName` required) and the seed's table (`title`,
/// `commitSha`, `tag` required); a key that neither declares is reported.
pub fn dolthub_create_request(v: &Value) -> Result<(), String> {
    dolthub().create.check(v)
}

/// An error body: the spec's 400 schemas (of both operations), `status` "Error" and a
/// non-empty `message`.
pub fn dolthub_error(v: &Value) -> Result<(), String> {
    check("DoltHub error", &dolthub().error, v)
}

/// Like [`sentry_path`], against the spec's paths. Those are relative to the spec's server
/// (`https://www.dolthub.com/api/v1alpha1`), whose path a request must start with: it is
/// stripped first, as [`gitea_path`] strips `/api/v1`. The list also takes the query
/// parameter the seed's "List releases" table adds, `next_page_token` (the spec has none).
pub fn dolthub_path(method: &str, raw_path_and_query: &str) -> Result<(), String> {
    let d = dolthub();
    let Some(rest) = raw_path_and_query
        .strip_prefix(d.root.as_str())
        .filter(|r| r.starts_with('/'))
    else {
        return Err(format!(
            "{raw_path_and_query} is not under {}, the path of DoltHub's API server",
            d.root
        ));
    };
    check_path("DoltHub", &d.paths, method, rest)
}

struct DoltHub {
    /// The path of the spec's server URL (`/api/v1alpha1`).
    root: String,
    paths: Vec<PathOp>,
    list: Compiled,
    created: Compiled,
    error: Compiled,
    create: RequestBody,
}

fn dolthub() -> &'static DoltHub {
    static CELL: OnceLock<DoltHub> = OnceLock::new();
    CELL.get_or_init(|| {
        let spec = read_json(DOLTHUB_SPEC);
        let hand = |text: &str, what: &str| -> Value {
            serde_json::from_str(text)
                .unwrap_or_else(|e| panic!("the seed's {what} schema is not JSON: {e}"))
        };
        let op = |method: &str| {
            spec.pointer(&format!(
                "/paths/{}/{method}",
                DOLTHUB_RELEASES.replace('~', "~0").replace('/', "~1")
            ))
            .unwrap_or_else(|| panic!("{DOLTHUB_SPEC} has no {method} {DOLTHUB_RELEASES}"))
        };
        let json_schema = |method: &str, at: &str| {
            let raw = op(method)
                .pointer(&format!("{at}/content/application~1json/schema"))
                .unwrap_or_else(|| panic!("{DOLTHUB_SPEC}: no JSON schema at {method} {at}"));
            openapi_to_json_schema(raw)
        };
        let build = |s: Value, what: &str| Compiled::new(Draft::Draft4, true, s, what);

        let release = hand(DOLTHUB_SEED_RELEASE, "release");
        let mut seed_list = hand(DOLTHUB_SEED_LIST, "list");
        seed_list["properties"]["releases"]["items"] = release.clone();
        let mut seed_created = hand(DOLTHUB_SEED_CREATED, "created release");
        for (k, v) in release["properties"].as_object().into_iter().flatten() {
            seed_created["properties"][k] = v.clone();
        }
        if let (Some(req), Some(more)) = (
            seed_created["required"].as_array_mut(),
            release["required"].as_array(),
        ) {
            req.extend(more.iter().cloned());
        }

        let spec_body = json_schema("post", "/requestBody");
        let seed_body = hand(DOLTHUB_SEED_CREATE_BODY, "create body");
        let mut properties: Vec<String> = Vec::new();
        for s in [&spec_body, &seed_body] {
            for (k, _) in s["properties"].as_object().into_iter().flatten() {
                if !properties.contains(k) {
                    properties.push(k.clone());
                }
            }
        }

        let server = spec
            .pointer("/servers/0/url")
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("{DOLTHUB_SPEC} names no server"));
        let root = server
            .split_once("://")
            .and_then(|(_, rest)| rest.find('/').map(|i| rest[i..].trim_end_matches('/')))
            .unwrap_or_default()
            .to_owned();
        assert!(
            root.starts_with('/'),
            "{DOLTHUB_SPEC}: the server {server} has no path"
        );

        let mut paths = parse_paths(&spec, DOLTHUB_SPEC);
        for op in paths
            .iter_mut()
            .filter(|op| op.method == "GET" && op.display == DOLTHUB_RELEASES)
        {
            op.query.push("next_page_token".to_owned());
        }

        DoltHub {
            root,
            paths,
            list: build(
                json!({"allOf": [json_schema("get", "/responses/200"), seed_list]}),
                "release list",
            ),
            created: build(
                json!({"allOf": [json_schema("post", "/responses/200"), seed_created]}),
                "created release",
            ),
            error: build(
                json!({"allOf": [
                    json_schema("get", "/responses/400"),
                    json_schema("post", "/responses/400"),
                    hand(DOLTHUB_ERROR_WORDS, "error"),
                ]}),
                "error",
            ),
            create: RequestBody {
                forge: "DoltHub",
                name: "the create body (spec and seed)",
                schema: build(json!({"allOf": [spec_body, seed_body]}), "create body"),
                properties,
            },
        }
    })
}
