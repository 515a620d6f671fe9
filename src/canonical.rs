//! The canonical release model every dialect maps to and from.
//!
//! Dialects never talk to each other directly: a mapping file says how its JSON
//! shapes correspond to the kinds and fields listed here. The field lists are the
//! whole vocabulary a mapping may use; `forgebridge check` rejects any other name.

use std::fmt;

/// What a route does, whatever the dialect calls it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    List,
    Get,
    Latest,
    Create,
    Update,
    Delete,
    /// The assets of one release, as a list.
    Assets,
    /// One asset, by its id; the path may name its release too.
    Asset,
    /// Deletes one asset, addressed as for `Asset`.
    DeleteAsset,
    /// Edits one asset (its name, say), addressed as for `Asset`: the
    /// request body is the asset's fields to change.
    UpdateAsset,
    /// Adds a file to a release as an asset: the request body is the file.
    Upload,
    /// Adds an asset to a release as a link to a file kept elsewhere: the
    /// request body is the asset (its name and URL).
    Link,
    /// Keeps a file in the project, outside any release: the request body is
    /// the file, the answer says where it is kept. An upstream without an
    /// `upload` takes a release's file so, then `link`s it to the release.
    Store,
    /// What the forge says of itself (its version, say), which clients ask
    /// before anything else: answered by the gateway from the mapping, or
    /// passed through between two sides of one dialect.
    About,
    /// One project (a repository): its name, default branch and visibility,
    /// which clients read before they address its releases.
    Project,
    /// One project found by its number (`{id}`), with the path it is
    /// addressed by elsewhere (its `path` field): how a project a client
    /// names by number is found where the upstream addresses projects by path.
    ProjectById,
    /// One git tag of a project, by its name: whether it exists, and the
    /// commit it names (release tools ask it before they release a tag).
    Tag,
}

impl Op {
    pub const ALL: [Op; 17] = [
        Op::List,
        Op::Get,
        Op::Latest,
        Op::Create,
        Op::Update,
        Op::Delete,
        Op::Assets,
        Op::Asset,
        Op::DeleteAsset,
        Op::UpdateAsset,
        Op::Upload,
        Op::Link,
        Op::Store,
        Op::About,
        Op::Project,
        Op::ProjectById,
        Op::Tag,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Op::List => "list",
            Op::Get => "get",
            Op::Latest => "latest",
            Op::Create => "create",
            Op::Update => "update",
            Op::Delete => "delete",
            Op::Assets => "assets",
            Op::Asset => "asset",
            Op::DeleteAsset => "delete_asset",
            Op::UpdateAsset => "update_asset",
            Op::Upload => "upload",
            Op::Link => "link",
            Op::Store => "store",
            Op::About => "about",
            Op::Project => "project",
            Op::ProjectById => "project_by_id",
            Op::Tag => "tag",
        }
    }

    pub fn parse(s: &str) -> Option<Op> {
        Op::ALL.into_iter().find(|op| op.name() == s)
    }

    /// Whether repeating the request can change state on the upstream.
    pub fn idempotent(self) -> bool {
        matches!(
            self,
            Op::List
                | Op::Get
                | Op::Latest
                | Op::Assets
                | Op::Asset
                | Op::About
                | Op::Project
                | Op::ProjectById
                | Op::Tag
        )
    }

    /// Whether the answer is a (paged) list.
    pub fn lists(self) -> bool {
        matches!(self, Op::List | Op::Assets)
    }

    /// Whether the operation addresses one release (by id or tag).
    pub fn addresses_one(self) -> bool {
        matches!(
            self,
            Op::Get | Op::Update | Op::Delete | Op::Assets | Op::Upload | Op::Link
        )
    }

    /// Whether the operation addresses one asset (by its id, `{asset}`).
    pub fn addresses_asset(self) -> bool {
        matches!(self, Op::Asset | Op::DeleteAsset | Op::UpdateAsset)
    }

    /// The kind of object a request body holds.
    pub fn asks(self) -> Kind {
        match self {
            Op::Link | Op::UpdateAsset => Kind::Asset,
            _ => Kind::Release,
        }
    }

    /// The kind of object the answer holds.
    pub fn answers(self) -> Kind {
        match self {
            Op::Assets
            | Op::Asset
            | Op::DeleteAsset
            | Op::UpdateAsset
            | Op::Upload
            | Op::Link
            | Op::Store => Kind::Asset,
            Op::Project | Op::ProjectById => Kind::Project,
            Op::Tag => Kind::Tag,
            _ => Kind::Release,
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A kind of canonical object, with its scalar fields and its lists of children.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Release,
    Asset,
    Error,
    Project,
    Tag,
}

impl Kind {
    pub const ALL: [Kind; 5] = [
        Kind::Release,
        Kind::Asset,
        Kind::Error,
        Kind::Project,
        Kind::Tag,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Release => "release",
            Kind::Asset => "asset",
            Kind::Error => "error",
            Kind::Project => "project",
            Kind::Tag => "tag",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == s)
    }

    pub fn fields(self) -> &'static [&'static str] {
        match self {
            Kind::Release => RELEASE_FIELDS,
            Kind::Asset => ASSET_FIELDS,
            Kind::Error => ERROR_FIELDS,
            Kind::Project => PROJECT_FIELDS,
            Kind::Tag => TAG_FIELDS,
        }
    }

    /// Child lists: (name, kind of the elements).
    pub fn lists(self) -> &'static [(&'static str, Kind)] {
        match self {
            Kind::Release => &[("assets", Kind::Asset)],
            Kind::Asset | Kind::Error | Kind::Project | Kind::Tag => &[],
        }
    }

    pub fn field_index(self, name: &str) -> Option<usize> {
        self.fields().iter().position(|f| *f == name)
    }

    pub fn list_index(self, name: &str) -> Option<usize> {
        self.lists().iter().position(|(n, _)| *n == name)
    }
}

/// Index of `id` in `RELEASE_FIELDS` (checked by a test).
pub const RELEASE_ID: usize = 0;
/// Index of `tag` in `RELEASE_FIELDS` (checked by a test).
pub const RELEASE_TAG: usize = 1;
/// Index of `id` in `ASSET_FIELDS` (checked by a test).
pub const ASSET_ID: usize = 0;

/// Release fields. `id` is the numeric id where the dialect has one (or the
/// synthesized one); `tag` is the git tag the release is attached to.
/// `generate_notes` and `discussion_category` are requests of a client's
/// (the forge writes the notes, opens a discussion), never an answer's.
pub const RELEASE_FIELDS: &[&str] = &[
    "id",
    "tag",
    "name",
    "body",
    "target",
    "commit_sha",
    "draft",
    "prerelease",
    "upcoming",
    "make_latest",
    "created_at",
    "published_at",
    "updated_at",
    "html_url",
    "tarball_url",
    "zipball_url",
    "author.id",
    "author.login",
    "author.name",
    "author.avatar_url",
    "author.html_url",
    "generate_notes",
    "discussion_category",
];

pub const ASSET_FIELDS: &[&str] = &[
    "id",
    "name",
    "label",
    "url",
    "direct_path",
    "link_type",
    "content_type",
    "size",
    "download_count",
    "state",
    "created_at",
    "updated_at",
];

/// Project fields. A client names a project by the path it asked by, which
/// its mapping writes from the request; `path` is the path the forge gives
/// (`owner/repo`), read where a project is found by its number. `owner.*` is
/// the user or group that holds it, `owner.kind` either `user` or
/// `organization`. `private` is true for any project not everybody can read.
pub const PROJECT_FIELDS: &[&str] = &[
    "id",
    "path",
    "description",
    "default_branch",
    "html_url",
    "clone_url",
    "ssh_url",
    "private",
    "archived",
    "created_at",
    "updated_at",
    "owner.id",
    "owner.kind",
    "owner.avatar_url",
    "owner.html_url",
];

/// Tag fields: `tag` is the tag's name, `sha` the commit it names, `message`
/// an annotated tag's message (`null` for a lightweight one).
pub const TAG_FIELDS: &[&str] = &["tag", "sha", "message"];

/// Error fields: `message` is what a person reads (the client dialect's own
/// wording where its mapping gives one), `detail` the specific cause; `field`,
/// `resource` and `code` say what was wrong for dialects with structured
/// validation errors.
pub const ERROR_FIELDS: &[&str] = &["message", "detail", "field", "resource", "code", "status"];

/// Why a request failed, independent of any dialect's status codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    BadRequest,
    Unauthorized,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    AlreadyExists,
    MissingField,
    Invalid,
    PayloadTooLarge,
    RateLimited,
    Unsupported,
    UpstreamError,
    UpstreamUnavailable,
    UpstreamTimeout,
    BadUpstreamResponse,
    Internal,
}

impl ErrorKind {
    pub const ALL: [ErrorKind; 16] = [
        ErrorKind::BadRequest,
        ErrorKind::Unauthorized,
        ErrorKind::Forbidden,
        ErrorKind::NotFound,
        ErrorKind::MethodNotAllowed,
        ErrorKind::AlreadyExists,
        ErrorKind::MissingField,
        ErrorKind::Invalid,
        ErrorKind::PayloadTooLarge,
        ErrorKind::RateLimited,
        ErrorKind::Unsupported,
        ErrorKind::UpstreamError,
        ErrorKind::UpstreamUnavailable,
        ErrorKind::UpstreamTimeout,
        ErrorKind::BadUpstreamResponse,
        ErrorKind::Internal,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::BadRequest => "bad_request",
            ErrorKind::Unauthorized => "unauthorized",
            ErrorKind::Forbidden => "forbidden",
            ErrorKind::NotFound => "not_found",
            ErrorKind::MethodNotAllowed => "method_not_allowed",
            ErrorKind::AlreadyExists => "already_exists",
            ErrorKind::MissingField => "missing_field",
            ErrorKind::Invalid => "invalid",
            ErrorKind::PayloadTooLarge => "payload_too_large",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::Unsupported => "unsupported",
            ErrorKind::UpstreamError => "upstream_error",
            ErrorKind::UpstreamUnavailable => "upstream_unavailable",
            ErrorKind::UpstreamTimeout => "upstream_timeout",
            ErrorKind::BadUpstreamResponse => "bad_upstream_response",
            ErrorKind::Internal => "internal",
        }
    }

    pub fn parse(s: &str) -> Option<ErrorKind> {
        ErrorKind::ALL.into_iter().find(|k| k.name() == s)
    }

    /// The status used when a dialect's mapping does not name one.
    pub fn default_status(self) -> u16 {
        match self {
            ErrorKind::BadRequest => 400,
            ErrorKind::Unauthorized => 401,
            ErrorKind::Forbidden => 403,
            ErrorKind::NotFound => 404,
            ErrorKind::MethodNotAllowed => 405,
            ErrorKind::AlreadyExists => 409,
            ErrorKind::MissingField | ErrorKind::Invalid => 422,
            ErrorKind::PayloadTooLarge => 413,
            ErrorKind::RateLimited => 429,
            ErrorKind::Unsupported => 501,
            ErrorKind::UpstreamError
            | ErrorKind::UpstreamUnavailable
            | ErrorKind::BadUpstreamResponse => 502,
            ErrorKind::UpstreamTimeout => 504,
            ErrorKind::Internal => 500,
        }
    }
}

/// Headers whose meaning is shared across dialects, under canonical names.
pub const HEADER_NAMES: &[&str] = &[
    "rate_limit.limit",
    "rate_limit.remaining",
    "rate_limit.reset",
    "rate_limit.used",
    "retry_after",
];

/// Variables a template may use besides the fields of its kind.
pub const CONTEXT_VARS: &[&str] = &["api", "upstream", "owner", "repo", "project"];

/// FNV-1a over project and tag, masked to 53 bits so that JavaScript clients
/// read it exactly. Stable across restarts, replicas and versions: never change it.
pub fn synthetic_id(project: &str, tag: &str) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut h = OFFSET;
    for b in project.bytes().chain(std::iter::once(0)).chain(tag.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(PRIME);
    }
    let id = h & ((1u64 << 53) - 1);
    if id == 0 {
        1
    } else {
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthetic_ids_are_stable_and_js_safe() {
        // Pinned values: a change here breaks every id a client has stored.
        assert_eq!(
            synthetic_id("group/proj", "v1.0"),
            synthetic_id("group/proj", "v1.0")
        );
        assert_ne!(
            synthetic_id("group/proj", "v1.0"),
            synthetic_id("group/proj", "v1.1")
        );
        assert_ne!(synthetic_id("a/b", "c"), synthetic_id("a", "b/c"));
        for tag in ["v1", "release/1.0", "v1.0+build", ""] {
            let id = synthetic_id("x/y", tag);
            assert!(id > 0 && id < (1u64 << 53), "{id}");
        }
        assert_eq!(synthetic_id("demo/hello", "v1.0.0"), 2_313_986_270_339_378);
    }

    #[test]
    fn field_constants_match_the_list() {
        assert_eq!(Kind::Release.field_index("id"), Some(RELEASE_ID));
        assert_eq!(Kind::Release.field_index("tag"), Some(RELEASE_TAG));
        assert_eq!(Kind::Asset.field_index("id"), Some(ASSET_ID));
    }

    #[test]
    fn names_round_trip() {
        for op in Op::ALL {
            assert_eq!(Op::parse(op.name()), Some(op));
        }
        for k in ErrorKind::ALL {
            assert_eq!(ErrorKind::parse(k.name()), Some(k));
        }
    }
}
