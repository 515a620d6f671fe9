//! The reader's JSON scanner accepts exactly what `serde_json` accepts, on
//! seed bodies damaged in many ways.

use forgebridge::translate::scan::Scan;

fn skip(s: &str) -> Result<(), forgebridge::translate::scan::SyntaxError> {
    let mut sc = Scan::new(s);
    sc.skip_value()?;
    sc.end()
}

/// A seed release body, damaged at many places in many ways (a byte
/// dropped, replaced by a JSON-significant byte, the text cut short):
/// every variant is accepted exactly when `serde_json` accepts it.
#[test]
fn mutated_bodies_agree_with_serde_json() {
    let body = include_str!("fixtures/gitlab/get_release.json");
    let subs: &[u8] = b"\"\\{}[],:-+.0e9tfnu \t\x01\x7f";
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut tried = 0;
    for _ in 0..4000 {
        let mut v = body.as_bytes().to_vec();
        let at = (next() % v.len() as u64) as usize;
        match next() % 3 {
            0 => drop(v.remove(at)),
            1 => v[at] = subs[(next() % subs.len() as u64) as usize],
            _ => v.truncate(at),
        }
        let Ok(text) = std::str::from_utf8(&v) else {
            continue;
        };
        tried += 1;
        let ours = skip(text);
        let theirs = serde_json::from_str::<serde::de::IgnoredAny>(text);
        assert_eq!(
            ours.is_ok(),
            theirs.is_ok(),
            "{text}: {ours:?} vs {theirs:?}"
        );
    }
    assert!(tried > 3000, "{tried}");
}
