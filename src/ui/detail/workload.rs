//! The Kubernetes part of a service's detail: its workload, rollout, HPA,
//! pods and events (its revisions are on the change timeline).

use ratatui::text::{Line, Span};

use super::{age, label};
use crate::app::State;
use crate::ui::{Theme, truncate};

/// The workload: counts, rollout, images, HPA, pods, events.
pub(super) fn workload_lines(
    out: &mut Vec<Line<'_>>,
    w: &crate::model::Workload,
    state: &State,
    theme: &Theme,
    width: u16,
) {
    use crate::model::RolloutState;
    out.push(Line::from(vec![
        Span::styled(" kubernetes ", theme.title),
        Span::styled(w.id.to_string(), theme.text),
    ]));
    let restarts = w.restarts();
    out.push(Line::from(vec![
        label("replicas", theme),
        Span::styled(
            format!(
                "{}/{} ready · {} up-to-date · {} available",
                w.ready, w.desired, w.updated, w.available
            ),
            if w.ready < w.desired {
                theme.warning
            } else {
                theme.text
            },
        ),
        Span::styled(
            format!(
                " · {restarts} restart{}",
                if restarts == 1 { "" } else { "s" }
            ),
            if restarts > 0 {
                theme.warning
            } else {
                theme.dim
            },
        ),
    ]));
    let (text, style) = match &w.rollout {
        RolloutState::Complete => ("complete".to_string(), theme.up),
        RolloutState::Progressing(m) => (format!("progressing: {m}"), theme.warning),
        RolloutState::Stalled(m) => (format!("STALLED: {m}"), theme.error),
        RolloutState::Paused => (
            "paused (kubectl rollout resume to continue)".into(),
            theme.warning,
        ),
    };
    out.push(Line::from(vec![
        label("rollout", theme),
        Span::styled(text, style),
    ]));
    out.push(Line::from(vec![
        label("images", theme),
        Span::styled(w.images.join(", "), theme.text),
    ]));
    if let Some(r) = &w.revision {
        out.push(Line::from(vec![
            label("revision", theme),
            Span::styled(r.clone(), theme.text),
        ]));
    }
    if let Some(h) = &w.hpa {
        let cpu = match (h.cpu_percent, h.cpu_target) {
            (Some(c), Some(t)) => format!(" · cpu {c}% / target {t}%"),
            (None, Some(t)) => format!(" · cpu target {t}%"),
            _ => String::new(),
        };
        out.push(Line::from(vec![
            label("hpa", theme),
            Span::styled(
                format!(
                    "{} {}–{}, current {} → desired {}{cpu}",
                    h.name, h.min, h.max, h.current, h.desired
                ),
                theme.text,
            ),
        ]));
    }
    // Pod table: NODE and LAST TERM only when there is room; the name
    // takes what is left and never wraps.
    let wide = width >= 110;
    let fixed = if wide {
        3 + 19 + 6 + 5 + 11 + 13 + 6
    } else {
        3 + 27 + 6 + 5 + 6
    };
    let longest = w
        .pods
        .iter()
        .map(|p| p.name.chars().count())
        .max()
        .unwrap_or(4);
    let name_w = longest.clamp(4, (width as usize).saturating_sub(fixed).max(8));
    let head = if wide {
        format!(
            "   {:<name_w$} {:<18} {:>5} {:>4} {:<10} {:<12} {:>5}",
            "POD", "STATUS", "READY", "RST", "LAST TERM", "NODE", "AGE"
        )
    } else {
        format!(
            "   {:<name_w$} {:<26} {:>5} {:>4} {:>5}",
            "POD", "STATUS", "READY", "RST", "AGE"
        )
    };
    out.push(Line::styled(head, theme.column_title));
    for p in &w.pods {
        let style = if p.is_ready() {
            theme.text
        } else {
            theme.warning
        };
        let status = if wide {
            format!("{:<18} ", truncate(&p.status(), 18))
        } else {
            let with_last = match &p.last_termination {
                Some(t) => format!("{} ({t})", p.status()),
                None => p.status(),
            };
            format!("{:<26} ", truncate(&with_last, 26))
        };
        let mut spans = vec![
            Span::styled(format!("   {:<name_w$} ", truncate(&p.name, name_w)), style),
            Span::styled(
                status,
                if p.waiting_reason.is_some() {
                    theme.error
                } else {
                    style
                },
            ),
            Span::styled(
                format!("{:>5} ", format!("{}/{}", p.ready_containers, p.containers)),
                style,
            ),
            Span::styled(
                format!("{:>4} ", p.restarts),
                if p.restarts > 0 {
                    theme.warning
                } else {
                    theme.dim
                },
            ),
        ];
        if wide {
            spans.push(Span::styled(
                format!("{:<10} ", p.last_termination.clone().unwrap_or_default()),
                theme.error,
            ));
            spans.push(Span::styled(
                format!("{:<12} ", truncate(p.node.as_deref().unwrap_or("-"), 12)),
                theme.dim,
            ));
        }
        spans.push(Span::styled(
            format!("{:>5}", age(state, p.created)),
            theme.dim,
        ));
        out.push(Line::from(spans));
    }
    if !w.events.is_empty() {
        out.push(Line::styled("   WARNING EVENTS", theme.column_title));
        for e in &w.events {
            let prefix = format!("   {:>5} {} ", age(state, e.last), e.reason);
            let room = (width as usize).saturating_sub(prefix.chars().count());
            let count = if e.count > 1 {
                format!(" (×{})", e.count)
            } else {
                String::new()
            };
            out.push(Line::from(vec![
                Span::styled(format!("   {:>5} ", age(state, e.last)), theme.dim),
                Span::styled(format!("{} ", e.reason), theme.warning),
                Span::styled(
                    truncate(&format!("{} {}{count}", e.object, e.message), room),
                    theme.text,
                ),
            ]));
        }
    }
}
