//! Server-Capabilities (TS 29.229 §6.3.4): what an S-CSCF needs to serve the user, for the
//! I-CSCF to select one (TS 29.228 §6.1.1.1, §6.1.4.1), plus the names of suitable S-CSCFs.

use diameter_codec::generated::cx::avp as x;
use diameter_codec::WriteAvps;

use crate::answer::Fault;
use crate::handler::Hss;

impl Hss {
    /// Writes Server-Capabilities: the configured user capabilities and, as Server-Name, every
    /// S-CSCF (configuration, then store) that offers all mandatory ones.
    pub(crate) async fn put_server_capabilities<W: WriteAvps>(
        &self,
        w: &mut W,
    ) -> Result<(), Fault> {
        let want = &self.config.user_capabilities;
        let mut names: Vec<String> = Vec::new();
        for s in &self.config.scscf {
            if want.mandatory.iter().all(|m| s.capabilities.contains(m)) && !names.contains(&s.name)
            {
                names.push(s.name.clone());
            }
        }
        for s in self.store.list_scscfs().await? {
            if want
                .mandatory
                .iter()
                .all(|m| s.mandatory.contains(m) || s.optional.contains(m))
                && !names.contains(&s.name)
            {
                names.push(s.name);
            }
        }
        w.put_grouped(&x::SERVER_CAPABILITIES, |g| {
            for m in &want.mandatory {
                g.put(&x::MANDATORY_CAPABILITY, m);
            }
            for o in &want.optional {
                g.put(&x::OPTIONAL_CAPABILITY, o);
            }
            for n in &names {
                g.put(&x::SERVER_NAME, n.as_str());
            }
        });
        Ok(())
    }
}
