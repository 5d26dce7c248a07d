//! Following a health endpoint's redirects as Kubernetes probes and the
//! blackbox exporter do: a bounded number of hops, each to the same
//! scheme or up from http to https, never to another host unless the
//! config lists it (`[defaults] follow_redirects_to`). Whatever is not
//! followed fails the probe with the reason in words.

use url::Url;

use crate::model::{ProbeFailure, RedirectHost};

/// Hops followed at most (Kubernetes and curl's default for probes stop
/// well before 10; five is more than any healthy service needs).
pub const MAX_REDIRECTS: usize = 5;

/// The longest a hop's target is shown.
const SHOWN_CHARS: usize = 100;

/// Whether a status asks a GET to go elsewhere (`300` and `304` do not).
pub fn is_redirect(code: u16) -> bool {
    matches!(code, 301 | 302 | 303 | 307 | 308)
}

/// The way one probe went: where it started, every URL it asked, and each
/// hop as shown (`302 → /health`).
#[derive(Debug)]
pub struct Trail {
    start: Url,
    visited: Vec<Url>,
    hops: Vec<String>,
}

impl Trail {
    pub fn new(start: &Url) -> Trail {
        Trail {
            start: start.clone(),
            visited: vec![start.clone()],
            hops: Vec::new(),
        }
    }

    /// Where a redirect from `current` leads, if it may be followed;
    /// otherwise the failure that says why not.
    pub fn follow(
        &mut self,
        code: u16,
        current: &Url,
        location: Option<&[u8]>,
        allowed: &[RedirectHost],
    ) -> Result<Url, ProbeFailure> {
        let Some(location) = location else {
            return Err(self.refuse(format!("HTTP {code} redirect without a Location")));
        };
        let next = std::str::from_utf8(location)
            .ok()
            .and_then(|l| current.join(l.trim()).ok());
        let Some(mut next) = next else {
            let shown = crate::model::text::safe(&String::from_utf8_lossy(location));
            self.hops.push(format!("{code} → {}", cut(&shown)));
            return Err(self.refuse(format!("HTTP {code} redirect to an unreadable Location")));
        };
        next.set_fragment(None);
        self.hops.push(format!("{code} → {}", self.show(&next)));
        match (current.scheme(), next.scheme()) {
            (a, b) if a == b => {}
            ("http", "https") => {}
            ("https", "http") => {
                return Err(self.refuse("redirect from https to http not followed".into()));
            }
            (_, other) => {
                let other = crate::model::text::safe(other);
                return Err(self.refuse(format!("redirect to a {other}: URL not followed")));
            }
        }
        if !self.is_home(&next) && !allowed.iter().any(|h| h.matches(&next)) {
            let host = next.host_str().unwrap_or("?");
            let port = next.port_or_known_default().unwrap_or(0);
            let host = crate::model::text::safe(host);
            return Err(self.refuse(format!("redirect to other host {host}:{port} not followed")));
        }
        if self.visited.contains(&next) {
            return Err(self.refuse(format!("redirect loop back to {}", self.show(&next))));
        }
        if self.hops.len() > MAX_REDIRECTS {
            return Err(self.refuse(format!("too many redirects (more than {MAX_REDIRECTS})")));
        }
        self.visited.push(next.clone());
        Ok(next)
    }

    /// Whether `url` is the probe's own host: the same host and port, or
    /// the same host moved from http to https on the default ports. Only
    /// there do the probe's credentials go.
    pub fn is_home(&self, url: &Url) -> bool {
        let s = &self.start;
        s.host_str() == url.host_str()
            && (s.port_or_known_default() == url.port_or_known_default()
                || (s.scheme() == "http"
                    && url.scheme() == "https"
                    && s.port().is_none()
                    && url.port().is_none()))
    }

    /// The hops followed, `301 → https://api/health · 302 → /health`, or
    /// `None` when the first answer was the last.
    pub fn summary(&self) -> Option<String> {
        (!self.hops.is_empty()).then(|| self.hops.join(" · "))
    }

    fn refuse(&self, reason: String) -> ProbeFailure {
        ProbeFailure::Redirect {
            reason,
            hops: self.hops.join(" · "),
        }
    }

    /// A hop's target: the path when it stays on the probe's origin, else
    /// the whole URL without credentials; safe to draw.
    fn show(&self, url: &Url) -> String {
        let same_origin = url.scheme() == self.start.scheme()
            && url.host_str() == self.start.host_str()
            && url.port_or_known_default() == self.start.port_or_known_default();
        let text = if same_origin {
            match url.query() {
                Some(q) => format!("{}?{q}", url.path()),
                None => url.path().to_string(),
            }
        } else {
            let mut u = url.clone();
            // Both only fail for URLs that cannot carry credentials.
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.to_string()
        };
        cut(&crate::model::text::safe(&text))
    }
}

fn cut(s: &str) -> String {
    if s.chars().count() <= SHOWN_CHARS {
        return s.to_string();
    }
    let mut out: String = s.chars().take(SHOWN_CHARS - 1).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    fn reason(f: ProbeFailure) -> (String, String) {
        match f {
            ProbeFailure::Redirect { reason, hops } => (reason, hops),
            other => panic!("not a redirect failure: {other:?}"),
        }
    }

    #[test]
    fn same_host_and_https_upgrade_are_followed() {
        let start = url("http://api.internal/healthz");
        let mut t = Trail::new(&start);
        let next = t.follow(302, &start, Some(b"/health"), &[]).unwrap();
        assert_eq!(next.as_str(), "http://api.internal/health");
        let up = t
            .follow(301, &next, Some(b"https://api.internal/health"), &[])
            .unwrap();
        assert!(t.is_home(&up));
        assert_eq!(
            t.summary().as_deref(),
            Some("302 → /health · 301 → https://api.internal/health")
        );
    }

    #[test]
    fn other_hosts_downgrades_and_odd_schemes_are_refused() {
        let start = url("http://api.internal:8080/health");
        let refused = |loc: &str, allowed: &[RedirectHost]| {
            reason(
                Trail::new(&start)
                    .follow(302, &start, Some(loc.as_bytes()), allowed)
                    .unwrap_err(),
            )
        };
        let (r, hops) = refused("http://evil/health", &[]);
        assert_eq!(r, "redirect to other host evil:80 not followed");
        assert_eq!(hops, "302 → http://evil/health");
        // Another port is another host; an upgrade off the default ports
        // is too.
        let (r, _) = refused("http://api.internal:9090/health", &[]);
        assert_eq!(r, "redirect to other host api.internal:9090 not followed");
        let (r, _) = refused("https://api.internal:8443/health", &[]);
        assert_eq!(r, "redirect to other host api.internal:8443 not followed");
        let (r, _) = refused("ftp://api.internal:8080/x", &[]);
        assert_eq!(r, "redirect to a ftp: URL not followed");
        // Credentials in a Location are never shown.
        let (_, hops) = refused("http://u:pw-s3cret@evil/x", &[]);
        assert!(!hops.contains("pw-s3cret"), "{hops}");

        let https = url("https://api.internal/health");
        let f = Trail::new(&https)
            .follow(302, &https, Some(b"http://api.internal/health"), &[])
            .unwrap_err();
        assert_eq!(reason(f).0, "redirect from https to http not followed");
    }

    #[test]
    fn a_listed_host_is_followed() {
        let start = url("http://api.internal/health");
        let allowed = [RedirectHost::parse("sso.internal:443").unwrap()];
        let mut t = Trail::new(&start);
        let next = t
            .follow(302, &start, Some(b"https://sso.internal/ok"), &allowed)
            .unwrap();
        assert!(!t.is_home(&next), "credentials stay home");
    }

    #[test]
    fn loops_and_long_chains_stop_with_a_reason() {
        let start = url("http://api.internal/a");
        let mut t = Trail::new(&start);
        let b = t.follow(302, &start, Some(b"/b"), &[]).unwrap();
        let f = t.follow(302, &b, Some(b"/a"), &[]).unwrap_err();
        let (r, hops) = reason(f);
        assert_eq!(r, "redirect loop back to /a");
        assert_eq!(hops, "302 → /b · 302 → /a");

        let mut t = Trail::new(&start);
        let mut cur = start.clone();
        for i in 0..MAX_REDIRECTS {
            cur = t
                .follow(307, &cur, Some(format!("/{i}").as_bytes()), &[])
                .unwrap();
        }
        let f = t.follow(307, &cur, Some(b"/again"), &[]).unwrap_err();
        assert_eq!(reason(f).0, "too many redirects (more than 5)");
    }

    #[test]
    fn missing_or_unreadable_locations_are_named() {
        let start = url("http://api.internal/a");
        let f = Trail::new(&start)
            .follow(302, &start, None, &[])
            .unwrap_err();
        assert_eq!(reason(f).0, "HTTP 302 redirect without a Location");
        let f = Trail::new(&start)
            .follow(302, &start, Some(b"http://[zz/\x1b[2J"), &[])
            .unwrap_err();
        let (r, hops) = reason(f);
        assert_eq!(r, "HTTP 302 redirect to an unreadable Location");
        assert!(!hops.contains('\x1b'), "{hops:?}");
        assert!(is_redirect(308) && !is_redirect(304) && !is_redirect(300));
    }
}
