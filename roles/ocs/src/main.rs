//! `ims-ocs --config FILE [--check-config]`: the Ro online charging server (DCCA, RFC 4006)
//! on Diameter over an SQL ledger (SQLite by default, PostgreSQL by URL).

use std::process::ExitCode;

use ims_ocs::node::{OcsFile, OcsNode, DEFAULTS, ENV_PREFIX};

fn main() -> ExitCode {
    role_kit::role_main(
        "ims-ocs",
        DEFAULTS,
        ENV_PREFIX,
        |file: &OcsFile| file.prepare().map(|_| ()),
        |file| file.log.level.clone(),
        |file, ()| async move {
            let node = OcsNode::start(file).await?;
            tracing::info!(listening = ?node.local_addrs(), "ims-ocs running");
            role_kit::shutdown_signal().await;
            node.stop().await;
            Ok(())
        },
    )
}
