//! `ims-pcscf --config FILE [--check-config]`: the P-CSCF on its SIP listeners.

use std::process::ExitCode;

use ims_pcscf::{Pcscf, PcscfConfig, DEFAULTS, ENV_PREFIX};

fn main() -> ExitCode {
    role_kit::role_main(
        "ims-pcscf",
        DEFAULTS,
        ENV_PREFIX,
        |config: &PcscfConfig| config.check(),
        |config| config.log.level.clone(),
        run,
    )
}

async fn run(config: PcscfConfig, (): ()) -> anyhow::Result<()> {
    let pcscf = Pcscf::start(config).await?;
    role_kit::shutdown_signal().await;
    pcscf.stop().await;
    Ok(())
}
