//! `ims-scscf --config FILE [--check-config]`: the S-CSCF.

use std::process::ExitCode;

use ims_scscf::{Scscf, ScscfConfig, DEFAULTS, ENV_PREFIX};

fn main() -> ExitCode {
    role_kit::role_main(
        "ims-scscf",
        DEFAULTS,
        ENV_PREFIX,
        |config: &ScscfConfig| config.check(),
        |config| config.log.level.clone(),
        |config, ()| async move {
            let node = Scscf::start(config).await?;
            tracing::info!(listening = ?node.sip_listeners(), "ims-scscf running");
            role_kit::shutdown_signal().await;
            node.stop().await;
            Ok(())
        },
    )
}
