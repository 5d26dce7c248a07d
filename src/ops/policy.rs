//! Safety rules enforced by the action layer itself, whatever the UI shows:
//! read-only mode, read-only environments, protected targets.

use std::collections::BTreeMap;

use crate::model::{Confirmation, Target};

#[derive(Debug, Clone, Default)]
pub struct Policy {
    /// `--read-only` or `read_only = true`: every plan is refused.
    pub read_only: bool,
    /// By name, as `[environments]` declares them.
    pub environments: BTreeMap<String, Environment>,
}

/// What an environment demands of actions on its targets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Environment {
    /// Actions need the target's name typed to confirm.
    pub protected: bool,
    /// Every action is refused.
    pub read_only: bool,
    /// The board may roll back a regressed rollout here by itself even
    /// though the environment is protected.
    pub automatic_rollback: bool,
}

impl Policy {
    /// Whether anything may be done to `target` at all.
    pub fn allows(&self, target: &Target) -> Result<(), String> {
        if self.read_only {
            return Err("read-only mode (--read-only or read_only = true)".into());
        }
        if let Some(env) = &target.environment
            && self.environments.get(env).is_some_and(|e| e.read_only)
        {
            return Err(format!("environment `{env}` is read-only"));
        }
        Ok(())
    }

    /// Of the environments that apply to one target, the strictest: a
    /// read-only one, else a protected one, else the first.
    pub fn strictest(&self, candidates: Vec<String>) -> Option<String> {
        let rank = |name: &String| match self.environments.get(name) {
            Some(e) if e.read_only => 0,
            Some(e) if e.protected => 1,
            _ => 2,
        };
        candidates.into_iter().min_by_key(rank)
    }

    pub fn is_protected(&self, target: &Target) -> bool {
        target
            .environment
            .as_ref()
            .and_then(|e| self.environments.get(e))
            .is_some_and(|e| e.protected)
    }

    /// The confirmation a plan needs: protection always asks for the
    /// target's name, even for a runbook with `confirm = false`.
    pub fn confirmation(&self, target: &Target, wanted: Confirmation) -> Confirmation {
        if self.is_protected(target) {
            Confirmation::TypeName(target.name.clone())
        } else {
            wanted
        }
    }

    /// Whether the board may act on `target` by itself (an automatic
    /// rollback): never in read-only mode (checked by [`Policy::allows`]),
    /// and in a protected environment only when it allows it.
    pub fn allows_automatic(&self, target: &Target) -> Result<(), String> {
        self.allows(target)?;
        if let Some(env) = &target.environment
            && let Some(e) = self.environments.get(env)
            && e.protected
            && !e.automatic_rollback
        {
            return Err(format!(
                "environment `{env}` is protected and does not allow automatic rollback (automatic_rollback = true under [environments.{env}]); roll back by hand with u"
            ));
        }
        Ok(())
    }

    /// Checks, at execution, that a protected target's name was typed.
    pub fn check_typed(&self, target: &Target, typed: Option<&str>) -> Result<(), String> {
        if self.is_protected(target) && typed != Some(target.name.as_str()) {
            let env = target.environment.as_deref().unwrap_or("?");
            return Err(format!(
                "`{}` is in protected environment `{env}`: confirm by typing its name (`--confirm {}` from the command line)",
                target.name, target.name
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(env: Option<&str>) -> Target {
        Target {
            key: "backup/db".into(),
            name: "db".into(),
            service: Some("postgres".into()),
            environment: env.map(str::to_string),
        }
    }

    fn policy() -> Policy {
        let mut environments = BTreeMap::new();
        environments.insert(
            "production".into(),
            Environment {
                protected: true,
                read_only: false,
                automatic_rollback: false,
            },
        );
        environments.insert(
            "frozen".into(),
            Environment {
                protected: false,
                read_only: true,
                automatic_rollback: false,
            },
        );
        Policy {
            read_only: false,
            environments,
        }
    }

    #[test]
    fn read_only_refuses_everything() {
        let p = Policy {
            read_only: true,
            ..policy()
        };
        assert!(p.allows(&target(None)).unwrap_err().contains("read-only"));
        assert!(p.allows(&target(Some("production"))).is_err());
    }

    #[test]
    fn read_only_environment_refuses_its_targets_only() {
        let p = policy();
        assert!(
            p.allows(&target(Some("frozen")))
                .unwrap_err()
                .contains("`frozen` is read-only")
        );
        assert!(p.allows(&target(Some("production"))).is_ok());
    }

    #[test]
    fn protected_needs_the_name_typed() {
        let p = policy();
        let t = target(Some("production"));
        assert_eq!(
            p.confirmation(&t, Confirmation::None),
            Confirmation::TypeName("db".into())
        );
        assert!(p.check_typed(&t, None).is_err());
        assert!(p.check_typed(&t, Some("DB")).is_err());
        assert!(p.check_typed(&t, Some("db")).is_ok());
        assert!(p.check_typed(&target(None), None).is_ok());
    }

    #[test]
    fn automatic_actions_need_the_environment_to_allow_them() {
        let mut p = policy();
        let prod = target(Some("production"));
        assert!(
            p.allows_automatic(&prod)
                .unwrap_err()
                .contains("does not allow automatic rollback")
        );
        assert!(p.allows_automatic(&target(None)).is_ok());
        assert!(p.allows_automatic(&target(Some("frozen"))).is_err());
        if let Some(e) = p.environments.get_mut("production") {
            e.automatic_rollback = true;
        }
        assert!(p.allows_automatic(&prod).is_ok());
        p.read_only = true;
        assert!(p.allows_automatic(&prod).unwrap_err().contains("read-only"));
    }
}
