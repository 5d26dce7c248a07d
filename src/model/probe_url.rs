//! A probe's target, validated: an http(s) URL without credentials in it,
//! or `tcp://host:port`; and URLs made safe to draw or log.

use serde::{Deserialize, Deserializer};

/// A validated probe target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProbeUrl {
    Http(url::Url),
    Tcp { host: String, port: u16 },
}

impl ProbeUrl {
    pub fn parse(s: &str) -> Result<ProbeUrl, String> {
        let u = url::Url::parse(s).map_err(|e| format!("`{s}` is not a valid URL: {e}"))?;
        match u.scheme() {
            "http" | "https" => {
                if u.host_str().is_none_or(str::is_empty) {
                    return Err(format!("`{s}` has no host"));
                }
                if !u.username().is_empty() || u.password().is_some() {
                    return Err(format!(
                        "`{}` carries credentials in the URL; use `basic` or `bearer` with a secret reference",
                        redact_url(&u)
                    ));
                }
                Ok(ProbeUrl::Http(u))
            }
            "tcp" => {
                let host = u
                    .host_str()
                    .filter(|h| !h.is_empty())
                    .ok_or_else(|| format!("`{s}` has no host"))?;
                let port = u
                    .port()
                    .ok_or_else(|| format!("`{s}` needs a port, e.g. tcp://{host}:5432"))?;
                Ok(ProbeUrl::Tcp {
                    host: host.trim_matches(['[', ']']).to_string(),
                    port,
                })
            }
            other => Err(format!(
                "`{s}` has scheme `{other}`; expected http, https or tcp"
            )),
        }
    }

    /// The target as shown on the board.
    pub fn display(&self) -> String {
        match self {
            ProbeUrl::Http(u) => redact_url(u),
            ProbeUrl::Tcp { host, port } if host.contains(':') => format!("tcp://[{host}]:{port}"),
            ProbeUrl::Tcp { host, port } => format!("tcp://{host}:{port}"),
        }
    }
}

/// A URL without userinfo or query string values, safe to draw or log.
pub fn redact_url(u: &url::Url) -> String {
    let mut u = u.clone();
    let _ = u.set_username("");
    let _ = u.set_password(None);
    let keys: Option<Vec<String>> = u
        .query()
        .map(|_| u.query_pairs().map(|(k, _)| format!("{k}=…")).collect());
    u.set_query(None);
    let fragment_free = {
        u.set_fragment(None);
        u.to_string()
    };
    match keys {
        Some(k) if !k.is_empty() => format!("{fragment_free}?{}", k.join("&")),
        _ => fragment_free,
    }
}

impl<'de> Deserialize<'de> for ProbeUrl {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        ProbeUrl::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_urls() {
        assert!(matches!(
            ProbeUrl::parse("http://127.0.0.1:8080/health"),
            Ok(ProbeUrl::Http(_))
        ));
        assert_eq!(
            ProbeUrl::parse("tcp://db:5432"),
            Ok(ProbeUrl::Tcp {
                host: "db".into(),
                port: 5432
            })
        );
        assert!(
            ProbeUrl::parse("tcp://db")
                .unwrap_err()
                .contains("needs a port")
        );
        assert!(
            ProbeUrl::parse("ftp://x")
                .unwrap_err()
                .contains("scheme `ftp`")
        );
        let e = ProbeUrl::parse("https://u:pw@x/health").unwrap_err();
        assert!(e.contains("credentials") && !e.contains("pw"), "{e}");
    }

    #[test]
    fn redacts_query_values() {
        let u = url::Url::parse("https://x/health?token=abc&v=1").unwrap();
        assert_eq!(redact_url(&u), "https://x/health?token=…&v=…");
    }
}
