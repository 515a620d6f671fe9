//! JSON → canonical records, driven by a shape's compiled key trie.
//!
//! One walk of the document: keys the shape does not read are skipped without
//! building anything, and the values it does read are kept as borrowed JSON text.

use super::record::Record;
use crate::mapping::model::{Capture, Dialect, ReadNode, ShapeId, Ty};
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
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
pub fn read_record<'a>(d: &Dialect, shape: ShapeId, json: &'a str) -> Result<Record<'a>, ReadError> {
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
    let items: Vec<&'a RawValue> = serde_json::from_str(at).map_err(|_| ReadError::Shape {
        expected: "an array",
        at: display_path(path),
    })?;
    items.into_iter().map(|i| read_record(d, shape, i.get())).collect()
}

/// The JSON text at a plain member path, if present.
pub fn find<'a>(json: &'a str, path: &[String]) -> Result<Option<&'a str>, ReadError> {
    let mut cur = json;
    for key in path {
        let obj: Vec<(Key<'a>, &'a RawValue)> = match serde_json::from_str::<Members<'a>>(cur) {
            Ok(m) => m.0,
            Err(e) if e.is_syntax() || e.is_eof() => return Err(ReadError::Syntax(e)),
            Err(_) => return Ok(None),
        };
        match obj.into_iter().find(|(k, _)| k.0 == key.as_str()) {
            Some((_, v)) => cur = v.get(),
            None => return Ok(None),
        }
    }
    Ok(Some(cur))
}

fn display_path(path: &[String]) -> String {
    if path.is_empty() {
        "$".into()
    } else {
        format!("$.{}", path.join("."))
    }
}

fn read_node<'a>(d: &Dialect, node: &ReadNode, json: &'a str, rec: &mut Record<'a>) -> Result<(), ReadError> {
    let mut de = serde_json::Deserializer::from_str(json);
    NodeSeed { d, node, rec }.deserialize(&mut de)?;
    de.end()?;
    Ok(())
}

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
            let Some(child) = self.node.children.iter().find(|c| c.key == key.0) else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            let raw: &'de RawValue = map.next_value()?;
            apply(self.d, child, raw.get(), self.rec).map_err(de::Error::custom)?;
        }
        Ok(())
    }
}

fn apply<'a>(d: &Dialect, node: &ReadNode, json: &'a str, rec: &mut Record<'a>) -> Result<(), ReadError> {
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
            Capture::List { list, shape } => {
                if json == "null" {
                    continue;
                }
                let items: Vec<&'a RawValue> = serde_json::from_str(json).map_err(|_| ReadError::Shape {
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
        let Some(v) = rec.vals[c.field].as_deref() else { continue };
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
