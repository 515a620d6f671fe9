//! Release identity: numeric id ↔ tag, for pairs where the client addresses
//! releases by number and the upstream by tag. Ids are deterministic (see
//! `canonical::synthetic_id`), so this cache only saves upstream listings; any
//! replica rebuilds it from the upstream alone.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Arc, Mutex};

/// A bounded map (upstream project, id) → tag, oldest entries evicted first.
/// The gateway keeps two: release ids, and asset ids (the tag of the release
/// that holds the asset).
pub struct IdCache {
    cap: usize,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// Project → id → tag: found by `&str` and `u64`, without building a key.
    map: HashMap<Arc<str>, HashMap<u64, Box<str>, BuildHasherDefault<IdHasher>>>,
    /// Every entry, oldest first.
    order: VecDeque<(Arc<str>, u64)>,
}

/// Hashes a `u64` id with one folded multiply: ids are upstream numbers or
/// already hashes (synthesized), not chosen by clients.
#[derive(Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u64(&mut self, n: u64) {
        let m = u128::from(self.0 ^ n) * 0x9E37_79B9_7F4A_7C15;
        // High bits folded into low ones: ids that differ only high up do
        // not share a bucket.
        self.0 = (m as u64) ^ ((m >> 64) as u64);
    }
}

impl IdCache {
    pub fn new(cap: usize) -> Self {
        IdCache {
            cap: cap.max(1),
            inner: Mutex::new(Inner::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn get(&self, project: &str, id: u64) -> Option<String> {
        let g = self.lock();
        g.map.get(project)?.get(&id).map(|t| t.to_string())
    }

    pub fn insert(&self, project: &str, id: u64, tag: &str) {
        self.insert_all(project, [(id, tag)]);
    }

    /// Ids of one project and their tags, under one lock. A known id costs
    /// no allocation.
    pub fn insert_all<'t>(&self, project: &str, entries: impl IntoIterator<Item = (u64, &'t str)>) {
        let mut g = self.lock();
        let g = &mut *g;
        for (id, tag) in entries {
            if let Some(t) = g.map.get_mut(project).and_then(|m| m.get_mut(&id)) {
                if **t != *tag {
                    *t = tag.into();
                }
                continue;
            }
            while g.order.len() >= self.cap {
                let Some((p, old)) = g.order.pop_front() else {
                    break;
                };
                if let Some(m) = g.map.get_mut(&p) {
                    m.remove(&old);
                    if m.is_empty() {
                        g.map.remove(&p);
                    }
                }
            }
            let p = match g.map.get_key_value(project) {
                Some((p, _)) => p.clone(),
                None => Arc::from(project),
            };
            g.map.entry(p.clone()).or_default().insert(id, tag.into());
            g.order.push_back((p, id));
        }
    }

    pub fn remove(&self, project: &str, id: u64) {
        let mut g = self.lock();
        let Some(m) = g.map.get_mut(project) else {
            return;
        };
        if m.remove(&id).is_none() {
            return;
        }
        if m.is_empty() {
            g.map.remove(project);
        }
        g.order.retain(|(p, i)| !(*i == id && **p == *project));
    }

    pub fn len(&self) -> usize {
        self.lock().order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_and_evicts_oldest() {
        let c = IdCache::new(2);
        c.insert("p", 1, "a");
        c.insert("p", 2, "b");
        c.insert("p", 3, "c");
        assert_eq!(c.len(), 2);
        assert_eq!(c.get("p", 1), None);
        assert_eq!(c.get("p", 3).as_deref(), Some("c"));
        assert_eq!(c.get("q", 3), None);
        c.remove("p", 3);
        assert_eq!(c.get("p", 3), None);
        assert_eq!(c.len(), 1);
    }

    #[test]
    fn projects_are_apart_and_tags_updated() {
        let c = IdCache::new(3);
        c.insert_all("p", [(1, "a"), (2, "b")]);
        c.insert_all("q", [(1, "x")]);
        assert_eq!(c.get("p", 1).as_deref(), Some("a"));
        assert_eq!(c.get("q", 1).as_deref(), Some("x"));
        // Known: updated in place, nothing evicted.
        c.insert("p", 2, "b2");
        assert_eq!(c.len(), 3);
        assert_eq!(c.get("p", 2).as_deref(), Some("b2"));
        // New: the oldest goes.
        c.insert("q", 9, "z");
        assert_eq!(c.get("p", 1), None);
        assert_eq!(c.len(), 3);
        // Ids far apart in their high bits.
        let d = IdCache::new(100);
        for k in 0..64 {
            d.insert("p", 1 << k, "t");
        }
        assert_eq!(d.len(), 64);
        assert!((0..64).all(|k| d.get("p", 1 << k).is_some()));
    }
}
