//! Nothing is confirmed unread, and quitting never drops a running job on
//! the floor: the reducer, driven key by key as the runtime drives it.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on a broken fixture

mod support;
use support::{fixtures, key};

use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use opsboard::app::dialogs::confirm::CONFIRM_GUARD;
use opsboard::app::{Dialog, Effect, Msg, OpsEvent, State, update};
use opsboard::model::{ActionPlan, Confirmation};

fn ctrl_c(s: &mut State) -> Vec<Effect> {
    update(
        s,
        Msg::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
    )
}

/// The runtime drew a frame `after` the current time, and the clock moved
/// there (as it does for the next key).
fn drawn_then_wait(s: &mut State, wait: Duration) {
    let at = s.now;
    update(s, Msg::Drawn(at));
    s.now = at + wait;
}

fn planned(s: &mut State, plan: ActionPlan) -> Vec<Effect> {
    update(s, Msg::Ops(OpsEvent::Planned(plan)))
}

fn yes_no_plan(id: u64) -> ActionPlan {
    let mut p = fixtures::protected_plan();
    p.id = id;
    p.confirmation = Confirmation::YesNo;
    p
}

fn executes(effects: &[Effect]) -> bool {
    effects.iter().any(|e| matches!(e, Effect::Execute { .. }))
}

#[test]
fn scale_enter_planned_enter_does_not_confirm_the_unread_plan() {
    let mut s = fixtures::state_with_kube(80, 24);
    s.jobs.clear();
    // `s` on api opens the scale dialog; `+` and Enter plan a new count.
    let i = s.services.iter().position(|x| x.name == "api").unwrap();
    s.list.selected = s.order.iter().position(|&o| o == i).unwrap();
    key(&mut s, KeyCode::Char('s'));
    assert!(
        matches!(s.dialog, Some(Dialog::Scale { .. })),
        "{:?}",
        s.dialog
    );
    key(&mut s, KeyCode::Char('+'));
    let effects = key(&mut s, KeyCode::Enter);
    assert!(
        effects.iter().any(|e| matches!(e, Effect::Plan(_))),
        "{effects:?}"
    );
    // The operator presses Enter again (double press, or key repeat)…
    let early = key(&mut s, KeyCode::Enter);
    assert!(!executes(&early));
    // …and the plan arrives a moment later, then one more Enter lands
    // before the dialog was ever drawn.
    planned(&mut s, yes_no_plan(41));
    let early = key(&mut s, KeyCode::Enter);
    assert!(!executes(&early), "confirmed a plan never shown: {early:?}");
    assert!(matches!(s.dialog, Some(Dialog::Confirm { .. })));
    // Drawn, but the Enter comes within the guard: still not confirmed.
    drawn_then_wait(&mut s, CONFIRM_GUARD / 4);
    let quick = key(&mut s, KeyCode::Enter);
    assert!(!executes(&quick), "a key-repeat Enter confirmed: {quick:?}");
    assert!(
        s.flash
            .as_ref()
            .is_some_and(|f| f.text.contains("not confirmed")),
        "{:?}",
        s.flash
    );
    // Read, then confirmed deliberately.
    s.now += CONFIRM_GUARD;
    let ok = key(&mut s, KeyCode::Enter);
    assert!(executes(&ok), "{ok:?}");
}

#[test]
fn palette_typing_y_never_confirms_a_plan_that_replaced_it() {
    let mut s = fixtures::state_with_actions(80, 24);
    s.jobs.clear();
    key(&mut s, KeyCode::Char(':'));
    assert!(matches!(s.dialog, Some(Dialog::Palette { .. })));
    // A plan from an earlier key arrives while the operator types `y…`.
    let effects = planned(&mut s, yes_no_plan(42));
    assert!(effects.is_empty());
    assert!(
        matches!(s.dialog, Some(Dialog::Palette { .. })),
        "the plan must not replace the palette: {:?}",
        s.dialog
    );
    let typed = key(&mut s, KeyCode::Char('y'));
    assert!(!executes(&typed));
    match &s.dialog {
        Some(Dialog::Palette { query, .. }) => assert_eq!(query, "y"),
        d => panic!("{d:?}"),
    }
    // The palette closes; the waiting plan opens, unconfirmable until read.
    key(&mut s, KeyCode::Esc);
    match &s.dialog {
        Some(Dialog::Confirm { plan, shown, .. }) => {
            assert_eq!(plan.id, 42);
            assert!(shown.is_none());
        }
        d => panic!("the waiting plan should be shown now: {d:?}"),
    }
    assert!(!executes(&key(&mut s, KeyCode::Char('y'))));
    drawn_then_wait(&mut s, CONFIRM_GUARD);
    assert!(executes(&key(&mut s, KeyCode::Char('y'))));
}

#[test]
fn a_second_plan_waits_its_turn_and_is_never_lost() {
    let mut s = fixtures::state_with_actions(80, 24);
    s.jobs.clear();
    planned(&mut s, yes_no_plan(1));
    planned(&mut s, yes_no_plan(2));
    match &s.dialog {
        Some(Dialog::Confirm { plan, .. }) => assert_eq!(plan.id, 1),
        d => panic!("{d:?}"),
    }
    drawn_then_wait(&mut s, CONFIRM_GUARD);
    // Declining the first shows the second; the decline reaches the
    // action layer (which audits it).
    let e = key(&mut s, KeyCode::Esc);
    assert!(
        matches!(e.as_slice(), [Effect::Decline(p)] if p.id == 1),
        "{e:?}"
    );
    match &s.dialog {
        Some(Dialog::Confirm { plan, shown, .. }) => {
            assert_eq!(plan.id, 2);
            assert!(shown.is_none(), "the second plan is new on screen");
        }
        d => panic!("{d:?}"),
    }
}

#[test]
fn a_protected_name_typed_ahead_does_not_count() {
    let mut s = fixtures::state_with_actions(80, 24);
    s.jobs.clear();
    planned(&mut s, fixtures::protected_plan());
    for c in "redis-nightly".chars() {
        key(&mut s, KeyCode::Char(c));
    }
    assert!(!executes(&key(&mut s, KeyCode::Enter)));
    match &s.dialog {
        Some(Dialog::Confirm { typed, .. }) => assert_eq!(typed, ""),
        d => panic!("{d:?}"),
    }
    drawn_then_wait(&mut s, CONFIRM_GUARD);
    for c in "redis-nightly".chars() {
        key(&mut s, KeyCode::Char(c));
    }
    let e = key(&mut s, KeyCode::Enter);
    assert!(
        matches!(e.as_slice(), [Effect::Execute { typed: Some(t), .. }] if t == "redis-nightly"),
        "{e:?}"
    );
}

#[test]
fn quitting_with_a_running_job_asks_first() {
    let mut s = fixtures::state_with_actions(80, 24);
    assert!(
        s.jobs.iter().any(|j| j.is_running()),
        "fixture has a running job"
    );
    key(&mut s, KeyCode::Char('q'));
    assert!(!s.should_quit);
    assert!(
        matches!(s.dialog, Some(Dialog::Quit { running: 1 })),
        "{:?}",
        s.dialog
    );
    // Esc stays.
    key(&mut s, KeyCode::Esc);
    assert!(!s.should_quit && s.dialog.is_none());
    // `w` waits: the board quits when the last job finishes.
    key(&mut s, KeyCode::Char('q'));
    key(&mut s, KeyCode::Char('w'));
    assert!(!s.should_quit);
    let job = s.jobs.iter().find(|j| j.is_running()).unwrap().id;
    let at = s.now;
    update(
        &mut s,
        Msg::Ops(OpsEvent::JobFinished {
            job,
            at,
            result: opsboard::model::JobResult {
                outcome: opsboard::model::Outcome::Succeeded,
                message: "done".into(),
                follow_up: None,
                exit_code: None,
            },
        }),
    );
    assert!(s.should_quit);
}

#[test]
fn ctrl_c_twice_quits_with_jobs_running() {
    let mut s = fixtures::state_with_actions(80, 24);
    ctrl_c(&mut s);
    assert!(!s.should_quit);
    assert!(matches!(s.dialog, Some(Dialog::Quit { .. })));
    ctrl_c(&mut s);
    assert!(s.should_quit);
}

#[test]
fn quitting_with_nothing_running_is_immediate() {
    let mut s = fixtures::state(80, 24);
    key(&mut s, KeyCode::Char('q'));
    assert!(s.should_quit);
}

#[test]
fn a_plan_arriving_under_the_help_screen_is_shown_not_hidden() {
    let mut s = fixtures::state_with_actions(80, 24);
    s.jobs.clear();
    key(&mut s, KeyCode::Char('?'));
    assert!(s.help_open);
    planned(&mut s, yes_no_plan(7));
    assert!(
        !s.help_open,
        "the confirm dialog would take keys under help"
    );
    assert!(matches!(s.dialog, Some(Dialog::Confirm { .. })));
}
