//! The audit log: what the policies did, aggregated per batch, appended as JSON lines to a
//! file in a directory granted to the stage. The same tallies also go to the host's metrics
//! as the plugin counter `decisions` (`sluice_plugin_events_total{plugin, event="decisions",
//! tenant, destination, rule}`), with or without the log.
//!
//! One line per (tenant, destination, rule) and batch:
//! `{"time":"2026-01-02T03:04:05.678Z","signal":"traces","tenant":"acme","destination":"vendor","rule":"third_party","count":12}`
//! - `rule`: `region`, `third_party` or `retention` for a denied destination (counted for
//!   every record of the tenant the policy forbids it, whether or not the record was routed
//!   there: the contract does not show routes); `content_strip`, `content_hash` or
//!   `metadata_only` for the records a content mode was applied to, with `destination: null`.
//! - `tenant` is `null` for records without a tenant.
//! - `time` only when the stage is granted the clock (`[plugins.grants] clock = true`); with
//!   the frozen clock every time would read 1970, so none is written.
//! - Never any record content, attribute value or key.
//!
//! Every worker's instance appends to the same file; each line is one write of a file opened
//! for appending, so lines do not interleave.

use std::collections::BTreeMap;
use std::io::Write;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Counts of one batch: (tenant, destination, rule) → records.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Tally {
    counts: BTreeMap<(Option<String>, Option<String>, &'static str), u64>,
}

impl Tally {
    /// Adds `n` records of `tenant` to (`destination`, `rule`).
    pub fn add(
        &mut self,
        tenant: Option<&str>,
        destination: Option<&str>,
        rule: &'static str,
        n: u64,
    ) {
        if n == 0 {
            return;
        }
        *self
            .counts
            .entry((tenant.map(Into::into), destination.map(Into::into), rule))
            .or_default() += n;
    }

    /// Every count: (tenant, destination, rule, records).
    pub fn entries(&self) -> impl Iterator<Item = (Option<&str>, Option<&str>, &'static str, u64)> {
        self.counts
            .iter()
            .map(|((t, d, r), n)| (t.as_deref(), d.as_deref(), *r, *n))
    }

    /// Whether nothing was counted.
    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }

    /// The lines to append (each ending in `\n`), with `time` when given.
    pub fn lines(&self, signal: &str, time: Option<Duration>) -> Vec<String> {
        let time = time.map(rfc3339);
        self.counts
            .iter()
            .map(|((tenant, destination, rule), count)| {
                let mut line = String::from("{");
                if let Some(t) = &time {
                    line.push_str(&format!("\"time\":\"{t}\","));
                }
                line.push_str(&format!(
                    "\"signal\":\"{signal}\",\"tenant\":{},\"destination\":{},\"rule\":\"{rule}\",\"count\":{count}}}\n",
                    json(tenant.as_deref()),
                    json(destination.as_deref()),
                ));
                line
            })
            .collect()
    }
}

fn json(s: Option<&str>) -> String {
    match s {
        Some(s) => serde_json::to_string(s).unwrap_or_else(|_| "null".into()),
        None => "null".into(),
    }
}

/// The wall-clock time since the epoch, or `None` when the clock is frozen (not granted):
/// anything before 2000 is not a real time.
pub fn now() -> Option<Duration> {
    const Y2000: Duration = Duration::from_secs(946_684_800);
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .ok()
        .filter(|d| *d >= Y2000)
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub fn rfc3339(since_epoch: Duration) -> String {
    let secs = since_epoch.as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Days to civil date (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        since_epoch.subsec_millis()
    )
}

/// The open audit log.
#[derive(Debug)]
pub struct AuditLog {
    path: String,
    file: std::fs::File,
}

impl AuditLog {
    /// Opens `path` for appending (creating it), or says how to grant it.
    pub fn open(path: &str) -> Result<AuditLog, String> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| {
                let dir = std::path::Path::new(path)
                    .parent()
                    .map_or_else(|| "/".into(), |d| d.display().to_string());
                format!(
                    "residency: audit_log: cannot open `{path}` for appending ({e}); grant its \
                     directory to this stage, writable: [plugins.grants] dirs = [{{ host = \
                     \"/var/log/sluice\", guest = \"{dir}\", writable = true }}]"
                )
            })?;
        Ok(AuditLog {
            path: path.into(),
            file,
        })
    }

    /// Appends a batch's lines.
    pub fn append(&mut self, lines: &[String]) -> Result<(), String> {
        for line in lines {
            self.file.write_all(line.as_bytes()).map_err(|e| {
                format!(
                    "residency: audit_log: cannot append to `{}`: {e}",
                    self.path
                )
            })?;
        }
        self.file
            .flush()
            .map_err(|e| format!("residency: audit_log: cannot flush `{}`: {e}", self.path))
    }
}
