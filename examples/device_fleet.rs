//! A load target for fleet polling: serves a simulated device fleet
//! (`GET /d/{host}/health`) on 127.0.0.1, optionally writes an opsboard
//! config that watches it, prints `listening on ADDR` and serves until
//! killed.
//!
//! ```text
//! cargo run --release --example device_fleet -- --devices 10000 --locations 20 \
//!     [--seed N] [--config-out PATH]
//! ```
//!
//! Single-threaded on purpose, like `loopback_health`: its CPU time can be
//! read apart from opsboard's.

#![allow(clippy::unwrap_used, clippy::expect_used)] // an example may stop on a bad setup

use std::io::Write;

use opsboard::sim::devices::{self, DevicePlan};

const USAGE: &str =
    "usage: device_fleet [--devices N] [--locations N] [--seed N] [--config-out PATH]";

/// The value after `name`, parsed; `default` when the flag is absent.
fn arg<T: std::str::FromStr>(args: &[String], name: &str, default: T) -> Result<T, String> {
    let Some(i) = args.iter().position(|a| a == name) else {
        return Ok(default);
    };
    let value = args
        .get(i + 1)
        .ok_or_else(|| format!("{name} needs a value\n{USAGE}"))?;
    value
        .parse()
        .map_err(|_| format!("{name} takes a number, not `{value}`\n{USAGE}"))
}

fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("device_fleet: {e}");
            std::process::ExitCode::from(2)
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "-h" || a == "--help") {
        println!("{USAGE}");
        return Ok(());
    }
    let count: usize = arg(&args, "--devices", 10_000)?;
    let locations: usize = arg(&args, "--locations", 20)?;
    let seed: u64 = arg(&args, "--seed", 1)?;
    let config_out = match args.iter().position(|a| a == "--config-out") {
        Some(i) => Some(
            args.get(i + 1)
                .ok_or_else(|| format!("--config-out needs a path\n{USAGE}"))?,
        ),
        None => None,
    };
    let plan = DevicePlan::uniform(count, locations, seed);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let running = devices::serve(plan.clone()).await?;
        if let Some(path) = config_out {
            let toml = devices::fleet_toml(&plan, running.addr, "perf", 30, 5);
            std::fs::write(path, toml).map_err(|e| format!("writing {path}: {e}"))?;
        }
        // Scripts wait for this line (and so for the config file).
        println!("listening on {}", running.addr);
        std::io::stdout().flush()?;
        running.task.await?;
        Ok::<(), Box<dyn std::error::Error>>(())
    })
}
