//! Snapshots of every screen, rendered into ratatui's TestBackend at 80×24
//! and at a wide size, as plain text.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on a broken fixture

mod support;
use support::{fixtures, key};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use opsboard::app::{Banner, Keymap, Msg, State, update};
use opsboard::ui::{self, Theme};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn draw(state: &State, theme: &Theme) -> ratatui::buffer::Buffer {
    let mut term = Terminal::new(TestBackend::new(state.width, state.height)).unwrap();
    term.draw(|f| ui::render(f, state, theme)).unwrap();
    term.backend().buffer().clone()
}

fn text(state: &State) -> String {
    ui::text::buffer_to_text(&draw(state, &Theme::default()))
}

fn typed(state: &mut State, s: &str) {
    for c in s.chars() {
        key(state, KeyCode::Char(c));
    }
}

/// One screen as two snapshots: 80×24 (the bastion) and 160×48 (wide).
macro_rules! both_sizes {
    ($narrow:ident, $wide:ident, $screen:ident) => {
        #[test]
        fn $narrow() {
            insta::assert_snapshot!(text(&$screen(80, 24)));
        }

        #[test]
        fn $wide() {
            insta::assert_snapshot!(text(&$screen(160, 48)));
        }
    };
}

#[test]
fn services_80x24() {
    insta::assert_snapshot!(text(&fixtures::state(80, 24)));
}

#[test]
fn services_160x48() {
    insta::assert_snapshot!(text(&fixtures::state(160, 48)));
}

#[test]
fn services_demo_read_only_with_notice_100x30() {
    let mut s = fixtures::state(100, 30);
    s.banner = Banner {
        demo: true,
        read_only: true,
        notice: Some(
            "no config file (~/.config/opsboard/config.toml not found): discovery only".into(),
        ),
    };
    insta::assert_snapshot!(text(&s));
}

/// The services pane while `/` is narrowing it to "WEB".
fn filter_while_typing(w: u16, h: u16) -> State {
    let mut s = fixtures::state(w, h);
    key(&mut s, KeyCode::Char('/'));
    typed(&mut s, "WEB");
    s
}

both_sizes!(
    filter_while_typing_80x24,
    filter_while_typing_160x48,
    filter_while_typing
);

#[test]
fn filter_matching_nothing_80x24() {
    let mut s = fixtures::state(80, 24);
    key(&mut s, KeyCode::Char('/'));
    typed(&mut s, "zzz");
    key(&mut s, KeyCode::Enter);
    insta::assert_snapshot!(text(&s));
}

/// The detail view of the first (down) service.
fn detail_of_a_down_service(w: u16, h: u16) -> State {
    let mut s = fixtures::state(w, h);
    key(&mut s, KeyCode::Enter);
    s
}

both_sizes!(
    detail_of_a_down_service_80x24,
    detail_of_a_down_service_160x48,
    detail_of_a_down_service
);

#[test]
fn detail_of_a_two_probe_service_160x48() {
    let mut s = fixtures::state(160, 48);
    key(&mut s, KeyCode::Char('/'));
    typed(&mut s, "web");
    key(&mut s, KeyCode::Enter);
    key(&mut s, KeyCode::Enter);
    insta::assert_snapshot!(text(&s));
}

/// The help overlay (`?`).
fn help(w: u16, h: u16) -> State {
    let mut s = fixtures::state(w, h);
    key(&mut s, KeyCode::Char('?'));
    s
}

both_sizes!(help_80x24, help_160x48, help);

#[test]
fn no_services_80x24() {
    let mut s = State::new(vec![], Keymap::default(), Banner::default(), fixtures::t(0));
    s.width = 80;
    s.height = 24;
    insta::assert_snapshot!(text(&s));
}

#[test]
fn tiny_terminal_does_not_panic_and_keeps_status() {
    for (w, h) in [(20, 5), (40, 10), (1, 1), (0, 0)] {
        let s = fixtures::state(w, h);
        let t = text(&s);
        if w >= 20 && h >= 3 {
            assert!(t.contains("DOWN"), "{w}x{h}:\n{t}");
        }
    }
}

#[test]
fn no_line_exceeds_the_width_and_nothing_wraps() {
    for (w, h) in [(80, 24), (100, 30), (160, 48), (60, 20)] {
        let s = fixtures::state(w, h);
        let buf = draw(&s, &Theme::default());
        assert_eq!(buf.area.width, w);
        let t = ui::text::buffer_to_text(&buf);
        // Every service row starts with its badge: a wrapped row would not.
        for line in t.lines().skip(3).take_while(|l| !l.is_empty()) {
            assert!(
                ["✖ DOWN", "◐ DEGR", "? UNKN", "● UP"]
                    .iter()
                    .any(|b| line.starts_with(b)),
                "{w}x{h}: unexpected row {line:?}\n{t}"
            );
        }
    }
}

#[test]
fn status_is_coloured_by_theme_and_mono_has_no_colour() {
    let s = fixtures::state(80, 24);
    let theme = Theme::default();
    let buf = draw(&s, &theme);
    // Row 3 is the first service: worker, DOWN.
    let badge = &buf[(0, 3)];
    assert_eq!(badge.symbol(), "✖");
    assert_eq!(badge.fg, theme.down.fg.unwrap());
    let mono = Theme::select(Some("default"), true).unwrap();
    let buf = draw(&s, &mono);
    for cell in buf.content() {
        assert_eq!(
            cell.fg,
            ratatui::style::Color::Reset,
            "colour under NO_COLOR"
        );
        assert_eq!(
            cell.bg,
            ratatui::style::Color::Reset,
            "colour under NO_COLOR"
        );
    }
}

#[test]
fn backups_80x24() {
    let mut s = fixtures::state_with_actions(80, 24);
    key(&mut s, KeyCode::Char('4'));
    insta::assert_snapshot!(text(&s));
}

#[test]
fn backups_160x48() {
    let mut s = fixtures::state_with_actions(160, 48);
    key(&mut s, KeyCode::Char('4'));
    insta::assert_snapshot!(text(&s));
}

/// The files of the second backup in the Backups pane.
fn backup_files(w: u16, h: u16) -> State {
    let mut s = fixtures::state_with_actions(w, h);
    key(&mut s, KeyCode::Char('4'));
    key(&mut s, KeyCode::Char('j'));
    key(&mut s, KeyCode::Enter);
    s
}

both_sizes!(backup_files_80x24, backup_files_160x48, backup_files);

/// The Actions pane with finished and running jobs.
fn actions(w: u16, h: u16) -> State {
    let mut s = fixtures::state_with_actions(w, h);
    key(&mut s, KeyCode::Char('5'));
    s
}

both_sizes!(actions_80x24, actions_160x48, actions);

/// The output of the last job in the Actions pane.
fn job_output(w: u16, h: u16) -> State {
    let mut s = fixtures::state_with_actions(w, h);
    key(&mut s, KeyCode::Char('5'));
    key(&mut s, KeyCode::Char('G'));
    key(&mut s, KeyCode::Enter);
    s
}

both_sizes!(job_output_80x24, job_output_160x48, job_output);

/// The typed confirmation of an action in a protected environment, half typed.
fn confirm_protected(w: u16, h: u16) -> State {
    let mut s = fixtures::state_with_actions(w, h);
    s.jobs.clear();
    update(
        &mut s,
        Msg::Ops(opsboard::app::OpsEvent::Planned(fixtures::protected_plan())),
    );
    // The dialog reached the screen; only then does typing count.
    let now = s.now;
    update(&mut s, Msg::Drawn(now));
    typed(&mut s, "redis-ni");
    s
}

both_sizes!(
    confirm_protected_80x24,
    confirm_protected_160x48,
    confirm_protected
);

/// The command palette (`:`) with three runbooks, one dangerous.
fn palette(w: u16, h: u16) -> State {
    let mut s = fixtures::state_with_actions(w, h);
    s.runbooks = vec![
        opsboard::app::RunbookEntry {
            name: "flush-cache".into(),
            description: Some("Evict the response cache".into()),
            service: Some("worker".into()),
            dangerous: false,
            uses_host: false,
        },
        opsboard::app::RunbookEntry {
            name: "drop-sessions".into(),
            description: Some("FLUSHDB sessions".into()),
            service: Some("worker".into()),
            dangerous: true,
            uses_host: false,
        },
        opsboard::app::RunbookEntry {
            name: "disk-usage".into(),
            description: None,
            service: None,
            dangerous: false,
            uses_host: false,
        },
    ];
    key(&mut s, KeyCode::Char(':'));
    s
}

both_sizes!(palette_80x24, palette_160x48, palette);

#[test]
fn read_only_palette_hides_dangerous_runbooks() {
    let mut s = fixtures::state_with_actions(80, 24);
    s.banner.read_only = true;
    s.runbooks = vec![opsboard::app::RunbookEntry {
        name: "drop-sessions".into(),
        description: None,
        service: Some("worker".into()),
        dangerous: true,
        uses_host: false,
    }];
    key(&mut s, KeyCode::Char(':'));
    assert!(!text(&s).contains("drop-sessions"));
}

/// redis's detail view: its backups and runbooks.
fn detail_with_backups_and_runbooks(w: u16, h: u16) -> State {
    let mut s = fixtures::state_with_actions(w, h);
    s.runbooks = vec![opsboard::app::RunbookEntry {
        name: "drop-sessions".into(),
        description: None,
        service: Some("redis".into()),
        dangerous: true,
        uses_host: false,
    }];
    key(&mut s, KeyCode::Char('/'));
    typed(&mut s, "redis");
    key(&mut s, KeyCode::Enter);
    key(&mut s, KeyCode::Enter);
    s
}

both_sizes!(
    detail_with_backups_and_runbooks_80x24,
    detail_with_backups_and_runbooks_160x48,
    detail_with_backups_and_runbooks
);

fn open_service(s: &mut State, name: &str) {
    key(s, KeyCode::Char('/'));
    typed(s, name);
    key(s, KeyCode::Enter);
    key(s, KeyCode::Enter);
}

#[test]
fn kube_services_80x24() {
    insta::assert_snapshot!(text(&fixtures::state_with_kube(80, 24)));
}

#[test]
fn kube_services_160x48() {
    insta::assert_snapshot!(text(&fixtures::state_with_kube(160, 48)));
}

/// worker's detail view scrolled to its stalled rollout.
fn kube_detail_stalled_rollout(w: u16, h: u16) -> State {
    let mut s = fixtures::state_with_kube(w, h);
    open_service(&mut s, "worker");
    key(&mut s, KeyCode::Char('G'));
    s
}

both_sizes!(
    kube_detail_stalled_rollout_80x24,
    kube_detail_stalled_rollout_160x48,
    kube_detail_stalled_rollout
);

#[test]
fn kube_detail_with_history_160x48() {
    let mut s = fixtures::state_with_kube(160, 48);
    open_service(&mut s, "api");
    insta::assert_snapshot!(text(&s));
}

/// The Nodes pane.
fn nodes(w: u16, h: u16) -> State {
    let mut s = fixtures::state_with_kube(w, h);
    key(&mut s, KeyCode::Char('6'));
    s
}

both_sizes!(nodes_80x24, nodes_160x48, nodes);

/// The Events pane: Warning and Normal events newest first, the selected
/// one in full below.
fn events(w: u16, h: u16) -> State {
    fixtures::state_with_events(w, h)
}

both_sizes!(events_80x24, events_160x48, events);

/// The Events pane narrowed to Warnings and filtered by `/node`, the
/// FailedScheduling pod's event selected.
fn events_filtered(w: u16, h: u16) -> State {
    let mut s = fixtures::state_with_events(w, h);
    key(&mut s, KeyCode::Char('w'));
    key(&mut s, KeyCode::Char('/'));
    typed(&mut s, "node");
    key(&mut s, KeyCode::Enter);
    s
}

both_sizes!(
    events_filtered_80x24,
    events_filtered_160x48,
    events_filtered
);

/// The scale dialog on api, two replicas up.
fn scale_dialog(w: u16, h: u16) -> State {
    let mut s = fixtures::state_with_kube(w, h);
    open_service(&mut s, "api");
    key(&mut s, KeyCode::Char('s'));
    key(&mut s, KeyCode::Char('+'));
    key(&mut s, KeyCode::Char('+'));
    s
}

both_sizes!(scale_dialog_80x24, scale_dialog_160x48, scale_dialog);

#[test]
fn a_plain_d_deletes_nothing_ctrl_d_asks_which_pod() {
    let mut s = fixtures::state_with_kube(80, 24);
    open_service(&mut s, "ml-service");
    key(&mut s, KeyCode::Char('d'));
    // d describes: its picker offers describe entries, never a delete.
    match &s.dialog {
        Some(opsboard::app::Dialog::Palette { only, .. }) => {
            assert_eq!(only.as_deref(), Some("describe "))
        }
        other => panic!("{other:?}"),
    }
    let s = delete_pod_palette(80, 24);
    match &s.dialog {
        Some(opsboard::app::Dialog::Palette { only, .. }) => {
            assert_eq!(only.as_deref(), Some("delete pod"))
        }
        other => panic!("{other:?}"),
    }
}

/// The pod picker of ml-service's delete (Ctrl-D).
fn delete_pod_palette(w: u16, h: u16) -> State {
    let mut s = fixtures::state_with_kube(w, h);
    open_service(&mut s, "ml-service");
    update(
        &mut s,
        Msg::Key(KeyEvent::new(KeyCode::Char('d'), KeyModifiers::CONTROL)),
    );
    s
}

both_sizes!(
    delete_pod_palette_80x24,
    delete_pod_palette_160x48,
    delete_pod_palette
);

#[test]
fn kube_keys_plan_the_right_requests() {
    use opsboard::app::Effect;
    use opsboard::model::ActionRequest;
    let mut s = fixtures::state_with_kube(80, 24);
    open_service(&mut s, "api");
    let fx = update(
        &mut s,
        Msg::Key(KeyEvent::new(KeyCode::Char('r'), KeyModifiers::NONE)),
    );
    assert!(
        matches!(&fx[..], [Effect::Plan(ActionRequest::Restart { workload })] if workload.name == "api"),
        "{fx:?}"
    );
    let fx = update(
        &mut s,
        Msg::Key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::NONE)),
    );
    assert!(
        matches!(
            &fx[..],
            [Effect::Plan(ActionRequest::Rollback {
                to_revision: None,
                ..
            })]
        ),
        "{fx:?}"
    );
    key(&mut s, KeyCode::Char('s'));
    for _ in 0..3 {
        key(&mut s, KeyCode::Backspace);
    }
    typed(&mut s, "5");
    let fx = update(
        &mut s,
        Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)),
    );
    assert!(
        matches!(
            &fx[..],
            [Effect::Plan(ActionRequest::Scale { replicas: 5, .. })]
        ),
        "{fx:?}"
    );
    // A service without a workload says so instead of planning.
    let mut s = fixtures::state_with_kube(80, 24);
    open_service(&mut s, "redis");
    let fx = update(
        &mut s,
        Msg::Key(KeyEvent::new(KeyCode::Char('r'), KeyModifiers::NONE)),
    );
    assert!(fx.is_empty());
    assert!(
        s.flash
            .as_ref()
            .unwrap()
            .text
            .contains("no Kubernetes workload")
    );
}

#[test]
fn discovered_workload_becomes_a_service_and_leaves_with_it() {
    let mut s = fixtures::state_with_kube(80, 24);
    assert!(s.services.iter().any(|x| x.name == "node-exporter"));
    let mut snap = fixtures::cluster();
    snap.workloads.retain(|w| w.id.name != "node-exporter");
    update(&mut s, Msg::Kube(Box::new(snap)));
    assert!(!s.services.iter().any(|x| x.name == "node-exporter"));
    // Bound services keep their probes and get the workload's health.
    let ml = s.services.iter().find(|x| x.name == "ml-service").unwrap();
    assert_eq!(ml.status(), opsboard::model::Health::Down);
    assert!(
        ml.reason().unwrap().contains("CrashLoopBackOff"),
        "{:?}",
        ml.reason()
    );
}

/// `:ctx`: the kubeconfig's contexts, prod watched and current.
fn palette_contexts(w: u16, h: u16) -> State {
    let mut s = fixtures::state_with_kube(w, h);
    key(&mut s, KeyCode::Char(':'));
    typed(&mut s, "ctx");
    s
}

both_sizes!(
    palette_contexts_80x24,
    palette_contexts_160x48,
    palette_contexts
);

/// `:ns`: all namespaces first, then prod's.
fn palette_namespaces(w: u16, h: u16) -> State {
    let mut s = fixtures::state_with_kube(w, h);
    key(&mut s, KeyCode::Char(':'));
    typed(&mut s, "ns");
    s
}

both_sizes!(
    palette_namespaces_80x24,
    palette_namespaces_160x48,
    palette_namespaces
);

/// Right after `:ctx staging`: prod's workloads, nodes and discovered
/// services are gone, the header names the new scope and the notice says
/// the board is connecting to it.
fn switching_context(w: u16, h: u16) -> State {
    let mut s = fixtures::state_with_kube(w, h);
    key(&mut s, KeyCode::Char(':'));
    typed(&mut s, "ctx staging");
    key(&mut s, KeyCode::Enter);
    s
}

both_sizes!(
    switching_context_80x24,
    switching_context_160x48,
    switching_context
);

/// The Nodes pane while connecting: it says so, rather than "no clusters".
#[test]
fn nodes_while_connecting_80x24() {
    let mut s = switching_context(80, 24);
    key(&mut s, KeyCode::Char('6'));
    insta::assert_snapshot!(text(&s));
}

/// The header line at `w` columns under NO_COLOR.
fn header_line(s: &State, w: u16) -> String {
    let mut s = s.clone();
    s.width = w;
    let mono = Theme::select(Some("default"), true).unwrap();
    let t = ui::text::buffer_to_text(&draw(&s, &mono));
    t.lines().next().unwrap().to_string()
}

/// What the header says, whatever its wording: each status count and
/// alert count (`✖2`, `▲5c`), that sources are down (`⚠`), the poll age
/// (`5s ago`) and the clock.
fn header_items(h: &str) -> Vec<String> {
    let chars: Vec<char> = h.chars().collect();
    let mut out = Vec::new();
    for (i, c) in chars.iter().enumerate() {
        if !matches!(c, '✖' | '◐' | '?' | '●' | '▲' | '⚠') {
            continue;
        }
        let rest: String = chars[i + 1..].iter().collect();
        let rest = rest.trim_start();
        let n: String = rest.chars().take_while(char::is_ascii_digit).collect();
        let kind = match c {
            '▲' => rest[n.len()..].trim_start().chars().next(),
            _ => None,
        };
        let n = if *c == '⚠' { String::new() } else { n };
        out.push(format!(
            "{c}{n}{}",
            kind.map(String::from).unwrap_or_default()
        ));
    }
    let words: Vec<&str> = h.split_whitespace().collect();
    if let Some(i) = words.iter().position(|w| w.trim_end_matches(')') == "ago") {
        out.push(format!("{} ago", words[i - 1].trim_start_matches('(')));
    }
    if h.contains("09:03:15Z") {
        out.push("clock".into());
    }
    out
}

#[test]
fn the_scope_never_pushes_header_content_out() {
    // The board, and from how many columns on the scope fits beside it.
    for (base, shown_from) in [
        (fixtures::state_with_kube(80, 24), 80),
        (fixtures::state_with_alerts(80, 24), 80),
        (fixtures::state(80, 24), 80),
    ] {
        for w in [50, 60, 70, 80, 100, 160] {
            let mut without = base.clone();
            without.kube_scope = None;
            let mut with = base.clone();
            update(&mut with, Msg::KubeScope(fixtures::scope_report()));
            let before = header_line(&without, w);
            let after = header_line(&with, w);
            // Every count, alert, source, the poll age and the clock stay;
            // only their wording may get terser.
            assert_eq!(
                header_items(&before),
                header_items(&after),
                "{w} columns:\n{before}\n{after}"
            );
            assert!(!header_items(&before).is_empty());
            if w >= shown_from {
                assert!(after.contains("⎈ prod/*"), "{w}: {after}");
            }
        }
    }
}

/// A plan made for prod before `:ctx staging` still names prod in its
/// confirmation, whenever it arrives.
#[test]
fn a_plan_made_before_a_switch_names_its_context() {
    use opsboard::model::{ActionPlan, Confirmation, Risk, Target, Verb};
    let mut s = switching_context(100, 30);
    let plan = ActionPlan {
        id: 9,
        target: Target {
            key: "k8s/prod/shop/deployment/api".into(),
            name: "api".into(),
            service: Some("api".into()),
            environment: None,
        },
        verb: Verb::Restart,
        parameters: [
            ("context", "prod"),
            ("namespace", "shop"),
            ("workload", "deployment/api"),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .into_iter()
        .collect(),
        what_will_happen: vec!["rollout restart deployment/api in shop (prod)".into()],
        risk: Risk::Medium,
        confirmation: Confirmation::YesNo,
        dry_run: None,
        follow_up: None,
        cancellable: true,
    };
    update(&mut s, Msg::Ops(opsboard::app::OpsEvent::Planned(plan)));
    let screen = text(&s);
    assert!(screen.contains("context: prod"), "{screen}");
    assert!(screen.contains("in shop (prod)"), "{screen}");
    assert!(screen.contains("⎈ staging/*"), "{screen}");
}

#[test]
fn alerts_80x24() {
    let mut s = fixtures::state_with_alerts(80, 24);
    key(&mut s, KeyCode::Char('3'));
    insta::assert_snapshot!(text(&s));
}

#[test]
fn alerts_160x48() {
    let mut s = fixtures::state_with_alerts(160, 48);
    key(&mut s, KeyCode::Char('3'));
    insta::assert_snapshot!(text(&s));
}

/// The detail of a silenced alert.
fn alert_detail_silenced(w: u16, h: u16) -> State {
    let mut s = fixtures::state_with_alerts(w, h);
    key(&mut s, KeyCode::Char('3'));
    let silenced = s
        .alerts
        .rows
        .iter()
        .position(|r| r.alert.name == "RedisMemoryHigh")
        .unwrap();
    for _ in 0..silenced {
        key(&mut s, KeyCode::Down);
    }
    key(&mut s, KeyCode::Enter);
    s
}

both_sizes!(
    alert_detail_silenced_80x24,
    alert_detail_silenced_160x48,
    alert_detail_silenced
);

#[test]
fn alert_detail_merged_120x32() {
    let mut s = fixtures::state_with_alerts(120, 32);
    key(&mut s, KeyCode::Char('3'));
    key(&mut s, KeyCode::Enter);
    insta::assert_snapshot!(text(&s));
}

/// The silence dialog on the first alert.
fn silence_dialog(w: u16, h: u16) -> State {
    let mut s = fixtures::state_with_alerts(w, h);
    key(&mut s, KeyCode::Char('3'));
    key(&mut s, KeyCode::Char('S'));
    s
}

both_sizes!(silence_dialog_80x24, silence_dialog_160x48, silence_dialog);

/// Prometheus's scrape targets (`T` in Alerts).
fn targets(w: u16, h: u16) -> State {
    let mut s = fixtures::state_with_alerts(w, h);
    key(&mut s, KeyCode::Char('3'));
    key(&mut s, KeyCode::Char('T'));
    s
}

both_sizes!(targets_80x24, targets_160x48, targets);

#[test]
fn services_with_metrics_160x48() {
    insta::assert_snapshot!(text(&fixtures::state_with_alerts(160, 48)));
}

#[test]
fn detail_with_metric_charts_80x24_and_160x48() {
    for (w, h) in [(80, 24), (160, 48)] {
        let mut s = fixtures::state_with_alerts(w, h);
        let web = s
            .services
            .iter()
            .position(|x| x.name == "web-client")
            .unwrap();
        s.view = opsboard::app::View::Detail {
            service: web,
            scroll: 0,
        };
        insta::assert_snapshot!(format!("detail_metrics_{w}x{h}"), text(&s));
    }
}

#[test]
fn quit_dialog_with_a_running_job_80x24() {
    let mut s = fixtures::state_with_actions(80, 24);
    key(&mut s, KeyCode::Char('q'));
    insta::assert_snapshot!(text(&s));
}

#[test]
fn quit_dialog_with_a_running_job_160x48() {
    let mut s = fixtures::state_with_actions(160, 48);
    key(&mut s, KeyCode::Char('q'));
    insta::assert_snapshot!(text(&s));
}

/// The Logs view of the first service with a few interleaved replicas, a
/// stderr line, a line carrying control characters, and dropped lines.
fn logs_state(width: u16, height: u16) -> State {
    use opsboard::app::View;
    use opsboard::model::LogEntry;
    let mut s = fixtures::state(width, height);
    s.view = View::Logs {
        service: s.order[0],
        from: opsboard::app::Pane::Services,
    };
    s.logs.follow = true;
    s.logs.request.targets = ["worker_1", "worker_2"]
        .map(|n| opsboard::model::LogTarget {
            source: opsboard::model::LogSource::Container {
                host: "local".into(),
                id: format!("{n}-id"),
            },
            prefix: n.into(),
        })
        .to_vec();
    let line = |i: u64, prefix: &str, text: &str, stderr: bool| LogEntry {
        prefix: prefix.into(),
        at: Some(fixtures::t(i)),
        line: text.into(),
        stderr,
        ..Default::default()
    };
    let mut lines = Vec::new();
    for i in 0..30u64 {
        let prefix = if i % 2 == 0 { "worker_1" } else { "worker_2" };
        lines.push(line(
            i,
            prefix,
            &format!("GET /api/orders/{i} 200 {}ms", 10 + i),
            false,
        ));
    }
    lines.push(line(
        31,
        "worker_2",
        "ERROR upstream redis: connection refused",
        true,
    ));
    lines.push(line(32, "worker_1", "evil \u{1b}[2J\u{7} bytes", false));
    update(&mut s, Msg::LogLines(lines));
    s.logs.dropped = 1200;
    s
}

#[test]
fn logs_80x24() {
    insta::assert_snapshot!(text(&logs_state(80, 24)));
}

/// Two pods of two containers each, one container picked, long lines
/// wrapped, paused a few lines up, an inverted search, a note.
fn pod_logs_state(width: u16, height: u16) -> State {
    use opsboard::app::View;
    use opsboard::model::{LogEntry, LogSource, LogTarget};
    let mut s = fixtures::state(width, height);
    s.view = View::Logs {
        service: s.order[0],
        from: opsboard::app::Pane::Alerts,
    };
    for pod in ["x2k", "q8m"] {
        for c in ["app", "proxy"] {
            s.logs.request.targets.push(LogTarget {
                source: LogSource::Pod {
                    context: "prod".into(),
                    namespace: "shop".into(),
                    pod: format!("api-7b4c9f-{pod}"),
                    container: c.into(),
                },
                prefix: format!("{pod}/{c}"),
            });
        }
    }
    s.logs.follow = true;
    let mut lines = Vec::new();
    for i in 0..40u64 {
        let pod = if i % 2 == 0 { "x2k" } else { "q8m" };
        let c = if i % 3 == 0 { "proxy" } else { "app" };
        let text = if i % 7 == 0 {
            format!(
                "ERROR POST /api/checkout 500 {}ms: upstream redis: connection reset by peer while reading the response from 10.0.3.{i}:6379",
                200 + i
            )
        } else {
            format!("INFO GET /api/orders/{i} 200 {}ms", 10 + i)
        };
        lines.push(LogEntry {
            prefix: format!("{pod}/{c}"),
            container: c.into(),
            at: Some(fixtures::t(i)),
            line: text,
            ..Default::default()
        });
    }
    lines.push(LogEntry {
        prefix: "q8m/app".into(),
        container: "app".into(),
        at: Some(fixtures::t(41)),
        line: "— pod api-7b4c9f-q8m is gone —".into(),
        stderr: true,
        note: true,
    });
    update(&mut s, Msg::LogLines(lines));
    s.logs.container = Some("app".into());
    s.logs.wrap = true;
    s.logs.timestamps = true;
    s.logs.search = "!health".into();
    s.logs.follow = false;
    s.logs.from_bottom = 3;
    s
}

both_sizes!(pod_logs_80x24, pod_logs_160x48, pod_logs_state);

#[test]
fn logs_with_timestamps_and_a_search_160x48() {
    let mut s = logs_state(160, 48);
    s.logs.timestamps = true;
    s.logs.search = "orders/2".into();
    insta::assert_snapshot!(text(&s));
}

/// A deployment as the API server sends it, for the describe and YAML
/// views.
fn api_deployment() -> serde_json::Value {
    serde_json::json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "api", "namespace": "shop", "creationTimestamp": "2023-11-14T20:00:00Z",
            "labels": {"app": "api"},
            "annotations": {"deployment.kubernetes.io/revision": "3"},
            "managedFields": [{"manager": "kubectl", "operation": "Update"}]
        },
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": "api"}},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}},
            "template": {
                "metadata": {"labels": {"app": "api"}},
                "spec": {"containers": [{
                    "name": "api", "image": "shop/api:1.4.2",
                    "ports": [{"containerPort": 8080, "protocol": "TCP"}],
                    "env": [{"name": "DB_PASSWORD", "value": "canary-xyz"}, {"name": "LOG_LEVEL", "value": "info"}],
                    "resources": {"limits": {"memory": "256Mi"}, "requests": {"cpu": "100m"}},
                    "readinessProbe": {"httpGet": {"path": "/ready", "port": 8080}}
                }]}
            }
        },
        "status": {
            "replicas": 3, "updatedReplicas": 3, "readyReplicas": 3, "availableReplicas": 3,
            "conditions": [
                {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"},
                {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"}
            ]
        }
    })
}

/// Answers the open viewer's request with `doc`.
fn answer(s: &mut State, doc: Result<opsboard::model::document::Document, String>) {
    let request = s.text_view.as_ref().expect("a viewer is open").request;
    update(
        s,
        Msg::Document {
            request,
            result: doc,
        },
    );
}

/// `d` on api in the services list: its deployment described.
fn describe_view(w: u16, h: u16) -> State {
    use opsboard::clients::kube::describe::{Described, describe};
    use opsboard::model::document::ObjectKind;
    let mut s = fixtures::state_with_kube(w, h);
    key(&mut s, KeyCode::Char('/'));
    typed(&mut s, "api");
    key(&mut s, KeyCode::Enter);
    key(&mut s, KeyCode::Char('d'));
    let d = Described {
        object: api_deployment(),
        events: vec![serde_json::json!({
            "type": "Normal", "reason": "ScalingReplicaSet", "count": 1,
            "lastTimestamp": "2023-11-14T22:13:00Z",
            "source": {"component": "deployment-controller"},
            "message": "Scaled up replica set api-7b4 to 3"
        })],
        ..Default::default()
    };
    let kind = ObjectKind::Workload(opsboard::model::WorkloadKind::Deployment);
    answer(&mut s, Ok(describe(kind, &d, fixtures::t(0))));
    s
}

both_sizes!(describe_80x24, describe_160x48, describe_view);

/// `y` in the describe view: the same deployment's YAML, searched for
/// "replicas".
fn yaml_view(w: u16, h: u16) -> State {
    let mut s = describe_view(w, h);
    key(&mut s, KeyCode::Char('y'));
    answer(
        &mut s,
        opsboard::clients::kube::yaml::yaml(&api_deployment()),
    );
    key(&mut s, KeyCode::Char('/'));
    typed(&mut s, "replicas");
    key(&mut s, KeyCode::Enter);
    s
}

both_sizes!(yaml_80x24, yaml_160x48, yaml_view);

#[test]
fn yaml_has_no_managed_fields_and_a_masked_password() {
    let s = yaml_view(160, 48);
    let screen = text(&s);
    assert!(screen.contains("yaml deployment api in shop"), "{screen}");
    assert!(!screen.contains("managedFields"), "{screen}");
    assert!(!screen.contains("canary-xyz"), "{screen}");
    assert!(screen.contains("value: ••••••"), "{screen}");
}

/// `i` on a container: its inspect, the password masked.
fn inspect_view(w: u16, h: u16) -> State {
    use opsboard::model::document::{ObjectRef, Rendering};
    let mut s = fixtures::state(w, h);
    let object = ObjectRef::Docker {
        host: "local".into(),
        id: "0123456789abcdef".into(),
        name: "shop-web-1".into(),
    };
    opsboard::app::viewer::open(&mut s, object, Rendering::Inspect);
    let body = serde_json::json!({
        "Id": "0123456789abcdef", "Name": "/shop-web-1", "RestartCount": 0,
        "State": {"Status": "running", "StartedAt": "2023-11-14T21:00:00Z",
                  "Health": {"Status": "healthy", "FailingStreak": 0,
                             "Log": [{"Start": "2023-11-14T22:13:10Z", "ExitCode": 0, "Output": "ok"}]}},
        "Config": {"Image": "shop/web:1.4", "Cmd": ["serve", "--port", "8080"], "User": "app",
                   "WorkingDir": "/srv", "Env": ["DB_PASSWORD=canary-xyz", "PORT=8080"],
                   "Labels": {"com.docker.compose.project": "shop", "com.docker.compose.service": "web"}},
        "HostConfig": {"RestartPolicy": {"Name": "unless-stopped"}},
        "Mounts": [{"Type": "volume", "Name": "web-data", "Destination": "/data", "RW": true}],
        "NetworkSettings": {"Networks": {"shop_default": {"IPAddress": "172.18.0.3", "Gateway": "172.18.0.1"}},
                            "Ports": {"8080/tcp": [{"HostIp": "0.0.0.0", "HostPort": "18080"}]}}
    });
    answer(
        &mut s,
        Ok(opsboard::clients::docker::inspect_doc::inspect_document(
            "local", &body,
        )),
    );
    s
}

both_sizes!(inspect_80x24, inspect_160x48, inspect_view);

/// `?` in the describe view: the viewer's keys in the right column.
fn help_in_viewer(w: u16, h: u16) -> State {
    let mut s = describe_view(w, h);
    key(&mut s, KeyCode::Char('?'));
    s
}

both_sizes!(help_in_viewer_80x24, help_in_viewer_160x48, help_in_viewer);

/// A describe the API server refused: the view says why, clearly.
fn describe_forbidden(w: u16, h: u16) -> State {
    let mut s = fixtures::state_with_kube(w, h);
    key(&mut s, KeyCode::Char('/'));
    typed(&mut s, "api");
    key(&mut s, KeyCode::Enter);
    key(&mut s, KeyCode::Char('d'));
    answer(
        &mut s,
        Err("forbidden (RBAC): deployments.apps \"api\" is forbidden: User \"oncall\" cannot get resource \"deployments\" in API group \"apps\" in the namespace \"shop\"".into()),
    );
    s
}

both_sizes!(
    describe_forbidden_80x24,
    describe_forbidden_160x48,
    describe_forbidden
);

fn release_alerts(w: u16, h: u16) -> State {
    let mut s = support::release::state_after_release(w, h);
    s.view = opsboard::app::state::View::Alerts;
    s
}

fn release_detail(w: u16, h: u16) -> State {
    let mut s = support::release::state_after_release(w, h);
    let api = s.services.iter().position(|x| x.name == "api").unwrap();
    s.view = opsboard::app::state::View::Detail {
        service: api,
        scroll: 0,
    };
    s
}

fn release_detail_scrolled(w: u16, h: u16) -> State {
    let mut s = release_detail(w, h);
    // Down to the change timeline.
    if let opsboard::app::state::View::Detail { scroll, .. } = &mut s.view {
        *scroll = 14;
    }
    s
}

fn blue_green_detail(w: u16, h: u16) -> State {
    let mut s = support::release::state_after_release(w, h);
    let d = s
        .services
        .iter()
        .position(|x| x.name == "doorbell")
        .unwrap();
    s.view = opsboard::app::state::View::Detail {
        service: d,
        scroll: 0,
    };
    s
}

both_sizes!(
    release_alert_hint_80x24,
    release_alert_hint_160x48,
    release_alerts
);
both_sizes!(
    release_timeline_80x24,
    release_timeline_160x48,
    release_detail
);
both_sizes!(
    release_timeline_scrolled_80x24,
    release_timeline_scrolled_160x48,
    release_detail_scrolled
);
both_sizes!(
    blue_green_detail_80x24,
    blue_green_detail_160x48,
    blue_green_detail
);
