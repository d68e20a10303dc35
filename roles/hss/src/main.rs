//! `ims-hss --config FILE [--check-config]`: the Cx server on Diameter (TCP/TLS) over a
//! subscriber store in SQL (SQLite by default, PostgreSQL by URL).

use std::process::ExitCode;

use ims_hss::node::{HssFile, HssNode, DEFAULTS, ENV_PREFIX};

fn main() -> ExitCode {
    role_kit::role_main(
        "ims-hss",
        DEFAULTS,
        ENV_PREFIX,
        |file: &HssFile| file.prepare().map(|_| ()),
        |file| file.log.level.clone(),
        |file, ()| async move {
            let node = HssNode::start(file).await?;
            tracing::info!(listening = ?node.local_addrs(), "ims-hss running");
            role_kit::shutdown_signal().await;
            node.stop().await;
            Ok(())
        },
    )
}
