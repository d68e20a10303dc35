//! `ims-icscf --config FILE [--check-config]`: the I-CSCF on SIP (UDP/TCP/TLS) with a Cx
//! client towards the HSS.

use std::process::ExitCode;

use ims_icscf::{Icscf, IcscfConfig, DEFAULTS, ENV_PREFIX};

fn main() -> ExitCode {
    role_kit::role_main(
        "ims-icscf",
        DEFAULTS,
        ENV_PREFIX,
        IcscfConfig::check,
        |c: &IcscfConfig| c.log.level.clone(),
        run,
    )
}

async fn run(config: IcscfConfig, (): ()) -> anyhow::Result<()> {
    let node = Icscf::start(config).await?;
    role_kit::shutdown_signal().await;
    node.stop().await;
    Ok(())
}
