//! A service's `[[services.health]]` entries, with the config's defaults
//! filled in, as the specs the probe client runs.

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use crate::clients::probe::ProbeSpec;
use crate::config::{Defaults, ProbeConfig};
use crate::model::ProbeId;

/// Builds a probe's spec from config, with the config's defaults filled in.
pub fn probe_spec(id: ProbeId, p: &ProbeConfig, defaults: &Defaults) -> Result<ProbeSpec, String> {
    let mut headers = HeaderMap::new();
    for (k, v) in &p.headers {
        let name = HeaderName::from_bytes(k.as_bytes())
            .map_err(|_| format!("`{k}` is not a valid HTTP header name"))?;
        let mut value = HeaderValue::from_str(v.expose())
            .map_err(|_| format!("the value of header `{k}` is not valid in HTTP"))?;
        if matches!(v, crate::model::secret::HeaderValue::Secret(_)) {
            value.set_sensitive(true);
        }
        headers.insert(name, value);
    }
    Ok(ProbeSpec {
        id,
        url: p.url.clone(),
        expect_status: p.expect_status.clone(),
        interval: p.interval.unwrap_or(defaults.interval),
        timeout: p.timeout.unwrap_or(defaults.timeout),
        tls_verify: p.tls_verify,
        headers,
        bearer: p.bearer.clone(),
        basic: p
            .basic
            .as_ref()
            .map(|b| (b.username.clone(), b.password.clone())),
        body_limit: defaults.body_limit_bytes,
        follow_redirects_to: defaults.follow_redirects_to.clone(),
    })
}
