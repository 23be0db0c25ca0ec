//! Replays each target's seeds and regressions (and any local libFuzzer corpus), then a fixed
//! number of seeded mutations of them (`FUZZ_MUTATIONS`, default 100 000 per target): the
//! bounded, stable-toolchain run of the fuzz targets that `make test` does.

use std::path::{Path, PathBuf};

type Target = fn(&[u8]);

const TARGETS: [(&str, Target); 3] = [
    ("responses", ktrdr_tools_fuzz::responses),
    ("config", ktrdr_tools_fuzz::config),
    ("request_paths", ktrdr_tools_fuzz::request_paths),
];

/// The inputs kept for `target`: seeds, regressions and the local corpus.
fn inputs(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut found = Vec::new();
    for dir in ["seeds", "regressions", "corpus"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir).join(target)) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_file() {
                found.push((path.clone(), std::fs::read(&path).expect("readable input")));
            }
        }
    }
    found.sort();
    found
}

/// A small xorshift generator: the same mutations on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Bytes that matter to the parsers, spliced in by the mutations.
const TOKENS: [&[u8]; 14] = [
    b"{",
    b"}",
    b"[",
    b"]",
    b"\"",
    b":",
    b",",
    b"null",
    b"-1e999",
    b"\\u0000",
    b"%2F",
    b"..",
    b"\n",
    b"\xEF\xBB\xBF",
];

fn mutate(rng: &mut Rng, input: &[u8], other: &[u8]) -> Vec<u8> {
    let mut bytes = input.to_vec();
    for _ in 0..=rng.below(4) {
        let at = rng.below(bytes.len() + 1);
        match rng.below(6) {
            0 if !bytes.is_empty() => {
                let i = rng.below(bytes.len());
                bytes[i] ^= 1 << rng.below(8);
            }
            1 if !bytes.is_empty() => {
                let end = (at + rng.below(8)).min(bytes.len());
                bytes.drain(at.min(end)..end);
            }
            2 => bytes
                .splice(at..at, TOKENS[rng.below(TOKENS.len())].iter().copied())
                .for_each(drop),
            3 => bytes.truncate(at),
            4 => {
                let from = rng.below(other.len() + 1);
                bytes
                    .splice(at..at, other[from..].iter().copied())
                    .for_each(drop);
            }
            _ => bytes.insert(at, rng.next() as u8),
        }
    }
    bytes
}

#[test]
fn every_target_holds_on_its_inputs_and_their_mutations() {
    let mutations: usize = std::env::var("FUZZ_MUTATIONS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000);
    for (name, target) in TARGETS {
        let inputs = inputs(name);
        assert!(!inputs.is_empty(), "no seeds for {name}");
        for (path, bytes) in &inputs {
            let outcome = std::panic::catch_unwind(|| target(bytes));
            assert!(outcome.is_ok(), "{name} fails on {}", path.display());
        }
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for round in 0..mutations {
            let (_, input) = &inputs[rng.below(inputs.len())];
            let (_, other) = &inputs[rng.below(inputs.len())];
            let mutated = mutate(&mut rng, input, other);
            let outcome = std::panic::catch_unwind(|| target(&mutated));
            assert!(
                outcome.is_ok(),
                "{name} fails on mutation {round}: {:?}",
                String::from_utf8_lossy(&mutated)
            );
        }
    }
}
