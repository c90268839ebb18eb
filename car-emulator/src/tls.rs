//! `--tls`: a certificate authority made for this start, and a leaf it signs for
//! `localhost` and `127.0.0.1`. Clients trust the CA file the emulator writes into its
//! data directory; nothing is installed system-wide, and the keys never touch the disk.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};
use tokio_rustls::rustls;
use tokio_rustls::TlsAcceptor;

/// The CA certificate's file name in the data directory.
pub const CA_FILE: &str = "emulator-ca.pem";

/// A TLS acceptor and where its CA certificate was written.
pub struct Tls {
    /// Accepts TLS on a connection.
    pub acceptor: TlsAcceptor,
    /// The CA certificate (PEM) clients should trust.
    pub ca_file: PathBuf,
}

/// Makes a fresh CA and leaf, writes the CA certificate to `data_dir`, and builds an
/// acceptor serving the leaf.
pub fn generate(data_dir: &Path) -> Result<Tls, String> {
    let bad = |e: &dyn std::fmt::Display| format!("cannot set up TLS: {e}");
    let ca_key = KeyPair::generate().map_err(|e| bad(&e))?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(|e| bad(&e))?;
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "car emulator local CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca = ca_params.self_signed(&ca_key).map_err(|e| bad(&e))?;

    let leaf_key = KeyPair::generate().map_err(|e| bad(&e))?;
    let mut leaf_params =
        CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .map_err(|e| bad(&e))?;
    leaf_params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    leaf_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    leaf_params.use_authority_key_identifier_extension = true;
    let leaf = leaf_params
        .signed_by(&leaf_key, &ca, &ca_key)
        .map_err(|e| bad(&e))?;

    let ca_file = data_dir.join(CA_FILE);
    std::fs::write(&ca_file, ca.pem())
        .map_err(|e| format!("cannot write {}: {e}", ca_file.display()))?;

    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into());
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| bad(&e))?
    .with_no_client_auth()
    .with_single_cert(vec![leaf.der().clone(), ca.der().clone()], key)
    .map_err(|e| bad(&e))?;
    Ok(Tls {
        acceptor: TlsAcceptor::from(Arc::new(config)),
        ca_file,
    })
}
