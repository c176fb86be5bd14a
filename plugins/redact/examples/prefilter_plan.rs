//! Chooses each built-in anchor's fingerprint (the three bytes of it the prefilter's vector
//! filter looks for) and bucket (1 of 15), so that ordinary text raises as few candidates as
//! possible, and writes them to `src/prefilter/plan.rs`.
//!
//!     cargo run --release -p sluice-plugin-redact --example prefilter_plan [FILES...]
//!
//! The training text is the repository's documentation and Rust sources (not this plugin's,
//! nor tests, which are full of anchors and fake secrets on purpose), the plugin's clean
//! throughput sample, and prose in the load generator's vocabulary (or the given files). The
//! plan only affects speed: any fingerprint inside its literal, in any bucket, finds the same
//! anchors. A fingerprint is the rarest three-byte window of its literal in the training text;
//! buckets are filled greedily (most frequent fingerprint first, into the bucket whose
//! candidate count grows least), then improved by moving single fingerprints.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sluice_plugin_redact::rules::{Gate, builtin};
use sluice_plugin_redact::samples;

/// Bucket 15 is the single-byte anchor's (`kernel::SINGLE_BUCKET`).
const BUCKETS: usize = 15;

/// A fingerprint: three byte sets (both cases of a letter for literals matched
/// case-insensitively).
type Print = [Vec<u8>; 3];

fn sets(lit: &str) -> Vec<Vec<u8>> {
    let raw = lit.trim_end_matches('$');
    let fold = !raw.bytes().any(|c| c.is_ascii_uppercase());
    raw.bytes()
        .map(|c| {
            if fold && c.is_ascii_alphabetic() {
                vec![c.to_ascii_lowercase(), c.to_ascii_uppercase()]
            } else {
                vec![c]
            }
        })
        .collect()
}

/// Per position: (low nibble, high nibble) bit of the byte, for fast set tests.
struct Text {
    lo: Vec<u16>,
    hi: Vec<u16>,
    bytes: Vec<u8>,
}

impl Text {
    fn new(bytes: Vec<u8>) -> Text {
        Text {
            lo: bytes.iter().map(|b| 1 << (b & 15)).collect(),
            hi: bytes.iter().map(|b| 1 << (b >> 4)).collect(),
            bytes,
        }
    }

    fn len(&self) -> usize {
        self.bytes.len().saturating_sub(2)
    }

    /// Positions where the window of exact byte sets occurs.
    fn count_exact(&self, w: &[Vec<u8>]) -> usize {
        (0..self.len())
            .filter(|&i| (0..3).all(|j| w[j].contains(&self.bytes[i + j])))
            .count()
    }
}

/// A bucket's nibble sets: per fingerprint byte, (low mask, high mask).
fn nibbles(prints: &[&Print]) -> [(u16, u16); 3] {
    let mut n = [(0u16, 0u16); 3];
    for p in prints {
        for (j, set) in p.iter().enumerate() {
            for &b in set {
                n[j].0 |= 1 << (b & 15);
                n[j].1 |= 1 << (b >> 4);
            }
        }
    }
    n
}

fn hits(t: &Text, n: &[(u16, u16); 3]) -> Vec<bool> {
    (0..t.len())
        .map(|i| (0..3).all(|j| n[j].0 & t.lo[i + j] != 0 && n[j].1 & t.hi[i + j] != 0))
        .collect()
}

fn training(root: &Path, files: &[PathBuf]) -> Vec<u8> {
    let mut out = Vec::new();
    if !files.is_empty() {
        for f in files {
            out.extend(std::fs::read(f).unwrap_or_else(|e| panic!("{}: {e}", f.display())));
            out.push(0);
        }
        return out;
    }
    let mut paths = Vec::new();
    fn walk(dir: &Path, paths: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
        entries.sort();
        for p in entries {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            if p.is_dir() {
                if !matches!(name, "target" | ".git" | "redaction" | "golden") {
                    walk(&p, paths);
                }
            } else if name.ends_with(".md") || name.ends_with(".rs") {
                paths.push(p);
            }
        }
    }
    walk(root, &mut paths);
    for p in paths {
        // The redaction plugin and the tests name anchors and fake secrets on purpose: leave
        // them out, they are not ordinary text.
        let name = p.strip_prefix(root).unwrap_or(&p).to_string_lossy();
        if name.starts_with("plugins/redact")
            || name.starts_with("tests/")
            || name.contains("/tests/")
        {
            continue;
        }
        out.extend(std::fs::read(&p).unwrap_or_default());
        out.push(0);
    }
    for s in samples::clean(256 << 10) {
        out.extend(s.as_bytes());
        out.push(0);
    }
    // Prose in the load generator's vocabulary (a support / coding assistant's words).
    let content = std::fs::read_to_string(root.join("loadgen/src/content.rs")).unwrap_or_default();
    if let Some(start) = content.find("VOCAB: &str = \"") {
        let rest = &content[start + 15..];
        let vocab: Vec<&str> = rest[..rest.find("\";").unwrap_or(0)]
            .split_whitespace()
            .filter(|w| *w != "\\")
            .collect();
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..40_000 {
            let w = vocab[(next() % vocab.len() as u64) as usize];
            out.extend(w.as_bytes());
            out.push(if next() % 12 == 0 { b'.' } else { b' ' });
        }
    }
    out
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the workspace root");
    let files: Vec<PathBuf> = std::env::args().skip(1).map(PathBuf::from).collect();
    let text = Text::new(training(&root, &files));
    eprintln!("training text: {} bytes", text.bytes.len());

    let mut literals: Vec<&'static str> = Vec::new();
    for rule in builtin() {
        if let Gate::Anchors(list) = rule.gate {
            for lit in list {
                if !literals.contains(lit) && lit.trim_end_matches('$').len() >= 3 {
                    literals.push(lit);
                }
            }
        }
    }
    // Fingerprint of each literal: its rarest window.
    let mut chosen: Vec<(&str, usize, Print)> = Vec::new();
    for lit in &literals {
        let s = sets(lit);
        let (_, fp) = (0..s.len() - 2)
            .map(|k| (text.count_exact(&s[k..k + 3]), k))
            .min()
            .expect("a literal of three bytes or more");
        chosen.push((
            lit,
            fp,
            [s[fp].clone(), s[fp + 1].clone(), s[fp + 2].clone()],
        ));
    }
    let mut distinct: Vec<Print> = Vec::new();
    for (_, _, p) in &chosen {
        if !distinct.contains(p) {
            distinct.push(p.clone());
        }
    }
    // Greedy: most frequent first, into the bucket that adds the fewest candidates.
    let single: Vec<usize> = distinct
        .iter()
        .map(|p| hits(&text, &nibbles(&[p])).iter().filter(|h| **h).count())
        .collect();
    let mut order: Vec<usize> = (0..distinct.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(single[i]));
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); BUCKETS];
    // Per position of the training text: the buckets whose filter passes there.
    let mut cover = vec![0u16; text.len()];
    let bucket_hits = |members: &[usize], extra: Option<usize>| -> Vec<bool> {
        let prints: Vec<&Print> = members
            .iter()
            .chain(extra.as_ref())
            .map(|&m| &distinct[m])
            .collect();
        if prints.is_empty() {
            vec![false; text.len()]
        } else {
            hits(&text, &nibbles(&prints))
        }
    };
    let set = |cover: &mut [u16], b: usize, h: &[bool]| {
        for (c, &x) in cover.iter_mut().zip(h) {
            *c = *c & !(1 << b) | u16::from(x) << b;
        }
    };
    let count = |cover: &[u16]| cover.iter().filter(|c| **c != 0).count();
    for &f in &order {
        let mut best: Option<(usize, usize, Vec<bool>)> = None;
        for (b, m) in members.iter().enumerate() {
            let h = bucket_hits(m, Some(f));
            let added = h
                .iter()
                .zip(&cover)
                .filter(|(x, c)| **x && **c == 0)
                .count();
            if best.as_ref().is_none_or(|(a, _, _)| added < *a) {
                best = Some((added, b, h));
            }
        }
        let (_, b, h) = best.expect("16 buckets");
        members[b].push(f);
        set(&mut cover, b, &h);
    }
    let greedy = count(&cover);
    // Improve: move one fingerprint to another bucket while that lowers the count.
    let mut total = greedy;
    let mut improved = true;
    while improved {
        improved = false;
        for f in 0..distinct.len() {
            let from = members.iter().position(|m| m.contains(&f)).expect("placed");
            let rest: Vec<usize> = members[from].iter().copied().filter(|&m| m != f).collect();
            let without = bucket_hits(&rest, None);
            for to in 0..BUCKETS {
                if to == from {
                    continue;
                }
                let with = bucket_hits(&members[to], Some(f));
                let mut trial = cover.clone();
                set(&mut trial, from, &without);
                set(&mut trial, to, &with);
                let n = count(&trial);
                if n < total {
                    total = n;
                    cover = trial;
                    members[from] = rest;
                    members[to].push(f);
                    improved = true;
                    break;
                }
            }
        }
    }
    eprintln!(
        "{} literals, {} fingerprints; candidates in the training text: greedy {:.3} %, final {:.3} %",
        literals.len(),
        distinct.len(),
        100.0 * greedy as f64 / text.len() as f64,
        100.0 * total as f64 / text.len() as f64
    );
    let bucket_of: BTreeMap<usize, usize> = members
        .iter()
        .enumerate()
        .flat_map(|(b, m)| m.iter().map(move |&f| (f, b)))
        .collect();
    let mut src = String::from(
        "//! Generated by `cargo run --release -p sluice-plugin-redact --example prefilter_plan`;\n\
         //! regenerate after changing the rules' anchors (`plan_covers_every_builtin_anchor`\n\
         //! fails until then). Only speed depends on it: see `examples/prefilter_plan.rs`.\n\n\
         /// `(literal as written in the rule tables, fingerprint offset, bucket)`.\n\
         pub const PLAN: &[(&str, u8, u8)] = &[\n",
    );
    for (lit, fp, p) in &chosen {
        let f = distinct.iter().position(|d| d == p).expect("distinct");
        src.push_str(&format!("    ({lit:?}, {fp}, {}),\n", bucket_of[&f]));
    }
    src.push_str("];\n");
    let out = root.join("plugins/redact/src/prefilter/plan.rs");
    std::fs::write(&out, src).expect("write plan.rs");
    eprintln!("wrote {}", out.display());
}
