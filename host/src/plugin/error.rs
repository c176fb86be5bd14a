//! Errors of loading a plugin and of calling one.

use std::fmt;

/// Why a plugin could not be loaded. Messages name the plugin and say what to do.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read.
    #[error("plugin `{plugin}`: cannot read {path}: {source}")]
    Read {
        /// Stage name.
        plugin: String,
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Not a valid component, or it could not be compiled.
    #[error("plugin `{plugin}`: not a loadable WebAssembly component: {reason}")]
    Compile {
        /// Stage name.
        plugin: String,
        /// Wasmtime's explanation.
        reason: String,
    },
    /// The component does not fit the contract (wrong version, missing export, an import
    /// sluice does not provide).
    #[error("plugin `{plugin}`: does not implement the sluice:plugin@0.1.0 contract: {reason}")]
    Contract {
        /// Stage name.
        plugin: String,
        /// What does not match.
        reason: String,
    },
    /// `init` refused the config (its message verbatim) or failed.
    #[error("plugin `{plugin}`: init failed: {reason}")]
    Init {
        /// Stage name.
        plugin: String,
        /// The plugin's own message, or the failure.
        reason: String,
    },
    /// The file's digest is not in the config's `trust.plugin_sha256` allow-list.
    #[error(
        "plugin `{plugin}`: {path} (sha256 {sha256}) is not in trust.plugin_sha256; refusing to load it"
    )]
    Untrusted {
        /// Stage name.
        plugin: String,
        /// The file.
        path: String,
        /// Its digest.
        sha256: String,
    },
    /// The host could not set up what the config grants.
    #[error("plugin `{plugin}`: {reason}")]
    Setup {
        /// Stage name.
        plugin: String,
        /// What failed.
        reason: String,
    },
}

/// How a `process` call failed. Never carries record content: a plugin's own error message
/// is its author's text, and traps are described by wasmtime.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallFailure {
    /// The plugin returned an error.
    Error(String),
    /// The instance trapped (a panic, an unreachable, an out-of-bounds access...).
    Trap(String),
    /// The call ran past its deadline.
    Timeout {
        /// The configured deadline.
        ms: u64,
    },
    /// The instance tried to grow its memory past the cap.
    OutOfMemory {
        /// The configured cap.
        mib: u64,
    },
}

impl CallFailure {
    /// A short class name for logs and metric labels.
    pub fn kind(&self) -> &'static str {
        match self {
            CallFailure::Error(_) => "error",
            CallFailure::Trap(_) => "trap",
            CallFailure::Timeout { .. } => "timeout",
            CallFailure::OutOfMemory { .. } => "out_of_memory",
        }
    }

    /// Whether the instance must be replaced before its next call.
    pub fn poisons_instance(&self) -> bool {
        !matches!(self, CallFailure::Error(_))
    }
}

impl fmt::Display for CallFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallFailure::Error(m) => write!(f, "returned an error: {m}"),
            CallFailure::Trap(m) => write!(f, "trapped: {m}"),
            CallFailure::Timeout { ms } => write!(f, "ran past its {ms} ms deadline"),
            CallFailure::OutOfMemory { mib } => write!(f, "exceeded its {mib} MiB memory cap"),
        }
    }
}
