use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use super::cell::{escape, text};
use super::*;
use crate::app::{Banner, Keymap};
use crate::headless_gather::{AuditSummary, NotAnswered};
use crate::model::{
    Alert, AlertSource, AlertState, Health, ProbeFailure, ProbeOutcome, ProbeState, Service,
    Severity,
};
use crate::ops::audit::{
    AuditEntry, AuditOutcome, Problem, ProblemKind, RecordedHead, VerifyReport,
};

fn at(s: u64) -> SystemTime {
    // 2026-11-21T12:00:00Z
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_262_400 + s)
}

fn service(name: &str, result: Option<Result<Health, ProbeFailure>>) -> Service {
    let mut s = Service::new(name);
    s.environment = Some("production".into());
    let mut p = ProbeState::new(format!("http://{name}/health"), Duration::from_secs(10), 1);
    if let Some(result) = result {
        p.apply(ProbeOutcome {
            at: at(0),
            latency: Duration::from_millis(20),
            http_status: None,
            report: None,
            result,
        });
    }
    s.probes.push(p);
    s
}

fn up(name: &str) -> Service {
    service(name, Some(Ok(Health::Up)))
}

fn state(services: Vec<Service>) -> State {
    State::new(services, Keymap::default(), Banner::default(), at(0))
}

fn verified(lines: u64) -> VerifyReport {
    VerifyReport {
        lines,
        problems: vec![],
        head: Some("ab".repeat(32)),
        head_at: Some((lines, lines)),
        anchor: None,
        recorded: RecordedHead::NotKept,
        expected: None,
        unfinished: vec![],
    }
}

fn entry(seq: u64, minute: u64, target: &str, outcome: AuditOutcome) -> AuditEntry {
    let t: chrono::DateTime<chrono::Utc> = at(minute * 60).into();
    AuditEntry {
        seq,
        time: t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        user: "alice".into(),
        host: "ops1".into(),
        target: target.into(),
        verb: "restart".into(),
        parameters: BTreeMap::new(),
        outcome,
        duration_ms: Some(1200),
        message: None,
        job: Some(seq),
        run: None,
        prev: "0".repeat(64),
        hash: "1".repeat(64),
    }
}

fn render_with(state: &State, not_answered: &[NotAnswered], audit: &AuditSummary) -> String {
    render(&Incident {
        state,
        now: at(600),
        started: at(598),
        scope: "config /etc/opsboard.toml",
        sources_asked: 5,
        not_answered,
        wait: Duration::from_secs(8),
        audit,
    })
}

fn missing_log() -> AuditSummary {
    AuditSummary::Missing {
        path: PathBuf::from("/var/log/opsboard/audit.jsonl"),
    }
}

/// The text under `## title…` up to the next section.
fn section<'a>(md: &'a str, title: &str) -> &'a str {
    let start = md
        .find(&format!("## {title}"))
        .unwrap_or_else(|| panic!("{title} in {md}"));
    let rest = &md[start..];
    let body = &rest[rest.find('\n').unwrap() + 1..];
    match body.find("\n## ") {
        Some(end) => &body[..end],
        None => body,
    }
}

/// Cells of a table line, split on unescaped `|`.
fn cells(line: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                out.last_mut().unwrap().push(c);
                if let Some(n) = chars.next() {
                    out.last_mut().unwrap().push(n);
                }
            }
            '|' => out.push(String::new()),
            _ => out.last_mut().unwrap().push(c),
        }
    }
    out.into_iter().map(|c| c.trim().to_string()).collect()
}

#[test]
fn outside_text_cannot_break_a_table_or_start_a_block() {
    assert_eq!(escape("a|b"), r"a\|b");
    assert_eq!(escape("`rm -rf`"), r"\`rm -rf\`");
    assert_eq!(escape("# not a heading"), r"\# not a heading");
    assert_eq!(escape("- not a list"), r"\- not a list");
    assert_eq!(escape("a # b - c"), "a # b - c");
    assert_eq!(
        escape(r"tail\"),
        r"tail\\",
        "a trailing backslash cannot escape the next `|`"
    );
    assert_eq!(escape("[click](http://evil)"), r"\[click\](http://evil)");
    assert_eq!(escape("<script>"), r"\<script\>");
    assert_eq!(
        escape("ml_queue_depth __init__"),
        r"ml_queue_depth \_\_init\_\_"
    );
    // One line, control characters replaced, cut with an ellipsis.
    let t = text("line one\nline two\r\n\x1b[2Jend", 100);
    assert!(
        !t.contains('\n') && !t.contains('\r') && !t.contains('\x1b'),
        "{t:?}"
    );
    assert!(t.starts_with("line one line two"), "{t}");
    assert_eq!(text("  a\n\n   -->  b\t|", 100), r"a --\> b \|");
    assert_eq!(text(&"x".repeat(50), 10), format!("{}…", "x".repeat(10)));
}

#[test]
fn secrets_are_masked() {
    crate::model::text::register_secret("md-Canary-7781");
    let mut s = service(
        "api",
        Some(Err(ProbeFailure::Other {
            detail: "token md-Canary-7781 refused".into(),
        })),
    );
    s.name = "api md-Canary-7781".into();
    let md = render_with(&state(vec![s]), &[], &missing_log());
    assert!(!md.contains("md-Canary-7781"), "{md}");
    assert!(md.contains("| api *** |"), "{md}");
    assert!(md.contains("token *** refused"), "{md}");
    // Next to other text the mask is escaped like any `*`.
    assert_eq!(escape("a=***"), r"a=\*\*\*");
    assert_eq!(escape("*** x ***"), "*** x ***");
}

#[test]
fn a_hostile_name_stays_in_its_cell() {
    let mut s = service("x", Some(Err(ProbeFailure::HttpStatus { code: 500 })));
    s.name = "evil | injected | cells\n# Heading".into();
    s.environment = Some("prod`code`".into());
    let md = render_with(&state(vec![s]), &[], &missing_log());
    let table = section(&md, "Failing services");
    let rows: Vec<&str> = table.lines().filter(|l| l.starts_with('|')).collect();
    assert_eq!(rows.len(), 3, "{table}");
    for r in &rows {
        // `| a | b | c | d |` splits into 6 pieces: empty, four cells, empty.
        assert_eq!(cells(r).len(), 6, "{r}");
    }
    assert!(!md.lines().any(|l| l.starts_with("# Heading")), "{md}");
    assert!(
        rows[2].contains(r"evil \| injected \| cells # Heading"),
        "{}",
        rows[2]
    );
    assert!(rows[2].contains(r"prod\`code\`"), "{}", rows[2]);
}

#[test]
fn failing_services_worst_first_with_their_reasons() {
    let services = vec![
        up("api"),
        service("b-degraded", Some(Ok(Health::Degraded))),
        service("z-down", Some(Err(ProbeFailure::HttpStatus { code: 503 }))),
        service(
            "a-down",
            Some(Err(ProbeFailure::Refused { detail: "x".into() })),
        ),
        service("never", None),
    ];
    let not_answered = [NotAnswered {
        source: "health probe of never (http://never/health)".into(),
        reason: "no answer within 8s".into(),
        service: Some(4),
    }];
    let md = render_with(&state(services), &not_answered, &missing_log());
    let table = section(&md, "Failing services (4)");
    let names: Vec<String> = table
        .lines()
        .filter(|l| l.starts_with('|'))
        .skip(2)
        .map(|l| cells(l)[2].clone())
        .collect();
    assert_eq!(
        names,
        ["a-down", "z-down", "b-degraded", "never"],
        "{table}"
    );
    assert!(table.contains("✖ DOWN") && table.contains("◐ DEGR") && table.contains("? UNKN"));
    assert!(table.contains("HTTP 503"), "{table}");
    assert!(table.contains("connection refused"), "{table}");
    assert!(
        table.contains(
            "not answered: health probe of never (http://never/health) (no answer within 8s)"
        ),
        "{table}"
    );
    assert!(md.contains("**Healthy (1):** api\n"), "{md}");
    assert!(
        md.contains("· **4 services failing, no alerts firing**"),
        "{md}"
    );
    assert!(
        md.contains("5 services: 2 down, 1 degraded, 1 unknown, 1 up"),
        "{md}"
    );
    let sources = section(&md, "Sources");
    assert!(
        sources.contains("4 of 5 sources answered within 8s."),
        "{sources}"
    );
    assert!(
        sources.contains("- not answered: health probe of never"),
        "{sources}"
    );
}

#[test]
fn empty_sections_say_none() {
    let md = render_with(&state(vec![up("api"), up("web")]), &[], &missing_log());
    assert!(md.starts_with("# opsboard snapshot · 2026-11-21T12:10:00Z · config /etc/opsboard.toml · **all 2 services healthy, no alerts firing**\n"), "{md}");
    assert_eq!(
        section(&md, "Failing services (0)")
            .trim_start()
            .lines()
            .next(),
        Some("none")
    );
    assert_eq!(section(&md, "Firing alerts (0)").trim(), "none");
    assert!(
        section(&md, "Recent actions")
            .contains("none: no audit log at /var/log/opsboard/audit.jsonl"),
        "{md}"
    );
    assert!(md.contains("**Healthy (2):** api, web"), "{md}");
    assert_eq!(
        section(&md, "Sources").trim(),
        "5 of 5 sources answered within 8s."
    );
    let md = render_with(&state(vec![]), &[], &AuditSummary::NoLocation);
    assert!(md.contains("**no services, no alerts firing**"), "{md}");
    assert!(md.contains("**Healthy:** none"), "{md}");
}

#[test]
fn alerts_ranked_as_the_pane_with_silenced_after_firing_and_pending_named() {
    let services = vec![up("api"), up("db")];
    let mut st = state(services);
    let mut warn = Alert::local("DiskFilling", Severity::Warning, "disk 91% | full".into());
    warn.labels.insert("service".into(), "db".into());
    warn.service = Some("db".into());
    warn.since = Some(at(600) - Duration::from_secs(12 * 60));
    let mut crit = Alert::local("ServiceDown", Severity::Critical, "api is down".into());
    crit.labels.insert("service".into(), "api".into());
    crit.service = Some("api".into());
    crit.since = Some(at(599));
    let mut pending = Alert::local("LatencyHigh", Severity::Warning, "slow".into());
    pending.state = AlertState::Pending;
    pending.service = Some("api".into());
    st.alerts.local = vec![warn, crit, pending];
    let mut silenced = Alert::local("NodeDown", Severity::Critical, "node-3 gone".into());
    silenced.source = AlertSource::Alertmanager;
    silenced.origin = "am".into();
    silenced.state = AlertState::Suppressed;
    silenced.silenced_by = vec!["s-1".into()];
    silenced.since = Some(at(0));
    st.alerts.apply_remote(
        AlertSource::Alertmanager,
        "am".into(),
        at(600),
        Ok(vec![silenced]),
    );
    st.alerts.rebuild(&st.services);
    let md = render_with(&st, &[], &missing_log());
    assert!(
        md.contains("**all 2 services healthy, 2 alerts firing**"),
        "{md}"
    );
    assert!(
        md.contains("firing: 1 critical, 1 warning · 1 pending"),
        "{md}"
    );
    let alerts = section(&md, "Firing alerts (2, 1 silenced)");
    let rows: Vec<Vec<String>> = alerts
        .lines()
        .filter(|l| l.starts_with('|'))
        .skip(2)
        .map(cells)
        .collect();
    let order: Vec<(&str, &str, &str)> = rows
        .iter()
        .map(|r| (r[1].as_str(), r[2].as_str(), r[3].as_str()))
        .collect();
    assert_eq!(
        order,
        [
            ("critical", "firing", "ServiceDown"),
            ("warning", "firing", "DiskFilling"),
            ("critical", "silenced", "NodeDown"),
        ],
        "{alerts}"
    );
    // Seen first in this round: no start time is claimed for it.
    assert_eq!(rows[0][5], "first seen now");
    assert_eq!(rows[1][5], "11:58:00Z (for 12m)");
    assert_eq!(rows[2][5], "12:00:00Z (for 10m)");
    assert_eq!(rows[1][6], r"disk 91% \| full");
    assert_eq!(rows[2][7], "alertmanager am");
    assert!(
        alerts.contains("Pending (condition holds, not yet for its `for`): LatencyHigh (api)"),
        "{alerts}"
    );
}

#[test]
fn recent_actions_newest_first_at_most_ten_and_the_chain_verified() {
    let entries: Vec<AuditEntry> = (1..=12)
        .map(|i| {
            entry(
                i,
                i,
                &format!("deployment/api-{i}"),
                AuditOutcome::Succeeded,
            )
        })
        .collect();
    let audit = AuditSummary::Read {
        path: PathBuf::from("/var/log/opsboard/audit.jsonl"),
        recent: Ok(entries),
        verify: Ok(Box::new(verified(13))),
    };
    let md = render_with(&state(vec![up("api")]), &[], &audit);
    let actions = section(&md, "Recent actions");
    let rows: Vec<Vec<String>> = actions
        .lines()
        .filter(|l| l.starts_with('|'))
        .skip(2)
        .map(cells)
        .collect();
    assert_eq!(rows.len(), 10, "{actions}");
    assert_eq!(rows[0][1], "12:12:00Z");
    assert_eq!(rows[0][2], "alice@ops1");
    assert_eq!(rows[0][3], "restart");
    assert_eq!(rows[0][4], "deployment/api-12");
    assert_eq!(rows[0][5], "succeeded");
    assert_eq!(rows[0][6], "#12");
    assert_eq!(rows[9][4], "deployment/api-3");
    assert!(actions.contains("2 more in the last 24h"), "{actions}");
    assert!(
        actions.contains("Audit log /var/log/opsboard/audit.jsonl: chain verified (13 lines, head `abababababababab…`)."),
        "{actions}"
    );
    assert!(!actions.contains("BROKEN"), "{actions}");
}

#[test]
fn a_broken_chain_is_said_loudly() {
    let mut report = verified(4);
    report.problems = vec![Problem {
        line: 3,
        kind: ProblemKind::Modified,
        message: "line 3 was modified: hash mismatch".into(),
    }];
    let audit = AuditSummary::Read {
        path: PathBuf::from("/tmp/a.jsonl"),
        recent: Ok(vec![entry(1, 1, "backup/redis", AuditOutcome::Failed)]),
        verify: Ok(Box::new(report)),
    };
    let md = render_with(&state(vec![up("api")]), &[], &audit);
    let actions = section(&md, "Recent actions");
    assert!(
        actions.contains("**Audit log chain BROKEN** (/tmp/a.jsonl): 1 problem: line 3 modified: line 3 was modified: hash mismatch. Run `opsboard audit verify`."),
        "{actions}"
    );
    assert!(actions.contains("| failed"), "{actions}");
    let audit = AuditSummary::Read {
        path: PathBuf::from("/tmp/a.jsonl"),
        recent: Ok(vec![]),
        verify: Err("audit log /tmp/a.jsonl: permission denied".into()),
    };
    let md = render_with(&state(vec![up("api")]), &[], &audit);
    let actions = section(&md, "Recent actions");
    assert!(
        actions.starts_with("\nnone in the last 24h\n"),
        "{actions:?}"
    );
    assert!(
        actions.contains("could not be verified:** audit log /tmp/a.jsonl: permission denied"),
        "{actions}"
    );
}
