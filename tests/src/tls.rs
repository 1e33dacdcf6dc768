//! The certificate authority generated at start and the server certificate it issues for every
//! simulated host. Fixed service hosts are named one by one because certificate verifiers refuse
//! a wildcard directly over a single label (`*.localhost`); vaults and HSMs are covered by
//! `*.vault.localhost` and `*.managedhsm.localhost`.

use crate::service::CERT_NAMES;
use anyhow::Context;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DistinguishedName, DnType, IsCa, KeyPair,
    KeyUsagePurpose, SanType,
};
use std::sync::Arc;

/// The CA (PEM, for clients to trust) and the server's TLS configuration.
pub struct Tls {
    pub ca_pem: String,
    pub server_config: Arc<rustls::ServerConfig>,
}

pub fn generate() -> anyhow::Result<Tls> {
    let mut ca_params = CertificateParams::default();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "xtcmk-sim local CA");
    ca_params.distinguished_name = dn;
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate()?)
        .context("cannot create the simulator's CA")?;

    let mut leaf_params = CertificateParams::new(CERT_NAMES.map(String::from).to_vec())?;
    leaf_params
        .subject_alt_names
        .push(SanType::IpAddress(std::net::Ipv4Addr::LOCALHOST.into()));
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "xtcmk-sim");
    leaf_params.distinguished_name = dn;
    let leaf_key = KeyPair::generate()?;
    let leaf = leaf_params
        .signed_by(&leaf_key, &ca)
        .context("cannot issue the server certificate")?;

    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf.der().clone(), ca.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into()),
        )?;
    // HTTP/1.1 only: a "dropped connection" fault then closes the connection, as a reset would.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Tls {
        ca_pem: ca.pem(),
        server_config: Arc::new(config),
    })
}
