//! The command line every role binary accepts.

use std::path::PathBuf;

/// `ROLE --config FILE [--check-config]`.
#[derive(Debug, clap::Parser)]
#[command(version, about)]
pub struct Cli {
    /// Configuration file (TOML). Keys may be overridden by environment variables
    /// `<ROLE PREFIX>__<SECTION>__<KEY>` (e.g. `IMS_EDGE__NODE__MODE=stateless`).
    #[arg(long, short = 'c')]
    pub config: Option<PathBuf>,

    /// Validate the configuration, print what is wrong (naming the key) and exit.
    #[arg(long)]
    pub check_config: bool,

    /// Worker threads of the runtime (default and minimum 2).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
}
