//! The Diameter dictionary compiler: parses `.dia` files (the Erlang/OTP diameter dictionary
//! format: `@name`, `@id`, `@vendor`, `@inherits`, `@avp_types`, `@messages` with CCF grammars,
//! `@grouped`, `@enum`, `@define`) and emits the Rust modules of `diameter-codec`.
//!
//! [`generate_dir`] is what the binary runs; the codec's `generated_fresh` test runs it in
//! memory and compares with the committed files.
#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod emit;
pub mod parse;

use std::path::Path;

pub use emit::generate;
pub use parse::{parse, Dictionary};

/// A dictionary fault, naming the file and line.
#[derive(Debug, thiserror::Error)]
pub enum GenError {
    /// Syntax error.
    #[error("{file}:{line}: {message}")]
    Syntax {
        /// Dictionary file.
        file: String,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A reference that does not resolve, or a duplicate.
    #[error("{0}")]
    Semantic(String),
    /// Reading the dictionary directory.
    #[error("reading dictionaries: {0}")]
    Io(#[from] std::io::Error),
}

/// Reads every `*.dia` in `dir` (sorted by name) and returns the generated files as
/// `(file name, contents)`, `mod.rs` included.
pub fn generate_dir(dir: &Path) -> Result<Vec<(String, String)>, GenError> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "dia"))
        .collect();
    paths.sort();
    let mut dicts = Vec::new();
    for p in paths {
        let text = std::fs::read_to_string(&p)?;
        let file = p
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        dicts.push(parse(&file, &text)?);
    }
    generate(&dicts)
}
