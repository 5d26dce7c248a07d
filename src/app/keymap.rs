//! Actions are data: keys map to an [`Action`], the help screen and the hint
//! bar are generated from the same table, and config can rebind any action.

use std::collections::BTreeMap;

use crossterm::event::KeyEvent;

use super::bindings::{BINDINGS, Context};

pub use crate::model::keys::{Action, KeyChord};

impl Action {
    /// Scoped actions act only in their binding's contexts, so their keys
    /// can mean something else elsewhere (`G` groups the fleet, and is
    /// Bottom in every other list).
    fn scoped(self) -> bool {
        matches!(
            self,
            Action::Group
                | Action::Left
                | Action::Right
                | Action::Timestamps
                | Action::Wrap
                | Action::Previous
                | Action::Container
                | Action::Describe
                | Action::Yaml
                | Action::Inspect
                | Action::NextMatch
                | Action::PrevMatch
                | Action::Reveal
                | Action::WarningsOnly
                | Action::Exec
        )
    }

    fn contexts(self) -> &'static [Context] {
        BINDINGS
            .iter()
            .find(|b| b.action == self)
            .map_or(&[], |b| b.contexts)
    }
}

/// The effective keymap: defaults with config overrides applied.
#[derive(Debug, Clone)]
pub struct Keymap {
    by_action: BTreeMap<Action, Vec<KeyChord>>,
    /// Keys that plan a runbook on the selected service, from config.
    runbooks: Vec<(KeyChord, String)>,
}

impl Default for Keymap {
    fn default() -> Self {
        Keymap::new(&BTreeMap::new())
    }
}

impl Keymap {
    /// Defaults, with the listed actions' keys replaced.
    pub fn new(overrides: &BTreeMap<Action, Vec<KeyChord>>) -> Keymap {
        let mut by_action = BTreeMap::new();
        for b in BINDINGS.iter() {
            let keys = match overrides.get(&b.action) {
                Some(k) => k.clone(),
                None => b
                    .keys
                    .iter()
                    .filter_map(|k| KeyChord::parse(k).ok())
                    .collect(),
            };
            by_action.insert(b.action, keys);
        }
        Keymap {
            by_action,
            runbooks: Vec::new(),
        }
    }

    /// Adds runbook keys. A runbook key never shadows a built-in binding;
    /// the returned list names the ones that were dropped for that reason.
    pub fn with_runbooks(mut self, keys: Vec<(KeyChord, String)>) -> (Keymap, Vec<String>) {
        let mut shadowed = Vec::new();
        for (chord, name) in keys {
            let taken = self.by_action.values().any(|k| k.contains(&chord))
                || self.runbooks.iter().any(|(c, _)| *c == chord);
            if taken {
                shadowed.push(format!("runbook `{name}`: key {chord} is already bound"));
            } else {
                self.runbooks.push((chord, name));
            }
        }
        (self, shadowed)
    }

    /// The runbook a key plans, if any.
    pub fn runbook_for(&self, ev: &KeyEvent) -> Option<&str> {
        let chord = KeyChord::from_event(ev);
        self.runbooks
            .iter()
            .find(|(c, _)| *c == chord)
            .map(|(_, n)| n.as_str())
    }

    pub fn runbook_keys(&self) -> &[(KeyChord, String)] {
        &self.runbooks
    }

    /// The action a key triggers in `context`, if any: a binding for
    /// this context wins; a scoped binding never acts outside its own.
    pub fn action_for(&self, ev: &KeyEvent, context: Context) -> Option<Action> {
        let chord = KeyChord::from_event(ev);
        let mut fallback = None;
        for (a, keys) in &self.by_action {
            if !keys.contains(&chord) {
                continue;
            }
            if a.contexts().contains(&context) {
                return Some(*a);
            }
            if !a.scoped() {
                fallback.get_or_insert(*a);
            }
        }
        fallback
    }

    pub fn keys_for(&self, action: Action) -> &[KeyChord] {
        self.by_action.get(&action).map_or(&[], Vec::as_slice)
    }

    /// The first key of an action, for hints, e.g. "/".
    pub fn primary_key(&self, action: Action) -> Option<String> {
        self.keys_for(action).first().map(ToString::to_string)
    }

    /// All keys of an action joined, for the help screen, e.g. "k ↑".
    pub fn keys_label(&self, action: Action) -> String {
        self.keys_for(action)
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::bindings::Binding;
    use crossterm::event::{KeyCode, KeyModifiers};

    #[test]
    fn parses_specs() {
        assert_eq!(KeyChord::parse("q").unwrap().code, KeyCode::Char('q'));
        let c = KeyChord::parse("ctrl-R").unwrap();
        assert!(c.ctrl);
        assert_eq!(c.code, KeyCode::Char('r'));
        assert_eq!(KeyChord::parse("G").unwrap().code, KeyCode::Char('G'));
        assert_eq!(KeyChord::parse("pgdn").unwrap().code, KeyCode::PageDown);
        assert_eq!(KeyChord::parse("f5").unwrap().code, KeyCode::F(5));
        assert!(KeyChord::parse("f13").is_err());
        assert!(KeyChord::parse("hello").unwrap_err().contains("not a key"));
        assert!(KeyChord::parse("-").is_ok());
    }

    #[test]
    fn default_bindings_resolve() {
        let km = Keymap::default();
        let ev = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(km.action_for(&ev, Context::List), Some(Action::Quit));
        let ev = KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(km.action_for(&ev, Context::List), Some(Action::Bottom));
        assert_eq!(km.keys_label(Action::Up), "k ↑");
    }

    #[test]
    fn overrides_replace_defaults() {
        let mut o = BTreeMap::new();
        o.insert(Action::Quit, vec![KeyChord::parse("Z").unwrap()]);
        let km = Keymap::new(&o);
        let q = KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE);
        let x = KeyEvent::new(KeyCode::Char('Z'), KeyModifiers::NONE);
        assert_eq!(km.action_for(&q, Context::List), None);
        assert_eq!(km.action_for(&x, Context::List), Some(Action::Quit));
    }

    #[test]
    fn scoped_keys_mean_something_else_in_their_pane() {
        let km = Keymap::default();
        let key = |c| KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE);
        assert_eq!(
            km.action_for(&key('G'), Context::Fleet),
            Some(Action::Group)
        );
        assert_eq!(
            km.action_for(&key('G'), Context::Alerts),
            Some(Action::Bottom)
        );
        assert_eq!(
            km.action_for(&key('l'), Context::Fleet),
            Some(Action::Right)
        );
        assert_eq!(km.action_for(&key('l'), Context::List), Some(Action::Logs));
        // Scoped: h does nothing outside the fleet.
        assert_eq!(km.action_for(&key('h'), Context::List), None);
        let end = KeyEvent::new(KeyCode::End, KeyModifiers::NONE);
        assert_eq!(km.action_for(&end, Context::Fleet), Some(Action::Bottom));
    }

    #[test]
    fn no_key_is_bound_twice_by_default() {
        // Twice only when one of the two is scoped to contexts the other
        // does not list.
        let mut seen: std::collections::HashMap<&str, &Binding> = Default::default();
        for b in BINDINGS.iter().copied() {
            for k in b.keys {
                if let Some(other) = seen.insert(*k, b) {
                    let (s, o) = if b.action.scoped() {
                        (b, other)
                    } else {
                        (other, b)
                    };
                    assert!(s.action.scoped(), "{k} bound twice");
                    assert!(
                        s.contexts.iter().all(|c| !o.contexts.contains(c)),
                        "{k}: {:?} and {:?} share a context",
                        s.action,
                        o.action
                    );
                }
            }
        }
    }
}
