//! JSON → canonical records, driven by a shape's compiled key trie.
//!
//! One walk of the document: keys the shape does not read are skipped without
//! building anything, and the values it does read are kept as borrowed JSON text.

use super::record::{json_text, Record};
use crate::mapping::model::{Capture, Dialect, ReadNode, ShapeId, Ty};
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("body is not valid JSON: {0}")]
    Syntax(#[from] serde_json::Error),
    #[error("expected {expected} at `{at}`")]
    Shape { expected: &'static str, at: String },
}

/// Reads one object with `shape`.
pub fn read_record<'a>(
    d: &Dialect,
    shape: ShapeId,
    json: &'a str,
) -> Result<Record<'a>, ReadError> {
    let s = d.shape(shape);
    let mut rec = Record::new(s.kind);
    read_node(d, &s.read, json, &mut rec)?;
    Ok(rec)
}

/// Reads the array found at `path` (empty: the document is the array).
pub fn read_list<'a>(
    d: &Dialect,
    shape: ShapeId,
    path: &[String],
    json: &'a str,
) -> Result<Vec<Record<'a>>, ReadError> {
    let at = find(json, path)?.ok_or_else(|| ReadError::Shape {
        expected: "an array",
        at: display_path(path),
    })?;
    if !at.trim_start().starts_with('[') {
        return Err(ReadError::Shape {
            expected: "an array",
            at: display_path(path),
        });
    }
    // One pass: elements are read as they are met, not split out first.
    let mut out = Vec::new();
    let mut de = serde_json::Deserializer::from_str(at);
    ListSeed {
        d,
        shape,
        out: &mut out,
    }
    .deserialize(&mut de)?;
    de.end()?;
    Ok(out)
}

/// The JSON text at a plain member path, if present.
pub fn find<'a>(json: &'a str, path: &[String]) -> Result<Option<&'a str>, ReadError> {
    let mut cur = json;
    for key in path {
        match member(cur, key)? {
            Some(v) => cur = v,
            None => return Ok(None),
        }
    }
    Ok(Some(cur))
}

/// The JSON text of one member of an object (`None` if absent or not an object).
pub fn member<'a>(json: &'a str, key: &str) -> Result<Option<&'a str>, ReadError> {
    let obj: Vec<(Key<'a>, &'a RawValue)> = match serde_json::from_str::<Members<'a>>(json) {
        Ok(m) => m.0,
        Err(e) if e.is_syntax() || e.is_eof() => return Err(ReadError::Syntax(e)),
        Err(_) => return Ok(None),
    };
    Ok(obj
        .into_iter()
        .find(|(k, _)| k.0 == key)
        .map(|(_, v)| v.get()))
}

fn display_path(path: &[String]) -> String {
    if path.is_empty() {
        "$".into()
    } else {
        format!("$.{}", path.join("."))
    }
}

/// Visitor methods that skip any value which is not the object being read:
/// a `null` or a scalar where an object was expected reads as absent.
macro_rules! skip_non_objects {
    () => {
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(())
        }
        fn visit_unit<E: de::Error>(self) -> Result<(), E> {
            Ok(())
        }
        fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
            Ok(())
        }
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
            Ok(())
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
            Ok(())
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
            Ok(())
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
            Ok(())
        }
    };
}

fn read_node<'a>(
    d: &Dialect,
    node: &ReadNode,
    json: &'a str,
    rec: &mut Record<'a>,
) -> Result<(), ReadError> {
    if !json.trim_start().starts_with('{') {
        return Err(ReadError::Shape {
            expected: "an object",
            at: if node.key.is_empty() {
                "$".into()
            } else {
                node.key.clone()
            },
        });
    }
    let mut de = serde_json::Deserializer::from_str(json);
    NodeSeed { d, node, rec }.deserialize(&mut de)?;
    de.end()?;
    Ok(())
}

/// Walks one object, descending into the members the trie names in the same
/// pass; anything that is not an object is skipped.
struct NodeSeed<'n, 'r, 'a> {
    d: &'n Dialect,
    node: &'n ReadNode,
    rec: &'r mut Record<'a>,
}

impl<'de> DeserializeSeed<'de> for NodeSeed<'_, '_, 'de> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<(), D::Error> {
        de.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for NodeSeed<'_, '_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<Key<'de>>()? {
            // Length and first byte first: most keys are not read at all.
            let k = key.0.as_bytes();
            let Some(child) = self.node.children.iter().find(|c| {
                c.key.len() == k.len()
                    && c.key.as_bytes().first() == k.first()
                    && c.key.as_bytes() == k
            }) else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            match child.captures.as_slice() {
                [] => map.next_value_seed(NodeSeed {
                    d: self.d,
                    node: child,
                    rec: &mut *self.rec,
                })?,
                caps if child.children.is_empty()
                    && caps.iter().all(|c| matches!(c, Capture::Select { .. })) =>
                {
                    map.next_value_seed(SelectSeed {
                        caps,
                        rec: &mut *self.rec,
                    })?
                }
                [Capture::List { list, shape }] if child.children.is_empty() => {
                    let mut items = Vec::new();
                    let present = map.next_value_seed(ListSeed {
                        d: self.d,
                        shape: *shape,
                        out: &mut items,
                    })?;
                    if present {
                        self.rec.lists[*list] = Some(items);
                    }
                }
                _ => {
                    let raw: &'de RawValue = map.next_value()?;
                    apply(self.d, child, raw.get(), self.rec).map_err(de::Error::custom)?;
                }
            }
        }
        Ok(())
    }

    skip_non_objects!();
}

/// Reads an array of objects into records, in the same pass. Yields whether
/// an array was there (`null` leaves the list absent).
struct ListSeed<'n, 'o, 'a> {
    d: &'n Dialect,
    shape: ShapeId,
    out: &'o mut Vec<Record<'a>>,
}

impl<'de> DeserializeSeed<'de> for ListSeed<'_, '_, 'de> {
    type Value = bool;
    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<bool, D::Error> {
        de.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ListSeed<'_, '_, 'de> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
        let s = self.d.shape(self.shape);
        loop {
            let mut rec = Record::new(s.kind);
            let seed = NodeSeed {
                d: self.d,
                node: &s.read,
                rec: &mut rec,
            };
            if seq.next_element_seed(seed)?.is_none() {
                return Ok(true);
            }
            self.out.push(rec);
        }
    }

    fn visit_unit<E: de::Error>(self) -> Result<bool, E> {
        Ok(false)
    }
}

/// Evaluates `Select` captures over an array in one pass: each element's
/// members that any capture needs are collected, then the captures matched.
struct SelectSeed<'n, 'r, 'a> {
    caps: &'n [Capture],
    rec: &'r mut Record<'a>,
}

impl<'de> DeserializeSeed<'de> for SelectSeed<'_, '_, 'de> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<(), D::Error> {
        de.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for SelectSeed<'_, '_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut members: Vec<(Key<'de>, &'de RawValue)> = Vec::with_capacity(4);
        loop {
            members.clear();
            let seed = WantedMembers {
                caps: self.caps,
                out: &mut members,
            };
            if seq.next_element_seed(seed)?.is_none() {
                return Ok(());
            }
            for cap in self.caps {
                let Capture::Select {
                    key,
                    equals,
                    path,
                    field,
                } = cap
                else {
                    continue;
                };
                if self.rec.vals[*field].is_some() {
                    continue;
                }
                let get = |k: &str| {
                    members
                        .iter()
                        .find(|(mk, _)| mk.0 == k)
                        .map(|(_, v)| v.get())
                };
                let Some(v) = get(key) else { continue };
                if !same_json_text(v, equals) {
                    continue;
                }
                let found = match path.split_first() {
                    None => Some(v),
                    Some((head, tail)) => get(head).and_then(|h| find(h, tail).ok().flatten()),
                };
                if let Some(found) = found {
                    self.rec.vals[*field] = Some(Cow::Borrowed(found));
                }
            }
        }
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
}

/// Whether two JSON scalars are equal. Equal text is equal; different text
/// can only be equal through escapes, so only then is anything unescaped.
fn same_json_text(a: &str, b: &str) -> bool {
    a == b
        || ((a.contains('\\') || b.contains('\\'))
            && a.starts_with('"') == b.starts_with('"')
            && json_text(a) == json_text(b))
}

/// Collects the members of one object that some `Select` capture reads.
struct WantedMembers<'n, 'o, 'a> {
    caps: &'n [Capture],
    out: &'o mut Vec<(Key<'a>, &'a RawValue)>,
}

impl<'de> DeserializeSeed<'de> for WantedMembers<'_, '_, 'de> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<(), D::Error> {
        de.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for WantedMembers<'_, '_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(k) = map.next_key::<Key<'de>>()? {
            let wanted = self.caps.iter().any(|c| match c {
                Capture::Select { key, path, .. } => {
                    *key == k.0 || path.first().is_some_and(|p| *p == k.0)
                }
                _ => false,
            });
            if wanted {
                let v = map.next_value::<&'de RawValue>()?;
                self.out.push((k, v));
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }

    skip_non_objects!();
}

fn apply<'a>(
    d: &Dialect,
    node: &ReadNode,
    json: &'a str,
    rec: &mut Record<'a>,
) -> Result<(), ReadError> {
    for cap in &node.captures {
        match cap {
            Capture::Field(i) => rec.vals[*i] = Some(Cow::Borrowed(json)),
            Capture::Query { query, field } => {
                let v: serde_json::Value = serde_json::from_str(json)?;
                if let Ok(found) = jsonpath_rust::query::js_path_process(query, &v) {
                    if let Some(first) = found.into_iter().next() {
                        rec.vals[*field] = Some(Cow::Owned(first.val().to_string()));
                    }
                }
            }
            Capture::Select {
                key,
                equals,
                path,
                field,
            } => {
                if let Some(v) = select(json, key, equals, path) {
                    rec.vals[*field] = Some(Cow::Borrowed(v));
                }
            }
            Capture::List { list, shape } => {
                if json == "null" {
                    continue;
                }
                let items: Vec<&'a RawValue> =
                    serde_json::from_str(json).map_err(|_| ReadError::Shape {
                        expected: "an array",
                        at: node.key.clone(),
                    })?;
                let mut out = Vec::with_capacity(items.len());
                for it in items {
                    out.push(read_record(d, *shape, it.get())?);
                }
                rec.lists[*list] = Some(out);
            }
        }
    }
    if !node.children.is_empty() && json.starts_with('{') {
        read_node(d, node, json, rec)?;
    }
    Ok(())
}

/// The value at `path` inside the first element of the array `json` whose
/// member `key` has the JSON text `equals` (compared as text once unescaped).
fn select<'a>(json: &'a str, key: &str, equals: &str, path: &[String]) -> Option<&'a str> {
    let items: Vec<&'a RawValue> = serde_json::from_str(json).ok()?;
    let want = json_text(equals);
    for it in items {
        let Ok(Some(v)) = member(it.get(), key) else {
            continue;
        };
        if v == equals || (v.starts_with('"') == equals.starts_with('"') && json_text(v) == want) {
            if let Ok(Some(found)) = find(it.get(), path) {
                return Some(found);
            }
        }
    }
    None
}

/// An object key, borrowed unless it contains escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
        }
        d.deserialize_str(V)
    }
}

struct Members<'a>(Vec<(Key<'a>, &'a RawValue)>);

impl<'de> de::Deserialize<'de> for Members<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Members<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members<'de>, A::Error> {
                let mut v = Vec::new();
                while let Some(k) = map.next_key::<Key<'de>>()? {
                    v.push((k, map.next_value::<&'de RawValue>()?));
                }
                Ok(Members(v))
            }
        }
        d.deserialize_map(V)
    }
}

/// A request field whose JSON type is not the declared one.
#[derive(Debug, PartialEq, Eq)]
pub struct TypeMismatch {
    pub field: usize,
    pub expected: Ty,
}

/// Checks the declared types of a shape against a record read with it.
pub fn check_types(d: &Dialect, shape: ShapeId, rec: &Record) -> Result<(), TypeMismatch> {
    for c in &d.shape(shape).checks {
        let Some(v) = rec.vals[c.field].as_deref() else {
            continue;
        };
        let first = v.as_bytes().first().copied().unwrap_or(b' ');
        let ok = match first {
            b'n' => c.nullable,
            b'"' => c.ty == Ty::String,
            b't' | b'f' => c.ty == Ty::Bool,
            b'-' | b'0'..=b'9' => c.ty == Ty::Int,
            _ => false,
        };
        if !ok {
            return Err(TypeMismatch {
                field: c.field,
                expected: c.ty,
            });
        }
    }
    Ok(())
}
