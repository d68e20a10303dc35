//! rustls configurations (ring provider) from PEM files (RFC 3261 §26.3.1, RFC 5922 names).

use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, RootCertStore, ServerConfig};

use crate::error::TlsConfigError;

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn open(path: &Path) -> Result<BufReader<File>, TlsConfigError> {
    File::open(path)
        .map(BufReader::new)
        .map_err(|source| TlsConfigError::Read {
            path: path.display().to_string(),
            source,
        })
}

fn read_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsConfigError> {
    let mut reader = open(path)?;
    let certs = rustls_pemfile::certs(&mut reader)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|source| TlsConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
    if certs.is_empty() {
        return Err(TlsConfigError::NoCertificate(path.display().to_string()));
    }
    Ok(certs)
}

fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsConfigError> {
    let mut reader = open(path)?;
    rustls_pemfile::private_key(&mut reader)
        .map_err(|source| TlsConfigError::Read {
            path: path.display().to_string(),
            source,
        })?
        .ok_or_else(|| TlsConfigError::NoPrivateKey(path.display().to_string()))
}

/// A server configuration from a PEM certificate chain and key, without client authentication.
pub fn server_config(cert: &Path, key: &Path) -> Result<Arc<ServerConfig>, TlsConfigError> {
    let certs = read_certs(cert)?;
    let key = read_key(key)?;
    let config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(certs, key)?;
    Ok(Arc::new(config))
}

/// A client configuration trusting the CA certificates of a PEM bundle.
pub fn client_config(roots: &Path) -> Result<Arc<ClientConfig>, TlsConfigError> {
    let mut store = RootCertStore::empty();
    for cert in read_certs(roots)? {
        store.add(cert)?;
    }
    let config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .with_root_certificates(store)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// The name to verify the server certificate against: `name` if given (a domain from the SIP
/// URI, RFC 5922 §4.1), else the peer's IP address.
pub(crate) fn server_name(name: Option<&str>, ip: std::net::IpAddr) -> Option<ServerName<'static>> {
    match name {
        Some(n) => ServerName::try_from(n.to_owned()).ok(),
        None => Some(ServerName::IpAddress(ip.into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_name_from_domain_or_ip() {
        let ip: std::net::IpAddr = "127.0.0.1".parse().expect("ip");
        assert!(matches!(
            server_name(Some("pcscf.ims.test"), ip),
            Some(ServerName::DnsName(_))
        ));
        assert!(matches!(
            server_name(None, ip),
            Some(ServerName::IpAddress(_))
        ));
        assert!(server_name(Some("bad name!"), ip).is_none());
    }

    #[test]
    fn empty_pem_files_are_refused() {
        let dir = std::env::temp_dir().join(format!("sip-net-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let empty = dir.join("empty.pem");
        std::fs::write(&empty, "").expect("write");
        assert!(matches!(
            client_config(&empty),
            Err(TlsConfigError::NoCertificate(_))
        ));
        assert!(matches!(
            server_config(&empty, &empty),
            Err(TlsConfigError::NoCertificate(_))
        ));
        assert!(matches!(
            client_config(&dir.join("missing.pem")),
            Err(TlsConfigError::Read { .. })
        ));
    }
}
