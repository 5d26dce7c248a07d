//! The top bar: mode tags, counts by status, alerts, the Kubernetes scope
//! (`⎈ prod/shop`), last poll and the clock. It degrades in steps on
//! narrow terminals rather than clipping.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

use unicode_width::UnicodeWidthStr;

use super::Theme;
use crate::app::State;
use crate::model::Health;
use crate::model::kube_scope::KubeScope;
use crate::model::text::safe;

/// How much room the counts get.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Density {
    /// `✖ 1 down  ◐ 1 degraded`
    Words,
    /// `✖ 1 down  ◐ 1 degr`
    Short,
    /// `✖1 ◐1`
    Glyphs,
}

pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let width = area.width as usize;
    let mut tags: Vec<Span> = vec![Span::styled(
        " opsboard ",
        theme.header.add_modifier(Modifier::BOLD),
    )];
    if state.banner.demo {
        tags.push(Span::styled(" DEMO ", theme.header_tag));
        tags.push(Span::styled(" ", theme.header));
    }
    if state.banner.read_only {
        tags.push(Span::styled(" READ-ONLY ", theme.header_tag));
        tags.push(Span::styled(" ", theme.header));
    }
    let clock = super::clock(state.now);
    let rights: Vec<String> = match state.last_poll {
        Some(t) => vec![
            format!(
                "last poll {} ({})  {clock} ",
                super::clock(t),
                super::ago(state.now, t)
            ),
            format!("polled {}  {clock} ", super::ago(state.now, t)),
            format!("{}  {clock} ", super::ago(state.now, t)),
            format!("{clock} "),
        ],
        None if state.services.iter().all(|s| s.probes.is_empty()) => vec![format!("{clock} ")],
        None => vec![
            format!("waiting for first poll  {clock} "),
            format!("{clock} "),
        ],
    };
    let tag_width: usize = tags.iter().map(Span::width).sum();
    // Prefer the poll age over long count labels; the clock alone is last.
    let last = rights.len().saturating_sub(1);
    let mut candidates: Vec<(Density, usize)> = Vec::new();
    for i in 0..last.max(1).min(rights.len()) {
        candidates.push((Density::Words, i));
        candidates.push((Density::Short, i));
    }
    for i in 0..rights.len() {
        candidates.push((Density::Glyphs, i));
    }
    // What is left beside the counts and the poll age (one column stays
    // free), or `None` when they do not fit.
    let room = |density: Density, right: usize| -> Option<usize> {
        let counts: usize = counts(state, theme, density).iter().map(Span::width).sum();
        width.checked_sub(tag_width + counts + rights[right].chars().count() + 1)
    };
    let plain = candidates
        .iter()
        .copied()
        .find(|(d, r)| room(*d, *r).is_some());
    let scoped = plain.and_then(|(_, r)| {
        let scope = &state.kube_scope.as_ref()?.scope;
        // The scope may make the counts and the poll age terser, never
        // drop the poll age (nor a count, an alert or the clock).
        let allowed: Vec<(Density, usize)> = candidates
            .iter()
            .copied()
            .filter(|(_, i)| r == last || *i != last)
            .collect();
        let full = scope_text(scope, usize::MAX)?;
        let fits_whole = allowed
            .iter()
            .find(|(d, i)| room(*d, *i).is_some_and(|n| n >= full.width() + SCOPE_GAP.len()))
            .map(|(d, i)| (*d, *i, full.clone()));
        fits_whole.or_else(|| {
            allowed.iter().find_map(|(d, i)| {
                let space = room(*d, *i)?.checked_sub(SCOPE_GAP.len())?;
                scope_text(scope, space).map(|t| (*d, *i, t))
            })
        })
    });
    let (density, right, scope) = match (scoped, plain) {
        (Some((d, r, t)), _) => (d, rights[r].clone(), Some(t)),
        (None, Some((d, r))) => (d, rights[r].clone(), None),
        (None, None) => (Density::Glyphs, String::new(), None),
    };
    let mut spans = tags;
    spans.extend(counts(state, theme, density));
    let used: usize = spans.iter().map(Span::width).sum();
    let scope_width = scope.as_ref().map_or(0, |s| s.width() + SCOPE_GAP.len());
    let space = width.saturating_sub(used + scope_width + right.chars().count());
    spans.push(Span::styled(" ".repeat(space), theme.header));
    if let Some(scope) = scope {
        spans.push(Span::styled(
            scope,
            theme.header.add_modifier(Modifier::BOLD),
        ));
        spans.push(Span::styled(SCOPE_GAP, theme.header));
    }
    spans.push(Span::styled(right, theme.header));
    frame.render_widget(Line::from(spans).style(theme.header), area);
}

/// Between the Kubernetes scope and the poll age.
const SCOPE_GAP: &str = "  ";

/// `⎈ kind-demo/shop` in at most `room` columns, the context cut first
/// (`⎈ kind-…/shop`); `None` when not even that fits. Names come from the
/// kubeconfig and the cluster: cleaned.
pub fn scope_text(scope: &KubeScope, room: usize) -> Option<String> {
    let contexts = safe(&scope.contexts_label());
    let namespaces = safe(&scope.namespaces_label());
    let full = format!("⎈ {contexts}{namespaces}");
    if full.width() <= room {
        return Some(full);
    }
    let for_context = room.checked_sub("⎈ ".width() + namespaces.width())?;
    // Fewer than three letters and an ellipsis names nothing.
    (for_context >= 4).then(|| format!("⎈ {}{namespaces}", super::truncate(&contexts, for_context)))
}

fn counts<'a>(state: &State, theme: &Theme, density: Density) -> Vec<Span<'a>> {
    let bg = badge_bg(theme);
    let gap = if density == Density::Glyphs {
        " "
    } else {
        "  "
    };
    let mut out = Vec::new();
    for (h, n) in state.counts() {
        if n == 0 && h != Health::Down {
            continue;
        }
        let text = match density {
            Density::Words => format!("{} {n} {}", h.glyph(), h.word()),
            Density::Short => format!("{} {n} {}", h.glyph(), short(h)),
            Density::Glyphs => format!("{}{n}", h.glyph()),
        };
        out.push(Span::styled(text, theme.status(h).patch(bg)));
        out.push(Span::styled(gap, theme.header));
    }
    let down = state.sources_down();
    if !down.is_empty() {
        let text = match (density, down.len()) {
            (Density::Words, 1 | 2) | (Density::Short, 1) => format!("⚠ {} down", down.join(", ")),
            (Density::Words | Density::Short, n) => format!("⚠ {n} sources down"),
            (Density::Glyphs, n) => format!("⚠{n}src"),
        };
        out.push(Span::styled(text, theme.warning.patch(bg)));
        out.push(Span::styled(gap, theme.header));
    }
    let firing = state.alerts.firing_counts();
    for (n, word, style) in [
        (firing[0], "crit", theme.down),
        (firing[1], "warn", theme.warning),
    ] {
        if n == 0 {
            continue;
        }
        let text = match density {
            Density::Glyphs => format!("▲{n}{}", &word[..1]),
            _ => format!("▲ {n} {word}"),
        };
        out.push(Span::styled(text, style.patch(bg)));
        out.push(Span::styled(gap, theme.header));
    }
    out
}

fn short(h: Health) -> &'static str {
    match h {
        Health::Up => "up",
        Health::Degraded => "degr",
        Health::Down => "down",
        Health::Unknown => "unkn",
    }
}

/// Status spans keep the header's background unless the theme gives them one.
fn badge_bg(theme: &Theme) -> Style {
    let mut s = Style::default();
    if let Some(bg) = theme.header.bg {
        s = s.bg(bg);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(contexts: &[&str], namespaces: &[&str]) -> KubeScope {
        KubeScope {
            contexts: contexts.iter().map(|s| s.to_string()).collect(),
            namespaces: namespaces.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn the_scope_fits_whole_then_with_the_context_cut_then_not_at_all() {
        let s = scope(&["kind-demo"], &["shop"]);
        assert_eq!(scope_text(&s, 40).as_deref(), Some("⎈ kind-demo/shop"));
        assert_eq!(scope_text(&s, 16).as_deref(), Some("⎈ kind-demo/shop"));
        assert_eq!(scope_text(&s, 12).as_deref(), Some("⎈ kind…/shop"));
        assert_eq!(scope_text(&s, 11).as_deref(), Some("⎈ kin…/shop"));
        assert_eq!(scope_text(&s, 10), None);
        assert_eq!(
            scope_text(&scope(&["prod"], &["a", "b", "c"]), 20).as_deref(),
            Some("⎈ prod (3 ns)")
        );
        assert_eq!(
            scope_text(&scope(&["prod"], &[]), 8).as_deref(),
            Some("⎈ prod/*")
        );
    }

    #[test]
    fn names_from_the_kubeconfig_are_cleaned() {
        let t = scope_text(&scope(&["evil\u{1b}]52;c;x\u{7}"], &["shop"]), 80).unwrap();
        assert!(!t.chars().any(|c| c.is_control()), "{t:?}");
    }
}
