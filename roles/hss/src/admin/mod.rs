//! The HSS's admin API methods (docs/admin-api.md), served by `role_kit::admin` when the file
//! has an `[admin]` section:
//!
//! - provisioning: `hss.list`, `hss.show`, `hss.add`, `hss.import`, `hss.delete`, through the
//!   same `ims_store::import_toml` schema as `imsctl hss import`;
//! - HSS-initiated Cx procedures: `hss.deregister` (RTR/RTA, TS 29.228 §6.1.3) and
//!   `hss.set_profile` (store, then PPR/PPA, §6.2.2), sent to the assigned S-CSCF over the
//!   HSS's own Diameter node.
//!
//! Role errors are JSON-RPC server errors whose message names the identity and, for Cx, the
//! S-CSCF and the Diameter result; `data` carries the same as fields ([`fault`]).

mod fault;
mod provision;
mod push;
mod view;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use diameter_net::ClientHandle;
use role_kit::admin::{AdminMethods, Params};

use crate::Hss;

pub use fault::codes;

/// What every method shares: the Cx handler (store, RTR/PPR builders) and the Diameter node
/// the requests go out on.
struct Admin {
    hss: Hss,
    diameter: ClientHandle,
    /// High part of our Session-Ids (RFC 6733 §8.8): the start time.
    epoch: u32,
    /// Low part, one per request.
    sessions: AtomicU32,
}

impl Admin {
    /// A new Session-Id, `<Origin-Host>;<high>;<low>` (RFC 6733 §8.8).
    fn session_id(&self) -> String {
        let low = self.sessions.fetch_add(1, Ordering::Relaxed);
        format!("{};{};{low}", self.hss.config.origin_host, self.epoch)
    }
}

/// The HSS's methods on `hss`, sending RTR/PPR through `diameter`.
pub fn methods(hss: Hss, diameter: ClientHandle) -> AdminMethods {
    let epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| {
            u32::try_from(d.as_secs() & u64::from(u32::MAX)).unwrap_or(0)
        });
    let admin = Arc::new(Admin {
        hss,
        diameter,
        epoch,
        sessions: AtomicU32::new(1),
    });
    macro_rules! bind {
        ($methods:expr, $name:literal, $f:path) => {{
            let a = Arc::clone(&admin);
            $methods.method($name, move |p: Params| {
                let a = Arc::clone(&a);
                async move { $f(&a, p).await }
            })
        }};
    }
    let m = AdminMethods::new();
    let m = bind!(m, "hss.list", provision::list);
    let m = bind!(m, "hss.show", provision::show);
    let m = bind!(m, "hss.add", provision::add);
    let m = bind!(m, "hss.import", provision::import);
    let m = bind!(m, "hss.delete", provision::delete);
    let m = bind!(m, "hss.deregister", push::deregister);
    bind!(m, "hss.set_profile", push::set_profile)
}
