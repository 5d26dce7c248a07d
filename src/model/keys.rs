//! What a key can do and how a key is written: plain data shared by the
//! config file (which rebinds keys) and the board (which maps keys to
//! actions, in `app::keymap`).

use std::fmt;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde::Deserialize;

/// Everything a key can do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Quit,
    Help,
    Filter,
    Open,
    Back,
    Up,
    Down,
    Top,
    Bottom,
    PageUp,
    PageDown,
    Refresh,
    NextPane,
    PrevPane,
    ShowServices,
    ShowBackups,
    ShowActions,
    Palette,
    Backup,
    Verify,
    CancelJob,
    Dismiss,
    Scale,
    Restart,
    Rollback,
    DeletePod,
    ShowNodes,
    Logs,
    /// Logs view: timestamps, wrapping (also the text viewer), the
    /// previous run, the next container of multi-container pods.
    Timestamps,
    Wrap,
    Previous,
    Container,
    ShowAlerts,
    Silence,
    ExpireSilence,
    Targets,
    GoToService,
    ShowFleet,
    /// Fleet pane: the next grouping.
    Group,
    /// Fleet pane: the cell to the left / right.
    Left,
    Right,
    /// `kubectl describe` of the workload, pod or node.
    Describe,
    /// The YAML of the workload, pod or node.
    Yaml,
    /// A Docker container's inspect.
    Inspect,
    /// Text viewer: the next / previous search match.
    NextMatch,
    PrevMatch,
    /// Text viewer: show masked values (audited).
    Reveal,
    /// Copy the selected row or the open view as text (OSC 52).
    Copy,
    ShowEvents,
    /// Events pane: only Warning events, or every event.
    WarningsOnly,
    /// A shell (or the configured command) in a pod's or Docker container.
    Exec,
    /// Blue-green: move the Service's traffic to the other slot.
    Switch,
    /// Nodes pane: cordon the node, or uncordon a cordoned one.
    Cordon,
    /// Nodes pane: drain the node (cordon, evict its pods).
    Drain,
}

/// A key with modifiers, as written in config (`"ctrl-r"`, `"G"`, `"pgdn"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyChord {
    pub code: KeyCode,
    pub ctrl: bool,
    pub alt: bool,
}

impl KeyChord {
    pub fn parse(spec: &str) -> Result<KeyChord, String> {
        let mut ctrl = false;
        let mut alt = false;
        let mut rest = spec;
        loop {
            let lower = rest.to_ascii_lowercase();
            if rest.len() > 1 && (lower.starts_with("ctrl-") || lower.starts_with("ctrl+")) {
                ctrl = true;
                rest = &rest[5..];
            } else if rest.len() > 1 && (lower.starts_with("alt-") || lower.starts_with("alt+")) {
                alt = true;
                rest = &rest[4..];
            } else {
                break;
            }
        }
        let lower = rest.to_ascii_lowercase();
        let code = match lower.as_str() {
            "enter" | "return" => KeyCode::Enter,
            "esc" | "escape" => KeyCode::Esc,
            "up" => KeyCode::Up,
            "down" => KeyCode::Down,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            "pgup" | "pageup" => KeyCode::PageUp,
            "pgdn" | "pagedown" => KeyCode::PageDown,
            "tab" => KeyCode::Tab,
            "backtab" => KeyCode::BackTab,
            "backspace" => KeyCode::Backspace,
            "delete" | "del" => KeyCode::Delete,
            "space" => KeyCode::Char(' '),
            f if f.len() >= 2 && f.starts_with('f') && f[1..].parse::<u8>().is_ok() => {
                let n: u8 = f[1..].parse().unwrap_or(0);
                if !(1..=12).contains(&n) {
                    return Err(format!(
                        "`{spec}` is not a key: function keys are f1 to f12"
                    ));
                }
                KeyCode::F(n)
            }
            _ => {
                let mut chars = rest.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) => KeyCode::Char(if ctrl { c.to_ascii_lowercase() } else { c }),
                    _ => {
                        return Err(format!(
                            "`{spec}` is not a key; write e.g. \"q\", \"G\", \"ctrl-r\", \"enter\", \"pgdn\", \"f5\""
                        ));
                    }
                }
            }
        };
        Ok(KeyChord { code, ctrl, alt })
    }

    pub fn from_event(ev: &KeyEvent) -> KeyChord {
        let code = match ev.code {
            // Terminals report Ctrl-letters as lower case with CONTROL.
            KeyCode::Char(c) if ev.modifiers.contains(KeyModifiers::CONTROL) => {
                KeyCode::Char(c.to_ascii_lowercase())
            }
            c => c,
        };
        KeyChord {
            code,
            ctrl: ev.modifiers.contains(KeyModifiers::CONTROL),
            alt: ev.modifiers.contains(KeyModifiers::ALT),
        }
    }
}

impl fmt::Display for KeyChord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("Ctrl-")?;
        }
        if self.alt {
            f.write_str("Alt-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("Space"),
            KeyCode::Char(c) if self.ctrl => write!(f, "{}", c.to_ascii_uppercase()),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::Enter => f.write_str("Enter"),
            KeyCode::Esc => f.write_str("Esc"),
            KeyCode::Up => f.write_str("↑"),
            KeyCode::Down => f.write_str("↓"),
            KeyCode::Left => f.write_str("←"),
            KeyCode::Right => f.write_str("→"),
            KeyCode::Home => f.write_str("Home"),
            KeyCode::End => f.write_str("End"),
            KeyCode::PageUp => f.write_str("PgUp"),
            KeyCode::PageDown => f.write_str("PgDn"),
            KeyCode::Tab => f.write_str("Tab"),
            KeyCode::BackTab => f.write_str("Shift-Tab"),
            KeyCode::Backspace => f.write_str("Backspace"),
            KeyCode::Delete => f.write_str("Del"),
            KeyCode::F(n) => write!(f, "F{n}"),
            other => write!(f, "{other:?}"),
        }
    }
}
