//! The confirm dialog: opened with a plan, confirmed only once it was read
//! (and, for a dangerous plan, with the target's name typed).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::MAX_INPUT;
use crate::app::msg::Effect;
use crate::app::state::{Dialog, State};
use crate::model::Confirmation;

/// A confirm dialog must have been on screen this long before a key can
/// confirm it: a double Enter or key repeat meant for the dialog before it
/// (the scale dialog, the palette) lands inside this window.
pub const CONFIRM_GUARD: std::time::Duration = std::time::Duration::from_millis(250);

/// Opens the confirm dialog for `plan`. It cannot be confirmed until it has
/// been drawn (see [`Msg::Drawn`]).
pub fn open_confirm(state: &mut State, plan: crate::model::ActionPlan) {
    // Help is drawn over dialogs: the plan must not take keys while hidden.
    state.help_open = false;
    state.dialog = Some(Dialog::Confirm {
        plan: Box::new(plan),
        typed: String::new(),
        shown: None,
    });
    state.dirty = true;
}

pub fn confirm_key(
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
        state.flash(
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
            state.flash(format!("type `{name}` to confirm · Esc cancels"), true);
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
