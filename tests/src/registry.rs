//! The one list of the services the simulator plays, each by the definition its module builds.
//! The server looks services up here; service modules never import the server or this list.

use crate::service::Service;
use crate::service_def::ServiceDef;
use std::sync::OnceLock;

/// Every service's definition, built once.
pub fn all() -> &'static [ServiceDef] {
    static DEFS: OnceLock<Vec<ServiceDef>> = OnceLock::new();
    DEFS.get_or_init(|| {
        vec![
            crate::login::def(),
            crate::graph::def(),
            crate::arm::def(),
            crate::keyvault::def(Service::KeyVault),
            crate::keyvault::def(Service::ManagedHsm),
            crate::atlas::def(),
            crate::identity::def(),
            crate::admin::def(),
        ]
    })
}

/// The definition of `service`.
pub fn def(service: Service) -> &'static ServiceDef {
    all()
        .iter()
        .find(|d| d.service == service)
        .expect("every service has a definition")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn every_service_has_exactly_one_definition() {
        for service in Service::ALL {
            let n = all().iter().filter(|d| d.service == service).count();
            assert_eq!(n, 1, "{service}");
        }
        assert_eq!(all().len(), Service::ALL.len());
    }

    /// The module graph stays acyclic around the server: only the server itself and the harness
    /// that starts it may name `crate::server`; services use `crate::shared` and
    /// `crate::service_def`, and only this module lists them.
    #[test]
    fn services_do_not_import_the_server() {
        fn walk(dir: &Path, out: &mut Vec<(String, String)>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(&path, out);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    out.push((path.display().to_string(), text));
                }
            }
        }
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        walk(&src, &mut files);
        assert!(files.len() > 20, "walked {}", src.display());
        // Spelt in two halves so this file does not match itself.
        let server = ["crate", "::server"].concat();
        let registry = ["crate", "::registry"].concat();
        let rel = |p: &str| p[src.display().to_string().len() + 1..].replace('\\', "/");
        for (path, text) in &files {
            let rel = rel(path);
            let code: String = text
                .lines()
                .filter(|l| !l.trim_start().starts_with("//"))
                .collect::<Vec<_>>()
                .join("\n");
            if !(rel.starts_with("server/") || rel.starts_with("harness/") || rel == "lib.rs") {
                assert!(!code.contains(&server), "{rel} imports the server");
            }
            if !rel.starts_with("server/") {
                assert!(!code.contains(&registry), "{rel} uses the registry");
            }
        }
    }
}
