//! The inputs of the throughput measurements, shared by the native example
//! (`examples/throughput.rs`) and the Wasm-versus-native benchmark of the host
//! (`host/benches/plugins.rs`, group `redact`), so both scan the same bytes.
//!
//! - **clean**: telemetry text without a secret: log lines with timestamps, ids and numbers,
//!   URLs, SQL, JSON and prose, in strings of four lines each (attribute values and log
//!   bodies are about that size).
//! - **prose**: what LLM prompts and answers mostly are: sentences in the vocabulary of a
//!   support / coding assistant (the load generator's), in strings of 2-4 KB.
//! - **dense**: every positive case of the quality corpus (`tests/redaction/corpus.jsonl`),
//!   one string each, repeated: about one secret per 140 bytes.
//!
//! Both are deterministic.

const CORPUS: &str = include_str!("../../../tests/redaction/corpus.jsonl");

const CLEAN_LINES: &[&str] = &[
    "2024-05-01T12:30:45.123Z INFO http request completed method=GET path=/api/v1/orders status=200 duration_ms=35",
    "The assistant summarised the quarterly report: revenue grew 12% while operating costs stayed flat across regions.",
    "{\"role\":\"user\",\"content\":\"Can you explain how the retry policy works when the upstream returns 503?\"}",
    "trace_id=4bf92f3577b34da6a3ce929d0e0e4736 span_id=00f067aa0ba902b7 sampled=true service=checkout",
    "GET https://api.example.com/v1/models/gpt-4o-2024-08-06/completions?stream=true&limit=50 HTTP/1.1",
    "deployed commit 9fceb02d0ae598e95dc970b74767f19372d61af8 to production in eu-west-1 after canary passed",
    "SELECT id, customer_id, total FROM orders WHERE created_at > $1 ORDER BY created_at DESC LIMIT 100",
    "Retrying request 3f2b8c1e-4d5a-4b6c-8d7e-9f0a1b2c3d4e in 250ms (attempt 3 of 5) after connection reset",
    "Users can export their dashboards as PDF or CSV; large exports are queued and delivered asynchronously.",
    "model=claude-3-5-sonnet-20241022 input_tokens=1843 output_tokens=512 cache_read_tokens=1024 latency=2.31s",
];

/// Clean strings of about `bytes` bytes in total.
pub fn clean(bytes: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut total = 0;
    let mut i = 0;
    while total < bytes {
        let s: String = (0..4)
            .map(|k| CLEAN_LINES[(i + k * 3) % CLEAN_LINES.len()])
            .collect::<Vec<_>>()
            .join("\n");
        total += s.len();
        out.push(s);
        i += 1;
    }
    out
}

/// Words of LLM prose: `loadgen/src/content.rs`'s vocabulary.
const VOCAB: &str = "the a to of and in is for that with on your this it can be you we are as \
    from by not or if when order invoice refund account customer billing subscription plan \
    upgrade cancel shipment tracking delivery address payment card error request response \
    timeout retry server client database query index table column latency deploy cluster \
    container function variable return value string integer list map async await thread lock \
    memory cache token model prompt context document section policy warranty product feature \
    release version configure install update check verify confirm explain summarize \
    translate compare analyze suggest because however therefore please thanks today \
    yesterday week month quickly carefully available expected missing duplicate pending \
    approved rejected";

/// A deterministic xorshift picker: each call gives an index below its argument, the same
/// sequence for the same seed (samples and tests must not change from run to run).
pub fn picker(mut seed: u64) -> impl FnMut(usize) -> usize {
    move |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    }
}

/// Prose strings of about `bytes` bytes in total.
pub fn prose(bytes: usize) -> Vec<String> {
    let words: Vec<&str> = VOCAB.split_whitespace().collect();
    let mut next = picker(0x9e37_79b9_7f4a_7c15);
    let mut out = Vec::new();
    let mut total = 0;
    while total < bytes {
        let len = 2048 + next(2048);
        let mut s = String::with_capacity(len + 128);
        while s.len() < len {
            let n = 6 + next(12);
            for i in 0..n {
                let w = words[next(words.len())];
                if i == 0 {
                    let mut c = w.chars();
                    s.extend(c.next().map(|c| c.to_ascii_uppercase()));
                    s.push_str(c.as_str());
                } else {
                    s.push(' ');
                    s.push_str(w);
                }
            }
            s.push_str(if next(10) == 0 { "? " } else { ". " });
        }
        total += s.len();
        out.push(s);
    }
    out
}

/// The corpus's positive texts (not the ones that are secret only because of their key).
pub fn positives() -> Vec<String> {
    CORPUS
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["group"] != "negative" && v["location"] != "key")
        .filter_map(|v| v["text"].as_str().map(str::to_string))
        .collect()
}

/// Secret-dense strings of at least `bytes` bytes in total: the positives, repeated.
pub fn dense(bytes: usize) -> Vec<String> {
    let positives = positives();
    let mut out = Vec::new();
    let mut total = 0;
    while total < bytes {
        for p in &positives {
            total += p.len();
            out.push(p.clone());
        }
    }
    out
}
