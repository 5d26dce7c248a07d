//! The Docker hosts to watch and act on, from `[docker]`.

use crate::clients::docker::HostSpec;
use crate::config::DockerConfig;

/// The hosts `[docker]` names; `None` when the source is disabled, the
/// local daemon (as the docker CLI finds it) when none are named.
pub fn hosts(c: &DockerConfig) -> Option<Vec<HostSpec>> {
    if c.disabled {
        return None;
    }
    if c.hosts.is_empty() {
        return Some(vec![HostSpec {
            name: "local".into(),
            endpoint: None,
            tls_cert_path: None,
        }]);
    }
    Some(
        c.hosts
            .iter()
            .map(|h| HostSpec {
                name: h.name.clone(),
                endpoint: h.endpoint.clone(),
                tls_cert_path: h.tls_cert_path.clone(),
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DockerHostConfig;

    #[test]
    fn hosts_from_config_defaults_and_disabled() {
        let c = DockerConfig {
            hosts: vec![],
            disabled: false,
        };
        let h = hosts(&c).unwrap();
        assert_eq!(h.len(), 1);
        assert_eq!(h[0].name, "local");
        assert_eq!(h[0].endpoint, None);
        let c = DockerConfig {
            hosts: vec![],
            disabled: true,
        };
        assert!(hosts(&c).is_none());
        let c = DockerConfig {
            hosts: vec![DockerHostConfig {
                name: "edge".into(),
                endpoint: Some("tcp://edge:2376".into()),
                tls_cert_path: Some("/certs".into()),
                environment: None,
            }],
            disabled: false,
        };
        let h = hosts(&c).unwrap();
        assert_eq!(
            h,
            vec![HostSpec {
                name: "edge".into(),
                endpoint: Some("tcp://edge:2376".into()),
                tls_cert_path: Some("/certs".into()),
            }]
        );
    }
}
