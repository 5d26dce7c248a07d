//! HTTP basic authentication as the config file gives it: a user name and
//! a password that is a secret reference.

use serde::Deserialize;

use crate::model::secret::Secret;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BasicAuth {
    pub username: String,
    pub password: Secret,
}
