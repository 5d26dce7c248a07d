//! `ls` and `ps`: listings laid out as BusyBox or GNU/procps lay them out
//! (one name a line into a pipe, columns on a terminal; `-l`, `-a`).

use super::ctx::{Ctx, Ran};
use super::files::{Entry, Node};

/// Six months: older files show the year instead of the time.
const HALF_YEAR_MS: i64 = 182 * 24 * 3600 * 1000;

pub fn ls(ctx: &Ctx, args: &[String]) -> Ran {
    let flags: String = args
        .iter()
        .filter(|a| a.starts_with('-') && a.len() > 1)
        .flat_map(|a| a[1..].chars())
        .collect();
    let long = flags.contains('l');
    let all = flags.contains('a') || flags.contains('A');
    let dots = flags.contains('a');
    let one = flags.contains('1') || !ctx.tty;
    let mut paths: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    let cwd = ctx.cwd.to_string();
    if paths.is_empty() {
        paths.push(&cwd);
    }
    let mut out = String::new();
    let mut err = String::new();
    let mut code = 0;
    let mut files: Vec<(String, &Entry)> = Vec::new();
    let mut dirs: Vec<(&String, String)> = Vec::new();
    for p in &paths {
        let abs = ctx.path(p);
        match ctx.files.get(&abs) {
            Some(
                e @ Entry {
                    node: Node::File(_),
                    ..
                },
            ) => files.push((p.to_string(), e)),
            Some(_) => dirs.push((p, abs)),
            None => {
                code = if ctx.gnu() { 2 } else { 1 };
                if ctx.gnu() {
                    err.push_str(&format!(
                        "ls: cannot access '{p}': No such file or directory\n"
                    ));
                } else {
                    err.push_str(&format!("ls: {p}: No such file or directory\n"));
                }
            }
        }
    }
    if !files.is_empty() {
        out.push_str(&block(ctx, &files, long, one, false));
    }
    let headers = paths.len() > 1;
    for (i, (name, abs)) in dirs.iter().enumerate() {
        if headers {
            if i > 0 || !files.is_empty() {
                out.push('\n');
            }
            out.push_str(&format!("{name}:\n"));
        }
        let mut entries: Vec<(String, &Entry)> = ctx
            .files
            .list(abs)
            .into_iter()
            .filter(|(n, _)| all || !n.starts_with('.'))
            .map(|(n, e)| (n.to_string(), e))
            .collect();
        if dots {
            let here = ctx.files.get(abs);
            let parent = ctx.files.get(&ctx.path(&format!("{abs}/..")));
            let mut with = Vec::new();
            with.extend(here.map(|e| (".".to_string(), e)));
            with.extend(parent.map(|e| ("..".to_string(), e)));
            with.append(&mut entries);
            entries = with;
        }
        out.push_str(&block(ctx, &entries, long, one, true));
    }
    Ran {
        out: out.into_bytes(),
        err: err.into_bytes(),
        code,
    }
}

fn block(ctx: &Ctx, entries: &[(String, &Entry)], long: bool, one: bool, dir: bool) -> String {
    if long {
        let mut out = String::new();
        if dir && ctx.gnu() {
            let blocks: usize = entries
                .iter()
                .map(|(_, e)| match &e.node {
                    Node::Dir => 4,
                    Node::File(b) => b.len().div_ceil(4096) * 4,
                })
                .sum();
            out.push_str(&format!("total {blocks}\n"));
        }
        let width = entries
            .iter()
            .map(|(_, e)| size(e).to_string().len())
            .max()
            .unwrap_or(1);
        for (name, e) in entries {
            let (mode, links) = match e.node {
                Node::Dir => ("drwxr-xr-x", 2),
                Node::File(_) if name.starts_with("/bin") || is_program(e) => ("-rwxr-xr-x", 1),
                Node::File(_) => ("-rw-r--r--", 1),
            };
            let when = stamp(ctx, e.mtime);
            if ctx.gnu() {
                out.push_str(&format!(
                    "{mode} {links} root root {:>width$} {when} {name}\n",
                    size(e)
                ));
            } else {
                out.push_str(&format!(
                    "{mode} {links:>4} root     root     {:>9} {when} {name}\n",
                    size(e)
                ));
            }
        }
        return out;
    }
    let names: Vec<&str> = entries.iter().map(|(n, _)| n.as_str()).collect();
    if one {
        return names.iter().map(|n| format!("{n}\n")).collect();
    }
    columns(&names, usize::from(ctx.size.0.max(1)))
}

fn is_program(e: &Entry) -> bool {
    matches!(&e.node, Node::File(b) if b.starts_with(b"\x7fELF"))
}

fn size(e: &Entry) -> usize {
    match &e.node {
        Node::Dir => 4096,
        Node::File(b) => b.len(),
    }
}

fn stamp(ctx: &Ctx, t: i64) -> String {
    let d = ctx.date(t);
    if (ctx.now - t).abs() < HALF_YEAR_MS {
        d.format("%b %e %H:%M").to_string()
    } else {
        d.format("%b %e  %Y").to_string()
    }
}

/// Names in columns down then across, as `ls` fills a terminal: the
/// fewest rows whose columns (each as wide as its longest name, two
/// spaces apart) fit the width.
fn columns(names: &[&str], width: usize) -> String {
    let len = |n: &str| n.chars().count();
    let mut rows = 1;
    let widths = loop {
        let cols = names.len().div_ceil(rows).max(1);
        let widths: Vec<usize> = (0..cols)
            .map(|c| {
                names[(c * rows).min(names.len())..((c + 1) * rows).min(names.len())]
                    .iter()
                    .map(|n| len(n))
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let total: usize = widths.iter().sum::<usize>() + 2 * (cols - 1);
        if total <= width || rows >= names.len() {
            break widths;
        }
        rows += 1;
    };
    let mut out = String::new();
    for r in 0..rows.min(names.len()) {
        let row: Vec<(usize, &str)> = (0..widths.len())
            .filter_map(|c| names.get(c * rows + r).map(|n| (c, *n)))
            .collect();
        for (i, (c, n)) in row.iter().enumerate() {
            out.push_str(n);
            if i + 1 < row.len() {
                out.push_str(&" ".repeat(widths[*c] - len(n) + 2));
            }
        }
        out.push('\n');
    }
    out
}

pub fn ps(ctx: &Ctx) -> Ran {
    let started = ctx.date(ctx.container.started).format("%H:%M").to_string();
    let now = ctx.date(ctx.now).format("%H:%M").to_string();
    let tty = if ctx.tty { "pts/0" } else { "?" };
    let mut out = String::new();
    if ctx.gnu() {
        out.push_str("UID          PID    PPID  C STIME TTY          TIME CMD\n");
        out.push_str(&format!(
            "root           1       0  0 {started} ?        00:00:00 {}\n",
            ctx.container.main
        ));
        let mut parent = 0;
        for (pid, cmd) in ctx.procs {
            out.push_str(&format!(
                "root     {pid:>7} {parent:>7}  0 {now} {tty:<8} 00:00:00 {cmd}\n"
            ));
            parent = *pid;
        }
    } else {
        out.push_str("PID   USER     TIME  COMMAND\n");
        out.push_str(&format!("    1 root      0:00 {}\n", ctx.container.main));
        for (pid, cmd) in ctx.procs {
            out.push_str(&format!("{pid:>5} root      0:00 {cmd}\n"));
        }
    }
    Ran::ok(out)
}
