//! Which database a provisioning command works on: `--db URL`, else the `[store] url` of
//! `--config FILE`, else `$IMSCTL_DB`, else the path of the role's example configuration
//! (`roles/config/{hss,ocs,cdf}.toml`). A plain path means SQLite.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::Args;

/// Environment variable holding the database URL.
pub(crate) const ENV_DB: &str = "IMSCTL_DB";
/// Environment variable holding the PostgreSQL schema.
pub(crate) const ENV_SCHEMA: &str = "IMSCTL_DB_SCHEMA";

/// Database options shared by `imsctl hss|ocs|cdf`.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Database")]
pub(crate) struct DbArgs {
    /// Database URL: sqlite:PATH, sqlite://PATH, a plain file path, or
    /// postgres://user@host:port/db [env: IMSCTL_DB]
    #[arg(long, global = true, value_name = "URL")]
    pub(crate) db: Option<String>,
    /// PostgreSQL schema (created if missing) [env: IMSCTL_DB_SCHEMA]
    #[arg(long, global = true, value_name = "NAME")]
    pub(crate) schema: Option<String>,
    /// Take the database URL from this role configuration file ([store] url)
    #[arg(long, global = true, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
}

/// A resolved database.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    /// The sqlx URL.
    pub(crate) url: String,
    /// The PostgreSQL schema, if any.
    pub(crate) schema: Option<String>,
}

impl DbArgs {
    /// The database to use; `default_url` is the role's example configuration value.
    pub(crate) fn target(&self, default_url: &str) -> anyhow::Result<Target> {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        let url = match (&self.db, env(ENV_DB), &self.config) {
            (Some(u), _, _) => u.clone(),
            (None, _, Some(file)) => store_url_of(file)?,
            (None, Some(u), None) => u,
            (None, None, None) => default_url.to_owned(),
        };
        Ok(Target {
            url: normalize_url(&url),
            schema: self.schema.clone().or_else(|| env(ENV_SCHEMA)),
        })
    }
}

impl Target {
    /// Fails when a SQLite file does not exist (read-only commands must not create an empty
    /// database); for writes, creates the file's directory instead.
    pub(crate) fn prepare(&self, create: bool) -> anyhow::Result<()> {
        let Some(path) = sqlite_path(&self.url) else {
            return Ok(());
        };
        if create {
            role_kit::ensure_sqlite_dir(&self.url)
                .with_context(|| format!("creating the directory of {}", path.display()))?;
        } else if !path.exists() {
            bail!(
                "no database at {} (give --db, --config or {ENV_DB})",
                path.display()
            );
        }
        Ok(())
    }
}

/// `[store] url` of a role configuration file.
fn store_url_of(file: &Path) -> anyhow::Result<String> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let doc: toml::Table =
        toml::from_str(&text).with_context(|| format!("parsing {}", file.display()))?;
    doc.get("store")
        .and_then(|s| s.get("url"))
        .and_then(toml::Value::as_str)
        .map(str::to_owned)
        .with_context(|| format!("{}: no [store] url", file.display()))
}

/// A plain path becomes `sqlite:PATH`; URLs are kept.
fn normalize_url(url: &str) -> String {
    let url = url.trim();
    if url.contains(':') && !Path::new(url).exists() {
        url.to_owned()
    } else {
        format!("sqlite:{url}")
    }
}

/// The file of a `sqlite:` URL (`None` for other engines and in-memory databases).
fn sqlite_path(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite:")?;
    let rest = rest.trim_start_matches("//");
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_paths() {
        assert_eq!(normalize_url("./x/hss.db"), "sqlite:./x/hss.db");
        assert_eq!(normalize_url("sqlite:./a.db"), "sqlite:./a.db");
        assert_eq!(normalize_url("postgres://p@h/db"), "postgres://p@h/db");
        assert_eq!(
            sqlite_path("sqlite:///tmp/a.db?mode=rwc"),
            Some(PathBuf::from("/tmp/a.db"))
        );
        assert_eq!(sqlite_path("sqlite:./a.db"), Some(PathBuf::from("./a.db")));
        assert_eq!(sqlite_path("sqlite::memory:"), None);
        assert_eq!(sqlite_path("postgres://x"), None);
    }
}
