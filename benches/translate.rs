//! Translation alone, in process: upstream list bytes → client list bytes, as the
//! gateway does it for one response (records, ids, paging headers), against a
//! hand-written serde mapping of the same pair with borrowed `&RawValue` leaves
//! that produces the same bytes, and a generic `serde_json::Value` round trip.
//!
//! Data: `bench/gen_data.py` (run automatically into `bench/out/data`).

mod common;

use common::{data, hand_written, mappings, Pair};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use http::HeaderMap;
use std::hint::black_box;

// ---------------------------------------------------------------- benches

fn benches(c: &mut Criterion) {
    let maps = mappings();
    let gh_from_gl = Pair::new(&maps, "github", "gitlab");
    let gl_from_gh = Pair::new(&maps, "gitlab", "github");
    let headers = HeaderMap::new();
    for n in [1usize, 20, 100] {
        let gl = data(&format!("list{n}.json"));
        let engine = gh_from_gl.translate(&gl, &headers);
        let hand = hand_written(&gl);
        assert_eq!(
            String::from_utf8_lossy(&engine),
            String::from_utf8_lossy(&hand),
            "the hand-written mapping must produce the gateway's bytes"
        );
        // The GitHub-shaped list, as a GitHub upstream would send it.
        let gh = engine;

        let mut g = c.benchmark_group(format!("list{n}"));
        g.throughput(Throughput::Bytes(gl.len() as u64));
        g.bench_with_input(
            BenchmarkId::new("gitlab_to_github", gl.len()),
            &gl,
            |b, gl| b.iter(|| black_box(gh_from_gl.translate(black_box(gl), &headers))),
        );
        g.bench_with_input(
            BenchmarkId::new("hand_written_serde", gl.len()),
            &gl,
            |b, gl| b.iter(|| black_box(hand_written(black_box(gl)))),
        );
        g.bench_with_input(
            BenchmarkId::new("generic_value_roundtrip", gl.len()),
            &gl,
            |b, gl| {
                b.iter(|| {
                    let v: serde_json::Value = serde_json::from_slice(black_box(gl)).expect("json");
                    black_box(serde_json::to_vec(&v).expect("json"))
                })
            },
        );
        g.throughput(Throughput::Bytes(gh.len() as u64));
        g.bench_with_input(
            BenchmarkId::new("github_to_gitlab", gh.len()),
            &gh,
            |b, gh| b.iter(|| black_box(gl_from_gh.translate(black_box(gh), &headers))),
        );
        g.finish();
    }
}

criterion_group!(translate, benches);
criterion_main!(translate);
