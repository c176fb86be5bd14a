//! `sluice plugins`: fetches `/plugins` from a running sluice's admin endpoint and prints
//! the chain as a table.

use super::status::ChainView;
use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use std::fmt::Write;
use std::net::SocketAddr;
use std::time::Duration;

/// Why the chain could not be fetched.
#[derive(Debug, thiserror::Error)]
pub enum ListingError {
    /// No answer from the admin endpoint.
    #[error(
        "cannot reach sluice's admin endpoint at {address}: {reason} (is `sluice run` running, and is `[admin] address` right?)"
    )]
    Unreachable {
        /// Where we asked.
        address: SocketAddr,
        /// Why it failed.
        reason: String,
    },
    /// An answer that is not a chain listing.
    #[error("{address}/plugins answered {status}: {body}")]
    BadAnswer {
        /// Where we asked.
        address: SocketAddr,
        /// The HTTP status.
        status: u16,
        /// What it said (or the parse error).
        body: String,
    },
}

/// GETs `http://{admin}/plugins`.
pub async fn fetch(admin: SocketAddr) -> Result<ChainView, ListingError> {
    let unreachable = |reason: String| ListingError::Unreachable {
        address: admin,
        reason,
    };
    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
    let uri: http::Uri = format!("http://{admin}/plugins")
        .parse()
        .map_err(|e: http::uri::InvalidUri| unreachable(e.to_string()))?;
    let response = tokio::time::timeout(Duration::from_secs(10), client.get(uri))
        .await
        .map_err(|_| unreachable("no answer within 10 s".into()))?
        .map_err(|e| unreachable(e.to_string()))?;
    let status = response.status().as_u16();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| unreachable(e.to_string()))?
        .to_bytes();
    let bad = |body: String| ListingError::BadAnswer {
        address: admin,
        status,
        body,
    };
    if status != 200 {
        return Err(bad(String::from_utf8_lossy(&body).into_owned()));
    }
    serde_json::from_slice(&body).map_err(|e| bad(e.to_string()))
}

/// The chain as a table, then the last reload; `now` (ms since the epoch) dates the loads.
pub fn render(view: &ChainView, now: u64) -> String {
    let mut out = format!("generation {}\n", view.generation);
    let header = [
        "#", "STAGE", "PLUGIN", "VERSION", "SOURCE", "SHA256", "LOADED", "CALLS", "FAILURES", "P99",
    ];
    let rows: Vec<[String; 10]> = view
        .stages
        .iter()
        .map(|s| {
            [
                s.order.to_string(),
                s.stage.clone(),
                s.plugin.clone(),
                s.version.clone(),
                s.source.clone(),
                s.sha256.chars().take(12).collect(),
                age(now.saturating_sub(s.loaded_at_ms)),
                s.calls.to_string(),
                s.failures.to_string(),
                s.p99_us
                    .map_or("-".into(), |us| format!("<={}", micros(us))),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut l = String::new();
        for (cell, w) in cells.iter().zip(widths) {
            let _ = write!(l, "{cell:<w$}  ");
        }
        l.trim_end().to_string() + "\n"
    };
    out.push_str(&line(header.to_vec()));
    for row in &rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    if view.stages.is_empty() {
        out.push_str("(no stages: records pass through unchanged)\n");
    }
    if let Some(r) = &view.last_reload {
        let _ = writeln!(
            out,
            "last reload: {} ({} ms, generation {})",
            r.outcome, r.took_ms, r.generation
        );
        for refusal in &r.refused {
            let _ = writeln!(out, "  refused {}: {}", refusal.file, refusal.reason);
        }
        for note in &r.needs_restart {
            let _ = writeln!(out, "  needs a restart: {note}");
        }
    }
    for f in &view.ignored {
        let _ = writeln!(out, "ignored (not NN-name.wasm/.toml): {f}");
    }
    out
}

fn age(ms: u64) -> String {
    let s = ms / 1000;
    match s {
        0..60 => format!("{s}s ago"),
        60..3600 => format!("{}m{}s ago", s / 60, s % 60),
        _ => format!("{}h{}m ago", s / 3600, (s % 3600) / 60),
    }
}

fn micros(us: u64) -> String {
    match us {
        0..1_000 => format!("{us}us"),
        1_000..1_000_000 => format!("{:.1}ms", us as f64 / 1e3),
        _ => format!("{:.2}s", us as f64 / 1e6),
    }
}
