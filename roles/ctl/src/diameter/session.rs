//! A raw Diameter connection for tools: connect (TCP or TLS), CER/CEA, then request/answer
//! by Hop-by-Hop Identifier, without the peer state machine (RFC 6733 §5.3, §5.4, §5.5).

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context};
use bytes::Bytes;
use diameter_codec::format::AddressValue;
use diameter_codec::generated::base::{self, avp as b};
use diameter_codec::{AvpContainer, Message, MessageBuilder, WriteAvps};
use diameter_net::framing::FrameReader;
use diameter_net::transport::{self, BoxStream};
use tokio::io::{AsyncWriteExt, ReadHalf, WriteHalf};

/// Identity and transport options shared by the diameter subcommands.
#[derive(Debug, Clone, clap::Args)]
pub struct Identity {
    /// Our Origin-Host.
    #[arg(long, default_value = "imsctl.ims.test")]
    pub origin_host: String,
    /// Our Origin-Realm.
    #[arg(long, default_value = "ims.test")]
    pub origin_realm: String,
    /// Connect with TLS (RFC 6733 §13), trusting this CA bundle (PEM).
    #[arg(long, value_name = "CA.pem")]
    pub tls: Option<std::path::PathBuf>,
    /// TLS server name to verify (default: the peer's IP address).
    #[arg(long)]
    pub tls_name: Option<String>,
    /// Auth-Application-Id values to advertise (default: Cx as Vendor-Specific {10415,
    /// 16777216} plus Relay).
    #[arg(long = "auth-app")]
    pub auth_apps: Vec<u32>,
    /// Seconds to wait for each answer.
    #[arg(long, default_value_t = 5)]
    pub timeout: u64,
}

/// An open connection after a successful or failed CER/CEA.
pub struct Session {
    reader: FrameReader<ReadHalf<BoxStream>>,
    writer: WriteHalf<BoxStream>,
    next_hbh: u32,
    origin_state_id: u32,
    /// Our identity.
    pub id: Identity,
    /// The local address (Host-IP-Address).
    pub local_ip: IpAddr,
    timeout: Duration,
}

impl Session {
    /// Connects to `addr`.
    pub async fn connect(addr: SocketAddr, id: &Identity) -> anyhow::Result<Self> {
        let timeout = Duration::from_secs(id.timeout.max(1));
        let tls = match &id.tls {
            Some(ca) => Some(diameter_net::tls::client_config_no_auth(ca)?),
            None => None,
        };
        let name = id.tls_name.clone().unwrap_or_else(|| addr.ip().to_string());
        let (stream, local) =
            transport::connect_local(addr, tls.map(|c| (c, name.as_str())), timeout)
                .await
                .with_context(|| format!("connecting to {addr}"))?;
        let local_ip = local.ip();
        let (r, w) = tokio::io::split(stream);
        let epoch = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as u32)
            .unwrap_or(1);
        Ok(Self {
            reader: FrameReader::new(r, 1 << 20),
            writer: w,
            next_hbh: epoch.wrapping_mul(1000),
            origin_state_id: epoch,
            id: id.clone(),
            local_ip,
            timeout,
        })
    }

    /// A fresh Hop-by-Hop (also used as End-to-End) identifier.
    pub fn next_id(&mut self) -> u32 {
        self.next_hbh = self.next_hbh.wrapping_add(1);
        self.next_hbh
    }

    /// Origin-State-Id we send (constant for the session: freeDiameter drops peers whose value
    /// changes).
    pub const fn origin_state_id(&self) -> u32 {
        self.origin_state_id
    }

    /// Writes one frame.
    pub async fn send(&mut self, frame: &[u8]) -> anyhow::Result<()> {
        self.writer.write_all(frame).await?;
        Ok(())
    }

    /// Reads the next message, answering a DWR from the peer on the way.
    pub async fn recv(&mut self) -> anyhow::Result<Message> {
        loop {
            let frame = tokio::time::timeout(self.timeout, self.reader.next_frame())
                .await
                .map_err(|_| anyhow!("no message within {:?}", self.timeout))??
                .ok_or_else(|| anyhow!("connection closed by peer"))?;
            let msg = Message::decode(frame).map_err(|e| anyhow!("undecodable message: {e}"))?;
            if msg.header().flags.is_request() && msg.header().code == base::cmd::DWR.code {
                let mut a = MessageBuilder::answer(msg.header());
                a.put(&b::RESULT_CODE, &2001)
                    .put(&b::ORIGIN_HOST, self.id.origin_host.as_str())
                    .put(&b::ORIGIN_REALM, self.id.origin_realm.as_str())
                    .put(&b::ORIGIN_STATE_ID, &self.origin_state_id);
                let f = a.finish();
                self.send(&f).await?;
                continue;
            }
            return Ok(msg);
        }
    }

    /// Sends a request and waits for the answer with its Hop-by-Hop Identifier.
    pub async fn exchange(&mut self, request: Bytes) -> anyhow::Result<(Message, Duration)> {
        let hbh = diameter_codec::Header::decode(&request)
            .map_err(|e| anyhow!("bad request: {e}"))?
            .hop_by_hop;
        let start = Instant::now();
        self.send(&request).await?;
        loop {
            let m = self.recv().await?;
            if !m.header().flags.is_request() && m.header().hop_by_hop == hbh {
                return Ok((m, start.elapsed()));
            }
        }
    }

    fn base_request(&mut self, cmd: &diameter_codec::CommandDef) -> MessageBuilder {
        let id = self.next_id();
        let mut m = MessageBuilder::request(cmd, id, id);
        m.put(&b::ORIGIN_HOST, self.id.origin_host.as_str())
            .put(&b::ORIGIN_REALM, self.id.origin_realm.as_str());
        m
    }

    /// CER (RFC 6733 §5.3.1).
    pub fn cer(&mut self) -> Bytes {
        let mut m = self.base_request(&base::cmd::CER);
        let ip = match self.local_ip {
            IpAddr::V4(a) => AddressValue::V4(a),
            IpAddr::V6(a) => AddressValue::V6(a),
        };
        m.put(&b::HOST_IP_ADDRESS, &ip)
            .put(&b::VENDOR_ID, &0)
            .put(&b::PRODUCT_NAME, "imsctl")
            .put(&b::ORIGIN_STATE_ID, &self.origin_state_id)
            .put(&b::SUPPORTED_VENDOR_ID, &10415);
        if self.id.auth_apps.is_empty() {
            m.put_grouped(&b::VENDOR_SPECIFIC_APPLICATION_ID, |g| {
                g.put(&b::VENDOR_ID, &10415)
                    .put(&b::AUTH_APPLICATION_ID, &16_777_216);
            });
            m.put(&b::AUTH_APPLICATION_ID, &0xffff_ffff);
        } else {
            for a in &self.id.auth_apps {
                m.put(&b::AUTH_APPLICATION_ID, a);
            }
        }
        m.put(&b::FIRMWARE_REVISION, &1);
        m.finish()
    }

    /// DWR (RFC 6733 §5.5.1).
    pub fn dwr(&mut self) -> Bytes {
        let osi = self.origin_state_id;
        let mut m = self.base_request(&base::cmd::DWR);
        m.put(&b::ORIGIN_STATE_ID, &osi);
        m.finish()
    }

    /// DPR (RFC 6733 §5.4.1), cause REBOOTING.
    pub fn dpr(&mut self) -> Bytes {
        let mut m = self.base_request(&base::cmd::DPR);
        m.put(
            &b::DISCONNECT_CAUSE,
            &base::DisconnectCause::DO_NOT_WANT_TO_TALK_TO_YOU,
        );
        m.finish()
    }

    /// CER/CEA; fails unless the Result-Code is 2001.
    pub async fn handshake(&mut self) -> anyhow::Result<(Message, Duration)> {
        let cer = self.cer();
        let (cea, rtt) = self.exchange(cer).await?;
        let rc = result_code(&cea);
        if rc != Some(2001) {
            bail!("CEA Result-Code {rc:?}");
        }
        Ok((cea, rtt))
    }

    /// The framed read side and the write side, for pipelined use (bench).
    pub fn into_parts(self) -> (FrameReader<ReadHalf<BoxStream>>, WriteHalf<BoxStream>) {
        (self.reader, self.writer)
    }

    /// Closes the write side.
    pub async fn close(mut self) {
        let _ = self.writer.shutdown().await;
    }
}

/// The Result-Code of an answer, if present and well formed.
pub fn result_code(m: &Message) -> Option<u32> {
    if let Ok(Some(rc)) = m.get(&b::RESULT_CODE) {
        return Some(rc);
    }
    let er = m.get(&b::EXPERIMENTAL_RESULT).ok()??;
    er.get(&b::EXPERIMENTAL_RESULT_CODE).ok()?
}
