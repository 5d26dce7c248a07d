//! Durations as the config file writes them (`30s`, `5m`, `1h30m`):
//! serde `with` modules for a required field and an optional one.

use std::time::Duration;

use serde::{Deserialize, Deserializer};

use crate::model::parse_duration;

pub(super) mod duration {
    use super::*;
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let s = String::deserialize(d)?;
        parse_duration(&s).map_err(serde::de::Error::custom)
    }
}

pub(super) mod opt_duration {
    use super::*;
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        let s = String::deserialize(d)?;
        parse_duration(&s)
            .map(Some)
            .map_err(serde::de::Error::custom)
    }
}
