//! Release identity: numeric id ↔ tag, for pairs where the client addresses
//! releases by number and the upstream by tag. Ids are deterministic (see
//! `canonical::synthetic_id`), so this cache only saves upstream listings; any
//! replica rebuilds it from the upstream alone.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

/// A bounded map (upstream project, id) → tag, oldest entries evicted first.
pub struct IdCache {
    cap: usize,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    map: HashMap<(String, u64), String>,
    order: VecDeque<(String, u64)>,
}

impl IdCache {
    pub fn new(cap: usize) -> Self {
        IdCache {
            cap: cap.max(1),
            inner: Mutex::new(Inner::default()),
        }
    }

    pub fn get(&self, project: &str, id: u64) -> Option<String> {
        let g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        g.map.get(&(project.to_owned(), id)).cloned()
    }

    pub fn insert(&self, project: &str, id: u64, tag: &str) {
        let mut g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let key = (project.to_owned(), id);
        if let Some(t) = g.map.get_mut(&key) {
            if t != tag {
                *t = tag.to_owned();
            }
            return;
        }
        while g.map.len() >= self.cap {
            match g.order.pop_front() {
                Some(old) => {
                    g.map.remove(&old);
                }
                None => break,
            }
        }
        g.order.push_back(key.clone());
        g.map.insert(key, tag.to_owned());
    }

    pub fn remove(&self, project: &str, id: u64) {
        let mut g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let key = (project.to_owned(), id);
        if g.map.remove(&key).is_some() {
            g.order.retain(|k| *k != key);
        }
    }

    pub fn len(&self) -> usize {
        self.inner
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .map
            .len()
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
    }
}
