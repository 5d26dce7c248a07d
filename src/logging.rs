//! Logs go to a file in the XDG state dir, never to the terminal the UI
//! draws on.

use std::path::PathBuf;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

/// Where log files go: `$XDG_STATE_HOME/opsboard` (or the local data dir on
/// platforms without a state dir).
pub fn log_dir() -> Option<PathBuf> {
    let dirs = directories::ProjectDirs::from("", "", "opsboard")?;
    Some(
        dirs.state_dir()
            .unwrap_or_else(|| dirs.data_local_dir())
            .to_path_buf(),
    )
}

/// Starts file logging. `level` (from `--log-level`) wins over
/// `$OPSBOARD_LOG`; both take `EnvFilter` syntax (`info`, `opsboard=debug`).
/// Returns the guard that flushes the log on drop, and the log file path.
pub fn init(level: Option<&str>) -> Result<(WorkerGuard, PathBuf), String> {
    let filter = match level {
        Some(l) => EnvFilter::try_new(l).map_err(|e| format!("invalid --log-level `{l}`: {e}"))?,
        None => match std::env::var("OPSBOARD_LOG") {
            Ok(v) if !v.is_empty() => {
                EnvFilter::try_new(&v).map_err(|e| format!("invalid OPSBOARD_LOG `{v}`: {e}"))?
            }
            _ => EnvFilter::new("info"),
        },
    };
    let dir = log_dir().ok_or("cannot determine a log directory (no home directory)")?;
    std::fs::create_dir_all(&dir)
        .map_err(|e| format!("cannot create log directory {}: {e}", dir.display()))?;
    let appender = tracing_appender::rolling::daily(&dir, "opsboard.log");
    let (writer, guard) = tracing_appender::non_blocking(appender);
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false)
        .try_init()
        .map_err(|e| format!("cannot start logging: {e}"))?;
    Ok((guard, dir.join("opsboard.log")))
}
