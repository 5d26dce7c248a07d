//! The quit dialog: asked when `q` comes while jobs run (wait for them,
//! interrupt them, or stay).

use crossterm::event::{KeyCode, KeyEvent};

use crate::app::msg::Effect;
use crate::app::state::{Dialog, State};

/// `q`: leaves at once when nothing runs; with jobs running it asks first
/// (wait for them, interrupt them, or stay). A second quit in that dialog
/// quits.
pub fn request_quit(state: &mut State) {
    let running = state.jobs.iter().filter(|j| j.is_running()).count();
    if running == 0 || matches!(state.dialog, Some(Dialog::Quit { .. })) {
        state.should_quit = true;
        return;
    }
    if let Some(Dialog::Confirm { plan, .. }) = state.dialog.take() {
        // The plan on screen is not run; the action layer records that.
        state.pending_plans.push_front(*plan);
    }
    state.dialog = Some(Dialog::Quit { running });
    state.dirty = true;
}

/// The quit dialog: `w` waits for the running jobs and then quits, `q`/`y`
/// quits now (the jobs are stopped and recorded as interrupted), Esc/`n`
/// stays.
pub fn quit_key(state: &mut State, key: KeyEvent, running: usize) -> Vec<Effect> {
    match key.code {
        KeyCode::Char('w') => {
            state.quit_when_idle = true;
            state.flash(
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
