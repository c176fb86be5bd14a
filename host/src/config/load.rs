//! Reading a config: `${ENV}` interpolation, TOML parsing with the exact field path and line
//! of the first type error, then semantic validation that reports every problem at once.

use super::{Config, validate};
use std::fmt;
use std::path::{Path, PathBuf};

/// One thing wrong with a config, located as precisely as the parser allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line in the config file, when known.
    pub line: Option<usize>,
    /// The field path, e.g. `plugins[2].on_error`; empty for whole-file problems.
    pub path: String,
    /// What is wrong and what is expected.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(line) = self.line {
            write!(f, "line {line}: ")?;
        }
        if !self.path.is_empty() {
            write!(f, "{}: ", self.path)?;
        }
        f.write_str(&self.message)
    }
}

/// Why a config could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{file}: cannot read config: {source}")]
    Read {
        /// The config file.
        file: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The config has one or more problems.
    #[error("{file}: invalid config:{}", list(problems))]
    Invalid {
        /// The config file (or `<embedded default>`).
        file: String,
        /// Every problem found.
        problems: Vec<Problem>,
    },
}

fn list(problems: &[Problem]) -> String {
    problems.iter().map(|p| format!("\n  - {p}")).collect()
}

/// Loads and validates a config file; relative paths in it resolve against its directory.
pub fn load_file(path: &Path) -> Result<Config, ConfigError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        file: file.clone(),
        source,
    })?;
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    load_str(&text, &file, &base)
}

/// Loads and validates config text; `origin` names it in errors, `base` anchors relative paths.
pub fn load_str(text: &str, origin: &str, base: &Path) -> Result<Config, ConfigError> {
    let invalid = |problems| ConfigError::Invalid {
        file: origin.to_string(),
        problems,
    };
    let text = interpolate_env(text, |name| std::env::var(name).ok()).map_err(invalid)?;
    let mut config = parse(&text).map_err(|p| invalid(vec![p]))?;
    let problems = validate::validate(&config);
    if !problems.is_empty() {
        return Err(invalid(problems));
    }
    resolve_paths(&mut config, base);
    Ok(config)
}

fn parse(text: &str) -> Result<Config, Problem> {
    parse_toml(text)
}

/// Parses TOML into `T`, locating the first error by line and field path.
pub(crate) fn parse_toml<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, Problem> {
    let line_of = |span: Option<std::ops::Range<usize>>| {
        span.map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1)
    };
    let de = toml::Deserializer::parse(text).map_err(|e| Problem {
        line: line_of(e.span()),
        path: String::new(),
        message: e.message().to_string(),
    })?;
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        Problem {
            line: line_of(inner.span()),
            path: if path == "." { String::new() } else { path },
            message: inner.message().to_string(),
        }
    })
}

/// Replaces `${NAME}` (or `${NAME:-fallback}`) with the environment variable's value, so
/// secrets stay out of config files; `$${` is a literal `${`. Comment lines are left alone.
/// Every missing variable is reported with its line.
pub(crate) fn interpolate_env(
    text: &str,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<String, Vec<Problem>> {
    let mut out = String::with_capacity(text.len());
    let mut problems = Vec::new();
    for (i, line) in text.split_inclusive('\n').enumerate() {
        if line.trim_start().starts_with('#') {
            out.push_str(line);
            continue;
        }
        let mut rest = line;
        while let Some(pos) = rest.find('$') {
            out.push_str(&rest[..pos]);
            let after = &rest[pos..];
            if let Some(tail) = after.strip_prefix("$${") {
                out.push_str("${");
                rest = tail;
            } else if let Some(tail) = after.strip_prefix("${") {
                let Some(end) = tail.find('}') else {
                    problems.push(Problem {
                        line: Some(i + 1),
                        path: String::new(),
                        message: "unterminated `${`".into(),
                    });
                    rest = "";
                    break;
                };
                let expr = &tail[..end];
                let (name, fallback) = match expr.split_once(":-") {
                    Some((n, f)) => (n, Some(f)),
                    None => (expr, None),
                };
                let valid =
                    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
                match (valid, lookup(name), fallback) {
                    (false, _, _) => problems.push(Problem { line: Some(i + 1), path: String::new(), message: format!("`${{{expr}}}`: not a valid environment variable name") }),
                    (true, Some(v), _) => out.push_str(&v),
                    (true, None, Some(f)) => out.push_str(f),
                    (true, None, None) => problems.push(Problem { line: Some(i + 1), path: String::new(), message: format!("environment variable `{name}` is not set (use `${{{name}:-default}}` for a fallback)") }),
                }
                rest = &tail[end + 1..];
            } else {
                out.push('$');
                rest = &after[1..];
            }
        }
        out.push_str(rest);
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

fn resolve_paths(config: &mut Config, base: &Path) {
    let join = |p: &PathBuf| {
        if p.is_relative() {
            base.join(p)
        } else {
            p.clone()
        }
    };
    for plugin in &mut config.plugins {
        if let Some(p) = &plugin.path {
            plugin.path = Some(join(p));
        }
        if let Some(p) = &plugin.config_file {
            plugin.config_file = Some(join(p));
        }
    }
    if let Some(dir) = &mut config.plugin_dir {
        dir.path = join(&dir.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolates_and_reports_missing_vars_with_lines() {
        let env = |n: &str| (n == "TOKEN").then(|| "s3cr3t".to_string());
        let ok = interpolate_env(
            "a = \"${TOKEN}\"\n# ${MISSING}\nb = \"$${X}\"\nc = \"${NOPE:-dflt}\"",
            env,
        )
        .unwrap();
        assert_eq!(
            ok,
            "a = \"s3cr3t\"\n# ${MISSING}\nb = \"${X}\"\nc = \"dflt\""
        );
        let err = interpolate_env("a = 1\nb = \"${MISSING}\"\n", env).unwrap_err();
        assert_eq!(err[0].line, Some(2));
        assert!(
            err[0].message.contains("`MISSING` is not set"),
            "{}",
            err[0].message
        );
    }

    #[test]
    fn type_errors_name_the_field_path_and_line() {
        let text = "[[plugins]]\nname = \"a\"\nbuiltin = \"cost\"\n\n[[plugins]]\nname = \"b\"\nbuiltin = \"cost\"\non_error = \"fail-closed\"\n";
        let err = load_str(text, "t.toml", Path::new("."))
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 8: plugins[1].on_error: unknown variant `fail-closed`, expected one of `fail_closed`, `fail_open`, `drop`"), "{err}");
    }

    #[test]
    fn unknown_fields_are_refused() {
        let err = load_str("[runtime]\nworkerz = 2\n", "t.toml", Path::new("."))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("line 2: runtime.workerz: unknown field `workerz`"),
            "{err}"
        );
    }
}
