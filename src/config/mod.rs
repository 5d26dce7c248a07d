//! Configuration: where the file is, what it says, and errors that point at
//! the exact line and key.

pub mod basic_auth;
pub mod diagnostic;
mod durations;
pub mod schema;
pub mod schema_fleet;
pub mod schema_metrics;
pub mod schema_release;
pub mod secret;
mod validate;
mod validate_actions;
mod validate_fleet;
mod validate_metrics;

use std::path::{Path, PathBuf};

pub use basic_auth::BasicAuth;
pub use diagnostic::{ConfigError, Diagnostic};
pub use schema::{
    AuditConfig, BackupDefaults, BackupJobConfig, ComposeBinding, Config, Defaults, DockerConfig,
    DockerHostConfig, EnvironmentConfig, KubernetesConfig, ProbeConfig, RunbookConfig,
    ServiceConfig, WorkloadBinding,
};

/// Where the config was looked for and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigLocation {
    /// `--config PATH`
    Flag(PathBuf),
    /// `$OPSBOARD_CONFIG`
    Env(PathBuf),
    /// The XDG config dir (`~/.config/opsboard/config.toml`).
    Default(PathBuf),
    /// No config dir could be determined (no home directory).
    Nowhere,
}

impl ConfigLocation {
    pub fn path(&self) -> Option<&Path> {
        match self {
            ConfigLocation::Flag(p) | ConfigLocation::Env(p) | ConfigLocation::Default(p) => {
                Some(p)
            }
            ConfigLocation::Nowhere => None,
        }
    }
}

/// The config file in effect, in lookup order: `--config`, `$OPSBOARD_CONFIG`,
/// then the XDG config dir.
pub fn locate(flag: Option<&Path>) -> ConfigLocation {
    if let Some(p) = flag {
        return ConfigLocation::Flag(p.to_path_buf());
    }
    if let Some(p) = std::env::var_os("OPSBOARD_CONFIG").filter(|v| !v.is_empty()) {
        return ConfigLocation::Env(PathBuf::from(p));
    }
    match directories::ProjectDirs::from("", "", "opsboard") {
        Some(dirs) => ConfigLocation::Default(dirs.config_dir().join("config.toml")),
        None => ConfigLocation::Nowhere,
    }
}

/// A loaded config and what the board should say about where it came from.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub config: Config,
    pub path: Option<PathBuf>,
    /// Shown on screen, e.g. that no config file exists.
    pub notice: Option<String>,
}

/// Loads the config at `location`. A file named explicitly must exist; a
/// missing default file means "discovery only", which is said on screen.
pub fn load(location: &ConfigLocation) -> Result<Loaded, ConfigError> {
    match location {
        ConfigLocation::Flag(p) | ConfigLocation::Env(p) => {
            let config = load_file(p)?;
            Ok(Loaded {
                config,
                path: Some(p.clone()),
                notice: None,
            })
        }
        ConfigLocation::Default(p) => match std::fs::read_to_string(p) {
            Ok(text) => Ok(Loaded {
                config: parse(p, &text)?,
                path: Some(p.clone()),
                notice: None,
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Loaded {
                config: Config::default(),
                path: None,
                notice: Some(format!(
                    "no config file ({} not found): discovery only",
                    p.display()
                )),
            }),
            Err(source) => Err(ConfigError::Io {
                path: p.clone(),
                source,
            }),
        },
        ConfigLocation::Nowhere => Ok(Loaded {
            config: Config::default(),
            path: None,
            notice: Some("no config directory (no home): discovery only".into()),
        }),
    }
}

pub fn load_file(path: &Path) -> Result<Config, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse(path, &text)
}

/// Parses and validates config text. `path` is only used in messages.
pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
    let de = toml::Deserializer::new(text);
    let config: Config = serde_path_to_error::deserialize(de).map_err(|e| {
        let key = e.path().to_string();
        let inner = e.into_inner();
        let key = (key != ".").then_some(key);
        ConfigError::Invalid(Box::new(Diagnostic::new(
            path,
            text,
            inner.span(),
            key,
            inner.message().trim().to_string(),
        )))
    })?;
    validate::validate(path, text, &config)?;
    Ok(config)
}
