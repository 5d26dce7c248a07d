//! The confirm dialog's keys (a plan is confirmed only once it was read)
//! and the quit dialog's.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::dialogs::MAX_INPUT;
use super::msg::Effect;
use super::state::{Dialog, State};
use super::update::flash;
use crate::model::Confirmation;

/// A confirm dialog must have been on screen this long before a key can
/// confirm it: a double Enter or key repeat meant for the dialog before it
/// (the scale dialog, the palette) lands inside this window.
pub const CONFIRM_GUARD: std::time::Duration = std::time::Duration::from_millis(250);

pub(super) fn confirm_key(
    state: &mut State,
    key: KeyEvent,
    plan: Box<crate::model::ActionPlan>,
    mut typed: String,
    shown: Option<std::time::SystemTime>,
) -> Vec<Effect> {
    let needs_name = match &plan.confirmation {
        Confirmation::TypeName(name) => Some(name.clone()),
        _ => None,
    };
    // Only a key pressed after the plan was on screen (and had been for a
    // moment) can confirm it; declining is always allowed.
    let seen = shown.is_some();
    let readable = shown.is_some_and(|at| {
        state
            .now
            .duration_since(at)
            .is_ok_and(|d| d >= CONFIRM_GUARD)
    });
    let too_early = |state: &mut State| {
        flash(
            state,
            "not confirmed: that key came before the plan was read · confirm again",
            true,
        );
    };
    match (key.code, &needs_name) {
        (KeyCode::Esc, _) => return vec![Effect::Decline(plan)],
        (KeyCode::Char('n'), None) => return vec![Effect::Decline(plan)],
        (KeyCode::Enter, None) | (KeyCode::Char('y'), None) => {
            if readable {
                return vec![Effect::Execute { plan, typed: None }];
            }
            too_early(state);
        }
        (KeyCode::Enter, Some(name)) => {
            if typed == *name {
                if readable {
                    return vec![Effect::Execute {
                        plan,
                        typed: Some(typed),
                    }];
                }
                too_early(state);
                state.dialog = Some(Dialog::Confirm { plan, typed, shown });
                return vec![];
            }
            flash(
                state,
                format!("type `{name}` to confirm · Esc cancels"),
                true,
            );
        }
        (KeyCode::Backspace, Some(_)) => {
            typed.pop();
        }
        (KeyCode::Char('u'), Some(_)) if key.modifiers.contains(KeyModifiers::CONTROL) => {
            typed.clear()
        }
        // Typed ahead of the dialog, a name would confirm unread.
        (KeyCode::Char(c), Some(_))
            if seen
                && !key.modifiers.contains(KeyModifiers::CONTROL)
                && typed.chars().count() < MAX_INPUT =>
        {
            typed.push(c);
        }
        _ => {}
    }
    state.dialog = Some(Dialog::Confirm { plan, typed, shown });
    vec![]
}

/// The quit dialog: `w` waits for the running jobs and then quits, `q`/`y`
/// quits now (the jobs are stopped and recorded as interrupted), Esc/`n`
/// stays.
pub(super) fn quit_key(state: &mut State, key: KeyEvent, running: usize) -> Vec<Effect> {
    match key.code {
        KeyCode::Char('w') => {
            state.quit_when_idle = true;
            flash(
                state,
                format!("quitting when {running} running job(s) finish · q quits now"),
                false,
            );
        }
        KeyCode::Char('q' | 'y') => state.should_quit = true,
        KeyCode::Esc | KeyCode::Char('n') => {}
        _ => state.dialog = Some(Dialog::Quit { running }),
    }
    vec![]
}
