//! Watching the plugin folder, the main config file and the stages' `config_file`s (their
//! folders as of startup): file events (or polling, for
//! filesystems where events are unreliable), debounced so a file still being written is not
//! read half-way, drive [`Reloader::reload`] on a thread of its own — compiling a plugin
//! never runs on the async runtime or a worker.

use super::Reloader;
use notify::{PollWatcher, RecommendedWatcher, RecursiveMode};
use notify_debouncer_mini::{Config as DebounceConfig, DebounceEventResult, Debouncer};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The running watcher; dropping it stops watching and ends the reload thread.
pub struct Watch {
    debouncer: Option<Box<dyn Send>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Watch {
    fn drop(&mut self) {
        // Dropping the debouncer closes the channel the reload thread waits on.
        drop(self.debouncer.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Why watching could not start.
#[derive(Debug, thiserror::Error)]
#[error("cannot watch {path}: {source}")]
pub struct WatchError {
    /// What could not be watched.
    path: String,
    /// Why.
    source: notify::Error,
}

/// Starts watching the reloader's plugin folder and config file. Reloads once right away,
/// so a change made while sluice was starting is not missed.
pub fn watch(mut reloader: Reloader) -> Result<Watch, WatchError> {
    let dir = reloader
        .config
        .plugin_dir
        .as_ref()
        .map(|d| canonical(&d.path));
    let files: Vec<PathBuf> = reloader
        .watched_files()
        .iter()
        .map(|f| canonical(f))
        .collect();
    let (debounce_ms, poll_ms) = reloader
        .config
        .plugin_dir
        .as_ref()
        .map_or((200, None), |d| (d.debounce_ms, d.poll_interval_ms));
    let (tx, rx) = mpsc::channel::<DebounceEventResult>();
    let mut settings = DebounceConfig::default().with_timeout(Duration::from_millis(debounce_ms));
    let debouncer: Box<dyn Send> = match poll_ms {
        Some(ms) => {
            let notify = notify::Config::default()
                .with_poll_interval(Duration::from_millis(ms))
                .with_compare_contents(true);
            settings = settings.with_notify_config(notify);
            let mut d = notify_debouncer_mini::new_debouncer_opt::<_, PollWatcher>(settings, tx)
                .map_err(|source| WatchError {
                    path: "(poll watcher)".into(),
                    source,
                })?;
            add_watches(&mut d, dir.as_deref(), &files)?;
            Box::new(d)
        }
        None => {
            let mut d =
                notify_debouncer_mini::new_debouncer_opt::<_, RecommendedWatcher>(settings, tx)
                    .map_err(|source| WatchError {
                        path: "(file watcher)".into(),
                        source,
                    })?;
            add_watches(&mut d, dir.as_deref(), &files)?;
            Box::new(d)
        }
    };
    if let Some(d) = &dir {
        tracing::info!(dir = %d.display(), polling_ms = ?poll_ms, "watching the plugin folder");
    }
    let thread = std::thread::Builder::new()
        .name("sluice-reload".into())
        .spawn(move || {
            reloader.reload(Instant::now());
            while let Ok(events) = rx.recv() {
                let seen = Instant::now();
                // Recomputed per event: a reload may have named new config files.
                let files: Vec<PathBuf> = reloader
                    .watched_files()
                    .iter()
                    .map(|f| canonical(f))
                    .collect();
                let relevant = match events {
                    Ok(events) => events
                        .iter()
                        .any(|e| is_relevant(&e.path, dir.as_deref(), &files)),
                    Err(e) => {
                        tracing::warn!("file watcher error, re-reading everything: {e}");
                        true
                    }
                };
                if relevant {
                    reloader.reload(seen);
                }
            }
        })
        .map_err(|e| WatchError {
            path: "(reload thread)".into(),
            source: notify::Error::io(e),
        })?;
    Ok(Watch {
        debouncer: Some(debouncer),
        thread: Some(thread),
    })
}

fn add_watches<W: notify::Watcher>(
    d: &mut Debouncer<W>,
    dir: Option<&Path>,
    files: &[PathBuf],
) -> Result<(), WatchError> {
    let mut targets: Vec<&Path> = dir.into_iter().collect();
    // The files' folders, not the files: editors replace a file by renaming over it, which
    // ends a watch on the file itself.
    for parent in files.iter().filter_map(|f| f.parent()) {
        if !targets.contains(&parent) {
            targets.push(parent);
        }
    }
    for t in targets {
        d.watcher()
            .watch(t, RecursiveMode::NonRecursive)
            .map_err(|source| WatchError {
                path: t.display().to_string(),
                source,
            })?;
    }
    Ok(())
}

fn is_relevant(path: &Path, dir: Option<&Path>, files: &[PathBuf]) -> bool {
    path.parent() == dir || files.iter().any(|f| f == path)
}

fn canonical(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}
