//! Mapping files: load → compile → an immutable runtime per dialect.
//!
//! A mapping file describes one forge's release API: its routes, its JSON shapes
//! in terms of the canonical model, its paging, auth and error conventions.

pub mod compile;
pub mod diag;
pub mod keys;
pub mod model;
pub mod raw;

pub use diag::Diagnostic;
pub use model::Dialect;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

/// Every dialect found in a mappings directory, by name.
#[derive(Debug, Default)]
pub struct Mappings {
    pub dialects: BTreeMap<String, Arc<Dialect>>,
}

impl Mappings {
    pub fn get(&self, name: &str) -> Option<&Arc<Dialect>> {
        self.dialects.get(name)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.dialects.keys().map(String::as_str)
    }

    /// Loads every `*.toml` in `dir` (sorted), reporting all problems of all files.
    pub fn load_dir(dir: &Path) -> Result<Mappings, Vec<Diagnostic>> {
        let entries = std::fs::read_dir(dir).map_err(|e| {
            vec![io_diag(
                dir,
                &format!("cannot read the mappings directory: {e}"),
            )]
        })?;
        let mut files: Vec<_> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        files.sort();
        let mut sources = Vec::new();
        for f in files {
            match std::fs::read_to_string(&f) {
                Ok(s) => sources.push((f.display().to_string(), s)),
                Err(e) => return Err(vec![io_diag(&f, &format!("cannot read: {e}"))]),
            }
        }
        Self::from_sources(sources.iter().map(|(n, s)| (n.as_str(), s.as_str())))
    }

    pub fn from_sources<'a>(
        sources: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Mappings, Vec<Diagnostic>> {
        let mut out = Mappings::default();
        let mut errors = Vec::new();
        let mut defined_in: BTreeMap<String, &str> = BTreeMap::new();
        for (file, src) in sources {
            match compile::compile_source(file, src) {
                Ok(d) => {
                    if let Some(first) = defined_in.get(&d.name) {
                        // Point at this file's `name = "…"`.
                        let span = toml::from_str::<raw::MappingFile>(src)
                            .map_or(0..0, |r| r.dialect.get_ref().name.span());
                        errors.push(diag::locate(
                            file,
                            src,
                            span,
                            "dialect name already used".into(),
                            Some(format!(
                                "{first} defines `{}` too; each mapping file needs its own name",
                                d.name
                            )),
                        ));
                    } else {
                        defined_in.insert(d.name.clone(), file);
                        out.dialects.insert(d.name.clone(), Arc::new(d));
                    }
                }
                Err(mut e) => errors.append(&mut e),
            }
        }
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(errors)
        }
    }
}

fn io_diag(p: &Path, msg: &str) -> Diagnostic {
    Diagnostic {
        file: p.display().to_string(),
        line: 0,
        column: 0,
        text: String::new(),
        message: msg.to_owned(),
        hint: None,
    }
}
