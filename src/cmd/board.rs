//! The board: on the config's world, or on the assembled-in demo world.

use std::process::ExitCode;
use std::time::SystemTime;

use color_eyre::eyre::eyre;
use opsboard::app::{Banner, Keymap, Pane};
use opsboard::cli::Cli;
use opsboard::config::{self, Config, ConfigLocation};
use opsboard::ui::Theme;
use opsboard::{assemble, runtime, sim};

use super::{config_failure, no_color};

/// `opsboard`: the board on the config file's world.
pub async fn board(cli: &Cli, location: &ConfigLocation) -> color_eyre::Result<ExitCode> {
    let loaded = match config::load(location) {
        Ok(l) => l,
        Err(e) => return Ok(config_failure(&e)),
    };
    let banner = Banner {
        demo: false,
        read_only: cli.read_only || loaded.config.read_only,
        notice: loaded.notice.clone(),
    };
    let kube = assemble::kube_settings(
        &loaded.config,
        &cli.context,
        cli.namespace.as_deref(),
        cli.kubeconfig.as_deref(),
    );
    interactive(
        &cli.pane,
        &cli.theme,
        loaded.config,
        banner,
        &assemble::Locations::default(),
        kube,
        None,
    )
    .await?;
    Ok(ExitCode::SUCCESS)
}

/// `opsboard demo`: the board on the simulated world.
pub async fn demo(cli: &Cli, rollback: &str) -> color_eyre::Result<ExitCode> {
    let world = sim::DemoWorld::start().await?;
    let mode = match rollback {
        "act" => opsboard::model::RollbackMode::Act,
        "off" => opsboard::model::RollbackMode::Off,
        _ => opsboard::model::RollbackMode::Suggest,
    };
    let config = world.config_with_rollback(mode);
    let banner = Banner {
        demo: true,
        read_only: cli.read_only,
        notice: None,
    };
    let kube = world.kube_settings();
    let setup = Some(world.cluster_setup());
    interactive(
        &cli.pane,
        &cli.theme,
        config,
        banner,
        &world.locations(),
        kube,
        setup,
    )
    .await?;
    drop(world);
    Ok(ExitCode::SUCCESS)
}

async fn interactive(
    pane: &Option<String>,
    theme: &Option<String>,
    config: Config,
    banner: Banner,
    locations: &assemble::Locations,
    kube: Option<opsboard::clients::kube::KubeSettings>,
    kube_setup: Option<runtime::KubeSetup>,
) -> color_eyre::Result<()> {
    let theme = Theme::select(theme.as_deref().or(config.theme.as_deref()), no_color())
        .map_err(|e| eyre!(e))?;
    let overrides = config.keys.iter().map(|(a, k)| (*a, k.0.clone())).collect();
    let mut assembled =
        assemble::build(&config, banner.read_only, locations).map_err(|e| eyre!(e))?;
    assembled.kube = kube.clone();
    if banner.demo {
        // The demo shows its simulated world only, never the machine's Docker.
        assembled.docker = None;
    }
    let docker = assembled.docker.clone();
    let metrics = assembled.metrics.clone();
    let fleet = assembled.fleet.clone();
    let (mut state, specs, ops) =
        assembled.into_board(Keymap::new(&overrides), banner, SystemTime::now());
    state.generation = 1;
    // clap has checked the name against the panes.
    if let Some(p) = pane.as_deref().and_then(Pane::parse) {
        state.view = p.view();
    }
    runtime::run(runtime::Board {
        state,
        specs,
        theme,
        max_concurrent_probes: config.defaults.max_concurrent_probes,
        ops,
        kube,
        docker,
        kube_setup,
        metrics,
        fleet,
    })
    .await
}
