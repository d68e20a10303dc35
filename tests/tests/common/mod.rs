//! The lab every end-to-end test drives: one whole ims-lab per test on its own loopback
//! address and data directory, torn down by [`Bed::stop`].
// Each test binary uses its own part of this module.
#![allow(dead_code, clippy::unwrap_used)]

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use ims_e2e::{Credentials, Ue};
use ims_lab::{Lab, LabConfig, LabOptions};

/// A running lab and where it lives.
pub(crate) struct Bed {
    lab: Option<Lab>,
    /// The loopback address every role binds.
    pub(crate) ip: IpAddr,
    dir: PathBuf,
}

impl Bed {
    /// Start the lab on `ip` with a fresh data directory named after `tag` and `ip`, and
    /// wait until the CSCFs' Diameter peers are up. `IMS_E2E_LOG=debug` shows what every role
    /// did (one subscriber per process: the first test to start installs it).
    pub(crate) async fn start(ip: IpAddr, tag: &str) -> Self {
        Self::start_with(ip, tag, |_| {}).await
    }

    /// [`Bed::start`] with the lab's configuration changed by `tweak` first.
    pub(crate) async fn start_with(
        ip: IpAddr,
        tag: &str,
        tweak: impl FnOnce(&mut LabConfig),
    ) -> Self {
        if let Ok(level) = std::env::var("IMS_E2E_LOG") {
            static ONCE: std::sync::Once = std::sync::Once::new();
            ONCE.call_once(|| role_kit::init_tracing(&level));
        }
        let dir = std::env::temp_dir().join(format!("ims-{tag}-{}-{ip}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let options = LabOptions {
            ip,
            data_dir: dir.clone(),
            log_level: None,
        };
        let mut config = LabConfig::prepare(&options).unwrap();
        tweak(&mut config);
        let lab = Lab::start(config).await.unwrap();
        lab.wait_ready(Duration::from_secs(10)).await.unwrap();
        Self {
            lab: Some(lab),
            ip,
            dir,
        }
    }

    /// The running lab.
    pub(crate) fn lab(&self) -> &Lab {
        self.lab.as_ref().unwrap()
    }

    /// Take the lab out (to stop its roles one by one); [`Bed::stop`] then only cleans up.
    pub(crate) fn take_lab(&mut self) -> Option<Lab> {
        self.lab.take()
    }

    /// The lab's data directory (its SQLite databases, rendered configs).
    pub(crate) fn dir(&self) -> &std::path::Path {
        &self.dir
    }

    /// A test UE on the lab's address, pointed at its P-CSCF.
    pub(crate) async fn ue(&self, name: &str, credentials: Credentials) -> Ue {
        Ue::bind(
            self.ip,
            name,
            "ims.test",
            credentials,
            self.lab().pcscf_udp().unwrap(),
        )
        .await
        .unwrap()
    }

    /// How many live bindings the S-CSCF holds for `aor`.
    pub(crate) async fn bindings(&self, aor: &str) -> usize {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        self.lab()
            .scscf
            .shared()
            .registrations
            .lookup(aor, now)
            .await
            .unwrap()
            .len()
    }

    /// Stop every role and remove the data directory.
    pub(crate) async fn stop(mut self) {
        if let Some(lab) = self.lab.take() {
            lab.stop().await;
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
