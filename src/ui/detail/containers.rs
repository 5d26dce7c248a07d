//! The Docker part of a service's detail: its containers, their health
//! and state.

use ratatui::text::{Line, Span};

use super::age;
use crate::app::State;
use crate::model::Service;
use crate::ui::{Theme, truncate};

/// Containers: state and HEALTHCHECK, restarts, image, ports, uptime, and
/// resource use when collected (only for what is on screen).
pub(super) fn container_lines(
    out: &mut Vec<Line<'_>>,
    s: &Service,
    state: &State,
    theme: &Theme,
    width: u16,
) {
    let title = match &s.docker_binding {
        Some(b) => format!(" docker {b}"),
        None => " docker".into(),
    };
    out.push(Line::styled(title, theme.title));
    for c in &s.containers {
        let h = c.health_verdict();
        let health = match &c.health {
            Some(hc) if c.state == "running" => format!("{} ({})", c.state, hc.status),
            _ => c.state.clone(),
        };
        let mut spans = vec![
            Span::styled(format!("   {} ", h.glyph()), theme.status(h)),
            Span::styled(format!("{:<28} ", truncate(&c.name, 28)), theme.text),
            Span::styled(format!("{:<20} ", truncate(&health, 20)), theme.status(h)),
            Span::styled(
                format!("{:>3}↻ ", c.restart_count),
                if c.restart_count > 0 {
                    theme.warning
                } else {
                    theme.dim
                },
            ),
        ];
        if let Some(st) = &c.stats {
            spans.push(Span::styled(
                format!(
                    "{:>5.1}% {} ",
                    st.cpu_percent,
                    crate::model::fmt_bytes(st.mem_bytes)
                ),
                theme.text,
            ));
        }
        if let Some(t) = c.started_at.filter(|_| c.state == "running") {
            spans.push(Span::styled(
                format!("up {} ", age(state, Some(t))),
                theme.dim,
            ));
        }
        out.push(Line::from(spans));
        let image = format!(
            "{} {}",
            crate::model::kube::short_image(&c.image),
            c.image_id.chars().take(19).collect::<String>()
        );
        let mut details = vec![image];
        if !c.ports.is_empty() {
            details.push(c.ports.join(", "));
        }
        let room = (width as usize).saturating_sub(6);
        out.push(Line::styled(
            format!("      {}", truncate(&details.join(" · "), room)),
            theme.dim,
        ));
        if let Some(hc) = &c.health
            && hc.status != "healthy"
            && let Some(o) = &hc.last_output
        {
            out.push(Line::styled(
                format!(
                    "      last probe ({} failing): {}",
                    hc.failing_streak,
                    truncate(o, room.saturating_sub(24))
                ),
                theme.error,
            ));
        }
    }
}
