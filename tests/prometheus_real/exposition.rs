//! The exposition parser against what Prometheus itself stored from the
//! same node_exporter.

use std::collections::BTreeMap;
use std::time::Duration;

use opsboard::clients::prometheus::PromClient;
use opsboard::sources::metrics::exposition::{Format, MetricKind};
use opsboard::sources::metrics::parse::parse;

use super::{WAIT, spec};
use crate::prom::{NodeExporter, Prometheus, eventually, prometheus_config};

/// Series name → samples, from Prometheus' `count by (__name__)`, without
/// what Prometheus adds itself.
async fn stored_counts(client: &PromClient) -> Result<BTreeMap<String, usize>, String> {
    let r = client
        .query(r#"count by (__name__) ({job="node"})"#, None)
        .await
        .map_err(|e| e.to_string())?;
    Ok(r.series
        .iter()
        .filter_map(|s| {
            Some((
                s.labels.get("__name__")?.clone(),
                s.points.first()?.1 as usize,
            ))
        })
        .filter(|(n, _)| n != "up" && !n.starts_with("scrape_") && !n.starts_with("ALERTS"))
        .collect())
}

#[tokio::test]
async fn node_exporter_parses_like_prometheus_stored_it() {
    let Some(ne) = NodeExporter::start() else {
        return;
    };
    let Some(prom) = Prometheus::start(
        &prometheus_config(&[("node", vec![ne.address()])], false, None),
        None,
    ) else {
        return;
    };
    let client = PromClient::new(&spec("lab", &prom.url())).unwrap();
    let c = &client;
    eventually("node scraped", WAIT, move || async move {
        let n = stored_counts(c).await?.len();
        if n > 50 {
            Ok(())
        } else {
            Err(format!("{n} series names"))
        }
    })
    .await;

    let http = reqwest::Client::new();
    let mut last_diff = String::new();
    // Two scrapes a moment apart can differ (a Go GC adds no series, but a
    // collector can); retry until a direct scrape and Prometheus' latest
    // agree.
    for attempt in 1..=10 {
        let text = http
            .get(format!("{}metrics", ne.url()))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let exposition = parse(&text, Format::Text);
        assert!(
            exposition.errors.is_empty(),
            "node_exporter's exposition must parse cleanly: {:?}",
            exposition.errors
        );
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                let name = rest.split_whitespace().next().unwrap_or_default();
                assert!(
                    exposition.family(name).is_some(),
                    "family {name} was not parsed"
                );
            }
        }
        let sample_lines = text
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .count();
        assert_eq!(exposition.sample_count(), sample_lines);
        let gc = exposition
            .family("go_gc_duration_seconds")
            .expect("a summary");
        assert_eq!(gc.kind, MetricKind::Summary);
        assert!(
            gc.samples
                .iter()
                .any(|s| s.name == "go_gc_duration_seconds_count")
        );
        let cpu = exposition
            .family("node_cpu_seconds_total")
            .expect("a counter");
        assert_eq!(cpu.kind, MetricKind::Counter);
        assert!(
            cpu.samples
                .iter()
                .all(|s| s.label("cpu").is_some() && s.label("mode").is_some())
        );

        let mut parsed: BTreeMap<String, usize> = BTreeMap::new();
        for s in exposition.families.iter().flat_map(|f| &f.samples) {
            *parsed.entry(s.name.to_string()).or_default() += 1;
        }
        let stored = stored_counts(&client).await.unwrap();
        if parsed == stored {
            eprintln!(
                "agreed on attempt {attempt}: {} series names, {} samples",
                parsed.len(),
                exposition.sample_count()
            );
            return;
        }
        let names: std::collections::BTreeSet<&String> =
            parsed.keys().chain(stored.keys()).collect();
        last_diff = names
            .into_iter()
            .filter(|n| parsed.get(*n) != stored.get(*n))
            .map(|n| {
                format!(
                    "{n}: parsed {:?}, Prometheus {:?}",
                    parsed.get(n),
                    stored.get(n)
                )
            })
            .collect::<Vec<_>>()
            .join("\n");
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    panic!("the parse never agreed with Prometheus; last differences:\n{last_diff}");
}
