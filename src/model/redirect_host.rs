//! `RedirectHost`: one of the other hosts a health probe may follow a
//! redirect to (config's `[defaults] follow_redirects_to`). A probe
//! follows redirects within its own host (and from http to https on the
//! default ports) by itself; a redirect anywhere else is reported, not
//! followed, unless its `host:port` is listed.

use std::fmt;

use serde::{Deserialize, Deserializer};

/// One `host:port` a probe may be redirected to, normalised the way URLs
/// are (lower case, IDN as punycode, IPv6 in brackets).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RedirectHost {
    pub host: String,
    pub port: u16,
}

impl RedirectHost {
    /// Reads `auth.example.internal:443`, `10.0.0.7:8443`, `[::1]:9000`.
    pub fn parse(s: &str) -> Result<RedirectHost, String> {
        let example = "e.g. \"auth.example.internal:443\"";
        let (host, port) = s
            .trim()
            .rsplit_once(':')
            .filter(|(h, _)| !h.is_empty() && (!h.contains(':') || h.starts_with('[')))
            .ok_or_else(|| format!("`{s}` is not host:port ({example})"))?;
        let port = port
            .parse::<u16>()
            .ok()
            .filter(|p| *p != 0)
            .ok_or_else(|| format!("`{s}`: the port must be a number from 1 to 65535"))?;
        let host = url::Host::parse(host)
            .map_err(|e| format!("`{s}`: `{host}` is not a host name or address ({e})"))?;
        Ok(RedirectHost {
            host: host.to_string(),
            port,
        })
    }

    /// Whether `url` points at this host and port.
    pub fn matches(&self, url: &url::Url) -> bool {
        url.host_str() == Some(self.host.as_str()) && url.port_or_known_default() == Some(self.port)
    }
}

impl fmt::Display for RedirectHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.host, self.port)
    }
}

impl<'de> Deserialize<'de> for RedirectHost {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        RedirectHost::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_with_ports_are_read_and_normalised() {
        let h = RedirectHost::parse("Auth.Example.Internal:443").unwrap();
        assert_eq!(h.to_string(), "auth.example.internal:443");
        assert!(h.matches(&url::Url::parse("https://auth.example.internal/x").unwrap()));
        assert!(!h.matches(&url::Url::parse("http://auth.example.internal/x").unwrap()));
        assert!(!h.matches(&url::Url::parse("https://evil/x").unwrap()));
        let v6 = RedirectHost::parse("[::1]:9000").unwrap();
        assert!(v6.matches(&url::Url::parse("http://[::1]:9000/").unwrap()));
        assert_eq!(
            RedirectHost::parse("10.0.0.7:8443").unwrap().to_string(),
            "10.0.0.7:8443"
        );
    }

    #[test]
    fn anything_else_is_refused_with_the_value_quoted() {
        for (bad, says) in [
            ("auth.example.internal", "is not host:port"),
            (":443", "is not host:port"),
            ("::1:443", "is not host:port"),
            ("auth:https", "port must be a number"),
            ("auth:0", "port must be a number"),
            ("auth:70000", "port must be a number"),
            ("a b:80", "is not a host name"),
        ] {
            let e = RedirectHost::parse(bad).unwrap_err();
            assert!(e.contains(says) && e.contains(bad), "{bad}: {e}");
        }
    }
}
