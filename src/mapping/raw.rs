//! The mapping file as written: serde structs that mirror the TOML and keep spans.
//!
//! Nothing here checks meaning; `compile` does that and reports every problem.

use indexmap::IndexMap;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use toml::Spanned;

pub type S<T> = Spanned<T>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MappingFile {
    pub dialect: S<DialectSection>,
    #[serde(default)]
    pub auth: Option<S<AuthSection>>,
    #[serde(default)]
    pub paging: Option<S<PagingSection>>,
    #[serde(default)]
    pub headers: IndexMap<S<String>, S<String>>,
    #[serde(default, rename = "route")]
    pub routes: Vec<S<RouteSection>>,
    #[serde(default)]
    pub shapes: IndexMap<S<String>, S<ShapeSection>>,
    pub errors: S<ErrorsSection>,
    /// Operation → why this forge cannot do it.
    #[serde(default)]
    pub unsupported: IndexMap<S<String>, S<String>>,
    #[serde(default)]
    pub graphql: Option<S<GraphqlSection>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DialectSection {
    pub name: S<String>,
    #[serde(default)]
    pub title: Option<String>,
    pub roots: Vec<S<String>>,
    #[serde(default)]
    pub ids: Option<S<String>>,
    /// The response header in which this forge names a request.
    #[serde(default)]
    pub request_id_header: Option<S<String>>,
    /// This forge's answers name its API in their bodies (a release's `url`,
    /// say): a pass-through rewrites them to the gateway's.
    #[serde(default)]
    pub urls_in_bodies: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSection {
    #[serde(default)]
    pub inbound: Vec<S<CredentialSlot>>,
    #[serde(default)]
    pub outbound: Option<S<CredentialSlot>>,
}

/// Where a token travels: a header (optionally behind a scheme word) or a query parameter.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialSlot {
    #[serde(default)]
    pub header: Option<S<String>>,
    #[serde(default)]
    pub scheme: Option<S<String>>,
    #[serde(default)]
    pub query: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PagingSection {
    pub style: S<String>,
    #[serde(default)]
    pub page_param: Option<S<String>>,
    #[serde(default)]
    pub per_page_param: Option<S<String>>,
    /// An older name of the per-page parameter, read from clients that send
    /// no `per_page_param`.
    #[serde(default)]
    pub per_page_fallback: Option<S<String>>,
    #[serde(default)]
    pub cursor_param: Option<S<String>>,
    #[serde(default)]
    pub default_per_page: Option<S<u64>>,
    #[serde(default)]
    pub max_per_page: Option<S<u64>>,
    #[serde(default)]
    pub page_header: Option<S<String>>,
    #[serde(default)]
    pub per_page_header: Option<S<String>>,
    #[serde(default)]
    pub next_header: Option<S<String>>,
    #[serde(default)]
    pub prev_header: Option<S<String>>,
    #[serde(default)]
    pub total_header: Option<S<String>>,
    #[serde(default)]
    pub last_header: Option<S<String>>,
    /// JSONPath of the next-page token in a list body (token style).
    #[serde(default)]
    pub next_token_path: Option<S<String>>,
    #[serde(default)]
    pub link: bool,
    /// `Link` always names the previous and the next page, each with
    /// `results="true|false"` and its `cursor`; the previous is rel="previous".
    #[serde(default)]
    pub link_results: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteSection {
    pub op: S<String>,
    pub method: S<String>,
    pub path: S<String>,
    #[serde(default)]
    pub request: Option<S<String>>,
    #[serde(default)]
    pub response: Option<S<String>>,
    /// JSONPath of the array in a list response; "$" for a top-level array.
    #[serde(default)]
    pub list: Option<S<String>>,
    #[serde(default)]
    pub status: Option<S<u16>>,
    #[serde(default)]
    pub location: Option<S<String>>,
    #[serde(default)]
    pub required: Vec<S<String>>,
    #[serde(default)]
    pub refuse: Vec<S<RefuseRule>>,
    /// Constant members written around the body (an envelope), e.g. a status word.
    #[serde(default)]
    pub envelope: IndexMap<S<String>, S<toml::Value>>,
    /// How a request for an asset's file is answered.
    #[serde(default)]
    pub download: Option<S<DownloadRule>>,
    /// A create route: the status this dialect answers, with the release, a
    /// create of a release that already exists.
    #[serde(default)]
    pub exists_status: Option<S<u16>>,
    /// An `about` route: the JSON the gateway answers with.
    #[serde(default)]
    pub answer: Option<S<String>>,
    /// An `upload` route: the file is the raw request body, and this query
    /// parameter names it.
    #[serde(default)]
    pub file_query: Option<S<String>>,
    /// An `upload` or `store` route: the file is sent as a multipart form,
    /// in this field (named by its file name).
    #[serde(default)]
    pub file_form: Option<S<String>>,
    /// `false`: a route clients of the dialect use that the forge does not
    /// serve where the gateway asks it (the forge takes it elsewhere).
    #[serde(default)]
    pub upstream: Option<S<bool>>,
    /// `false`: a route the gateway asks of an upstream of the dialect and
    /// does not serve its clients (they reach the same thing by another).
    #[serde(default)]
    pub served: Option<S<bool>>,
    /// A route the forge serves under other roots than its API's: API root
    /// → the root that stands in its place for this route, on the same
    /// host (an upload host beside the API, say).
    #[serde(default)]
    pub roots: IndexMap<S<String>, S<String>>,
    /// Where the upstream's URL ends with none of `roots`: the route is
    /// asked at the upstream's host of this name, where the config names
    /// one (`[upstream.hosts]`).
    #[serde(default)]
    pub host: Option<S<String>>,
    /// A `store` route: the URL a file the gateway holds for a link is
    /// given, a template of the asset (`{direct_path}` is the file's secret
    /// and name) and the context.
    #[serde(default)]
    pub held_url: Option<S<String>>,
}

/// `download = { accept = "…", status = 302, location = "url" }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DownloadRule {
    pub accept: S<String>,
    pub status: S<u16>,
    pub location: S<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefuseRule {
    pub field: S<String>,
    #[serde(default)]
    pub equals: Option<S<toml::Value>>,
    #[serde(default)]
    pub changed: bool,
    #[serde(default)]
    pub present: bool,
    pub reason: S<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShapeSection {
    pub kind: S<String>,
    #[serde(default)]
    pub missing: Option<S<String>>,
    pub fields: IndexMap<S<String>, S<FieldSpec>>,
}

/// A bare string or a table: a shape's field (a canonical field name, or
/// `{ field = "…", … }`), a GraphQL type's field (a member of the answer, or
/// `{ member = "…", same_as = "…" }`).
#[derive(Debug)]
pub enum StrOr<T> {
    Str(String),
    Table(Box<T>),
}

/// What a `StrOr` table is, for the message when a value is neither.
pub trait Described {
    const EXPECTING: &'static str;
}

/// A field of a shape.
pub type FieldSpec = StrOr<FieldTable>;

impl Described for FieldTable {
    const EXPECTING: &'static str = "a canonical field name or a table like { field = \"…\" }";
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldTable {
    #[serde(default)]
    pub field: Option<S<String>>,
    #[serde(default)]
    pub fallback: Option<S<String>>,
    /// When reading, a template that fills the field if the document lacks it.
    #[serde(default)]
    pub derive: Option<S<String>>,
    #[serde(default)]
    pub default: Option<S<toml::Value>>,
    #[serde(default, rename = "type")]
    pub ty: Option<S<String>>,
    #[serde(default)]
    pub nullable: bool,
    /// When reading, a record without the field (or with `null`) is refused.
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub template: Option<S<String>>,
    #[serde(default)]
    pub value: Option<S<toml::Value>>,
    #[serde(default)]
    pub null: bool,
    #[serde(default)]
    pub list: Option<S<String>>,
    #[serde(default)]
    pub shape: Option<S<String>>,
    #[serde(default)]
    pub array: Option<S<String>>,
    /// A template written as the only element of an array.
    #[serde(default)]
    pub in_array: bool,
    #[serde(default)]
    pub omit: Option<bool>,
    /// The number of records in these lists plus the fields among them that
    /// are present and not `null`, written as an integer.
    #[serde(default)]
    pub count: Option<S<Vec<S<String>>>>,
    /// `false`: the field is read from documents but never written.
    #[serde(default)]
    pub write: Option<S<bool>>,
    /// This dialect's words for the field's canonical values: each of its
    /// strings (the keys) and the canonical value it stands for.
    #[serde(default)]
    pub values: Option<S<IndexMap<String, toml::Value>>>,
    /// The text this dialect's string starts with, before the canonical value
    /// (`refs/tags/` before a tag's name).
    #[serde(default)]
    pub prefix: Option<S<String>>,
    /// A template (`{upstream}`, say): read, a string that is a path (it
    /// starts with one `/`) is this URL joined to it; written as it is.
    #[serde(default)]
    pub base: Option<S<String>>,
}

impl<'de, T: Deserialize<'de> + Described> Deserialize<'de> for StrOr<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de> + Described> Visitor<'de> for V<T> {
            type Value = StrOr<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str(T::EXPECTING)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<StrOr<T>, E> {
                Ok(StrOr::Str(v.to_owned()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<StrOr<T>, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(|t| StrOr::Table(Box::new(t)))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// `[graphql]`: a GraphQL endpoint whose queries read through this
/// dialect's own routes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GraphqlSection {
    /// Where it is served (whole paths, API roots not added).
    pub paths: Vec<S<String>>,
    /// The query's root field that names a project.
    pub project: S<GqlProject>,
    /// The project's fields, each read through a route.
    #[serde(default)]
    pub fields: IndexMap<S<String>, S<GqlField>>,
    /// The `type` of the error that says a project was not found.
    #[serde(default)]
    pub not_found_type: Option<S<String>>,
    /// Record types: each GraphQL field and the member of a route's answer it is.
    #[serde(default)]
    pub types: IndexMap<S<String>, S<GqlType>>,
    /// Between two sides of the dialect, queries are passed on to the
    /// upstream's own endpoint: API root → the GraphQL path that stands in
    /// its place (the first root the upstream's URL ends with).
    #[serde(default)]
    pub upstream: IndexMap<S<String>, S<String>>,
}

/// A GraphQL record type: each field, and the member of the answer it is.
pub type GqlType = IndexMap<S<String>, S<StrOr<GqlMember>>>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GqlProject {
    pub field: S<String>,
    #[serde(rename = "type")]
    pub ty: S<String>,
    /// GraphQL argument → path variable.
    pub args: IndexMap<S<String>, S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GqlField {
    pub op: S<String>,
    /// GraphQL argument → path variable.
    #[serde(default)]
    pub args: IndexMap<S<String>, S<String>>,
    /// The record type.
    #[serde(rename = "type")]
    pub ty: S<String>,
    /// A page of records, as a connection of this type name.
    #[serde(default)]
    pub connection: Option<S<String>>,
    /// Arguments taken only with this value (a GraphQL literal): what the
    /// route answers anyway.
    #[serde(default)]
    pub only: IndexMap<S<String>, S<String>>,
    /// Arguments (among `args`) whose string starts with this text, which
    /// the path variable goes without (`refs/tags/` before a tag's name).
    #[serde(default)]
    pub prefix: IndexMap<S<String>, S<String>>,
    /// Arguments with this value (a GraphQL literal) ask for the list in
    /// the reverse of the route's order (oldest first, say).
    #[serde(default)]
    pub reversed: IndexMap<S<String>, S<String>>,
}

/// A GraphQL field that is whether a record's `member` equals that of the
/// record another operation's route answers.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GqlMember {
    pub member: S<String>,
    pub same_as: S<String>,
}

impl Described for GqlMember {
    const EXPECTING: &'static str =
        "a member of the route's answer or a table like { member = \"…\", same_as = \"…\" }";
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorsSection {
    pub shape: S<String>,
    #[serde(default)]
    pub message_paths: Vec<S<String>>,
    #[serde(default)]
    pub status: IndexMap<S<String>, S<u16>>,
    #[serde(default)]
    pub shapes: IndexMap<S<String>, S<String>>,
    #[serde(default)]
    pub messages: IndexMap<S<String>, S<String>>,
    /// Constant members every error body carries (an envelope), e.g. a status word.
    #[serde(default)]
    pub envelope: IndexMap<S<String>, S<toml::Value>>,
    /// Upstream errors told apart by their message where the status is shared.
    #[serde(default)]
    pub by_message: Vec<S<ByMessage>>,
}

/// An upstream error of `kind`: answered with `status`, its message containing
/// `contains` (compared without case).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ByMessage {
    pub status: S<u16>,
    pub contains: S<String>,
    pub kind: S<String>,
}
