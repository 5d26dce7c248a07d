//! The `opsboard` binary: parse the command line, load config, run.

use std::process::ExitCode;
use std::time::SystemTime;

use clap::Parser;
use color_eyre::eyre::eyre;
use opsboard::app::{Banner, Keymap};
use opsboard::cli::{Cli, Command, ConfigCommand, DoVerb};
use opsboard::config::{self, Config, ConfigError, ConfigLocation};
use opsboard::model::ActionRequest;
use opsboard::ui::Theme;
use opsboard::{board, headless, headless_audit, headless_do, logging, runtime, sim};

fn main() -> ExitCode {
    let _ = color_eyre::install();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            opsboard::errln!("opsboard: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            opsboard::errln!("opsboard: {e:?}");
            ExitCode::from(1)
        }
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

async fn run(cli: Cli) -> color_eyre::Result<ExitCode> {
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
    match cli.command {
        Some(Command::Config {
            command: ConfigCommand::Path,
        }) => {
            print_location(&location);
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Config {
            command: ConfigCommand::Check,
        }) => {
            let loaded = match config::load(&location) {
                Ok(l) => l,
                Err(e) => return Ok(config_failure(&e)),
            };
            match board::assemble(&loaded.config) {
                Ok(_) => {
                    opsboard::output::out(&describe(&loaded));
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    opsboard::errln!("error: {e}");
                    Ok(ExitCode::from(2))
                }
            }
        }
        Some(Command::Demo) => {
            let world = sim::DemoWorld::start().await?;
            let config = world.config();
            let banner = Banner {
                demo: true,
                read_only: cli.read_only,
                notice: None,
            };
            let kube = world.kube_settings();
            let setup = Some(world.cluster_setup());
            interactive(&cli.theme, config, banner, &world.locations(), kube, setup).await?;
            drop(world);
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Do { verb }) => {
            let loaded = match config::load(&location) {
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
            let mut built =
                board::build(&loaded.config, cli.read_only, &board::Locations::default())
                    .map_err(|e| eyre!(e))?;
            built.kube =
                board::kube_settings(&loaded.config, &cli.context, cli.namespace.as_deref());
            let opts = headless_do::DoOptions {
                yes: flags.yes,
                dry_run: flags.dry_run,
                confirm: flags.confirm,
            };
            let code = headless_do::run(built, request, opts).await;
            Ok(ExitCode::from(code as u8))
        }
        Some(Command::Audit { command }) => {
            Ok(ExitCode::from(headless_audit::run(&location, command)))
        }
        Some(Command::Check { json, demo }) => {
            let (_world, config) = match headless_config(demo, &location).await? {
                Ok(x) => x,
                Err(code) => return Ok(code),
            };
            let assembly = board::assemble(&config).map_err(|e| eyre!(e))?;
            let services = headless::one_round(assembly, config.defaults.max_concurrent_probes)
                .await
                .map_err(|e| eyre!(e))?;
            if json {
                opsboard::outln!("{}", headless::check_json(&services));
            } else {
                opsboard::output::out(&headless::check_table(&services));
            }
            Ok(ExitCode::from(headless::exit_code(&services) as u8))
        }
        Some(Command::Snapshot {
            width,
            height,
            demo,
        }) => {
            let (_world, config) = match headless_config(demo, &location).await? {
                Ok(x) => x,
                Err(code) => return Ok(code),
            };
            let theme = Theme::select(cli.theme.as_deref().or(config.theme.as_deref()), true)
                .map_err(|e| eyre!(e))?;
            let assembly = board::assemble(&config).map_err(|e| eyre!(e))?;
            let services = headless::one_round(assembly, config.defaults.max_concurrent_probes)
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
        None => {
            let loaded = match config::load(&location) {
                Ok(l) => l,
                Err(e) => return Ok(config_failure(&e)),
            };
            let banner = Banner {
                demo: false,
                read_only: cli.read_only || loaded.config.read_only,
                notice: loaded.notice.clone(),
            };
            let kube = board::kube_settings(&loaded.config, &cli.context, cli.namespace.as_deref());
            interactive(
                &cli.theme,
                loaded.config,
                banner,
                &board::Locations::default(),
                kube,
                None,
            )
            .await?;
            Ok(ExitCode::SUCCESS)
        }
    }
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

async fn interactive(
    theme: &Option<String>,
    config: Config,
    banner: Banner,
    locations: &board::Locations,
    kube: Option<opsboard::sources::kube::KubeSettings>,
    kube_setup: Option<runtime::KubeSetup>,
) -> color_eyre::Result<()> {
    let theme = Theme::select(theme.as_deref().or(config.theme.as_deref()), no_color())
        .map_err(|e| eyre!(e))?;
    let overrides = config.keys.iter().map(|(a, k)| (*a, k.0.clone())).collect();
    let mut built = board::build(&config, banner.read_only, locations).map_err(|e| eyre!(e))?;
    built.kube = kube.clone();
    if banner.demo {
        // The demo shows its simulated world only, never the machine's Docker.
        built.docker = None;
    }
    let docker = built.docker.clone();
    let metrics = built.metrics.clone();
    let fleet = built.fleet.clone();
    let (mut state, specs, ops) =
        built.into_board(Keymap::new(&overrides), banner, SystemTime::now());
    state.generation = 1;
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
                    config::HeaderValue::Plain(v) => extras.push(format!("{k}: {v}")),
                    config::HeaderValue::Secret(s) => extras.push(format!("{k}: {}", s.source())),
                }
            }
            let _ = writeln!(out, "    {}  ({})", p.url.display(), extras.join(", "));
        }
    }
    out
}
