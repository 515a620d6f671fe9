//! A canonical object while it is being translated: every value is kept as the
//! JSON text it arrived as, borrowed from the input where possible, so that
//! strings are copied without being unescaped and re-escaped.

use crate::canonical::Kind;
use std::borrow::Cow;

/// JSON text of one value; `None` when the source did not have it.
pub type Val<'a> = Option<Cow<'a, str>>;

#[derive(Clone, Debug, PartialEq)]
pub struct Record<'a> {
    pub kind: Kind,
    pub vals: Vec<Val<'a>>,
    /// One slot per `kind.lists()`, held in place: no kind has more than
    /// [`MAX_LISTS`], and a release read does not pay an allocation for them.
    pub lists: [Option<Vec<Record<'a>>>; MAX_LISTS],
}

/// The most child lists any kind has (checked by a test).
pub const MAX_LISTS: usize = 1;

impl<'a> Record<'a> {
    #[inline]
    pub fn new(kind: Kind) -> Self {
        // `resize_with` writes `None` in place; `vec![None; n]` clones it n times.
        let mut vals = Vec::with_capacity(kind.fields().len());
        vals.resize_with(kind.fields().len(), || None);
        Record {
            kind,
            vals,
            lists: Default::default(),
        }
    }

    /// The JSON text of a field, by canonical name. Panics on a name that is
    /// not a field of the kind: names are checked when mappings compile.
    pub fn json(&self, name: &str) -> Option<&str> {
        self.vals[self.idx(name)].as_deref()
    }

    fn idx(&self, name: &str) -> usize {
        match self.kind.field_index(name) {
            Some(i) => i,
            None => panic!("{name} is not a {} field", self.kind.name()),
        }
    }

    /// The text of a field: a JSON string unescaped, any other scalar as written.
    pub fn text(&self, name: &str) -> Option<Cow<'_, str>> {
        self.vals[self.idx(name)].as_deref().and_then(json_text)
    }

    pub fn set_json(&mut self, name: &str, json: String) {
        let i = self.idx(name);
        self.vals[i] = Some(Cow::Owned(json));
    }

    pub fn set_str(&mut self, name: &str, s: &str) {
        self.set_json(name, json_string(s));
    }

    pub fn into_owned(self) -> Record<'static> {
        Record {
            kind: self.kind,
            vals: self
                .vals
                .into_iter()
                .map(|v| v.map(|c| Cow::Owned(c.into_owned())))
                .collect(),
            lists: self
                .lists
                .map(|l| l.map(|v| v.into_iter().map(Record::into_owned).collect())),
        }
    }
}

/// Whether `json` has a text for [`json_text`]: a string or another scalar,
/// not empty, `null`, an object or an array.
pub fn has_text(json: &str) -> bool {
    !matches!(json.as_bytes().first(), None | Some(b'n' | b'{' | b'['))
}

/// Unescaped text of a JSON scalar; `None` for null, objects and arrays.
pub fn json_text(json: &str) -> Option<Cow<'_, str>> {
    if !has_text(json) {
        return None;
    }
    if !json.starts_with('"') {
        return Some(Cow::Borrowed(json));
    }
    let inner = &json[1..json.len().saturating_sub(1)];
    if inner.contains('\\') {
        serde_json::from_str::<String>(json).ok().map(Cow::Owned)
    } else {
        Some(Cow::Borrowed(inner))
    }
}

/// Whether two JSON scalars are the same value. Equal text is equal;
/// different text can only be equal through escapes, so only then is
/// anything unescaped.
pub fn same_scalar(a: &str, b: &str) -> bool {
    a == b
        || ((a.contains('\\') || b.contains('\\'))
            && a.starts_with('"') == b.starts_with('"')
            && json_text(a) == json_text(b))
}

pub fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    push_json_string(&mut out, s);
    out
}

/// Appends `s` as a JSON string literal.
pub fn push_json_string(out: &mut String, s: &str) {
    // serde_json's escaper is exact; writing into a String through it is infallible.
    let mut buf = Vec::with_capacity(s.len() + 2);
    escape_into(&mut buf, s);
    out.push_str(std::str::from_utf8(&buf).unwrap_or_default());
}

pub fn escape_into(out: &mut Vec<u8>, s: &str) {
    let _ = serde_json::to_writer(&mut *out, s);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kinds_lists_fit() {
        for k in Kind::ALL {
            assert!(k.lists().len() <= MAX_LISTS, "{}", k.name());
        }
    }

    #[test]
    fn text_of_json_scalars() {
        assert_eq!(json_text("\"a\\/b\\u0026\"").as_deref(), Some("a/b&"));
        assert_eq!(json_text("\"plain\"").as_deref(), Some("plain"));
        assert_eq!(json_text("42").as_deref(), Some("42"));
        assert_eq!(json_text("null"), None);
        assert_eq!(json_string("a\"b"), "\"a\\\"b\"");
    }
}
