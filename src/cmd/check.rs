//! `opsboard check` (one round of probes, an exit code for cron and CI)
//! and `opsboard snapshot` (the board as plain text, or with `--markdown`
//! an incident summary from one round of every source).

use std::process::ExitCode;

use color_eyre::eyre::eyre;
use opsboard::app::Banner;
use opsboard::cli::Cli;
use opsboard::config::ConfigLocation;
use opsboard::ui::Theme;
use opsboard::{assemble, headless, headless_gather};

use super::headless_config;

pub async fn check(
    location: &ConfigLocation,
    json: bool,
    demo: bool,
) -> color_eyre::Result<ExitCode> {
    let (_world, config) = match headless_config(demo, location).await? {
        Ok(x) => x,
        Err(code) => return Ok(code),
    };
    let plan = assemble::services::plan(&config).map_err(|e| eyre!(e))?;
    let services = headless::one_round(plan, config.defaults.max_concurrent_probes)
        .await
        .map_err(|e| eyre!(e))?;
    if json {
        opsboard::outln!("{}", headless::check_json(&services));
    } else {
        opsboard::output::out(&headless::check_table(&services));
    }
    Ok(ExitCode::from(headless::exit_code(&services) as u8))
}

pub async fn snapshot(
    cli: &Cli,
    location: &ConfigLocation,
    width: u16,
    height: u16,
    demo: bool,
) -> color_eyre::Result<ExitCode> {
    let (_world, config) = match headless_config(demo, location).await? {
        Ok(x) => x,
        Err(code) => return Ok(code),
    };
    let theme = Theme::select(cli.theme.as_deref().or(config.theme.as_deref()), true)
        .map_err(|e| eyre!(e))?;
    let plan = assemble::services::plan(&config).map_err(|e| eyre!(e))?;
    let services = headless::one_round(plan, config.defaults.max_concurrent_probes)
        .await
        .map_err(|e| eyre!(e))?;
    let banner = Banner {
        demo,
        read_only: cli.read_only || config.read_only,
        notice: None,
    };
    let text = headless::snapshot(services, banner, &theme, width.max(20), height.max(5))
        .map_err(|e| eyre!(e))?;
    opsboard::output::out(&text);
    Ok(ExitCode::SUCCESS)
}

/// `opsboard snapshot --markdown`: one round of every source of the
/// config (or the demo world), as a Markdown incident summary.
pub async fn snapshot_markdown(
    cli: &Cli,
    location: &ConfigLocation,
    demo: bool,
    wait: std::time::Duration,
) -> color_eyre::Result<ExitCode> {
    let (world, config) = match headless_config(demo, location).await? {
        Ok(x) => x,
        Err(code) => return Ok(code),
    };
    let banner = Banner {
        demo,
        read_only: cli.read_only || config.read_only,
        notice: None,
    };
    let locations = world
        .as_ref()
        .map(opsboard::sim::DemoWorld::locations)
        .unwrap_or_default();
    let mut assembled =
        assemble::build(&config, banner.read_only, &locations).map_err(|e| eyre!(e))?;
    let (setup, scope) = match &world {
        Some(w) => {
            // The demo shows its simulated world only, never the machine's Docker.
            assembled.docker = None;
            assembled.kube = w.kube_settings();
            (Some(w.cluster_setup()), "demo world".to_string())
        }
        None => {
            assembled.kube = assemble::kube_settings(
                &config,
                &cli.context,
                cli.namespace.as_deref(),
                cli.kubeconfig.as_deref(),
            );
            let scope = match location.path().filter(|p| p.exists()) {
                Some(p) => format!("config {}", p.display()),
                None => "no config file (discovery only)".to_string(),
            };
            (None, scope)
        }
    };
    let (plan, audit) = headless_gather::GatherPlan::from_assembled(
        assembled,
        banner,
        config.defaults.max_concurrent_probes,
        setup,
        std::time::SystemTime::now(),
    );
    let (text, code) = headless::markdown(plan, audit, &scope, wait)
        .await
        .map_err(|e| eyre!(e))?;
    opsboard::output::out(&text);
    drop(world);
    Ok(ExitCode::from(code as u8))
}
