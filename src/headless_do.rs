//! `opsboard do`: the same plans, policy, confirmation and audit as the
//! board, from a script.

use std::io::{BufRead, IsTerminal, Write};

use tokio::sync::mpsc;

use crate::app::{Msg, OpsEvent};
use crate::assemble::Assembled;
use crate::model::{ActionRequest, Confirmation, Outcome, fmt_bytes};
use crate::ops::{self, Command};

pub struct DoOptions {
    pub yes: bool,
    pub dry_run: bool,
    /// The target's name, for a protected target.
    pub confirm: Option<String>,
}

/// Plans, confirms, runs and follows one action. Returns the exit code:
/// 0 done, 1 refused/failed/not confirmed.
pub async fn run(assembled: Assembled, request: ActionRequest, opts: DoOptions) -> i32 {
    let (tx, mut rx) = mpsc::channel::<Msg>(1024);
    let ctx = ops::OpsContext {
        catalog: assembled.catalog,
        policy: assembled.policy,
        audit: assembled.audit,
        kube: assembled.kube,
        docker: assembled.docker,
        image_history: assembled.image_history,
        handover: None,
    };
    let ops = ops::spawn(ctx, tx);
    ops.send(Command::Plan(request));
    let plan = loop {
        match rx.recv().await {
            Some(Msg::Ops(OpsEvent::Planned(p))) => break p,
            Some(Msg::Ops(OpsEvent::Refused { what, reason })) => {
                crate::errln!("refused: {what}: {reason}");
                return 1;
            }
            Some(Msg::Ops(OpsEvent::AuditFailed(e))) => crate::errln!("warning: audit log: {e}"),
            Some(_) => {}
            None => return 1,
        }
    };
    crate::outln!("plan: {}   (risk: {})", plan.summary(), plan.risk.word());
    for w in &plan.what_will_happen {
        crate::outln!("  • {w}");
    }
    for (k, v) in &plan.parameters {
        crate::outln!("  {k}: {v}");
    }
    if let Some(f) = &plan.follow_up {
        crate::outln!("  afterwards: checks that {f}");
    }
    if opts.dry_run {
        ops.send(Command::DryRun(Box::new(plan)));
        flush(&ops).await;
        if let Some(e) = audit_failure(&mut rx) {
            crate::errln!("dry run NOT recorded: audit log: {e}");
            return 1;
        }
        crate::outln!("dry run: nothing was done");
        return 0;
    }
    let typed = match &plan.confirmation {
        Confirmation::TypeName(name) => match (&opts.confirm, opts.yes) {
            (Some(c), _) => Some(c.clone()),
            (None, _) if std::io::stdin().is_terminal() => {
                ask(&format!("protected target: type `{name}` to run: "))
            }
            (None, _) => {
                crate::errln!("not run: `{name}` is protected; pass --confirm {name}");
                ops.send(Command::Decline(Box::new(plan)));
                flush(&ops).await;
                if let Some(e) = audit_failure(&mut rx) {
                    crate::errln!("warning: the decline was not recorded: audit log: {e}");
                }
                return 1;
            }
        },
        Confirmation::YesNo if !opts.yes => {
            let yes = std::io::stdin().is_terminal()
                && ask("run it? [y/N] ")
                    .is_some_and(|a| a.eq_ignore_ascii_case("y") || a.eq_ignore_ascii_case("yes"));
            if !yes {
                crate::errln!("not run (pass --yes to run without asking)");
                ops.send(Command::Decline(Box::new(plan)));
                flush(&ops).await;
                if let Some(e) = audit_failure(&mut rx) {
                    crate::errln!("warning: the decline was not recorded: audit log: {e}");
                }
                return 1;
            }
            None
        }
        _ => None,
    };
    ops.send(Command::Execute {
        plan: Box::new(plan),
        typed,
    });
    let mut last_progress = std::time::Instant::now();
    loop {
        match rx.recv().await {
            Some(Msg::Ops(OpsEvent::Refused { what, reason })) => {
                crate::errln!("refused: {what}: {reason}");
                return 1;
            }
            Some(Msg::Ops(OpsEvent::JobStarted { job, .. })) => crate::errln!("started job {job}"),
            Some(Msg::Ops(OpsEvent::JobOutput { line, .. })) => crate::outln!("{line}"),
            Some(Msg::Ops(OpsEvent::JobProgress { progress, .. })) => {
                if last_progress.elapsed().as_millis() >= 1000 {
                    last_progress = std::time::Instant::now();
                    let mut parts = Vec::new();
                    if let Some(p) = progress.phase {
                        parts.push(p);
                    }
                    if let Some(b) = progress.bytes {
                        parts.push(fmt_bytes(b));
                    }
                    crate::errln!("… {}", parts.join(" · "));
                }
            }
            Some(Msg::Ops(OpsEvent::JobFinished { result, .. })) => {
                let code = result
                    .exit_code
                    .map(|c| format!(" (exit {c})"))
                    .unwrap_or_default();
                crate::outln!("{}{code}: {}", result.outcome.word(), result.message);
                if let Some(f) = &result.follow_up {
                    crate::outln!(
                        "follow-up {}: {}",
                        if f.passed { "passed" } else { "FAILED" },
                        f.detail
                    );
                }
                return if result.outcome == Outcome::Succeeded {
                    0
                } else {
                    1
                };
            }
            Some(Msg::Ops(OpsEvent::AuditFailed(e))) => crate::errln!("warning: audit log: {e}"),
            Some(_) => {}
            None => return 1,
        }
    }
}

/// An audit failure reported by the action layer, if any is queued.
fn audit_failure(rx: &mut mpsc::Receiver<Msg>) -> Option<String> {
    while let Ok(m) = rx.try_recv() {
        if let Msg::Ops(OpsEvent::AuditFailed(e)) = m {
            return Some(e);
        }
    }
    None
}

/// Waits until the action layer has handled (and audited) everything sent.
async fn flush(ops: &ops::Ops) {
    let (tx, rx) = tokio::sync::oneshot::channel();
    ops.send(Command::Flush(tx));
    let _ = rx.await;
}

fn ask(prompt: &str) -> Option<String> {
    crate::output::err(prompt);
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).ok()?;
    Some(line.trim().to_string())
}
