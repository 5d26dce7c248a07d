//! `opsboard check` (one round of probes, an exit code for cron and CI)
//! and `opsboard snapshot` (the board as plain text).

use std::process::ExitCode;

use color_eyre::eyre::eyre;
use opsboard::app::Banner;
use opsboard::cli::Cli;
use opsboard::config::ConfigLocation;
use opsboard::ui::Theme;
use opsboard::{assemble, headless};

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
