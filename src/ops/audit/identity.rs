//! Who and where: the user and host written into every entry, and the id of
//! this process's run.
//!
//! `user` and `host` are what the environment says (`$SUDO_USER`, `$USER`,
//! the kernel hostname): a convenience for honest operators, not
//! authentication. `run` is random per process, so `run` + `job` names one
//! job across restarts (job ids restart at 1 in every process).

use std::sync::OnceLock;

/// This process's run id: 8 random bytes, hex; the same for every entry it
/// writes.
pub fn run_id() -> &'static str {
    static RUN: OnceLock<String> = OnceLock::new();
    RUN.get_or_init(|| {
        crate::ops::private_file::random_hex(8).unwrap_or_else(|_| {
            // No randomness (practically impossible): unique enough to pair
            // lines of one process, which is all `run` is for.
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos());
            format!("{:08x}{:08x}", std::process::id(), nanos as u32)
        })
    })
}

fn env_nonempty(name: &str) -> Option<String> {
    std::env::var_os(name)
        .map(|v| v.to_string_lossy().into_owned())
        .filter(|v| !v.is_empty())
}

pub(super) fn current_user() -> String {
    let status = std::fs::read_to_string("/proc/self/status").ok();
    user_from(
        env_nonempty("SUDO_USER"),
        env_nonempty("USER"),
        env_nonempty("LOGNAME"),
        status.as_deref(),
    )
}

/// `$SUDO_USER` → `alice (sudo as root)`; else `$USER`, `$LOGNAME`, the real
/// uid from `/proc/self/status`, `unknown`.
fn user_from(
    sudo_user: Option<String>,
    user: Option<String>,
    logname: Option<String>,
    proc_status: Option<&str>,
) -> String {
    let plain = user.or(logname).or_else(|| {
        proc_status
            .and_then(uid_from_status)
            .map(|u| format!("uid {u}"))
    });
    match (sudo_user, plain) {
        (Some(s), Some(p)) => format!("{s} (sudo as {p})"),
        (Some(s), None) => format!("{s} (sudo)"),
        (None, Some(p)) => p,
        (None, None) => "unknown".into(),
    }
}

fn uid_from_status(status: &str) -> Option<u32> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|uid| uid.parse().ok())
}

pub(super) fn current_host() -> String {
    host_from(
        std::fs::read_to_string("/proc/sys/kernel/hostname").ok(),
        env_nonempty("HOSTNAME"),
    )
}

fn host_from(kernel: Option<String>, env: Option<String>) -> String {
    kernel
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .or(env)
        .unwrap_or_else(|| "unknown".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_resolution_order() {
        let s = |v: &str| Some(v.to_string());
        let status = "Name:\tx\nUid:\t1000\t1000\t1000\t1000\nGid:\t5\n";
        assert_eq!(
            user_from(s("alice"), s("root"), s("r"), None),
            "alice (sudo as root)"
        );
        assert_eq!(user_from(None, s("bob"), s("carol"), Some(status)), "bob");
        assert_eq!(user_from(None, None, s("carol"), Some(status)), "carol");
        assert_eq!(user_from(None, None, None, Some(status)), "uid 1000");
        assert_eq!(
            user_from(s("alice"), None, None, Some("Uid:\t0\t0\t0\t0\n")),
            "alice (sudo as uid 0)"
        );
        assert_eq!(user_from(None, None, None, None), "unknown");
    }

    #[test]
    fn host_resolution_order() {
        assert_eq!(host_from(Some("db1\n".into()), Some("env".into())), "db1");
        assert_eq!(host_from(Some("\n".into()), Some("env".into())), "env");
        assert_eq!(host_from(None, None), "unknown");
    }

    #[test]
    fn the_run_id_is_16_hex_digits_and_stable() {
        let r = run_id();
        assert_eq!(r.len(), 16, "{r}");
        assert!(r.chars().all(|c| c.is_ascii_hexdigit()), "{r}");
        assert_eq!(run_id(), r);
    }
}
