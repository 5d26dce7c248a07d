//! Themes: named styles loaded from `themes/*.toml` (built in) or a file.

use std::str::FromStr;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

use crate::model::Health;

const BUILTIN: &[(&str, &str)] = &[
    ("default", include_str!("../../themes/default.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
    ("mono", include_str!("../../themes/mono.toml")),
];

/// Names of the built-in themes.
pub fn builtin_names() -> impl Iterator<Item = &'static str> {
    BUILTIN.iter().map(|(n, _)| *n)
}

#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub name: String,
    pub text: Style,
    pub dim: Style,
    pub title: Style,
    pub header: Style,
    pub header_tag: Style,
    pub footer: Style,
    pub key: Style,
    pub column_title: Style,
    pub selected: Style,
    pub up: Style,
    pub degraded: Style,
    pub down: Style,
    pub unknown: Style,
    pub warning: Style,
    pub error: Style,
    pub sparkline: Style,
    pub border: Style,
    pub popup: Style,
}

impl Theme {
    pub fn status(&self, h: Health) -> Style {
        match h {
            Health::Up => self.up,
            Health::Degraded => self.degraded,
            Health::Down => self.down,
            Health::Unknown => self.unknown,
        }
    }

    /// A built-in theme by name, or a theme file by path.
    pub fn load(name_or_path: &str) -> Result<Theme, String> {
        if let Some((_, text)) = BUILTIN.iter().find(|(n, _)| *n == name_or_path) {
            return Theme::parse(text).map_err(|e| format!("built-in theme `{name_or_path}`: {e}"));
        }
        let looks_like_path = name_or_path.contains('/') || name_or_path.ends_with(".toml");
        if !looks_like_path {
            let names: Vec<&str> = builtin_names().collect();
            return Err(format!(
                "unknown theme `{name_or_path}`; built-in themes: {}; or give a path to a theme .toml file",
                names.join(", ")
            ));
        }
        let text = std::fs::read_to_string(name_or_path)
            .map_err(|e| format!("cannot read theme file {name_or_path}: {e}"))?;
        Theme::parse(&text).map_err(|e| format!("theme file {name_or_path}: {e}"))
    }

    /// The theme to use: mono when `NO_COLOR` is set (whatever was asked),
    /// otherwise the requested one, otherwise the default.
    pub fn select(requested: Option<&str>, no_color: bool) -> Result<Theme, String> {
        if no_color {
            return Theme::load("mono");
        }
        Theme::load(requested.unwrap_or("default"))
    }

    pub fn parse(text: &str) -> Result<Theme, String> {
        let f: ThemeFile = toml::from_str(text).map_err(|e| e.to_string())?;
        let s = f.styles;
        Ok(Theme {
            name: f.name,
            text: s.text.style()?,
            dim: s.dim.style()?,
            title: s.title.style()?,
            header: s.header.style()?,
            header_tag: s.header_tag.style()?,
            footer: s.footer.style()?,
            key: s.key.style()?,
            column_title: s.column_title.style()?,
            selected: s.selected.style()?,
            up: s.up.style()?,
            degraded: s.degraded.style()?,
            down: s.down.style()?,
            unknown: s.unknown.style()?,
            warning: s.warning.style()?,
            error: s.error.style()?,
            sparkline: s.sparkline.style()?,
            border: s.border.style()?,
            popup: s.popup.style()?,
        })
    }
}

impl Default for Theme {
    fn default() -> Self {
        // The built-in default is parsed by a unit test, so this cannot fail
        // in a released binary; fall back to plain styles rather than panic.
        Theme::load("default").unwrap_or_else(|_| Theme::plain())
    }
}

impl Theme {
    fn plain() -> Theme {
        let s = Style::default();
        Theme {
            name: "plain".into(),
            text: s,
            dim: s,
            title: s,
            header: s.add_modifier(Modifier::REVERSED),
            header_tag: s,
            footer: s,
            key: s,
            column_title: s,
            selected: s.add_modifier(Modifier::REVERSED),
            up: s,
            degraded: s,
            down: s,
            unknown: s,
            warning: s,
            error: s,
            sparkline: s,
            border: s,
            popup: s,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    name: String,
    styles: Styles,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Styles {
    text: StyleSpec,
    dim: StyleSpec,
    title: StyleSpec,
    header: StyleSpec,
    header_tag: StyleSpec,
    footer: StyleSpec,
    key: StyleSpec,
    column_title: StyleSpec,
    selected: StyleSpec,
    up: StyleSpec,
    degraded: StyleSpec,
    down: StyleSpec,
    unknown: StyleSpec,
    warning: StyleSpec,
    error: StyleSpec,
    sparkline: StyleSpec,
    border: StyleSpec,
    popup: StyleSpec,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct StyleSpec {
    fg: Option<String>,
    bg: Option<String>,
    #[serde(default)]
    bold: bool,
    #[serde(default)]
    dim: bool,
    #[serde(default)]
    italic: bool,
    #[serde(default)]
    underline: bool,
    #[serde(default)]
    reversed: bool,
}

impl StyleSpec {
    fn style(&self) -> Result<Style, String> {
        let color = |c: &str| Color::from_str(c).map_err(|_| format!("`{c}` is not a colour"));
        let mut s = Style::default();
        if let Some(fg) = &self.fg {
            s = s.fg(color(fg)?);
        }
        if let Some(bg) = &self.bg {
            s = s.bg(color(bg)?);
        }
        for (on, m) in [
            (self.bold, Modifier::BOLD),
            (self.dim, Modifier::DIM),
            (self.italic, Modifier::ITALIC),
            (self.underline, Modifier::UNDERLINED),
            (self.reversed, Modifier::REVERSED),
        ] {
            if on {
                s = s.add_modifier(m);
            }
        }
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_theme_parses() {
        for name in builtin_names() {
            let t = Theme::load(name).unwrap();
            assert_eq!(t.name, name);
        }
    }

    #[test]
    fn no_color_forces_mono_without_any_colour() {
        let t = Theme::select(Some("default"), true).unwrap();
        assert_eq!(t.name, "mono");
        for s in [t.text, t.up, t.down, t.degraded, t.header, t.selected] {
            assert_eq!(s.fg, None);
            assert_eq!(s.bg, None);
        }
    }

    #[test]
    fn unknown_theme_lists_builtins() {
        let e = Theme::load("solarized").unwrap_err();
        assert!(e.contains("default, light, high-contrast, mono"), "{e}");
    }

    #[test]
    fn bad_colour_is_named() {
        let text = include_str!("../../themes/default.toml")
            .replace("\"lightcyan\"", "\"chartreuse-ish\"");
        let e = Theme::parse(&text).unwrap_err();
        assert!(e.contains("chartreuse-ish"), "{e}");
    }
}
