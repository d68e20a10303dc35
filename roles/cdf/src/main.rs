//! `ims-cdf --config FILE [--check-config]`: the Rf accounting server (ACR/ACA) on Diameter,
//! CDRs in SQL (SQLite by default, PostgreSQL by URL), each committed before its ACA.

use std::process::ExitCode;

use ims_cdf::node::{CdfFile, CdfNode, DEFAULTS, ENV_PREFIX};

fn main() -> ExitCode {
    role_kit::role_main(
        "ims-cdf",
        DEFAULTS,
        ENV_PREFIX,
        |file: &CdfFile| file.prepare().map(|_| ()),
        |file| file.log.level.clone(),
        |file, ()| async move {
            let node = CdfNode::start(file).await?;
            tracing::info!(listening = ?node.local_addrs(), "ims-cdf running");
            role_kit::shutdown_signal().await;
            node.stop().await;
            Ok(())
        },
    )
}
