//! Files a client kept in a project (its dialect's `store`) for an upstream
//! that keeps files only in releases: held in memory until a link to one of
//! them names it (its dialect's `link`), which uploads it to the release.
//! Bounded in bytes and in time; nothing is written to disk.

use crate::canonical::ErrorKind;
use crate::error::GwError;
use bytes::Bytes;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// One held file.
#[derive(Clone, Debug)]
pub struct HeldFile {
    /// The upstream project it was kept in: only a link in that project
    /// takes it.
    pub project: String,
    pub name: String,
    pub media: http::HeaderValue,
    pub bytes: Bytes,
    at: Instant,
}

pub struct Held {
    files: Mutex<HashMap<String, HeldFile>>,
    max_bytes: usize,
    max_age: Duration,
}

impl Held {
    pub fn new(max_bytes: usize, max_age: Duration) -> Held {
        Held {
            files: Mutex::new(HashMap::new()),
            max_bytes,
            max_age,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, HeldFile>> {
        // A panic while holding the lock leaves the map consistent (every
        // change is one insert or remove).
        self.files.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Holds a file; its secret names it. Files held longer than the limit
    /// are let go first; a file that does not fit beside the others is the
    /// client's 413.
    pub fn hold(
        &self,
        project: &str,
        name: &str,
        media: http::HeaderValue,
        bytes: Bytes,
    ) -> Result<String, GwError> {
        let now = Instant::now();
        let secret = secret()?;
        let mut files = self.lock();
        files.retain(|_, f| now.duration_since(f.at) < self.max_age);
        let held: usize = files.values().map(|f| f.bytes.len()).sum();
        if held + bytes.len() > self.max_bytes {
            return Err(GwError::client(
                ErrorKind::PayloadTooLarge,
                format!(
                    "the gateway holds at most {} bytes of files not yet linked to a release ({held} now): link those, or wait until they are let go ({} s after each was kept)",
                    self.max_bytes,
                    self.max_age.as_secs()
                ),
            ));
        }
        files.insert(
            secret.clone(),
            HeldFile {
                project: project.to_owned(),
                name: name.to_owned(),
                media,
                bytes,
                at: now,
            },
        );
        Ok(secret)
    }

    /// The file a URL names (its secret is a segment of the URL's path),
    /// kept in `project` and held still.
    pub fn named_in(&self, url: &str, project: &str) -> Option<(String, HeldFile)> {
        let now = Instant::now();
        let files = self.lock();
        let path = url.split(['?', '#']).next().unwrap_or_default();
        path.split('/').find_map(|secret| {
            let f = files.get(secret)?;
            (f.project == project && now.duration_since(f.at) < self.max_age)
                .then(|| (secret.to_owned(), f.clone()))
        })
    }

    /// Lets a file go: it is in a release now.
    pub fn release(&self, secret: &str) {
        self.lock().remove(secret);
    }
}

/// 32 hex digits from the system's random source: no one can name a held
/// file without having been given its URL.
fn secret() -> Result<String, GwError> {
    use ring::rand::SecureRandom;
    let mut b = [0u8; 16];
    ring::rand::SystemRandom::new()
        .fill(&mut b)
        .map_err(|_| GwError::gateway(ErrorKind::Internal, "the system's random source failed"))?;
    let (hi, lo) = b.split_at(8);
    let word = |h: &[u8]| u64::from_be_bytes(h.try_into().unwrap_or_default());
    let digits: Vec<u8> = super::hex_digits(word(hi), 16)
        .chain(super::hex_digits(word(lo), 16))
        .collect();
    Ok(String::from_utf8_lossy(&digits).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text() -> http::HeaderValue {
        http::HeaderValue::from_static("text/plain")
    }

    #[test]
    fn a_file_is_found_by_its_secret_in_its_project_only() {
        let h = Held::new(100, Duration::from_secs(60));
        let s = h
            .hold("o/r", "a.txt", text(), Bytes::from_static(b"hi"))
            .unwrap();
        assert_eq!(s.len(), 32);
        let url = format!("https://gw.example/o/r/uploads/{s}/a.txt");
        let (found, f) = h.named_in(&url, "o/r").unwrap();
        assert_eq!(
            (found.as_str(), f.name.as_str(), &f.bytes[..]),
            (s.as_str(), "a.txt", &b"hi"[..])
        );
        let path = format!("/-/project/7/uploads/{s}/a.txt");
        assert!(h.named_in(&path, "o/r").is_some());
        assert!(h.named_in(&url, "o/other").is_none());
        assert!(h
            .named_in("https://gw.example/o/r/uploads/0123/a.txt", "o/r")
            .is_none());
        h.release(&s);
        assert!(h.named_in(&url, "o/r").is_none());
    }

    #[test]
    fn files_are_bounded_in_bytes_and_time() {
        let h = Held::new(4, Duration::from_secs(60));
        h.hold("o/r", "a", text(), Bytes::from_static(b"abc"))
            .unwrap();
        let e = h
            .hold("o/r", "b", text(), Bytes::from_static(b"de"))
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::PayloadTooLarge);
        let h = Held::new(4, Duration::ZERO);
        let s = h
            .hold("o/r", "a", text(), Bytes::from_static(b"abc"))
            .unwrap();
        assert!(h.named_in(&format!("/uploads/{s}/a"), "o/r").is_none());
        // Let go when the next file comes.
        h.hold("o/r", "b", text(), Bytes::from_static(b"de"))
            .unwrap();
    }
}
