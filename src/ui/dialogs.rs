//! Modal dialogs: the confirm dialog (the plan in words) and the command
//! palette (with its `:ctx` and `:ns`).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph, Wrap};

use super::{Theme, popup};
use crate::app::dialogs::palette::palette_view;
use crate::app::dialogs::scope::{ScopeCommand, scope_command};
use crate::app::{Dialog, State};
use crate::model::{ActionPlan, Confirmation, Risk};

pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    match &state.dialog {
        Some(Dialog::Confirm { plan, typed, .. }) => {
            confirm(frame, area, plan, typed, state, theme)
        }
        Some(Dialog::Quit { running }) => quit(frame, area, *running, theme),
        Some(Dialog::Palette {
            service,
            query,
            selected,
            only,
        }) => palette(
            frame,
            area,
            state,
            *service,
            query,
            *selected,
            only.as_deref(),
            theme,
        ),
        Some(Dialog::Scale {
            workload,
            current,
            value,
            hpa,
        }) => scale(frame, area, workload, *current, value, *hpa, theme),
        Some(Dialog::Silence {
            server,
            matchers,
            duration,
            comment,
            field,
            error,
        }) => super::silence_dialog::render(
            frame,
            area,
            &super::silence_dialog::SilenceView {
                server,
                matchers,
                duration,
                comment,
                field: *field,
                error: error.as_deref(),
            },
            theme,
        ),
        None => {}
    }
}

/// The plan in words: what will happen, risk, dry run and follow-up
/// (`body`), the parameters (`extra`, shown when there is room), and how to
/// confirm (`prompt`, always shown).
pub struct ConfirmText {
    pub body: Vec<Line<'static>>,
    pub extra: Vec<Line<'static>>,
    pub prompt: Vec<Line<'static>>,
}

pub fn confirm_text(plan: &ActionPlan, typed: &str, theme: &Theme) -> ConfirmText {
    let risk_style = match plan.risk {
        Risk::Low => theme.up,
        Risk::Medium => theme.warning,
        Risk::High => theme.down,
    };
    let mut body = vec![Line::from(vec![
        Span::styled(plan.summary(), theme.title),
        Span::styled(format!("   risk: {}", plan.risk.word()), risk_style),
        Span::styled(
            plan.target
                .environment
                .as_ref()
                .map(|e| format!("   env: {e}"))
                .unwrap_or_default(),
            theme.dim,
        ),
    ])];
    body.push(Line::styled("What will happen:", theme.text));
    for w in &plan.what_will_happen {
        body.push(Line::styled(format!("  • {w}"), theme.text));
    }
    if let Some(d) = &plan.dry_run {
        let (g, s) = if d.ok {
            ("✔ dry run:", theme.up)
        } else {
            ("✖ dry run failed:", theme.error)
        };
        body.push(Line::from(vec![
            Span::styled(format!("{g} "), s),
            Span::styled(d.text.clone(), theme.text),
        ]));
    }
    if let Some(f) = &plan.follow_up {
        body.push(Line::styled(
            format!("Afterwards, checks that {f}."),
            theme.dim,
        ));
    }
    let extra = plan
        .parameters
        .iter()
        .map(|(k, v)| {
            Line::from(vec![
                Span::styled(format!("  {k}: "), theme.dim),
                Span::styled(v.clone(), theme.text),
            ])
        })
        .collect();
    let prompt = match &plan.confirmation {
        Confirmation::TypeName(name) => vec![
            Line::styled(
                format!("Protected: type `{name}`, then Enter.  Esc cancels."),
                theme.warning,
            ),
            Line::from(vec![
                Span::styled("> ", theme.key),
                Span::styled(format!("{typed}█"), theme.text),
            ]),
        ],
        _ => vec![Line::from(vec![
            Span::styled("Enter", theme.key),
            Span::styled("/", theme.dim),
            Span::styled("y", theme.key),
            Span::styled(" run    ", theme.text),
            Span::styled("Esc", theme.key),
            Span::styled("/", theme.dim),
            Span::styled("n", theme.key),
            Span::styled(" cancel", theme.text),
        ])],
    };
    ConfirmText {
        body,
        extra,
        prompt,
    }
}

/// Rows `lines` take when wrapped at `width` (word wrapping can take a
/// little more; callers keep a row of slack).
fn rows(lines: &[Line], width: u16) -> u16 {
    let w = width.max(1) as usize;
    lines
        .iter()
        .map(|l| l.width().max(1).div_ceil(w) as u16)
        .sum()
}

fn confirm(
    frame: &mut Frame,
    area: Rect,
    plan: &ActionPlan,
    typed: &str,
    _state: &State,
    theme: &Theme,
) {
    let t = confirm_text(plan, typed, theme);
    let widest = t
        .body
        .iter()
        .chain(&t.extra)
        .chain(&t.prompt)
        .map(Line::width)
        .max()
        .unwrap_or(40) as u16;
    let width = (widest + 4).clamp(40, 100).min(area.width);
    let inner_w = width.saturating_sub(2);
    let prompt_rows = rows(&t.prompt, inner_w);
    let body_rows = rows(&t.body, inner_w);
    let extra_rows = rows(&t.extra, inner_w);
    let max_inner = area.height.saturating_sub(2);
    let with_extra = body_rows + 1 + extra_rows + 1 + prompt_rows <= max_inner;
    let wanted = body_rows + 1 + prompt_rows + if with_extra { extra_rows + 1 } else { 0 };
    let r = popup(area, width, wanted.min(max_inner) + 2);
    let inner = framed(frame, r, " Confirm ", theme);
    let [top, bottom] =
        Layout::vertical([Constraint::Min(0), Constraint::Length(prompt_rows)]).areas(inner);
    let mut lines = t.body;
    if with_extra {
        lines.push(Line::raw(""));
        lines.extend(t.extra);
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), top);
    frame.render_widget(Paragraph::new(t.prompt).wrap(Wrap { trim: false }), bottom);
}

/// Clears `r`, draws a popup's rounded border titled `title`, and returns
/// the area inside it.
fn framed(frame: &mut Frame, r: Rect, title: &str, theme: &Theme) -> Rect {
    frame.render_widget(Clear, r);
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(theme.border)
        .title(Span::styled(title.to_string(), theme.title))
        .style(theme.popup);
    let inner = block.inner(r);
    frame.render_widget(block, r);
    inner
}

/// Asked when `q` is pressed while jobs run: quitting stops them halfway.
fn quit(frame: &mut Frame, area: Rect, running: usize, theme: &Theme) {
    let lines = vec![
        Line::styled(
            format!(
                "{running} job{} still running.",
                if running == 1 { " is" } else { "s are" }
            ),
            theme.text,
        ),
        Line::styled(
            "Quitting now cancels what runs; each job is recorded as cancelled or interrupted.",
            theme.dim,
        ),
        Line::raw(""),
        Line::from(vec![
            Span::styled("w", theme.key),
            Span::styled(" wait, then quit   ", theme.text),
            Span::styled("q", theme.key),
            Span::styled(" quit now   ", theme.text),
            Span::styled("Esc", theme.key),
            Span::styled(" stay", theme.text),
        ]),
    ];
    let width = 60.min(area.width);
    let inner_w = width.saturating_sub(2);
    let r = popup(area, width, rows(&lines, inner_w) + 2);
    let inner = framed(frame, r, " Quit? ", theme);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

#[allow(clippy::too_many_arguments)]
fn palette(
    frame: &mut Frame,
    area: Rect,
    state: &State,
    service: Option<usize>,
    query: &str,
    selected: usize,
    only: Option<&str>,
    theme: &Theme,
) {
    let entries = palette_view(state, service, only, query);
    let command = scope_command(query).map(|(c, _)| c);
    let scope = match command {
        Some(ScopeCommand::Context) => " Kubernetes contexts ".to_string(),
        Some(ScopeCommand::Namespace) => " Namespaces ".to_string(),
        None => service
            .and_then(|i| state.services.get(i))
            .map(|s| format!(" Actions for {} ", s.name))
            .unwrap_or_else(|| " Actions ".into()),
    };
    let verb = if command.is_some() { "switch" } else { "plan" };
    let height = (entries.len() as u16 + 4).clamp(6, area.height.saturating_sub(2).max(6));
    let width = 72.min(area.width);
    let r = popup(area, width, height);
    frame.render_widget(Clear, r);
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(theme.border)
        .title(Span::styled(scope, theme.title))
        .title_bottom(Span::styled(
            format!(" ↑↓ choose · Enter {verb} · Esc close "),
            theme.dim,
        ))
        .style(theme.popup);
    let inner = block.inner(r);
    frame.render_widget(block, r);
    let mut lines = vec![Line::from(vec![
        Span::styled(": ", theme.key),
        Span::styled(format!("{query}█"), theme.text),
    ])];
    if entries.is_empty() {
        let why = match scope_command(query) {
            _ if command.is_some() && state.kube_scope.is_none() => {
                "  no Kubernetes here (no kubeconfig?)".to_string()
            }
            // The cluster does not let its namespaces be listed: a name
            // is taken as typed.
            Some((ScopeCommand::Namespace, arg))
                if crate::app::scope_switch::known_namespaces(state).is_empty() =>
            {
                format!(
                    "  Enter watches namespace “{}”",
                    crate::model::text::safe(arg)
                )
            }
            Some((ScopeCommand::Namespace, arg)) => {
                format!("  no namespace matches “{}”", crate::model::text::safe(arg))
            }
            Some((ScopeCommand::Context, arg)) => {
                format!("  no context matches “{}”", crate::model::text::safe(arg))
            }
            None => "  nothing matches (no runbooks or backups here?)".to_string(),
        };
        lines.push(Line::styled(why, theme.dim));
    }
    let visible = inner.height.saturating_sub(1) as usize;
    let first = selected.saturating_sub(visible.saturating_sub(1));
    for (i, e) in entries.iter().enumerate().skip(first).take(visible) {
        let style = if i == selected {
            theme.selected
        } else {
            theme.text
        };
        let mut spans = vec![Span::styled(format!(" {} ", e.label), style)];
        if e.dangerous {
            spans.push(Span::styled("⚠ dangerous ", theme.warning));
        }
        spans.push(Span::styled(e.detail.clone(), theme.dim));
        lines.push(Line::from(spans));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

/// The replica-count input: current count, HPA range, the new value.
fn scale(
    frame: &mut Frame,
    area: Rect,
    workload: &crate::app::ScaleTarget,
    current: i32,
    value: &str,
    hpa: Option<(i32, i32)>,
    theme: &Theme,
) {
    let mut lines = vec![
        Line::styled(workload.describe(), theme.title),
        Line::styled(format!("now {current} replicas"), theme.dim),
    ];
    if let Some((min, max)) = hpa {
        lines.push(Line::styled(
            format!("⚠ an HPA keeps it within {min}–{max}"),
            theme.warning,
        ));
    }
    lines.push(Line::raw(""));
    lines.push(Line::from(vec![
        Span::styled("replicas: ", theme.text),
        Span::styled(format!("{value}█"), theme.key),
    ]));
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        "digits or +/- · Enter plan · Esc cancel",
        theme.dim,
    ));
    let width = (lines.iter().map(Line::width).max().unwrap_or(30) as u16 + 4).clamp(36, 80);
    let r = popup(area, width, lines.len() as u16 + 2);
    frame.render_widget(Clear, r);
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(theme.border)
        .title(Span::styled(" Scale ", theme.title))
        .style(theme.popup);
    frame.render_widget(Paragraph::new(lines).block(block), r);
}
