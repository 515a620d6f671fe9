//! The compiled, immutable runtime of one dialect. Requests only read it.

use crate::canonical::{ErrorKind, Kind, Op};
use http::{HeaderName, Method};
use jsonpath_rust::parser::model::JpQuery;

pub type ShapeId = usize;

#[derive(Clone, Debug)]
pub struct Dialect {
    pub name: String,
    pub title: String,
    /// API roots, e.g. "" and "/api/v3"; the first is used to build upstream URLs.
    pub roots: Vec<String>,
    /// Releases carry no numeric id in this dialect: synthesize one from project + tag.
    pub synthesized_ids: bool,
    /// The response header in which this dialect's servers name a request
    /// (the mapping's `request_id_header`): clients of it get the gateway's
    /// request id there too, besides `X-Request-Id`.
    pub request_id_header: Option<HeaderName>,
    /// Answers name the forge's API in their bodies: a pass-through
    /// rewrites those URLs to the gateway's (`urls_in_bodies`).
    pub urls_in_bodies: bool,
    pub auth_in: Vec<CredentialSlot>,
    pub auth_out: Option<CredentialSlot>,
    pub paging: Option<Paging>,
    /// (header, canonical header index into `canonical::HEADER_NAMES`).
    pub headers: Vec<(HeaderName, usize)>,
    pub routes: Vec<Route>,
    /// Raw path (root included) → candidate routes for that path, one per method.
    pub router: matchit::Router<Vec<usize>>,
    pub shapes: Vec<Shape>,
    pub errors: Errors,
    /// Operations this forge cannot do, and why (`[unsupported]`): a client
    /// of another dialect asking for one is told the reason.
    pub unsupported: Vec<(Op, String)>,
    /// A GraphQL endpoint that reads through the routes above (`[graphql]`).
    pub graphql: Option<Graphql>,
}

/// A GraphQL endpoint: a query's root field names a project, the project's
/// fields read records through this dialect's own routes, and each record
/// field is a member of a route's answer.
#[derive(Clone, Debug)]
pub struct Graphql {
    pub paths: Vec<String>,
    /// The root field that names a project, its type, and its arguments as
    /// path variables.
    pub project: (String, String, Vec<(String, PathVar)>),
    pub fields: Vec<GqlField>,
    pub types: Vec<GqlType>,
    /// The `type` of the error that says a project was not found.
    pub not_found_type: Option<String>,
    /// (API root, GraphQL path): where an upstream of this dialect serves
    /// GraphQL, the path in place of the root its URL ends with. Between two
    /// sides of the dialect queries are passed on there; without any, they
    /// are read through the routes as for any upstream.
    pub upstream: Vec<(String, String)>,
}

#[derive(Clone, Debug)]
pub struct GqlField {
    pub name: String,
    /// Index into the dialect's routes.
    pub route: usize,
    pub args: Vec<(String, PathVar)>,
    /// A page of records, as a connection of this type name; else one
    /// record, `null` where the route answers 404.
    pub connection: Option<String>,
    /// Index into `Graphql::types`.
    pub record: usize,
    /// Arguments taken only with these values.
    pub only: Vec<(String, crate::translate::graphql::Value)>,
    /// Arguments (of `args`) taken only as strings with this beginning,
    /// which their path variable goes without.
    pub prefix: Vec<(String, String)>,
    /// Arguments with these values ask for a connection's list in the
    /// reverse of the route's order (read whole, then reversed).
    pub reversed: Vec<(String, crate::translate::graphql::Value)>,
}

#[derive(Clone, Debug)]
pub struct GqlType {
    pub name: String,
    pub fields: Vec<(String, GqlOut)>,
}

#[derive(Clone, Debug)]
pub enum GqlOut {
    /// A member of the route's answer (a path), a scalar.
    Member(Vec<String>),
    /// Whether the member equals that of what route `route` answers.
    SameAs { member: Vec<String>, route: usize },
}

#[derive(Clone, Debug)]
pub struct CredentialSlot {
    pub header: Option<HeaderName>,
    /// The header's name as the mapping file spells it (`header` is
    /// lowercase), for showing it to people.
    pub header_spelling: Option<String>,
    /// The word before the token, e.g. "Bearer"; compared case-insensitively.
    pub scheme: Option<String>,
    pub query: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PagingStyle {
    /// page + per_page numbers.
    Page,
    /// An opaque cursor handed out in `Link` headers.
    Cursor,
    /// An opaque next-page token in the list body.
    Token,
}

#[derive(Clone, Debug)]
pub struct Paging {
    pub style: PagingStyle,
    pub page_param: Option<String>,
    pub per_page_param: Option<String>,
    /// Read from clients when `per_page_param` is absent.
    pub per_page_fallback: Option<String>,
    pub cursor_param: Option<String>,
    pub default_per_page: Option<u64>,
    pub max_per_page: Option<u64>,
    pub page_header: Option<HeaderName>,
    pub per_page_header: Option<HeaderName>,
    pub next_header: Option<HeaderName>,
    pub prev_header: Option<HeaderName>,
    pub total_header: Option<HeaderName>,
    pub last_header: Option<HeaderName>,
    pub next_token_path: Option<Vec<String>>,
    pub link: bool,
    /// Every `Link` names both neighbours with `results` and `cursor`.
    pub link_results: bool,
}

#[derive(Clone, Debug)]
pub struct Route {
    pub op: Op,
    pub method: Method,
    pub path: PathTemplate,
    pub request: Option<ShapeId>,
    pub response: Option<ShapeId>,
    /// Where the array sits in a list body: empty = the body is the array.
    pub list: Option<Vec<String>>,
    pub status: u16,
    pub location: Option<Template>,
    /// Canonical release fields a request body must carry.
    pub required: Vec<usize>,
    pub refuse: Vec<Refuse>,
    /// Members written around a list body (JSON-encoded key, and value).
    pub envelope: Vec<(String, EnvelopeValue)>,
    /// Address of the release in the path, if any.
    pub key: ReleaseKeyVar,
    /// How a request for the file itself is answered (`asset` routes).
    pub download: Option<Download>,
    /// A create of a release that already exists is answered with this
    /// (successful) status and that release, not an error.
    pub exists_status: Option<u16>,
    /// An `about` route's answer (JSON, checked at load).
    pub answer: Option<bytes::Bytes>,
    /// Not a route of the forge's but the gateway's: a release read by tag
    /// is found in the forge's list (`list_lookup`). Never sent as such, and
    /// never matched against a request.
    pub found_in_list: bool,
    /// An `upload` route whose file is the raw request body: the query
    /// parameter that names it.
    pub file_query: Option<String>,
    /// An `upload` or `store` route whose file is sent as a multipart form:
    /// the form's field that holds it.
    pub file_form: Option<String>,
    /// Whether the gateway asks an upstream of the dialect through this
    /// route (else only its clients use it).
    pub upstream: bool,
    /// Whether clients of the dialect are served this route (else the
    /// gateway only asks it of an upstream of the dialect).
    pub served: bool,
    /// The mapping's `roots`: API root → the root that stands in its place
    /// for this route, on the same host. Clients are served the route under
    /// both.
    pub roots: Vec<(String, String)>,
    /// Set for an upstream (see [`Dialect::at_base`]): the path on the
    /// upstream's host this route is asked under, in place of the upstream
    /// URL's own path.
    pub host_root: Option<String>,
    /// The mapping's `host`: another host of the forge, by name, where the
    /// route is asked when no `roots` entry applies.
    pub host: Option<String>,
    /// Set for an upstream (see [`Dialect::at_base`]): the route is asked at
    /// the upstream's host of this name, which the config names.
    pub at_host: Option<String>,
    /// A `store` route's `held_url`: the URL a file the gateway holds for a
    /// link is given (see `translate::plan::held_record`).
    pub held_url: Option<Template>,
}

impl Route {
    /// The `get` route by tag of a forge that has none, emulated with its
    /// `list` route: the release is found in the list (see `found_in_list`).
    pub fn list_lookup(list: &Route) -> Route {
        Route {
            op: Op::Get,
            method: Method::GET,
            path: list.path.clone(),
            request: None,
            response: list.response,
            list: None,
            status: 200,
            location: None,
            required: Vec::new(),
            refuse: Vec::new(),
            envelope: Vec::new(),
            key: ReleaseKeyVar::Tag,
            download: None,
            exists_status: None,
            answer: None,
            found_in_list: true,
            file_query: None,
            file_form: None,
            upstream: true,
            served: false,
            roots: Vec::new(),
            host_root: None,
            host: None,
            at_host: None,
            held_url: None,
        }
    }
}

/// A request for an asset's file, rather than its record, answered with a
/// redirect to the file (a route's `download`).
#[derive(Clone, Debug)]
pub struct Download {
    /// The media type (lowercase) whose presence in `Accept` asks for the file.
    pub accept: String,
    /// The redirect's status (3xx).
    pub status: u16,
    /// The canonical asset field that holds the file's URL.
    pub field: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReleaseKeyVar {
    None,
    Id,
    Tag,
}

#[derive(Clone, Debug)]
pub struct Refuse {
    /// The canonical name the rule is about (a field or a child list).
    pub name: &'static str,
    pub check: RefuseCheck,
    pub reason: String,
}

#[derive(Clone, Debug)]
pub enum RefuseCheck {
    /// The request carries this JSON value (compact JSON text) in field .0.
    Equals(usize, String),
    /// The request carries a value in field .0 that differs from the
    /// addressed release's.
    Changed(usize),
    /// The request gives field .0 (not `null`).
    Present(usize),
    /// The request gives child list .0 with at least one element.
    Listed(usize),
}

/// Path variables a route may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathVar {
    /// The whole project path as one encoded segment.
    Project,
    /// All but the last segment of the project path.
    Owner,
    /// The last segment of the project path.
    Repo,
    Tag,
    Id,
    /// An asset's id.
    Asset,
}

impl PathVar {
    pub const NAMES: [&'static str; 6] = ["project", "owner", "repo", "tag", "id", "asset"];
    pub fn parse(s: &str) -> Option<PathVar> {
        Some(match s {
            "project" => PathVar::Project,
            "owner" => PathVar::Owner,
            "repo" => PathVar::Repo,
            "tag" => PathVar::Tag,
            "id" => PathVar::Id,
            "asset" => PathVar::Asset,
            _ => return None,
        })
    }
}

#[derive(Clone, Debug)]
pub enum PathPart {
    Lit(String),
    /// One segment, percent-encoded (a '/' in the value becomes %2F).
    Var(PathVar),
    /// The rest of the path; '/' in the value stays a separator.
    CatchAll(PathVar),
}

#[derive(Clone, Debug)]
pub struct PathTemplate {
    pub raw: String,
    pub parts: Vec<PathPart>,
}

impl PathTemplate {
    /// Whether the path has variable `v`.
    pub fn names(&self, v: PathVar) -> bool {
        self.parts
            .iter()
            .any(|x| matches!(x, PathPart::Var(y) | PathPart::CatchAll(y) if *y == v))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Missing {
    Null,
    Omit,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ty {
    Any,
    String,
    Int,
    Bool,
    /// A field spelled otherwise (`values`, `prefix`): written through
    /// `FieldOut::spelling`, off the path of the typed fields.
    Spelled,
}

#[derive(Clone, Debug)]
pub struct Shape {
    pub name: String,
    pub kind: Kind,
    pub read: ReadNode,
    pub write: Vec<WMember>,
    /// `write` lowered to straight-line steps, when no member can be omitted
    /// (so every comma is known at load): see [`lower_write`].
    pub program: Option<Vec<WStep>>,
    /// JSON key (as written by this shape) for each canonical field of the kind,
    /// used to name fields in validation errors.
    pub field_keys: Vec<Option<String>>,
    /// Declared types and required fields, checked on every record read with
    /// this shape: client request bodies and upstream answers.
    pub checks: Vec<FieldCheck>,
    /// (list index, element shape) of each list the shape reads, so that the
    /// records of a list are checked with their own shape.
    pub lists: Vec<(usize, ShapeId)>,
    /// Fields filled from a template after reading when the document lacks them.
    pub derive: Vec<(usize, Template)>,
    /// Fields read as a path below a template's URL (`base`): joined to it
    /// after reading, where the document gives a path.
    pub bases: Vec<(usize, Template)>,
}

impl Shape {
    /// How this shape names canonical field `field` in its documents: its
    /// JSON key, or the canonical name where the shape has none.
    pub fn key(&self, field: usize) -> &str {
        self.field_keys[field]
            .as_deref()
            .unwrap_or(self.kind.fields()[field])
    }
}

#[derive(Clone, Debug)]
pub struct FieldCheck {
    pub field: usize,
    pub ty: Ty,
    pub nullable: bool,
    /// Missing or `null` is an error (`required = true`).
    pub required: bool,
}

/// A trie of the object keys a shape reads: one walk of the JSON fills a record.
#[derive(Clone, Debug, Default)]
pub struct ReadNode {
    pub key: String,
    pub captures: Vec<Capture>,
    pub children: Vec<ReadNode>,
    /// Set by [`ReadNode::index`]: for each key length, the range of
    /// `children` (sorted by key length) whose keys are that long.
    pub by_len: Vec<(u32, u32)>,
    /// Set by [`ReadNode::index`]: how the member's value is read.
    pub how: ReadHow,
}

/// How a member the trie names is read, decided once at load.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ReadHow {
    /// No captures: only members below it are read.
    Descend,
    /// Only `Select` captures, nothing below.
    Select,
    /// One `List` capture, nothing below.
    List { list: usize, shape: ShapeId },
    /// One `Field` capture, nothing below.
    Field(usize),
    /// Anything else: the captures in turn, then the members below.
    #[default]
    Apply,
}

impl ReadNode {
    /// Sorts the children by key length and fills `by_len` and `how`, here
    /// and below. Keys are distinct, so their order changes nothing read.
    pub fn index(&mut self) {
        self.how = match self.captures.as_slice() {
            [] => ReadHow::Descend,
            caps if self.children.is_empty()
                && caps.iter().all(|c| matches!(c, Capture::Select { .. })) =>
            {
                ReadHow::Select
            }
            [Capture::List { list, shape }] if self.children.is_empty() => ReadHow::List {
                list: *list,
                shape: *shape,
            },
            [Capture::Field(i)] if self.children.is_empty() => ReadHow::Field(*i),
            _ => ReadHow::Apply,
        };
        self.children.sort_by_key(|c| c.key.len());
        let longest = self.children.last().map_or(0, |c| c.key.len());
        self.by_len = vec![(0, 0); longest + 1];
        for (i, c) in self.children.iter().enumerate() {
            let r = &mut self.by_len[c.key.len()];
            if r.0 == r.1 {
                r.0 = i as u32;
            }
            r.1 = i as u32 + 1;
        }
        for c in &mut self.children {
            c.index();
        }
    }

    /// The child named `key`, if any.
    #[inline]
    pub fn child(&self, key: &[u8]) -> Option<&ReadNode> {
        let &(lo, hi) = self.by_len.get(key.len())?;
        self.children
            .get(lo as usize..hi as usize)?
            .iter()
            .find(|c| same_key(c.key.as_bytes(), key))
    }
}

/// `a == b` for two keys of the same length, without a call to `memcmp` for
/// the short keys JSON documents mostly have: four to sixteen bytes are two
/// overlapping word compares.
#[inline]
pub fn same_key(a: &[u8], b: &[u8]) -> bool {
    debug_assert_eq!(a.len(), b.len());
    // Fixed-size array compares: each is one load and compare per side.
    match a.len() {
        8..=16 => {
            a.first_chunk::<8>() == b.first_chunk::<8>()
                && a.last_chunk::<8>() == b.last_chunk::<8>()
        }
        4..=7 => {
            a.first_chunk::<4>() == b.first_chunk::<4>()
                && a.last_chunk::<4>() == b.last_chunk::<4>()
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::same_key;

    #[test]
    fn same_key_is_equality() {
        let keys = [
            "",
            "a",
            "ab",
            "abc",
            "abcd",
            "abcdefg",
            "abcdefgh",
            "abcdefghijklmnop",
            "abcdefghijklmnopq",
        ];
        for k in keys {
            assert!(same_key(k.as_bytes(), k.as_bytes()));
            for i in 0..k.len() {
                let mut other = k.as_bytes().to_vec();
                other[i] ^= 1;
                assert!(!same_key(k.as_bytes(), &other), "{k} at {i}");
            }
        }
    }
}

#[derive(Clone, Debug)]
pub enum Capture {
    Field(usize),
    /// A JSONPath remainder run on the captured sub-document (parsed at load).
    Query {
        query: Box<JpQuery>,
        field: usize,
    },
    /// `[?(@.key == literal)].path`, lowered from JSONPath at load: the first
    /// array element whose `key` is `literal`, then a plain member path.
    Select {
        key: String,
        /// The literal as JSON text.
        equals: String,
        path: Vec<String>,
        field: usize,
    },
    List {
        list: usize,
        shape: ShapeId,
    },
    /// A field this dialect spells otherwise than canonically (`values`,
    /// `prefix`). A value the spelling does not fit is an error; `null`
    /// leaves the field missing.
    Spelled {
        field: usize,
        spelling: Box<Spelling>,
    },
}

/// How a dialect spells a field's canonical values, where not as they are.
#[derive(Clone, Debug)]
pub enum Spelling {
    /// In words (`values`): (this dialect's JSON, canonical JSON) pairs.
    Words(Box<[(String, String)]>),
    /// A string with a fixed beginning (`prefix`), plain text (no quote,
    /// backslash or control character): the canonical value is the rest.
    Prefix(String),
}

#[derive(Clone, Debug)]
pub struct WMember {
    /// `"key":` pre-encoded.
    pub key: String,
    pub value: WValue,
}

/// How a canonical field is written as a member's value.
#[derive(Clone, Debug)]
pub struct FieldOut {
    pub field: usize,
    pub fallback: Option<usize>,
    /// JSON text written when the field is missing.
    pub default: Option<String>,
    pub ty: Ty,
    /// A typed field that is not nullable treats `null` as missing.
    pub nullable: bool,
    /// A field this dialect spells otherwise (`values`, `prefix`), as
    /// `Capture::Spelled` reads it; a value the spelling cannot write is
    /// written as the default.
    pub spelling: Option<Box<Spelling>>,
}

#[derive(Clone, Debug)]
pub enum WValue {
    Object(Vec<WMember>),
    /// `omit`: a missing field without a default leaves the member out.
    Field {
        out: FieldOut,
        omit: bool,
    },
    /// A template's text; `in_array`: as the only element of an array.
    Template {
        t: Template,
        in_array: bool,
    },
    Const(String),
    List {
        list: usize,
        shape: ShapeId,
        omit: bool,
    },
    /// A one-element array: the same record written with another shape.
    Array(ShapeId),
    /// An integer: how many of these the record holds.
    Count(Box<[CountOf]>),
    /// An array of one object per element, in order; an element whose field
    /// is missing or `null` is left out.
    Elements(Vec<Element>),
}

/// What a `count` counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CountOf {
    /// One when the field is present and not `null`.
    Field(usize),
    /// The records of the list.
    List(usize),
}

/// An array element written from a `[?(@.key == literal)].path` key: an
/// object holding `key: literal` and the field at `path`.
#[derive(Clone, Debug)]
pub struct Element {
    /// `{"key":literal,"path":{"to":` pre-encoded.
    pub open: String,
    /// The braces that close `open`.
    pub close: String,
    pub out: FieldOut,
}

/// One step of a shape's lowered write program.
#[derive(Clone, Debug)]
pub enum WStep {
    /// Constant bytes: keys, punctuation, constant values and template
    /// literals, adjacent ones joined into one run.
    Bytes(Box<[u8]>),
    /// A field's value; never omitted.
    Field(FieldOut),
    /// A template variable, inside the string its template is written as
    /// (`default`: see `TPart::Var`).
    Var {
        var: TVar,
        segment: bool,
        default: Option<Box<str>>,
    },
    /// A list written as an array, `[]` when absent.
    List { list: usize, shape: ShapeId },
    /// The same record written with another shape.
    Rec(ShapeId),
    /// An integer counted from the record.
    Count(Box<[CountOf]>),
    /// An array of selected elements, each left out when its field is.
    Elements(Box<[Element]>),
}

/// Lowers a member tree to a write program; `None` when some member may be
/// omitted, so that whether a comma precedes a member is only known while writing.
pub fn lower_write(members: &[WMember]) -> Option<Vec<WStep>> {
    let mut steps = Vec::new();
    let mut bytes = Vec::new();
    lower_object(members, &mut steps, &mut bytes)?;
    flush(&mut steps, &mut bytes);
    Some(steps)
}

fn flush(steps: &mut Vec<WStep>, bytes: &mut Vec<u8>) {
    if !bytes.is_empty() {
        steps.push(WStep::Bytes(std::mem::take(bytes).into_boxed_slice()));
    }
}

fn lower_object(members: &[WMember], steps: &mut Vec<WStep>, bytes: &mut Vec<u8>) -> Option<()> {
    bytes.push(b'{');
    for (i, m) in members.iter().enumerate() {
        if i > 0 {
            bytes.push(b',');
        }
        bytes.extend_from_slice(m.key.as_bytes());
        match &m.value {
            WValue::Object(ms) => lower_object(ms, steps, bytes)?,
            WValue::Field { out, omit } => {
                if *omit && out.default.is_none() {
                    return None;
                }
                flush(steps, bytes);
                steps.push(WStep::Field(out.clone()));
            }
            WValue::Template { t, in_array } => {
                if *in_array {
                    bytes.push(b'[');
                }
                bytes.push(b'"');
                for part in &t.parts {
                    match part {
                        TPart::Lit(_, escaped) => bytes.extend_from_slice(escaped.as_bytes()),
                        TPart::Var {
                            var,
                            segment,
                            default,
                        } => {
                            flush(steps, bytes);
                            steps.push(WStep::Var {
                                var: *var,
                                segment: *segment,
                                default: default.clone(),
                            });
                        }
                    }
                }
                bytes.push(b'"');
                if *in_array {
                    bytes.push(b']');
                }
            }
            WValue::Const(j) => bytes.extend_from_slice(j.as_bytes()),
            WValue::List { list, shape, omit } => {
                if *omit {
                    return None;
                }
                flush(steps, bytes);
                steps.push(WStep::List {
                    list: *list,
                    shape: *shape,
                });
            }
            WValue::Array(shape) => {
                bytes.push(b'[');
                flush(steps, bytes);
                steps.push(WStep::Rec(*shape));
                bytes.push(b']');
            }
            WValue::Count(of) => {
                flush(steps, bytes);
                steps.push(WStep::Count(of.clone()));
            }
            WValue::Elements(els) => {
                flush(steps, bytes);
                steps.push(WStep::Elements(els.clone().into_boxed_slice()));
            }
        }
    }
    bytes.push(b'}');
    Some(())
}

#[derive(Clone, Debug)]
pub struct Template {
    pub parts: Vec<TPart>,
}

#[derive(Clone, Debug)]
pub enum TPart {
    /// Literal text, and the same text escaped for a JSON string.
    Lit(String, String),
    Var {
        var: TVar,
        segment: bool,
        /// For a field: the text written where the record lacks it (the
        /// `default` its shape writes for the field), else nothing.
        default: Option<Box<str>>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TVar {
    Field(usize),
    Api,
    /// The upstream's base URL as configured.
    Upstream,
    Owner,
    Repo,
    Project,
}

/// The value of an envelope member.
#[derive(Clone, Debug)]
pub enum EnvelopeValue {
    /// A constant (JSON text).
    Json(String),
    /// A string made from the request's context (`{owner}`, `{repo}`, …).
    Template(Template),
}

#[derive(Clone, Debug)]
pub struct Errors {
    pub shape: ShapeId,
    pub status: Vec<u16>,
    pub shapes: Vec<ShapeId>,
    pub messages: Vec<Option<String>>,
    pub message_paths: Vec<Vec<String>>,
    /// Upstream status → kind, first listing wins.
    pub decode: Vec<(u16, ErrorKind)>,
    /// (status, lowercase text, kind): an upstream error with that status
    /// whose message contains the text is of that kind (`by_message`).
    pub by_message: Vec<(u16, String, ErrorKind)>,
    pub envelope: Vec<(String, String)>,
}

impl Errors {
    pub fn status_of(&self, kind: ErrorKind) -> u16 {
        self.status[kind as usize]
    }
    pub fn shape_of(&self, kind: ErrorKind) -> ShapeId {
        self.shapes[kind as usize]
    }
    pub fn message_of(&self, kind: ErrorKind) -> Option<&str> {
        self.messages[kind as usize].as_deref()
    }
    pub fn kind_of_status(&self, status: u16) -> ErrorKind {
        if let Some((_, k)) = self.decode.iter().find(|(s, _)| *s == status) {
            return *k;
        }
        match status {
            401 => ErrorKind::Unauthorized,
            403 => ErrorKind::Forbidden,
            404 => ErrorKind::NotFound,
            409 => ErrorKind::AlreadyExists,
            413 => ErrorKind::PayloadTooLarge,
            429 => ErrorKind::RateLimited,
            500..=599 => ErrorKind::UpstreamError,
            _ => ErrorKind::BadRequest,
        }
    }
}

impl Dialect {
    pub fn shape(&self, id: ShapeId) -> &Shape {
        &self.shapes[id]
    }

    /// Whether the dialect's lists are paged by page number.
    pub fn pages_by_number(&self) -> bool {
        self.paging
            .as_ref()
            .is_some_and(|p| p.style == PagingStyle::Page)
    }

    /// The routes of `op` the gateway may ask an upstream of the dialect.
    pub fn routes_for(&self, op: Op) -> impl Iterator<Item = &Route> {
        self.routes.iter().filter(move |r| r.op == op && r.upstream)
    }

    /// The dialect as an upstream whose URL's path is `base_path` and whose
    /// other hosts the config names (`hosts`: name → URL), where some of its
    /// routes stand elsewhere: a route with `roots` is asked under the root
    /// that stands in place of the one the path ends with, on the same host;
    /// else a route with `host` at that host, where `hosts` names it; else
    /// it is not asked. `None` where no route stands elsewhere.
    pub fn at_base(&self, base_path: &str, hosts: &[(String, String)]) -> Option<Dialect> {
        let elsewhere = |r: &Route| !r.roots.is_empty() || r.host.is_some();
        if !self.routes.iter().any(elsewhere) {
            return None;
        }
        let mut d = self.clone();
        for r in d.routes.iter_mut().filter(|r| elsewhere(r)) {
            r.host_root = root_in_place(&r.roots, base_path);
            r.at_host = match (&r.host_root, &r.host) {
                (None, Some(h)) => hosts.iter().any(|(n, _)| n == h).then(|| h.clone()),
                _ => None,
            };
            r.upstream = r.upstream && (r.host_root.is_some() || r.at_host.is_some());
        }
        Some(d)
    }
}

/// For a URL whose path is `base_path`: the path that stands in place of the
/// API root it ends with, the first of `table` (API root → its stand-in)
/// that it does; `None` where it ends with none.
pub fn root_in_place(table: &[(String, String)], base_path: &str) -> Option<String> {
    let base = base_path.trim_end_matches('/');
    let (root, path) = table
        .iter()
        .find(|(root, _)| base.ends_with(root.as_str()))?;
    Some([&base[..base.len() - root.len()], path.as_str()].concat())
}
