//! What a Job's container writes: a finite script spread over its run. A
//! PostgreSQL image runs a `pg_dump --verbose` backup of the orders
//! database (catalog reads, one line per table dumped, then the dump's
//! size from `du -h`, or a connection error when the run fails); anything
//! else a generic batch run.

use chrono::DateTime;

use super::super::clock::SimTime;
use super::{Instance, Profile, Written, mix};

const TABLES: [&str; 7] = [
    "public.customers",
    "public.addresses",
    "public.products",
    "public.orders",
    "public.order_items",
    "public.payments",
    "public.shipments",
];

fn pg_dump_body() -> Vec<String> {
    let mut lines: Vec<String> = [
        "pg_dump: last built-in OID is 16383",
        "pg_dump: reading extensions",
        "pg_dump: identifying extension members",
        "pg_dump: reading schemas",
        "pg_dump: reading user-defined tables",
        "pg_dump: reading user-defined functions",
        "pg_dump: reading user-defined types",
        "pg_dump: reading indexes",
        "pg_dump: reading constraints",
        "pg_dump: reading triggers",
        "pg_dump: reading dependency data",
        "pg_dump: saving encoding = UTF8",
        "pg_dump: saving \"standard_conforming_strings = on\"",
        "pg_dump: saving \"search_path = \"",
        "pg_dump: saving database definition",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    lines.extend(
        TABLES
            .iter()
            .map(|t| format!("pg_dump: dumping contents of table \"{t}\"")),
    );
    lines
}

fn generic_body(inst: &Instance) -> Vec<String> {
    let mut lines = vec![format!("INFO starting {} ({})", inst.container, inst.image)];
    let total = 8;
    for k in 1..=total {
        let n = 500 + mix(inst.seed(), k) % 1500;
        lines.push(format!("INFO batch {k}/{total}: processed {n} records"));
    }
    lines
}

/// The lines written at the end of the run.
fn last_lines(inst: &Instance, ok: bool) -> Vec<String> {
    let postgres = Profile::of(&inst.image) == Profile::Postgres;
    match (postgres, ok) {
        (true, true) => {
            let stamp = DateTime::from_timestamp_millis(inst.started)
                .map(|t| t.format("%Y%m%dT%H%M%SZ").to_string())
                .unwrap_or_default();
            let tenths = 12 + mix(inst.seed(), 99) % 5;
            vec![format!(
                "{}.{}G\t/backups/orders-{stamp}.dump",
                tenths / 10,
                tenths % 10
            )]
        }
        (true, false) => vec![
            "pg_dump: error: connection to server at \"postgres\" (10.96.0.14), port 5432 failed: FATAL:  remaining connection slots are reserved for roles with the SUPERUSER attribute".into(),
        ],
        (false, true) => vec!["INFO done: all batches processed".into()],
        (false, false) => vec!["ERROR batch failed: exit status 1".into()],
    }
}

/// The lines in `(after, until]` of a run planned to end at `end`.
pub fn between(inst: &Instance, end: SimTime, after: SimTime, until: SimTime) -> Vec<Written> {
    let end = inst.ended.as_ref().map_or(end, |(t, _)| *t);
    let body = if Profile::of(&inst.image) == Profile::Postgres {
        pg_dump_body()
    } else {
        generic_body(inst)
    };
    let span = (end - inst.started - 200).max(body.len() as i64);
    let step = span / body.len().max(1) as i64;
    let mut all: Vec<Written> = body
        .into_iter()
        .enumerate()
        .map(|(i, l)| (inst.started + 100 + i as i64 * step, l))
        .collect();
    if let Some((t, reason)) = &inst.ended {
        let ok = reason == "Completed";
        all.retain(|(at, _)| *at < *t);
        all.extend(last_lines(inst, ok).into_iter().map(|l| (*t, l)));
    }
    all.retain(|(t, _)| *t > after && *t <= until);
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(image: &str, ended: Option<&str>) -> Instance {
        Instance {
            pod: "pg-backup-28501320-x7k2q".into(),
            container: "pg-backup".into(),
            image: image.into(),
            port: None,
            started: 1_000_000,
            ended: ended.map(|r| (1_040_000, r.to_string())),
            rate: None,
            run_to: Some(1_040_000),
        }
    }

    #[test]
    fn a_backup_dumps_every_table_then_reports_its_size() {
        let lines = run("postgres:16.2", Some("Completed")).between(0, 2_000_000);
        let text: Vec<&str> = lines.iter().map(|(_, l)| l.as_str()).collect();
        assert_eq!(text[0], "pg_dump: last built-in OID is 16383");
        assert!(text.contains(&"pg_dump: dumping contents of table \"public.orders\""));
        let last = text.last().unwrap();
        assert!(
            last.contains("G\t/backups/orders-") && last.ends_with(".dump"),
            "{last}"
        );
        assert!(lines.windows(2).all(|w| w[0].0 <= w[1].0));
        // Halfway through: some tables, no size yet.
        let half = run("postgres:16.2", None).between(0, 1_020_000);
        assert!(!half.is_empty() && half.len() < lines.len() - 1);
    }

    #[test]
    fn failures_and_other_images() {
        let failed = run("postgres:16.2", Some("Error")).between(0, 2_000_000);
        assert!(failed.last().unwrap().1.starts_with("pg_dump: error:"));
        let generic = run("busybox:1.36", Some("Completed")).between(0, 2_000_000);
        assert!(generic[0].1.starts_with("INFO starting pg-backup"));
        assert_eq!(
            generic.last().unwrap().1,
            "INFO done: all batches processed"
        );
    }
}
