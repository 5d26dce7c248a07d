//! `opsboard config path` and `opsboard config check`.

use std::process::ExitCode;

use opsboard::assemble;
use opsboard::cli::ConfigCommand;
use opsboard::config::{self, ConfigLocation};

use super::config_failure;

pub fn run(location: &ConfigLocation, command: ConfigCommand) -> ExitCode {
    match command {
        ConfigCommand::Path => {
            print_location(location);
            ExitCode::SUCCESS
        }
        ConfigCommand::Check => {
            let loaded = match config::load(location) {
                Ok(l) => l,
                Err(e) => return config_failure(&e),
            };
            match assemble::services::plan(&loaded.config) {
                Ok(_) => {
                    opsboard::output::out(&describe(&loaded));
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    opsboard::errln!("error: {e}");
                    ExitCode::from(2)
                }
            }
        }
    }
}

fn print_location(location: &ConfigLocation) {
    match location {
        ConfigLocation::Flag(p) => opsboard::outln!("{} (from --config)", p.display()),
        ConfigLocation::Env(p) => opsboard::outln!("{} (from $OPSBOARD_CONFIG)", p.display()),
        ConfigLocation::Default(p) => {
            let exists = if p.exists() {
                ""
            } else {
                ", does not exist: discovery only"
            };
            opsboard::outln!("{} (default location{exists})", p.display());
        }
        ConfigLocation::Nowhere => opsboard::outln!("no config location (no home directory)"),
    }
}

/// The resolved services, for `config check`. Secrets appear as their
/// references, never their values.
fn describe(loaded: &config::Loaded) -> String {
    use std::fmt::Write;
    let c = &loaded.config;
    let mut out = String::new();
    match &loaded.path {
        Some(p) => {
            let _ = writeln!(out, "config OK: {}", p.display());
        }
        None => {
            let _ = writeln!(
                out,
                "no config file: {}",
                loaded.notice.as_deref().unwrap_or("discovery only")
            );
        }
    }
    let d = &c.defaults;
    let _ = writeln!(
        out,
        "defaults: interval {}, timeout {}, down after {} failures, {} probes at once, bodies up to {} KiB",
        humantime::format_duration(d.interval),
        humantime::format_duration(d.timeout),
        d.failure_threshold,
        d.max_concurrent_probes,
        d.body_limit_bytes / 1024
    );
    if c.read_only {
        let _ = writeln!(out, "read-only: every action is refused");
    }
    for (name, e) in &c.environments {
        let _ = writeln!(
            out,
            "environment {name}: protected={} read_only={}",
            e.protected, e.read_only
        );
    }
    let _ = writeln!(out, "{} service(s):", c.services.len());
    for s in &c.services {
        let env = s
            .environment
            .as_deref()
            .map(|e| format!(" [{e}]"))
            .unwrap_or_default();
        let _ = writeln!(out, "  {}{env}", s.name);
        for p in &s.health {
            let mut extras = Vec::new();
            extras.push(format!(
                "every {}",
                humantime::format_duration(p.interval.unwrap_or(d.interval))
            ));
            extras.push(format!(
                "timeout {}",
                humantime::format_duration(p.timeout.unwrap_or(d.timeout))
            ));
            extras.push(format!(
                "down after {}",
                p.failure_threshold.unwrap_or(d.failure_threshold)
            ));
            if !p.expect_status.is_empty() {
                extras.push(format!("expect {:?}", p.expect_status));
            }
            if !p.tls_verify {
                extras.push("TLS VERIFICATION OFF".into());
            }
            if let Some(b) = &p.bearer {
                extras.push(format!("bearer {}", b.source()));
            }
            if let Some(b) = &p.basic {
                extras.push(format!("basic {}:{}", b.username, b.password.source()));
            }
            for (k, v) in &p.headers {
                match v {
                    opsboard::model::secret::HeaderValue::Plain(v) => {
                        extras.push(format!("{k}: {v}"))
                    }
                    opsboard::model::secret::HeaderValue::Secret(s) => {
                        extras.push(format!("{k}: {}", s.source()))
                    }
                }
            }
            let _ = writeln!(out, "    {}  ({})", p.url.display(), extras.join(", "));
        }
    }
    out
}
