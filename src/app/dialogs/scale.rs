//! The scale dialog: a replica count for the focused service's workload or
//! Compose service.

use crossterm::event::{KeyCode, KeyEvent};

use crate::app::focus::{focused_compose, focused_workload};
use crate::app::msg::Effect;
use crate::app::state::{Dialog, ScaleTarget, State};
use crate::model::ActionRequest;

/// Largest replica count the dialog accepts.
pub const MAX_REPLICAS: i32 = 1000;

pub fn scale_key(
    state: &mut State,
    key: KeyEvent,
    workload: ScaleTarget,
    current: i32,
    mut value: String,
    hpa: Option<(i32, i32)>,
) -> Vec<Effect> {
    let n = value.parse::<i32>().ok();
    match key.code {
        KeyCode::Esc => return vec![],
        KeyCode::Enter => match n {
            Some(r) if (0..=MAX_REPLICAS).contains(&r) => {
                if r == current {
                    state.flash(
                        format!("{} already has {r} replicas", workload.describe()),
                        false,
                    );
                } else {
                    return vec![Effect::Plan(match workload {
                        ScaleTarget::Kube(w) => ActionRequest::Scale {
                            workload: w,
                            replicas: r,
                        },
                        ScaleTarget::Compose(c) => ActionRequest::DockerScale {
                            service: c,
                            replicas: r as u32,
                        },
                    })];
                }
            }
            _ => state.flash(
                format!("enter a replica count from 0 to {MAX_REPLICAS}"),
                true,
            ),
        },
        KeyCode::Char('+') | KeyCode::Up | KeyCode::Char('k') => {
            value = (n.unwrap_or(current) + 1).min(MAX_REPLICAS).to_string();
        }
        KeyCode::Char('-') | KeyCode::Down | KeyCode::Char('j') => {
            value = (n.unwrap_or(current) - 1).max(0).to_string();
        }
        KeyCode::Backspace => {
            value.pop();
        }
        KeyCode::Char(c) if c.is_ascii_digit() && value.len() < 4 => {
            if value == "0" {
                value.clear();
            }
            value.push(c);
        }
        _ => {}
    }
    state.dialog = Some(Dialog::Scale {
        workload,
        current,
        value,
        hpa,
    });
    vec![]
}

/// Opens the scale dialog for the focused service's workload, or its
/// Compose service.
pub fn open_scale(state: &mut State) {
    if let Some(c) = focused_compose(state) {
        let current = state
            .focused_service()
            .map_or(0, |i| state.services[i].containers.len()) as i32;
        state.dialog = Some(Dialog::Scale {
            workload: ScaleTarget::Compose(c),
            current,
            value: current.to_string(),
            hpa: None,
        });
        return;
    }
    let Some(w) = focused_workload(state) else {
        return;
    };
    if w.id.kind == crate::model::WorkloadKind::DaemonSet {
        state.flash(
            format!(
                "{} runs one pod per node: it cannot be scaled",
                w.id.short()
            ),
            false,
        );
        return;
    }
    let hpa = w.hpa.as_ref().map(|h| (h.min, h.max));
    state.dialog = Some(Dialog::Scale {
        workload: ScaleTarget::Kube(w.id.clone()),
        current: w.desired,
        value: w.desired.to_string(),
        hpa,
    });
}
