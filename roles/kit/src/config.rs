//! Configuration loading: an embedded default, the `--config` file over it, then `IMS_*`
//! environment variables over both; deserialised strictly into the role's own schema.

use std::path::Path;

use serde::de::DeserializeOwned;

/// Why a configuration could not be loaded. The message names the file and the key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The text is not valid TOML, or does not fit the schema (unknown or missing key, wrong type).
    #[error("{path}: {message}")]
    Invalid {
        /// The file (or `<defaults>`).
        path: String,
        /// What is wrong, naming the key.
        message: String,
    },
    /// The values fit the schema but are not usable (checked by the role).
    #[error("{key}: {message}")]
    Value {
        /// The key, as `section.key`.
        key: String,
        /// What is wrong with it.
        message: String,
    },
}

/// Load `T` from `defaults` (TOML text compiled into the binary), then the file at `path`,
/// then environment variables `<ENV_PREFIX>__<SECTION>__<KEY>` (e.g. `IMS_EDGE__NODE__MODE`).
/// Each role has its own prefix, so that one role's variables never reach another's schema.
pub fn load_config<T: DeserializeOwned>(
    defaults: &str,
    path: Option<&Path>,
    env_prefix: &str,
) -> Result<T, ConfigError> {
    use config::{Config, Environment, File, FileFormat};

    let mut builder = Config::builder().add_source(File::from_str(defaults, FileFormat::Toml));
    let shown = match path {
        Some(path) => {
            // Read the file ourselves so that I/O errors and TOML syntax errors name the file and
            // the line (the config crate's own messages are vaguer).
            let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                path: path.display().to_string(),
                source,
            })?;
            if let Err(e) = text.parse::<toml::Table>() {
                return Err(ConfigError::Invalid {
                    path: path.display().to_string(),
                    message: e.to_string(),
                });
            }
            builder = builder.add_source(File::from_str(&text, FileFormat::Toml));
            path.display().to_string()
        }
        None => "<defaults>".to_owned(),
    };
    builder = builder.add_source(
        Environment::with_prefix(env_prefix)
            .prefix_separator("__")
            .separator("__")
            .try_parsing(true),
    );
    let invalid = |e: config::ConfigError| ConfigError::Invalid {
        path: shown.clone(),
        message: e.to_string(),
    };
    builder
        .build()
        .map_err(invalid)?
        .try_deserialize()
        .map_err(invalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Node {
        name: String,
        port: u16,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Schema {
        node: Node,
    }

    const DEFAULTS: &str = "[node]\nname = \"a\"\nport = 5060\n";

    fn write(text: &str) -> std::path::PathBuf {
        let path = std::env::temp_dir().join(format!(
            "role-kit-{}-{}.toml",
            std::process::id(),
            text.len()
        ));
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn file_overrides_defaults() {
        let path = write("[node]\nport = 5070\n");
        let cfg: Schema = load_config(DEFAULTS, Some(&path), "ROLE_KIT_TEST").unwrap();
        assert_eq!(cfg.node.name, "a");
        assert_eq!(cfg.node.port, 5070);
    }

    #[test]
    fn environment_overrides_the_file_under_the_role_prefix_only() {
        let path = write("[node]\nport = 5070\n# env\n");
        // SAFETY of the test: the variable names are unique to this test.
        std::env::set_var("ROLE_KIT_ENV__NODE__PORT", "5080");
        std::env::set_var("ROLE_KIT_ENVX", "ignored: another prefix");
        let cfg: Schema = load_config(DEFAULTS, Some(&path), "ROLE_KIT_ENV").unwrap();
        assert_eq!(cfg.node.port, 5080);
    }

    #[test]
    fn unknown_key_is_named() {
        let path = write("[node]\nprot = 5070\n# unknown key\n");
        let err = load_config::<Schema>(DEFAULTS, Some(&path), "ROLE_KIT_TEST")
            .unwrap_err()
            .to_string();
        assert!(err.contains("prot"), "{err}");
    }

    #[test]
    fn toml_syntax_error_names_the_file() {
        let path = write("[node\nport = 1\n");
        let err = load_config::<Schema>(DEFAULTS, Some(&path), "ROLE_KIT_TEST")
            .unwrap_err()
            .to_string();
        assert!(err.contains(&path.display().to_string()), "{err}");
    }
}
