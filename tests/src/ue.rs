//! The test UE.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use ims_core::aka::{
    generate_vector, usim_authenticate, Amf, Autn, Key, Milenage, Op, Rand, Sqn, SqnConfig,
    UsimFailure, UsimSqnState,
};
use sip_proto::digest::{aka_password, rand_autn, Algorithm, DigestClient};
use sip_types::auth::Challenge;
use sip_types::{HeaderName, Message, Method, StatusCode};
use tokio::net::UdpSocket;

/// How long a UE waits for a message before giving up.
pub const WAIT: Duration = Duration::from_secs(10);

/// What can go wrong in a test UE.
#[derive(Debug, thiserror::Error)]
pub enum UeError {
    /// Socket trouble.
    #[error("socket: {0}")]
    Io(#[from] std::io::Error),
    /// Nothing arrived in time.
    #[error("nothing received within {0:?} (waiting for {1})")]
    Timeout(Duration, &'static str),
    /// What arrived does not parse.
    #[error("unparsable message: {0}")]
    Parse(String),
    /// The challenge could not be answered.
    #[error("cannot answer the challenge: {0}")]
    Challenge(String),
}

/// A subscriber's credentials.
#[derive(Debug, Clone)]
pub enum Credentials {
    /// IMS AKA with K and OP (16 bytes each).
    Aka {
        /// K.
        k: [u8; 16],
        /// OP.
        op: [u8; 16],
    },
    /// Digest password.
    Password(String),
}

impl Credentials {
    /// The lab's demo users: K and OP are the ASCII bytes of `0123456789abcdef` and
    /// `fedcba9876543210`.
    pub fn demo_aka() -> Self {
        Self::Aka {
            k: *b"0123456789abcdef",
            op: *b"fedcba9876543210",
        }
    }
}

/// A UE on one UDP socket, talking to its P-CSCF.
#[derive(Debug)]
pub struct Ue {
    socket: UdpSocket,
    /// Our address.
    pub addr: SocketAddr,
    /// The P-CSCF.
    pub pcscf: SocketAddr,
    /// Public identity, e.g. `sip:alice@ims.test`.
    pub impu: String,
    /// Private identity, e.g. `alice@ims.test`.
    pub impi: String,
    /// Home domain.
    pub domain: String,
    credentials: Credentials,
    usim: UsimSqnState,
    cseq: u32,
    counter: u32,
    /// Service-Route from the last 200 OK to REGISTER.
    pub service_route: Vec<String>,
    /// P-Associated-URI from the last 200 OK to REGISTER.
    pub associated: Vec<String>,
}

fn parse(bytes: &[u8]) -> Result<Message, UeError> {
    Message::parse(Bytes::copy_from_slice(bytes)).map_err(|e| UeError::Parse(e.to_string()))
}

impl Ue {
    /// A UE `name@domain` bound on `ip`, registering through `pcscf`.
    pub async fn bind(
        ip: std::net::IpAddr,
        name: &str,
        domain: &str,
        credentials: Credentials,
        pcscf: SocketAddr,
    ) -> Result<Self, UeError> {
        let socket = UdpSocket::bind(SocketAddr::new(ip, 0)).await?;
        let addr = socket.local_addr()?;
        Ok(Self {
            socket,
            addr,
            pcscf,
            impu: format!("sip:{name}@{domain}"),
            impi: format!("{name}@{domain}"),
            domain: domain.to_owned(),
            credentials,
            usim: UsimSqnState::new(SqnConfig::default()),
            cseq: 0,
            counter: 0,
            service_route: Vec::new(),
            associated: Vec::new(),
        })
    }

    /// Our contact URI.
    pub fn contact(&self) -> String {
        let user = self.impi.split('@').next().unwrap_or("ue");
        format!("sip:{user}@{}", self.addr)
    }

    /// A fresh token for tags, branches and Call-IDs.
    pub fn token(&mut self, what: &str) -> String {
        self.counter += 1;
        format!("{what}{}x{}", self.counter, self.addr.port())
    }

    /// Send raw bytes to the P-CSCF.
    pub async fn send(&self, bytes: &[u8]) -> Result<(), UeError> {
        self.socket.send_to(bytes, self.pcscf).await?;
        Ok(())
    }

    /// The next message (within [`WAIT`]).
    pub async fn recv(&self, what: &'static str) -> Result<Message, UeError> {
        self.recv_within(WAIT, what).await
    }

    /// The next message within `wait`.
    pub async fn recv_within(
        &self,
        wait: Duration,
        what: &'static str,
    ) -> Result<Message, UeError> {
        let mut buf = vec![0u8; 65_535];
        let (n, _) = tokio::time::timeout(wait, self.socket.recv_from(&mut buf))
            .await
            .map_err(|_| UeError::Timeout(wait, what))??;
        parse(buf.get(..n).unwrap_or_default())
    }

    /// The next final response, answering nothing; provisional ones are skipped. Requests
    /// that arrive meanwhile are returned as errors so tests notice them.
    pub async fn final_response(&self, what: &'static str) -> Result<Message, UeError> {
        loop {
            let msg = self.recv(what).await?;
            match msg.status() {
                Some(s) if s.is_final() => return Ok(msg),
                Some(_) => continue,
                None => {
                    return Err(UeError::Parse(format!(
                        "a request arrived while waiting for {what}: {:?}",
                        msg.method()
                    )))
                }
            }
        }
    }

    fn register_request(&mut self, expires: u32, authorization: &str, call_id: &str) -> String {
        self.cseq += 1;
        let branch = self.token("z9hG4bKreg");
        format!(
            "REGISTER sip:{domain} SIP/2.0\r\n\
             Via: SIP/2.0/UDP {addr};branch={branch};rport\r\n\
             Max-Forwards: 70\r\n\
             From: <{impu}>;tag=reg{port}\r\n\
             To: <{impu}>\r\n\
             Call-ID: {call_id}\r\n\
             CSeq: {cseq} REGISTER\r\n\
             Contact: <{contact}>;expires={expires}\r\n\
             Expires: {expires}\r\n\
             Supported: path\r\n\
             Authorization: {authorization}\r\n\
             Content-Length: 0\r\n\r\n",
            domain = self.domain,
            addr = self.addr,
            impu = self.impu,
            port = self.addr.port(),
            cseq = self.cseq,
            contact = self.contact(),
        )
    }

    /// The initial Authorization of TS 24.229 §5.1.1.2.1: username and an empty response,
    /// naming the algorithm the UE wants.
    fn empty_authorization(&self, algorithm: &str) -> String {
        format!(
            "Digest username=\"{}\", realm=\"{}\", nonce=\"\", uri=\"sip:{}\", response=\"\", algorithm={algorithm}",
            self.impi, self.domain, self.domain
        )
    }

    /// REGISTER with `expires`, answering up to three challenges (a resync, or the S-CSCF's
    /// fresh challenges after a wrong answer: it refuses the third); returns the final
    /// response. `algorithm` is what the first Authorization names (`AKAv1-MD5`,
    /// `AKAv2-MD5`, `MD5`).
    pub async fn register(&mut self, expires: u32, algorithm: &str) -> Result<Message, UeError> {
        self.register_answering(expires, algorithm, 3).await
    }

    /// [`Ue::register`] answering at most `answers` challenges.
    pub async fn register_answering(
        &mut self,
        expires: u32,
        algorithm: &str,
        answers: usize,
    ) -> Result<Message, UeError> {
        let call_id = format!("reg-{}-{}", self.impi, self.addr.port());
        let first = self.empty_authorization(algorithm);
        let request = self.register_request(expires, &first, &call_id);
        self.send(request.as_bytes()).await?;
        let mut response = self.final_response("401 to REGISTER").await?;
        for _ in 0..answers {
            if response.status() != Some(StatusCode::UNAUTHORIZED) {
                break;
            }
            let authorization =
                self.answer_challenge(&response, "sip:".to_owned() + &self.domain)?;
            let request = self.register_request(expires, &authorization, &call_id);
            self.send(request.as_bytes()).await?;
            response = self.final_response("final response to REGISTER").await?;
        }
        if response.status() == Some(StatusCode::OK) {
            self.service_route = response
                .header_values(HeaderName::SERVICE_ROUTE)
                .map(|v| v.text.to_owned())
                .collect();
            self.associated = response
                .header_values(HeaderName::P_ASSOCIATED_URI)
                .map(|v| v.text.to_owned())
                .collect();
        }
        Ok(response)
    }

    /// Answer the WWW-Authenticate of `response` for a REGISTER to `uri`: AKA through our
    /// USIM (AUTS when the SQN is stale), or digest with the password.
    pub fn answer_challenge(&mut self, response: &Message, uri: String) -> Result<String, UeError> {
        let value = response
            .header(HeaderName::WWW_AUTHENTICATE)
            .ok_or_else(|| UeError::Challenge("no WWW-Authenticate".into()))?;
        let challenge = Challenge::parse_header(value, HeaderName::WWW_AUTHENTICATE)
            .map_err(|e| UeError::Challenge(e.to_string()))?;
        let algorithm = challenge
            .algorithm()
            .map_or(Ok(Algorithm::Md5), Algorithm::parse)
            .map_err(|e| UeError::Challenge(e.to_string()))?;
        let cnonce = self.token("cn");
        let impi = self.impi.clone();
        match (&self.credentials, algorithm) {
            (Credentials::Aka { k, op }, Algorithm::AkaV1Md5 | Algorithm::AkaV2Md5) => {
                let nonce = challenge
                    .nonce()
                    .ok_or_else(|| UeError::Challenge("no nonce".into()))?;
                let (rand, autn) = rand_autn(nonce)
                    .ok_or_else(|| UeError::Challenge("nonce is not AKA".into()))?;
                let milenage = Milenage::with_op(&Key::new(*k), &Op::new(*op));
                match usim_authenticate(
                    &milenage,
                    &mut self.usim,
                    &Rand::new(rand),
                    &Autn::new(autn),
                ) {
                    Ok(out) => {
                        let password = aka_password(
                            algorithm,
                            out.res.as_bytes(),
                            out.ik.as_bytes(),
                            out.ck.as_bytes(),
                        )
                        .map_err(|e| UeError::Challenge(e.to_string()))?;
                        DigestClient::new(&impi, &password)
                            .authorization(&challenge, "REGISTER", &uri, &cnonce, 1)
                            .map_err(|e| UeError::Challenge(e.to_string()))
                    }
                    Err(UsimFailure::SyncFailure { auts }) => {
                        let mut bytes = [0u8; 14];
                        bytes.copy_from_slice(auts.as_bytes());
                        DigestClient::new(&impi, b"")
                            .aka_resync_authorization(
                                &challenge, "REGISTER", &uri, &cnonce, 1, &bytes,
                            )
                            .map_err(|e| UeError::Challenge(e.to_string()))
                    }
                    Err(UsimFailure::MacFailure) => Err(UeError::Challenge(
                        "the network failed authentication".into(),
                    )),
                }
            }
            (Credentials::Password(password), _) => DigestClient::new(&impi, password.as_bytes())
                .authorization(&challenge, "REGISTER", &uri, &cnonce, 1)
                .map_err(|e| UeError::Challenge(e.to_string())),
            (Credentials::Aka { .. }, other) => Err(UeError::Challenge(format!(
                "an AKA UE cannot answer {other:?}"
            ))),
        }
    }

    /// Make the USIM accept a challenge with SQN `sqn` made here with the subscriber's keys, so
    /// that its SQN is ahead of the HSS's and the next network challenge needs a resync
    /// (TS 33.102 §6.3.5). True when the USIM took it.
    pub fn advance_sqn(&mut self, sqn: u64) -> bool {
        let Credentials::Aka { k, op } = &self.credentials else {
            return false;
        };
        let milenage = Milenage::with_op(&Key::new(*k), &Op::new(*op));
        let mut bytes = [0u8; 6];
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = (sqn >> (8 * (5 - i))) as u8;
        }
        let vector = generate_vector(
            &milenage,
            Amf::new(*b"00"),
            Sqn::from_bytes(bytes),
            Rand::new([7u8; 16]),
        );
        usim_authenticate(&milenage, &mut self.usim, &vector.rand, &vector.autn).is_ok()
    }

    /// An out-of-dialog request from this UE (INVITE, MESSAGE...) to `target`, with our
    /// Contact, a fresh Call-ID and From tag, and `body` if any. Returns the request text and
    /// its Call-ID.
    pub fn request(
        &mut self,
        method: Method,
        target: &str,
        extra_headers: &str,
        body: Option<(&str, &str)>,
    ) -> (String, String) {
        self.cseq += 1;
        let call_id = self.token("call");
        let tag = self.token("t");
        let branch = self.token("z9hG4bK");
        let (content, length) = match body {
            Some((kind, text)) => (format!("Content-Type: {kind}\r\n"), text.len()),
            None => (String::new(), 0),
        };
        let text = format!(
            "{method} {target} SIP/2.0\r\n\
             Via: SIP/2.0/UDP {addr};branch={branch};rport\r\n\
             Max-Forwards: 70\r\n\
             From: <{impu}>;tag={tag}\r\n\
             To: <{target}>\r\n\
             Call-ID: {call_id}\r\n\
             CSeq: {cseq} {method}\r\n\
             Contact: <{contact}>\r\n\
             {extra_headers}{content}Content-Length: {length}\r\n\r\n{body}",
            addr = self.addr,
            impu = self.impu,
            cseq = self.cseq,
            contact = self.contact(),
            body = body.map(|(_, b)| b).unwrap_or(""),
        );
        (text, call_id)
    }

    /// A response to `request` with `status`, our To tag and Contact, echoing Via, From, To,
    /// Call-ID, CSeq and Record-Route (RFC 3261 §8.2.6, §12.1.1).
    pub fn response(&self, request: &Message, status: u16, to_tag: &str) -> String {
        let mut out = format!(
            "SIP/2.0 {status} {}\r\n",
            StatusCode(status).canonical_reason()
        );
        for v in request.header_values(HeaderName::VIA) {
            out.push_str(&format!("Via: {}\r\n", v.text));
        }
        for rr in request.header_values(HeaderName::RECORD_ROUTE) {
            out.push_str(&format!("Record-Route: {}\r\n", rr.text));
        }
        if let Some(from) = request.header(HeaderName::FROM) {
            out.push_str(&format!("From: {from}\r\n"));
        }
        if let Some(to) = request.header(HeaderName::TO) {
            if to.contains("tag=") || status == 100 {
                out.push_str(&format!("To: {to}\r\n"));
            } else {
                out.push_str(&format!("To: {to};tag={to_tag}\r\n"));
            }
        }
        if let Ok(call_id) = request.call_id() {
            out.push_str(&format!("Call-ID: {call_id}\r\n"));
        }
        if let Some(cseq) = request.header(HeaderName::CSEQ) {
            out.push_str(&format!("CSeq: {cseq}\r\n"));
        }
        out.push_str(&format!(
            "Contact: <{}>\r\nContent-Length: 0\r\n\r\n",
            self.contact()
        ));
        out
    }

    /// An in-dialog request (ACK, BYE) of the caller side: Request-URI = the remote target
    /// (Contact of `response`), Route = the Record-Route of `response` reversed (RFC 3261
    /// §12.1.2), same Call-ID, From (with tag) and To (with the remote tag).
    pub fn in_dialog(
        &mut self,
        method: Method,
        invite: &Message,
        response: &Message,
        cseq: u32,
    ) -> String {
        let target = response
            .header_values(HeaderName::CONTACT)
            .next()
            .map(|c| {
                c.text
                    .trim_start_matches('<')
                    .split('>')
                    .next()
                    .unwrap_or("")
                    .to_owned()
            })
            .unwrap_or_default();
        let mut routes: Vec<String> = response
            .header_values(HeaderName::RECORD_ROUTE)
            .map(|v| v.text.to_owned())
            .collect();
        routes.reverse();
        let branch = self.token("z9hG4bK");
        let mut out = format!(
            "{method} {target} SIP/2.0\r\nVia: SIP/2.0/UDP {};branch={branch};rport\r\nMax-Forwards: 70\r\n",
            self.addr
        );
        for r in routes {
            out.push_str(&format!("Route: {r}\r\n"));
        }
        if let Some(from) = invite.header(HeaderName::FROM) {
            out.push_str(&format!("From: {from}\r\n"));
        }
        if let Some(to) = response.header(HeaderName::TO) {
            out.push_str(&format!("To: {to}\r\n"));
        }
        if let Ok(call_id) = invite.call_id() {
            out.push_str(&format!("Call-ID: {call_id}\r\n"));
        }
        out.push_str(&format!(
            "CSeq: {cseq} {method}\r\nContent-Length: 0\r\n\r\n"
        ));
        out
    }
}
