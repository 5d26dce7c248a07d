//! Assembling the metrics and alert sources from config: scrape jobs,
//! Prometheus and Alertmanager servers, per-service PromQL (templated
//! from the service's bindings), and the rule settings.

use std::time::Duration;

use crate::clients::prometheus::{Auth, ServerSpec};
use crate::config::Config;
use crate::config::schema_metrics::{
    CustomFunctionName, MetricsConfig, PromQueriesConfig, ServerConfig,
};
use crate::model::metrics::{Limits, ServiceMetrics};
use crate::sources::metrics::digest::{CustomFunction, CustomMetric, ErrorMatch, MetricsSpec};
use crate::sources::metrics::scrape::ScrapeJob;
use crate::sources::remote::{Polled, ServiceQueries};

/// Scrape bodies past this are refused.
const SCRAPE_BODY_LIMIT: usize = 32 * 1024 * 1024;
const DEFAULT_INTERVAL: Duration = Duration::from_secs(15);
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// What the runtime starts for metrics and alerts.
#[derive(Debug, Clone, Default)]
pub struct MetricsPlan {
    pub scrape: Vec<ScrapeJob>,
    pub prometheus: Vec<Polled>,
    pub alertmanagers: Vec<Polled>,
    pub queries: Vec<ServiceQueries>,
}

pub fn server_spec(s: &ServerConfig) -> Result<ServerSpec, String> {
    let auth = match (&s.basic, &s.bearer) {
        (Some(b), _) => Auth::Basic {
            user: b.username.clone(),
            password: b.password.expose().to_string(),
        },
        (None, Some(t)) => Auth::Bearer(t.expose().to_string()),
        (None, None) => Auth::None,
    };
    let ca_pem = match &s.ca_file {
        Some(p) => Some(
            std::fs::read(p).map_err(|e| format!("{}: ca_file {}: {e}", s.name, p.display()))?,
        ),
        None => None,
    };
    Ok(ServerSpec {
        name: s.name.clone(),
        url: s.url.0.clone(),
        auth,
        ca_pem,
        timeout: s.timeout.unwrap_or(DEFAULT_TIMEOUT),
    })
}

fn polled(s: &ServerConfig) -> Result<Polled, String> {
    Ok(Polled {
        spec: server_spec(s)?,
        interval: s.interval.unwrap_or(DEFAULT_INTERVAL),
    })
}

fn spec_of(m: &MetricsConfig) -> MetricsSpec {
    let d = MetricsSpec::default();
    MetricsSpec {
        requests: m.requests.as_ref().map_or(d.requests, |s| s.0.clone()),
        error_label: m.error_label.clone().unwrap_or(d.error_label),
        error_values: if m.error_values.is_empty() {
            ErrorMatch::ServerErrors
        } else {
            ErrorMatch::Values(m.error_values.clone())
        },
        latency: m.latency.as_ref().map_or(d.latency, |s| s.0.clone()),
        cpu: m.cpu.as_ref().map_or(d.cpu, |s| s.0.clone()),
        memory: m.memory.as_ref().map_or(d.memory, |s| s.0.clone()),
        custom: m
            .custom
            .iter()
            .map(|c| CustomMetric {
                label: c.label.clone(),
                selector: c.metric.0.clone(),
                function: match c.function.unwrap_or(CustomFunctionName::Gauge) {
                    CustomFunctionName::Gauge => CustomFunction::Gauge,
                    CustomFunctionName::Rate => CustomFunction::Rate,
                    CustomFunctionName::Ratio => CustomFunction::Ratio {
                        denominator: c
                            .denominator
                            .as_ref()
                            .map_or_else(|| c.metric.0.clone(), |s| s.0.clone()),
                    },
                    CustomFunctionName::Quantile => {
                        CustomFunction::Quantile(c.quantile.unwrap_or(0.95))
                    }
                },
                unit: c.unit.clone(),
            })
            .collect(),
    }
}

/// Replaces `{{service}}`-style placeholders from the service's bindings.
pub fn template(q: &str, sc: &crate::config::ServiceConfig, selector: &str) -> String {
    let w = sc.kubernetes.as_ref().map(|b| &b.0);
    let c = sc.compose.as_ref();
    q.replace("{{selector}}", selector)
        .replace("{{service}}", &sc.name)
        .replace("{{namespace}}", w.map_or("", |w| w.namespace.as_str()))
        .replace("{{workload}}", w.map_or("", |w| w.name.as_str()))
        .replace("{{context}}", w.map_or("", |w| w.context.as_str()))
        .replace("{{compose_project}}", c.map_or("", |c| c.project.as_str()))
        .replace("{{compose_service}}", c.map_or("", |c| c.service.as_str()))
}

fn queries_of(
    service: usize,
    sc: &crate::config::ServiceConfig,
    p: &PromQueriesConfig,
    server_interval: Duration,
) -> ServiceQueries {
    let selector = template(
        p.selector.as_deref().unwrap_or("job=\"{{service}}\""),
        sc,
        "",
    );
    let t = |q: &Option<String>, default: Option<&str>| {
        q.as_deref().or(default).map(|q| template(q, sc, &selector))
    };
    let total = "sum(rate(http_requests_total{ {{selector}} }[5m]))";
    let quantile = |q: &str| {
        format!(
            "histogram_quantile({q}, sum by (le) (rate(http_request_duration_seconds_bucket{{ {{{{selector}}}} }}[5m])))"
        )
    };
    ServiceQueries {
        service,
        server: p.server.clone(),
        interval: p.interval.unwrap_or(server_interval),
        request_rate: t(&p.request_rate, Some(total)),
        error_ratio: t(
            &p.error_ratio,
            Some(
                "sum(rate(http_requests_total{ {{selector}}, status=~\"5..\" }[5m])) / sum(rate(http_requests_total{ {{selector}} }[5m]))",
            ),
        ),
        p50: t(&p.p50, Some(&quantile("0.5"))),
        p95: t(&p.p95, Some(&quantile("0.95"))),
        p99: t(&p.p99, Some(&quantile("0.99"))),
        cpu: t(
            &p.cpu,
            Some("sum(rate(process_cpu_seconds_total{ {{selector}} }[5m]))"),
        ),
        memory: t(
            &p.memory,
            Some("sum(process_resident_memory_bytes{ {{selector}} })"),
        ),
        disk: t(&p.disk, None),
        custom: p
            .custom
            .iter()
            .map(|c| {
                (
                    c.label.clone(),
                    template(&c.query, sc, &selector),
                    c.unit.clone(),
                )
            })
            .collect(),
    }
}

/// The sources' plan, and each configured service's starting metrics
/// (with its limits), indexed like `config.services`.
/// Each configured service's metrics to start with (`None`: it has none).
pub type StartingMetrics = Vec<Option<Box<ServiceMetrics>>>;

pub fn plan(config: &Config) -> Result<(MetricsPlan, StartingMetrics), String> {
    let mut plan = MetricsPlan {
        prometheus: config
            .prometheus
            .iter()
            .map(polled)
            .collect::<Result<_, _>>()?,
        alertmanagers: config
            .alertmanager
            .iter()
            .map(polled)
            .collect::<Result<_, _>>()?,
        ..MetricsPlan::default()
    };
    let mut starts = Vec::with_capacity(config.services.len());
    for (i, sc) in config.services.iter().enumerate() {
        let mut limits = Limits::default();
        if let Some(m) = &sc.metrics {
            limits.cpu_cores = m.cpu_limit_cores;
            limits.memory_bytes = m.memory_limit_bytes;
            plan.scrape.push(ScrapeJob {
                service: i,
                url: m.url.0.clone(),
                interval: m.interval.unwrap_or(DEFAULT_INTERVAL),
                timeout: m.timeout.unwrap_or(DEFAULT_TIMEOUT),
                spec: spec_of(m),
                body_limit: SCRAPE_BODY_LIMIT,
            });
        }
        if let Some(p) = &sc.prometheus {
            let server = plan
                .prometheus
                .iter()
                .find(|s| s.spec.name == p.server)
                .ok_or_else(|| {
                    format!(
                        "services[{i}].prometheus.server: no [[prometheus]] named `{}`",
                        p.server
                    )
                })?;
            limits.cpu_cores = limits.cpu_cores.or(p.cpu_limit_cores);
            limits.memory_bytes = limits.memory_bytes.or(p.memory_limit_bytes);
            plan.queries.push(queries_of(i, sc, p, server.interval));
        }
        starts.push((sc.metrics.is_some() || sc.prometheus.is_some()).then(|| {
            Box::new(ServiceMetrics {
                limits,
                ..ServiceMetrics::default()
            })
        }));
    }
    Ok((plan, starts))
}
