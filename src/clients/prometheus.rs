//! A client for the Prometheus server HTTP API (`/api/v1`): instant and
//! range queries, scrape targets, alerts and rule health.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use reqwest::Method;
use serde::Deserialize;
use serde::de::{DeserializeOwned, IgnoredAny};

pub use super::http::{ApiError, Auth, ServerSpec};
use super::http::{HttpApi, parse_time, remote_alert};
use crate::model::{Alert, AlertSource, AlertState, Health, RuleHealth, ScrapeTarget};

/// What a query returned.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct QueryResult {
    pub series: Vec<Series>,
    /// Prometheus' `warnings` (e.g. a partial response).
    pub warnings: Vec<String>,
}

/// One series: a vector element (one point), a matrix row (many points) or
/// a scalar (one point, no labels). Native-histogram samples are left out.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Including `__name__` when the expression kept it.
    pub labels: BTreeMap<String, String>,
    pub points: Vec<(SystemTime, f64)>,
}

#[derive(Debug, Clone)]
pub struct PromClient {
    api: HttpApi,
}

impl PromClient {
    pub fn new(spec: &ServerSpec) -> Result<PromClient, ApiError> {
        Ok(PromClient {
            api: HttpApi::new(spec)?,
        })
    }

    /// The configured server name (`origin` of what it reports).
    pub fn name(&self) -> &str {
        self.api.name()
    }

    /// An instant query, at `at` or now.
    pub async fn query(
        &self,
        promql: &str,
        at: Option<SystemTime>,
    ) -> Result<QueryResult, ApiError> {
        let mut form = vec![
            ("query", promql.to_owned()),
            ("timeout", self.server_timeout()),
        ];
        if let Some(at) = at {
            form.push(("time", unix_seconds(at)));
        }
        let req = self
            .api
            .request(Method::POST, "api/v1/query", None)?
            .form(&form);
        let (data, warnings): (QueryData, _) = self.fetch(req).await?;
        Ok(QueryResult {
            series: data.into_series()?,
            warnings,
        })
    }

    /// A range query from `start` to `end` every `step`.
    pub async fn query_range(
        &self,
        promql: &str,
        start: SystemTime,
        end: SystemTime,
        step: Duration,
    ) -> Result<QueryResult, ApiError> {
        let form = [
            ("query", promql.to_owned()),
            ("start", unix_seconds(start)),
            ("end", unix_seconds(end)),
            ("step", format!("{}", step.as_secs_f64())),
            ("timeout", self.server_timeout()),
        ];
        let req = self
            .api
            .request(Method::POST, "api/v1/query_range", None)?
            .form(&form);
        let (data, warnings): (QueryData, _) = self.fetch(req).await?;
        Ok(QueryResult {
            series: data.into_series()?,
            warnings,
        })
    }

    /// The active scrape targets.
    pub async fn targets(&self) -> Result<Vec<ScrapeTarget>, ApiError> {
        let req = self
            .api
            .request(Method::GET, "api/v1/targets", None)?
            .query(&[("state", "active")]);
        let (data, _): (TargetsData, _) = self.fetch(req).await?;
        Ok(data
            .active_targets
            .into_iter()
            .map(|t| t.into_target(self.name()))
            .collect())
    }

    /// Pending and firing alerts.
    pub async fn alerts(&self) -> Result<Vec<Alert>, ApiError> {
        let req = self.api.request(Method::GET, "api/v1/alerts", None)?;
        let (data, _): (AlertsData, _) = self.fetch(req).await?;
        Ok(data
            .alerts
            .into_iter()
            .map(|a| a.into_alert(self.name()))
            .collect())
    }

    /// Every rule of every group with its health.
    pub async fn rules(&self) -> Result<Vec<RuleHealth>, ApiError> {
        let req = self.api.request(Method::GET, "api/v1/rules", None)?;
        let (data, _): (RulesData, _) = self.fetch(req).await?;
        Ok(data
            .groups
            .into_iter()
            .flat_map(|g| {
                let origin = self.name().to_owned();
                g.rules.into_iter().map(move |r| RuleHealth {
                    origin: origin.clone(),
                    group: g.name.clone(),
                    name: r.name,
                    health: r.health,
                    last_error: r.last_error.filter(|e| !e.is_empty()),
                    kind: r.kind,
                })
            })
            .collect())
    }

    /// Unwraps the `{status, data, warnings}` envelope.
    async fn fetch<T: DeserializeOwned>(
        &self,
        req: reqwest::RequestBuilder,
    ) -> Result<(T, Vec<String>), ApiError> {
        let env: Envelope<T> = self.api.json(req).await?;
        match (env.status.as_str(), env.data) {
            ("success", Some(data)) => Ok((data, env.warnings.unwrap_or_default())),
            ("success", None) => Err(ApiError::Decode("a success without data".into())),
            _ => Err(ApiError::Api {
                error_type: env.error_type.unwrap_or_else(|| env.status.clone()),
                error: env.error.unwrap_or_default(),
            }),
        }
    }

    /// Asks Prometheus to give up a little before we do, so the answer is
    /// its own timeout error rather than a dropped connection.
    fn server_timeout(&self) -> String {
        format!(
            "{}",
            self.api.timeout().mul_f64(0.9).as_secs_f64().max(0.001)
        )
    }
}

/// Seconds since the epoch as Prometheus accepts them (negative before).
fn unix_seconds(t: SystemTime) -> String {
    match t.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => format!("{:.3}", d.as_secs_f64()),
        Err(e) => format!("-{:.3}", e.duration().as_secs_f64()),
    }
}

/// A sample value as Prometheus writes it: a decimal, `NaN`, `+Inf`,
/// `-Inf`.
pub fn parse_sample_value(s: &str) -> Option<f64> {
    match s {
        "NaN" => Some(f64::NAN),
        "+Inf" | "Inf" => Some(f64::INFINITY),
        "-Inf" => Some(f64::NEG_INFINITY),
        _ => s.parse().ok(),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Envelope<T> {
    status: String,
    data: Option<T>,
    error_type: Option<String>,
    error: Option<String>,
    warnings: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(tag = "resultType", content = "result", rename_all = "lowercase")]
enum QueryData {
    Vector(Vec<VectorElement>),
    Matrix(Vec<MatrixRow>),
    Scalar(RawPoint),
    String(IgnoredAny),
}

impl QueryData {
    fn into_series(self) -> Result<Vec<Series>, ApiError> {
        match self {
            QueryData::Vector(v) => v
                .into_iter()
                .map(|e| {
                    Ok(Series {
                        labels: e.metric,
                        points: e
                            .value
                            .map(RawPoint::point)
                            .transpose()?
                            .into_iter()
                            .collect(),
                    })
                })
                .collect(),
            QueryData::Matrix(m) => m
                .into_iter()
                .map(|r| {
                    Ok(Series {
                        labels: r.metric,
                        points: r
                            .values
                            .into_iter()
                            .map(RawPoint::point)
                            .collect::<Result<_, _>>()?,
                    })
                })
                .collect(),
            QueryData::Scalar(p) => Ok(vec![Series {
                labels: BTreeMap::new(),
                points: vec![p.point()?],
            }]),
            QueryData::String(_) => Err(ApiError::Decode(
                "the expression gives a string, not numbers".into(),
            )),
        }
    }
}

#[derive(Deserialize)]
struct VectorElement {
    #[serde(default)]
    metric: BTreeMap<String, String>,
    /// Absent for a native-histogram sample (`histogram` instead).
    value: Option<RawPoint>,
}

#[derive(Deserialize)]
struct MatrixRow {
    #[serde(default)]
    metric: BTreeMap<String, String>,
    #[serde(default)]
    values: Vec<RawPoint>,
}

/// `[1700000000.123, "0.5"]`.
#[derive(Deserialize)]
struct RawPoint(f64, String);

impl RawPoint {
    fn point(self) -> Result<(SystemTime, f64), ApiError> {
        let RawPoint(secs, value) = self;
        let at = Duration::try_from_secs_f64(secs)
            .ok()
            .and_then(|d| SystemTime::UNIX_EPOCH.checked_add(d))
            .ok_or_else(|| ApiError::Decode(format!("{secs} is not a sample time")))?;
        let v = parse_sample_value(&value)
            .ok_or_else(|| ApiError::Decode(format!("{value:?} is not a sample value")))?;
        Ok((at, v))
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TargetsData {
    #[serde(default)]
    active_targets: Vec<RawTarget>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawTarget {
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    scrape_pool: String,
    #[serde(default)]
    scrape_url: String,
    #[serde(default)]
    last_error: String,
    last_scrape: Option<String>,
    #[serde(default)]
    health: String,
}

impl RawTarget {
    fn into_target(self, origin: &str) -> ScrapeTarget {
        ScrapeTarget {
            origin: origin.to_owned(),
            job: self.labels.get("job").cloned().unwrap_or(self.scrape_pool),
            instance: self.labels.get("instance").cloned().unwrap_or_default(),
            scrape_url: self.scrape_url,
            health: match self.health.as_str() {
                "up" => Health::Up,
                "down" => Health::Down,
                _ => Health::Unknown,
            },
            last_error: Some(self.last_error).filter(|e| !e.is_empty()),
            last_scrape: self.last_scrape.as_deref().and_then(parse_time),
            labels: self.labels,
        }
    }
}

#[derive(Deserialize)]
struct AlertsData {
    #[serde(default)]
    alerts: Vec<RawAlert>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawAlert {
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
    #[serde(default)]
    state: String,
    active_at: Option<String>,
    value: Option<String>,
}

impl RawAlert {
    fn into_alert(self, origin: &str) -> Alert {
        let state = match self.state.as_str() {
            "pending" => AlertState::Pending,
            "inactive" => AlertState::Resolved,
            // `firing`, and anything newer: better shown than hidden.
            _ => AlertState::Firing,
        };
        let mut alert = remote_alert(
            AlertSource::Prometheus,
            origin,
            state,
            self.labels,
            self.annotations,
        );
        alert.since = self.active_at.as_deref().and_then(parse_time);
        alert.value = self.value;
        alert
    }
}

#[derive(Deserialize)]
struct RulesData {
    #[serde(default)]
    groups: Vec<RawGroup>,
}

#[derive(Deserialize)]
struct RawGroup {
    #[serde(default)]
    name: String,
    #[serde(default)]
    rules: Vec<RawRule>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawRule {
    #[serde(default)]
    name: String,
    #[serde(default)]
    health: String,
    last_error: Option<String>,
    #[serde(rename = "type", default)]
    kind: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(json: &str) -> Result<Vec<Series>, ApiError> {
        let data: QueryData = super::super::http::decode(json.as_bytes())?;
        data.into_series()
    }

    #[test]
    fn special_values_parse() {
        assert!(parse_sample_value("NaN").unwrap().is_nan());
        assert_eq!(parse_sample_value("+Inf"), Some(f64::INFINITY));
        assert_eq!(parse_sample_value("-Inf"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_sample_value("3.8e-01"), Some(0.38));
        assert_eq!(parse_sample_value("many"), None);
    }

    #[test]
    fn result_types_map_to_series() {
        let v = series(
            r#"{"resultType":"vector","result":[{"metric":{"job":"a"},"value":[1700000000.5,"1"]},
                {"metric":{},"histogram":[1700000000.5,{"count":"1"}]}]}"#,
        )
        .unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].points.len(), 1);
        assert!(v[1].points.is_empty());
        let m = series(
            r#"{"resultType":"matrix","result":[{"metric":{},"values":[[1,"1"],[2,"2"]]}]}"#,
        )
        .unwrap();
        assert_eq!(m[0].points.len(), 2);
        let s = series(r#"{"resultType":"scalar","result":[1,"-Inf"]}"#).unwrap();
        assert_eq!(s[0].points[0].1, f64::NEG_INFINITY);
        assert!(matches!(
            series(r#"{"resultType":"string","result":[1,"x"]}"#),
            Err(ApiError::Decode(_))
        ));
        assert!(matches!(
            series(r#"{"resultType":"scalar","result":[1,"lots"]}"#),
            Err(ApiError::Decode(_))
        ));
        assert!(matches!(
            series(r#"{"resultType":"scalar","result":[-5,"1"]}"#),
            Err(ApiError::Decode(_))
        ));
    }
}
