//! A `postgres://` URL turned into libpq connection parameters, and those
//! written as a connection service file.
//!
//! pg_dump gets no connection information on its command line at all: argv
//! is readable by every local user (`ps`, `/proc/<pid>/cmdline`), and a URL
//! carries secrets beyond the password (`sslpassword=`, `password=` in the
//! query string). Every parameter goes into a 0600 service file in a
//! private directory instead (`PGSERVICEFILE` + `PGSERVICE`), which libpq
//! reads like a connection string.
//!
//! The URL is read as libpq reads one: `user:password@host:port,host2/db?k=v`,
//! percent-decoding per RFC 3986 (a `+` stays a `+`), query parameters
//! overriding the parts before them, `ssl=true` meaning `sslmode=require`.

use percent_encoding::percent_decode_str;

use super::BackupError;
use crate::model::secret::Secret;
use crate::model::text;

/// libpq connection keywords (PostgreSQL 10 to 18) accepted from a URL.
/// `service` and `servicefile` are not: they would point libpq at another
/// service file.
const KEYWORDS: &[&str] = &[
    "application_name",
    "channel_binding",
    "client_encoding",
    "connect_timeout",
    "dbname",
    "fallback_application_name",
    "gssdelegation",
    "gssencmode",
    "gsslib",
    "host",
    "hostaddr",
    "keepalives",
    "keepalives_count",
    "keepalives_idle",
    "keepalives_interval",
    "krbsrvname",
    "load_balance_hosts",
    "max_protocol_version",
    "min_protocol_version",
    "oauth_client_id",
    "oauth_client_secret",
    "oauth_issuer",
    "oauth_scope",
    "options",
    "passfile",
    "password",
    "port",
    "replication",
    "require_auth",
    "requirepeer",
    "scram_client_key",
    "scram_server_key",
    "ssl_max_protocol_version",
    "ssl_min_protocol_version",
    "sslcert",
    "sslcertmode",
    "sslcompression",
    "sslcrl",
    "sslcrldir",
    "sslkey",
    "sslkeylogfile",
    "sslmode",
    "sslnegotiation",
    "sslpassword",
    "sslrootcert",
    "sslsni",
    "target_session_attrs",
    "tcp_user_timeout",
    "user",
];

/// Keywords whose value is a secret: masked wherever it might be quoted.
const SECRET_KEYWORDS: &[&str] = &[
    "password",
    "sslpassword",
    "oauth_client_secret",
    "scram_client_key",
    "scram_server_key",
];

/// Connection parameters in the order they were given; a later value of a
/// keyword replaces an earlier one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ConnParams {
    params: Vec<(&'static str, Vec<u8>)>,
}

/// What pg_dump is handed.
pub(super) struct ServiceFile {
    /// The file's text: `[<service>]` and one `keyword=value` per line.
    pub text: Vec<u8>,
    /// A password a service file cannot hold (it ends with whitespace,
    /// which libpq strips from the line): passed as `PGPASSWORD` instead,
    /// which only the same user can read.
    pub password_env: Option<Vec<u8>>,
}

impl Drop for ServiceFile {
    fn drop(&mut self) {
        // Holds the passwords: cleared before the memory is freed.
        self.text.fill(0);
        if let Some(p) = self.password_env.as_mut() {
            p.fill(0);
        }
    }
}

impl ConnParams {
    fn set(&mut self, key: &'static str, value: Vec<u8>) {
        self.params.retain(|(k, _)| *k != key);
        self.params.push((key, value));
    }

    #[cfg(test)]
    pub(super) fn get(&self, key: &str) -> Option<&[u8]> {
        self.params
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.as_slice())
    }

    /// The service file for service `name`. `source` names where the URL
    /// came from, for errors (which never quote a value).
    pub(super) fn service_file(
        &self,
        name: &str,
        source: &str,
    ) -> Result<ServiceFile, BackupError> {
        let mut text = format!("[{name}]\n").into_bytes();
        let mut password_env = None;
        for (key, value) in &self.params {
            if fits_a_service_file(value) {
                text.extend_from_slice(key.as_bytes());
                text.push(b'=');
                text.extend_from_slice(value);
                text.push(b'\n');
            } else if *key == "password" && !value.contains(&b'\n') {
                password_env = Some(value.clone());
            } else {
                return Err(BackupError::Config(format!(
                    "postgres url (from {source}): the value of `{key}` contains a line break or ends with whitespace, which cannot be passed to pg_dump safely"
                )));
            }
        }
        Ok(ServiceFile { text, password_env })
    }
}

/// libpq reads a service file line by line and strips whitespace (C
/// `isspace`) from both ends of each.
fn fits_a_service_file(value: &[u8]) -> bool {
    let ends_in_space = value
        .last()
        .is_some_and(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r'));
    !ends_in_space && !value.iter().any(|b| matches!(b, b'\n' | b'\r' | 0))
}

/// The URL's connection parameters. Errors name the part that is wrong
/// and where the URL came from, never a value.
pub(super) fn parse(secret: &Secret) -> Result<ConnParams, BackupError> {
    let bad =
        |why: String| BackupError::Config(format!("postgres url (from {}) {why}", secret.source()));
    let url = secret.expose();
    let Some(rest) = url
        .strip_prefix("postgresql://")
        .or_else(|| url.strip_prefix("postgres://"))
    else {
        return Err(bad(match scheme_of(url) {
            Some(scheme) => format!(
                "must start with postgres:// or postgresql://, not {:?}",
                format!("{scheme}:")
            ),
            None => "is not a valid URL: it must start with postgres:// or postgresql://".into(),
        }));
    };
    let mut p = ConnParams { params: Vec::new() };

    let (authority, tail) = rest.split_at(rest.find(['/', '?']).unwrap_or(rest.len()));
    // The last `@`, as RFC 3986 parsers do: a raw `@` in a password stays
    // in the password.
    let hosts = match authority.rsplit_once('@') {
        Some((userinfo, hosts)) => {
            let (user, password) = match userinfo.split_once(':') {
                Some((u, pw)) => (u, Some(pw)),
                None => (userinfo, None),
            };
            if !user.is_empty() {
                p.set("user", decode(user, "user name").map_err(bad)?);
            }
            if let Some(pw) = password {
                p.set("password", decode(pw, "password").map_err(bad)?);
            }
            hosts
        }
        None => authority,
    };
    if !hosts.is_empty() {
        let (host, port) = host_list(hosts).map_err(bad)?;
        if !host.is_empty() {
            p.set("host", host);
        }
        if !port.is_empty() {
            p.set("port", port);
        }
    }

    let (path, query) = match tail.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (tail, None),
    };
    let db = path.strip_prefix('/').unwrap_or(path);
    if !db.is_empty() {
        p.set("dbname", decode(db, "database name").map_err(bad)?);
    }
    for pair in query.unwrap_or("").split('&').filter(|s| !s.is_empty()) {
        let (key, value) = query_pair(pair).map_err(bad)?;
        p.set(key, value);
    }

    for (key, value) in &p.params {
        if SECRET_KEYWORDS.contains(key)
            && let Ok(v) = std::str::from_utf8(value)
        {
            text::register_secret(v);
        }
    }
    Ok(p)
}

/// The scheme of something URL-shaped, if it looks like one (quoted in
/// errors, so it must not be able to carry much).
fn scheme_of(s: &str) -> Option<&str> {
    let (scheme, _) = s.split_once("://")?;
    let ok = (1..=20).contains(&scheme.len())
        && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    ok.then_some(scheme)
}

/// `h1:p1,[::1]:p2,h3` → (`h1,::1,h3`, `p1,p2,`), as libpq joins them.
fn host_list(hosts: &str) -> Result<(Vec<u8>, Vec<u8>), String> {
    let mut host_out = Vec::new();
    let mut port_out = Vec::new();
    for (i, entry) in hosts.split(',').enumerate() {
        let (host, port) = if let Some(inner) = entry.strip_prefix('[') {
            let (addr, after) = inner
                .split_once(']')
                .ok_or_else(|| "has an IPv6 host without its closing `]`".to_string())?;
            match after {
                "" => (addr, ""),
                _ => match after.strip_prefix(':') {
                    Some(port) => (addr, port),
                    None => return Err("has text after an IPv6 host's `]`".into()),
                },
            }
        } else {
            entry.split_once(':').unwrap_or((entry, ""))
        };
        if !port.is_empty() && !port.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("has a port that is not a number in host {}", i + 1));
        }
        if i > 0 {
            host_out.push(b',');
            port_out.push(b',');
        }
        host_out.extend(decode(host, "host")?);
        port_out.extend_from_slice(port.as_bytes());
    }
    // No port anywhere: libpq's default for every host.
    if port_out.iter().all(|&b| b == b',') {
        port_out.clear();
    }
    Ok((host_out, port_out))
}

/// One `key=value` of the query string.
fn query_pair(pair: &str) -> Result<(&'static str, Vec<u8>), String> {
    let Some((key, value)) = pair.split_once('=') else {
        return Err("has a query parameter without `=`".into());
    };
    let key = String::from_utf8(decode(key, "query parameter name")?)
        .map_err(|_| "has a query parameter name that is not text".to_string())?;
    if key == "ssl" {
        // libpq's JDBC-compatible spelling.
        return match value {
            "true" => Ok(("sslmode", b"require".to_vec())),
            _ => Err("has `ssl=` with a value other than `true`".into()),
        };
    }
    let Some(&keyword) = KEYWORDS.iter().find(|k| **k == key) else {
        return Err(format!(
            "has query parameter {:?}, which is not a libpq connection parameter",
            text::safe(&key)
        ));
    };
    Ok((keyword, decode(value, &format!("`{keyword}` parameter"))?))
}

/// Percent-decodes `s`, rejecting a malformed escape and `%00` (libpq does
/// both). `what` names the part in the error.
fn decode(s: &str, what: &str) -> Result<Vec<u8>, String> {
    let b = s.as_bytes();
    for (i, _) in s.match_indices('%') {
        let hex = b.get(i + 1..i + 3);
        if !hex.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
            return Err(format!("has an invalid percent-encoding in its {what}"));
        }
    }
    let out: Vec<u8> = percent_decode_str(s).collect();
    if out.contains(&0) {
        return Err(format!("has a NUL byte (%00) in its {what}"));
    }
    Ok(out)
}

#[cfg(test)]
#[path = "pg_conn_tests.rs"]
mod tests;
