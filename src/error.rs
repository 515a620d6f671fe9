//! The one error type of a request's life, and the one place it becomes a
//! response in the client's dialect.

use crate::canonical::{ErrorKind, Kind};
use crate::mapping::model::{Dialect, ShapeId};
use crate::translate::record::Record;
use crate::translate::write::{write_record, Ctx};
use std::fmt;

/// Which side of the gateway caused a failure; decides 4xx against 5xx and
/// whether the client dialect's own wording replaces the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// The client's request is wrong.
    Client,
    /// The upstream refused or failed.
    Upstream,
    /// The gateway itself (a route it does not serve, a limit it enforces).
    Gateway,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GwError {
    pub kind: ErrorKind,
    pub side: Side,
    pub message: String,
    /// Canonical release field the error is about, if any.
    pub field: Option<&'static str>,
    /// Seconds, passed on to the client as `Retry-After`.
    pub retry_after: Option<String>,
    /// Methods the path does allow, passed on as `Allow` (405 answers).
    pub allow: Option<String>,
}

impl GwError {
    pub fn new(kind: ErrorKind, side: Side, message: impl Into<String>) -> Self {
        GwError {
            kind,
            side,
            message: message.into(),
            field: None,
            retry_after: None,
            allow: None,
        }
    }

    pub fn client(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self::new(kind, Side::Client, message)
    }

    pub fn upstream(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self::new(kind, Side::Upstream, message)
    }

    pub fn gateway(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self::new(kind, Side::Gateway, message)
    }

    pub fn with_field(mut self, field: &'static str) -> Self {
        self.field = Some(field);
        self
    }

    /// Whether the request may be sent again unchanged.
    pub fn is_transient(&self) -> bool {
        matches!(
            self.kind,
            ErrorKind::UpstreamUnavailable | ErrorKind::UpstreamTimeout
        )
    }
}

impl fmt::Display for GwError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}): {}",
            self.kind.name(),
            side_name(self.side),
            self.message
        )
    }
}

impl std::error::Error for GwError {}

pub fn side_name(s: Side) -> &'static str {
    match s {
        Side::Client => "client",
        Side::Upstream => "upstream",
        Side::Gateway => "gateway",
    }
}

const VALIDATION: [ErrorKind; 3] = [
    ErrorKind::AlreadyExists,
    ErrorKind::MissingField,
    ErrorKind::Invalid,
];

/// An error as the client dialect shows it: status and JSON body.
pub fn encode_error(
    d: &Dialect,
    names_from: Option<ShapeId>,
    err: &GwError,
    ctx: &Ctx,
) -> (u16, Vec<u8>) {
    let status = d.errors.status_of(err.kind);
    let mut rec = Record::new(Kind::Error);
    let wording = d.errors.message_of(err.kind);
    match wording {
        // The dialect's own wording stands where clients compare messages;
        // what actually happened goes into the detail.
        Some(w) if err.side == Side::Upstream || VALIDATION.contains(&err.kind) => {
            rec.set_str("message", w);
            rec.set_str("detail", &err.message);
        }
        _ => rec.set_str("message", &err.message),
    }
    rec.set_str("status", &status.to_string());
    if let Some(f) = err.field {
        let key = names_from
            .and_then(|s| release_field_key(d, s, f))
            .or_else(|| {
                d.routes
                    .iter()
                    .filter_map(|r| r.request)
                    .find_map(|s| release_field_key(d, s, f))
            });
        rec.set_str("field", key.as_deref().unwrap_or(f));
    }
    if let Some(code) = validation_code(err.kind) {
        rec.set_str("code", code);
    }
    let mut out = Vec::with_capacity(160);
    let shape = d.errors.shape_of(err.kind);
    if d.errors.envelope.is_empty() {
        write_record(&mut out, d, shape, &rec, ctx);
    } else {
        let mut inner = Vec::new();
        write_record(&mut inner, d, shape, &rec, ctx);
        // Merge the envelope members in front of the error's own members.
        out.push(b'{');
        for (k, v) in &d.errors.envelope {
            out.extend_from_slice(k.as_bytes());
            out.push(b':');
            out.extend_from_slice(v.as_bytes());
            out.push(b',');
        }
        if inner.len() > 2 {
            out.extend_from_slice(&inner[1..]);
        } else {
            out.pop();
            out.push(b'}');
        }
    }
    (status, out)
}

fn release_field_key(d: &Dialect, shape: ShapeId, field: &str) -> Option<String> {
    let s = d.shape(shape);
    let i = s.kind.field_index(field)?;
    s.field_keys.get(i).cloned().flatten()
}

fn validation_code(k: ErrorKind) -> Option<&'static str> {
    match k {
        ErrorKind::AlreadyExists => Some("already_exists"),
        ErrorKind::MissingField => Some("missing_field"),
        ErrorKind::Invalid => Some("invalid"),
        _ => None,
    }
}
