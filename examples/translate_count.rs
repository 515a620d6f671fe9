//! Runs one translation path N times, for instruction counts that do not depend
//! on machine noise:
//!
//! `valgrind --tool=callgrind target/release/examples/translate_count engine list20.json 200`
//! `valgrind --tool=callgrind target/release/examples/translate_count hand list20.json 200`
//!
//! (`bench/count` runs both and prints instructions per response.)

#[path = "../benches/common/mod.rs"]
mod common;

use common::{data, hand_written, mappings, Pair};
use http::HeaderMap;
use std::hint::black_box;

fn main() {
    let mut args = std::env::args().skip(1);
    let which = args.next().unwrap_or_else(|| "engine".into());
    let file = args.next().unwrap_or_else(|| "list20.json".into());
    let n: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(100);
    let body = data(&file);
    let pair = Pair::new(&mappings(), "github", "gitlab");
    let headers = HeaderMap::new();
    let mut bytes = 0;
    for _ in 0..n {
        let out = match which.as_str() {
            "hand" => hand_written(black_box(&body)),
            _ => pair.translate(black_box(&body), &headers),
        };
        bytes += black_box(out).len();
    }
    println!("{which} {file} x{n}: {bytes} bytes out");
}
