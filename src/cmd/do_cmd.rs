//! `opsboard do …`: an action from a script, through the same action
//! layer as the board.

use std::process::ExitCode;

use color_eyre::eyre::eyre;
use opsboard::cli::{Cli, DoVerb};
use opsboard::config::{self, ConfigLocation};
use opsboard::model::ActionRequest;
use opsboard::{assemble, headless_do};

use super::config_failure;

pub async fn run(
    cli: &Cli,
    location: &ConfigLocation,
    verb: DoVerb,
) -> color_eyre::Result<ExitCode> {
    let loaded = match config::load(location) {
        Ok(l) => l,
        Err(e) => return Ok(config_failure(&e)),
    };
    let (request, flags) = match verb {
        DoVerb::Backup { job, flags } => (ActionRequest::Backup { job }, flags),
        DoVerb::Verify { job, flags } => (ActionRequest::Verify { job }, flags),
        DoVerb::Run {
            runbook,
            service,
            host,
            flags,
        } => (
            ActionRequest::Runbook {
                runbook,
                service,
                host,
                scope: Default::default(),
            },
            flags,
        ),
    };
    let mut assembled = assemble::build(
        &loaded.config,
        cli.read_only,
        &assemble::Locations::default(),
    )
    .map_err(|e| eyre!(e))?;
    assembled.kube = assemble::kube_settings(
        &loaded.config,
        &cli.context,
        cli.namespace.as_deref(),
        cli.kubeconfig.as_deref(),
    );
    let opts = headless_do::DoOptions {
        yes: flags.yes,
        dry_run: flags.dry_run,
        confirm: flags.confirm,
    };
    let code = headless_do::run(assembled, request, opts).await;
    Ok(ExitCode::from(code as u8))
}
