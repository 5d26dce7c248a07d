//! The commands of the binary, one file each: the board (and the demo),
//! `check` and `snapshot`, `config`, `do`, `audit`.
//! This is where the command line meets the library; nothing else reads
//! the parsed `Cli`.

use std::process::ExitCode;

use opsboard::cli::{Cli, Command};
use opsboard::config::{self, Config, ConfigError, ConfigLocation};
use opsboard::{logging, sim};

mod audit;
mod board;
mod check;
mod config_cmd;
mod do_cmd;

pub async fn run(mut cli: Cli) -> color_eyre::Result<ExitCode> {
    // Logging is best effort: a read-only home must not stop the board.
    let _log_guard = match logging::init(cli.log_level.as_deref()) {
        Ok((guard, _path)) => Some(guard),
        Err(e) if cli.log_level.is_some() => {
            opsboard::errln!("opsboard: {e}");
            return Ok(ExitCode::from(2));
        }
        Err(_) => None,
    };
    let location = config::locate(cli.config.as_deref());
    // The demo has its own cluster; `config` and `audit` read none.
    let reads_kube = !matches!(
        cli.command,
        Some(Command::Demo { .. } | Command::Config { .. } | Command::Audit { .. })
    );
    if let Some(path) = cli.kubeconfig.as_deref().filter(|_| reads_kube)
        && let Err(e) = opsboard::clients::kube::connect::check_kubeconfig(path)
    {
        opsboard::errln!("opsboard: --kubeconfig: {e}");
        return Ok(ExitCode::from(2));
    }
    match cli.command.take() {
        Some(Command::Config { command }) => Ok(config_cmd::run(&location, command)),
        Some(Command::Demo { rollback }) => board::demo(&cli, &rollback).await,
        Some(Command::Do { verb }) => do_cmd::run(&cli, &location, verb).await,
        Some(Command::Audit { command }) => Ok(ExitCode::from(audit::run(&location, command))),
        Some(Command::Check { json, demo }) => check::check(&location, json, demo).await,
        Some(Command::Snapshot {
            markdown: true,
            demo,
            wait,
            ..
        }) => check::snapshot_markdown(&cli, &location, demo, wait).await,
        Some(Command::Snapshot {
            width,
            height,
            demo,
            ..
        }) => check::snapshot(&cli, &location, width, height, demo).await,
        None => board::board(&cli, &location).await,
    }
}

fn no_color() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

/// Prints a config error the way a compiler would and returns exit code 2.
fn config_failure(e: &ConfigError) -> ExitCode {
    opsboard::errln!("{e}");
    ExitCode::from(2)
}

/// The config for `check`/`snapshot`: the demo world's, or the file's.
async fn headless_config(
    demo: bool,
    location: &ConfigLocation,
) -> color_eyre::Result<Result<(Option<sim::DemoWorld>, Config), ExitCode>> {
    if demo {
        let world = sim::DemoWorld::start().await?;
        let config = world.config();
        return Ok(Ok((Some(world), config)));
    }
    match config::load(location) {
        Ok(l) => Ok(Ok((None, l.config))),
        Err(e) => Ok(Err(config_failure(&e))),
    }
}
