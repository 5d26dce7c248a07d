//! Command-line interface.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "opsboard",
    version,
    about = "A terminal operations board for on-call engineers"
)]
pub struct Cli {
    /// Config file (default: $OPSBOARD_CONFIG, then ~/.config/opsboard/config.toml).
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Theme: default, light, high-contrast, mono, or a path to a theme file.
    /// NO_COLOR in the environment always wins (mono).
    #[arg(long, global = true)]
    pub theme: Option<String>,
    /// Refuse every action (enforced in the action layer, not just hidden).
    #[arg(long, global = true, visible_alias = "readonly")]
    pub read_only: bool,
    /// The kubeconfig to use instead of $KUBECONFIG or ~/.kube/config
    /// (and of [kubernetes] kubeconfig). The demo has its own.
    #[arg(long, global = true, value_name = "PATH")]
    pub kubeconfig: Option<PathBuf>,
    /// The pane the board opens on.
    #[arg(
        long,
        short = 'p',
        global = true,
        value_name = "NAME",
        value_parser = clap::builder::PossibleValuesParser::new(crate::app::Pane::ALL.map(crate::app::Pane::name))
    )]
    pub pane: Option<String>,
    /// Kubernetes context to show (overrides [kubernetes] contexts); repeat
    /// for several clusters at once.
    #[arg(long, global = true, value_name = "NAME")]
    pub context: Vec<String>,
    /// Kubernetes namespace to watch (default: [kubernetes] namespaces, else all).
    #[arg(long, short = 'n', global = true, value_name = "NS")]
    pub namespace: Option<String>,
    /// Log filter (`info`, `debug`, `opsboard=trace`); overrides $OPSBOARD_LOG.
    /// Logs go to a file in the XDG state dir, never to the terminal.
    #[arg(long, global = true, value_name = "FILTER")]
    pub log_level: Option<String>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The whole board on a built-in simulated world; nothing to install.
    Demo {
        /// What the board does about the demo's regressing api rollout:
        /// `suggest` (a RolloutRegressed alert; u rolls back), `act` (it
        /// rolls back by itself, audited as automatic) or `off`.
        #[arg(long, value_name = "MODE", default_value = "suggest",
            value_parser = clap::builder::PossibleValuesParser::new(["suggest", "act", "off"]))]
        rollback: String,
    },
    /// Run every probe once, print the result, exit 0 (all up), 1 (degraded)
    /// or 2 (down, unknown or error). For cron and CI.
    Check {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        /// Check the simulated demo world instead of the config.
        #[arg(long)]
        demo: bool,
    },
    /// Poll once, then print the board as plain text (for an incident
    /// channel). With --markdown: one round of every source, printed as a
    /// Markdown incident summary; exit 0 (all up), 1 (degraded) or 2 (down,
    /// unknown or error), as `check`.
    Snapshot {
        /// Width of the text board (not with --markdown).
        #[arg(long, default_value_t = 100, conflicts_with = "markdown")]
        width: u16,
        /// Height of the text board (not with --markdown).
        #[arg(long, default_value_t = 30, conflicts_with = "markdown")]
        height: u16,
        /// Snapshot the simulated demo world instead of the config.
        #[arg(long)]
        demo: bool,
        /// Ask every source once (health probes, metrics, Prometheus and
        /// Alertmanager alerts, Docker, Kubernetes, fleets, backups), apply
        /// the local alert rules, and print a Markdown summary: failing
        /// services, firing alerts, recent actions from the audit log (and
        /// whether its chain verifies), healthy services, sources that did
        /// not answer.
        #[arg(long)]
        markdown: bool,
        /// How long --markdown waits for the sources; one that has not
        /// answered by then is listed as not answered.
        #[arg(
            long,
            value_name = "DURATION",
            default_value = "8s",
            value_parser = crate::model::parse_duration,
            requires = "markdown"
        )]
        wait: std::time::Duration,
    },
    /// Config file tools.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Run an action from a script: the same plans, read-only and protection
    /// rules, confirmation and audit log as the board. Exit 0 done, 1 not.
    Do {
        #[command(subcommand)]
        verb: DoVerb,
    },
    /// The tamper-evident audit log of every action.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
}

/// Flags every `do` verb takes.
#[derive(Debug, clap::Args)]
pub struct DoFlags {
    /// Run without asking (protected targets still need --confirm NAME).
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Show the plan, record it as a dry run, do nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// The target's name, required for targets in a protected environment.
    #[arg(long, value_name = "NAME")]
    pub confirm: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum DoVerb {
    /// Take a backup now: `opsboard do backup redis-nightly --yes`.
    Backup {
        job: String,
        #[command(flatten)]
        flags: DoFlags,
    },
    /// Re-verify a job's newest backup.
    Verify {
        job: String,
        #[command(flatten)]
        flags: DoFlags,
    },
    /// Run a configured runbook: `opsboard do run flush-cache --service api --yes`.
    Run {
        runbook: String,
        /// The service to run it for (fills `{service}`).
        #[arg(long)]
        service: Option<String>,
        /// The instance to run it against (fills `{host}`), as the Fleet
        /// pane's selection does.
        #[arg(long, value_name = "HOST")]
        host: Option<String>,
        #[command(flatten)]
        flags: DoFlags,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the hash chain and the head recorded after the last append;
    /// exit 1 and name the lines if anything was modified, deleted,
    /// inserted, reordered, cut off or replaced. Prints the head to keep
    /// elsewhere. Confirmed jobs with no outcome are listed (exit 0: they
    /// are a crash or a job still running, not tampering).
    Verify {
        /// A head kept elsewhere (as `audit verify` printed it): exit 1
        /// unless the chain passes through it; entries after it are listed.
        #[arg(long, value_name = "HASH")]
        expect_head: Option<String>,
    },
    /// Print the log.
    Show {
        /// Only entries newer than this: a duration (`2h`, `7d`) or an RFC 3339 time.
        #[arg(long)]
        since: Option<String>,
        /// Print the raw JSON lines.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate the config and print the resolved services (exit 2 if invalid).
    Check,
    /// Print which config file is in effect and why.
    Path,
}
