//! rustls configurations from PEM files (RFC 6733 §13: TLS at connect time, mutual
//! authentication when configured).

use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{ClientConfig, RootCertStore, ServerConfig};

use crate::config::TlsFiles;

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A PEM file could not be read.
    #[error("reading {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// A PEM file holds no certificate or no key.
    #[error("{0}: no certificate or private key found")]
    Empty(String),
    /// rustls refused the material.
    #[error("tls: {0}")]
    Rustls(#[from] rustls::Error),
    /// The client verifier could not be built.
    #[error("client verifier: {0}")]
    Verifier(String),
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn reader(path: &Path) -> Result<BufReader<File>, TlsError> {
    File::open(path)
        .map(BufReader::new)
        .map_err(|source| TlsError::Read {
            path: path.display().to_string(),
            source,
        })
}

fn certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let list = rustls_pemfile::certs(&mut reader(path)?)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|source| TlsError::Read {
            path: path.display().to_string(),
            source,
        })?;
    if list.is_empty() {
        return Err(TlsError::Empty(path.display().to_string()));
    }
    Ok(list)
}

fn key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    rustls_pemfile::private_key(&mut reader(path)?)
        .map_err(|source| TlsError::Read {
            path: path.display().to_string(),
            source,
        })?
        .ok_or_else(|| TlsError::Empty(path.display().to_string()))
}

fn roots(path: &Path) -> Result<RootCertStore, TlsError> {
    let mut store = RootCertStore::empty();
    for c in certs(path)? {
        store.add(c)?;
    }
    Ok(store)
}

/// The server side: our certificate; client certificates required and verified against the
/// CA when `require_client_cert`.
pub fn server_config(files: &TlsFiles) -> Result<Arc<ServerConfig>, TlsError> {
    let builder =
        ServerConfig::builder_with_provider(provider()).with_safe_default_protocol_versions()?;
    let builder = if files.require_client_cert {
        let verifier =
            WebPkiClientVerifier::builder_with_provider(Arc::new(roots(&files.ca)?), provider())
                .build()
                .map_err(|e| TlsError::Verifier(e.to_string()))?;
        builder.with_client_cert_verifier(verifier)
    } else {
        builder.with_no_client_auth()
    };
    Ok(Arc::new(
        builder.with_single_cert(certs(&files.cert)?, key(&files.key)?)?,
    ))
}

/// The client side: trusts the CA and presents our certificate.
pub fn client_config(files: &TlsFiles) -> Result<Arc<ClientConfig>, TlsError> {
    let builder = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots(&files.ca)?);
    Ok(Arc::new(builder.with_client_auth_cert(
        certs(&files.cert)?,
        key(&files.key)?,
    )?))
}

/// A client that trusts the CA bundle and presents no certificate (for tools).
pub fn client_config_no_auth(ca: &Path) -> Result<Arc<ClientConfig>, TlsError> {
    Ok(Arc::new(
        ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots(ca)?)
            .with_no_client_auth(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_and_empty_files_are_errors() {
        let dir = std::env::temp_dir().join(format!("dnet-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let empty = dir.join("empty.pem");
        std::fs::write(&empty, "").unwrap();
        let files = TlsFiles {
            cert: empty.clone(),
            key: empty.clone(),
            ca: empty.clone(),
            require_client_cert: true,
        };
        assert!(matches!(server_config(&files), Err(TlsError::Empty(_))));
        assert!(matches!(client_config(&files), Err(TlsError::Empty(_))));
        assert!(matches!(
            client_config_no_auth(&dir.join("nope.pem")),
            Err(TlsError::Read { .. })
        ));
    }
}
