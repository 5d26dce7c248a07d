//! Assembling device fleets from config: every host of an endpoint fleet
//! with its URL, location and labels; the query of a query-backed one.

use std::sync::Arc;

use crate::clients::prometheus::ServerSpec;
use crate::config::Config;
use crate::config::schema_fleet::{FleetConfig, MAX_DEVICES, expand_hosts};
use crate::model::fleet_spec::{DeviceSpec, EndpointFleet, FleetSource, FleetSpec, QueryFleet};
use crate::sources::fleet::FleetPlan;

pub fn plan(config: &Config) -> Result<FleetPlan, String> {
    let mut fleets = Vec::with_capacity(config.fleet.len());
    for (i, f) in config.fleet.iter().enumerate() {
        fleets.push(fleet(config, f).map_err(|e| format!("fleet[{i}] ({}): {e}", f.name))?);
    }
    Ok(FleetPlan { fleets })
}

fn fleet(config: &Config, f: &FleetConfig) -> Result<FleetSpec<ServerSpec>, String> {
    let group_thresholds = f
        .groups
        .iter()
        .filter_map(|g| Some((g.location.clone(), g.offline_threshold?)))
        .collect();
    let source = match (&f.url, &f.prometheus) {
        (Some(url), None) => FleetSource::Endpoints(endpoints(f, url)?),
        (None, Some(server)) => {
            let s = config
                .prometheus
                .iter()
                .find(|p| p.name == *server)
                .ok_or_else(|| format!("no [[prometheus]] named `{server}`"))?;
            FleetSource::Query(Box::new(QueryFleet {
                server: super::metrics::server_spec(s)?,
                query: f.query.clone().ok_or("a query fleet needs `query`")?,
                instance_label: f.instance_label.clone().unwrap_or("instance".into()),
                location_label: f.location_label.clone().unwrap_or("location".into()),
                interval: f.interval(),
            }))
        }
        _ => return Err("give either `url` (with hosts) or `prometheus` and `query`".into()),
    };
    Ok(FleetSpec {
        name: f.name.clone(),
        service: f.service.clone(),
        threshold: f.offline_threshold,
        group_thresholds,
        source,
    })
}

fn endpoints(f: &FleetConfig, template: &str) -> Result<EndpointFleet, String> {
    let mut devices = Vec::new();
    let mut add = |patterns: &[String],
                   location: Option<&str>,
                   labels: Arc<[(String, String)]>|
     -> Result<(), String> {
        for p in patterns {
            for host in expand_hosts(p, MAX_DEVICES)? {
                if devices.len() >= MAX_DEVICES {
                    return Err(format!("more than {MAX_DEVICES} hosts"));
                }
                let text = template
                    .replace("{host}", &host)
                    .replace("{location}", location.unwrap_or(""));
                let url = url::Url::parse(&text)
                    .map_err(|e| format!("`{text}` (for host {host}) is not a URL: {e}"))?;
                devices.push(DeviceSpec {
                    host,
                    location: location.map(str::to_string),
                    labels: labels.clone(),
                    url,
                });
            }
        }
        Ok(())
    };
    add(&f.hosts, None, Arc::from(Vec::new()))?;
    for g in &f.groups {
        let labels: Vec<(String, String)> = g
            .labels
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        add(&g.hosts, Some(&g.location), Arc::from(labels))?;
    }
    Ok(EndpointFleet {
        devices,
        interval: f.interval(),
        timeout: f.timeout(),
        concurrency: f.concurrency(),
        tls_verify: f.tls_verify,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> Config {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn endpoint_fleet_expands_hosts_per_location() {
        let c = config(
            r#"
[[fleet]]
name = "edge"
url = "https://{host}/health?site={location}"
hosts = ["gw-a"]
offline_threshold = 0.3
[[fleet.groups]]
location = "ams-1"
hosts = ["rpi-{001..120}"]
labels = { rack = "r1" }
offline_threshold = 0.5
"#,
        );
        let p = plan(&c).unwrap();
        let f = &p.fleets[0];
        let FleetSource::Endpoints(e) = &f.source else {
            panic!("endpoints")
        };
        assert_eq!(e.devices.len(), 121);
        assert_eq!(e.devices[0].url.as_str(), "https://gw-a/health?site=");
        assert_eq!(
            e.devices[120].url.as_str(),
            "https://rpi-120/health?site=ams-1"
        );
        assert_eq!(f.group_thresholds["ams-1"], 0.5);
        assert_eq!(f.threshold, Some(0.3));
        let devices = f.initial_devices();
        assert_eq!(devices[1].label("rack"), Some("r1"));
        assert_eq!(devices[1].location.as_deref(), Some("ams-1"));
        assert_eq!(devices[1].status, crate::model::Health::Unknown);
    }

    #[test]
    fn a_fleet_needs_one_source() {
        let c = config("[[fleet]]\nname = \"x\"\nhosts = [\"a\"]\n");
        assert!(plan(&c).unwrap_err().contains("either `url`"));
        let c = config("[[fleet]]\nname = \"x\"\nprometheus = \"nope\"\nquery = \"up\"\n");
        assert!(plan(&c).unwrap_err().contains("no [[prometheus]]"));
    }
}
