//! A client for the Alertmanager v2 API: alerts with their silences and
//! inhibitions, and silences to list, create and expire.

use std::collections::BTreeMap;
use std::time::SystemTime;

use reqwest::Method;
use serde::Deserialize;

pub use super::http::{ApiError, Auth, ServerSpec};
use super::http::{HttpApi, format_time, parse_time, remote_alert};
use crate::model::{Alert, AlertSource, AlertState, Matcher, Silence, SilenceState};

#[derive(Debug, Clone)]
pub struct AmClient {
    api: HttpApi,
}

impl AmClient {
    pub fn new(spec: &ServerSpec) -> Result<AmClient, ApiError> {
        Ok(AmClient {
            api: HttpApi::new(spec)?,
        })
    }

    /// The configured server name (`origin` of what it reports).
    pub fn name(&self) -> &str {
        self.api.name()
    }

    /// Every alert it holds: active, silenced, inhibited and unprocessed.
    pub async fn alerts(&self) -> Result<Vec<Alert>, ApiError> {
        let req = self
            .api
            .request(Method::GET, "api/v2/alerts", None)?
            .query(&[
                ("active", "true"),
                ("silenced", "true"),
                ("inhibited", "true"),
                ("unprocessed", "true"),
            ]);
        let raw: Vec<RawAlert> = self.api.json(req).await?;
        Ok(raw.into_iter().map(|a| a.into_alert(self.name())).collect())
    }

    /// Every silence it holds, expired ones included.
    pub async fn silences(&self) -> Result<Vec<Silence>, ApiError> {
        let req = self.api.request(Method::GET, "api/v2/silences", None)?;
        let raw: Vec<RawSilence> = self.api.json(req).await?;
        raw.into_iter()
            .map(|s| s.into_silence(self.name()))
            .collect()
    }

    /// Creates a silence; returns its ID.
    pub async fn create_silence(
        &self,
        matchers: &[Matcher],
        starts_at: SystemTime,
        ends_at: SystemTime,
        created_by: &str,
        comment: &str,
    ) -> Result<String, ApiError> {
        let matchers: Vec<serde_json::Value> = matchers
            .iter()
            .map(|m| {
                serde_json::json!({
                    "name": m.name,
                    "value": m.value,
                    "isRegex": m.is_regex,
                    "isEqual": m.is_equal,
                })
            })
            .collect();
        let body = serde_json::json!({
            "matchers": matchers,
            "startsAt": format_time(starts_at),
            "endsAt": format_time(ends_at),
            "createdBy": created_by,
            "comment": comment,
        });
        let req = self
            .api
            .request(Method::POST, "api/v2/silences", None)?
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_string());
        let created: Created = self.api.json(req).await?;
        Ok(created.silence_id)
    }

    /// Expires a silence now (Alertmanager keeps it, as expired).
    pub async fn expire_silence(&self, id: &str) -> Result<(), ApiError> {
        let req = self
            .api
            .request(Method::DELETE, "api/v2/silence/", Some(id))?;
        self.api.ok(req).await
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Created {
    #[serde(rename = "silenceID")]
    silence_id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawAlert {
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
    starts_at: Option<String>,
    fingerprint: Option<String>,
    receivers: Option<Vec<RawReceiver>>,
    status: RawAlertStatus,
}

#[derive(Deserialize)]
struct RawReceiver {
    name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawAlertStatus {
    state: String,
    silenced_by: Option<Vec<String>>,
    inhibited_by: Option<Vec<String>>,
}

impl RawAlert {
    fn into_alert(self, origin: &str) -> Alert {
        let state = match self.status.state.as_str() {
            "suppressed" => AlertState::Suppressed,
            "unprocessed" => AlertState::Unprocessed,
            // `active`, and anything newer: better shown than hidden.
            _ => AlertState::Firing,
        };
        let mut alert = remote_alert(
            AlertSource::Alertmanager,
            origin,
            state,
            self.labels,
            self.annotations,
        );
        alert.since = self.starts_at.as_deref().and_then(parse_time);
        alert.fingerprint = self.fingerprint.filter(|f| !f.is_empty());
        alert.silenced_by = self.status.silenced_by.unwrap_or_default();
        alert.inhibited_by = self.status.inhibited_by.unwrap_or_default();
        alert.receivers = self
            .receivers
            .unwrap_or_default()
            .into_iter()
            .map(|r| r.name)
            .collect();
        alert
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawSilence {
    id: String,
    status: RawSilenceStatus,
    #[serde(default)]
    comment: String,
    #[serde(default)]
    created_by: String,
    starts_at: String,
    ends_at: String,
    #[serde(default)]
    matchers: Vec<RawMatcher>,
}

#[derive(Deserialize)]
struct RawSilenceStatus {
    state: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawMatcher {
    name: String,
    value: String,
    #[serde(default)]
    is_regex: bool,
    /// Absent before Alertmanager 0.22, where every matcher was `=`/`=~`.
    is_equal: Option<bool>,
}

impl RawSilence {
    fn into_silence(self, origin: &str) -> Result<Silence, ApiError> {
        let time = |field: &str, value: &str| {
            parse_time(value).ok_or_else(|| {
                ApiError::Decode(format!(
                    "silence {}: {field} {value:?} is not a time",
                    self.id
                ))
            })
        };
        let state = match self.status.state.as_str() {
            "active" => SilenceState::Active,
            "pending" => SilenceState::Pending,
            "expired" => SilenceState::Expired,
            other => {
                return Err(ApiError::Decode(format!(
                    "silence {}: unknown state {other:?}",
                    self.id
                )));
            }
        };
        Ok(Silence {
            starts_at: time("startsAt", &self.starts_at)?,
            ends_at: time("endsAt", &self.ends_at)?,
            origin: origin.to_owned(),
            matchers: self
                .matchers
                .into_iter()
                .map(|m| Matcher {
                    name: m.name,
                    value: m.value,
                    is_regex: m.is_regex,
                    is_equal: m.is_equal.unwrap_or(true),
                })
                .collect(),
            created_by: self.created_by,
            comment: self.comment,
            state,
            id: self.id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silence_without_is_equal_is_equal() {
        let raw: Vec<RawSilence> = super::super::http::decode(
            br#"[{"id":"a","status":{"state":"pending"},"startsAt":"2030-01-01T00:00:00Z",
                 "endsAt":"2030-01-02T00:00:00.000Z","createdBy":"me","comment":"c",
                 "matchers":[{"name":"job","value":"x.*","isRegex":true}]}]"#,
        )
        .unwrap();
        let s = raw.into_iter().next().unwrap().into_silence("am").unwrap();
        assert_eq!(s.state, SilenceState::Pending);
        assert_eq!(s.matchers[0].to_string(), "job=~\"x.*\"");
    }

    #[test]
    fn bad_silence_time_is_a_decode_error() {
        let raw: Vec<RawSilence> = super::super::http::decode(
            br#"[{"id":"a","status":{"state":"active"},"startsAt":"soon","endsAt":"later"}]"#,
        )
        .unwrap();
        let e = raw
            .into_iter()
            .next()
            .unwrap()
            .into_silence("am")
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "unexpected response: silence a: startsAt \"soon\" is not a time"
        );
    }
}
