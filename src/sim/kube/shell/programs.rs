//! The programs on the container's `PATH`, each a pure function of its
//! arguments, its standard input and what it may look at ([`Ctx`]): the
//! files, the environment, the terminal, the clock. Their output is the
//! BusyBox applet's or the GNU tool's, as the image has.

use super::ctx::{Ctx, Ran};
use super::files::Node;
use super::image::{Distro, programs};
use super::listing;

/// The program `name` names (`ls`, `/bin/ls`), if the image has it.
pub fn find(distro: Distro, name: &str) -> Option<&'static str> {
    let (dir, base) = match name.rsplit_once('/') {
        Some((d, b)) => (Some(d), b),
        None => (None, name),
    };
    let dirs = ["/bin", "/usr/bin", "/sbin", "/usr/sbin", "/usr/local/bin"];
    if dir.is_some_and(|d| !dirs.contains(&d)) {
        return None;
    }
    programs(distro).iter().copied().find(|p| *p == base)
}

/// Runs a program that is not a shell (`find` said it exists).
pub fn run(ctx: &Ctx, program: &str, args: &[String], stdin: &[u8]) -> Ran {
    match program {
        "cat" => cat(ctx, args, stdin),
        "echo" => echo(args),
        "printf" => printf(args),
        "env" | "printenv" => env(ctx, program, args),
        "hostname" => match args.first().map(String::as_str) {
            Some("-i") => Ran::ok(format!("{}\n", ctx.container.pod_ip)),
            _ => Ran::ok(format!("{}\n", ctx.container.pod)),
        },
        "pwd" => Ran::ok(format!("{}\n", ctx.cwd)),
        "true" | "sleep" => Ran::default(),
        "false" => Ran {
            code: 1,
            ..Ran::default()
        },
        "clear" => Ran::ok(b"\x1b[H\x1b[2J\x1b[3J".to_vec()),
        "date" => date(ctx, args),
        "uname" => uname(ctx, args),
        "id" => Ran::ok("uid=0(root) gid=0(root) groups=0(root)\n"),
        "whoami" => Ran::ok("root\n"),
        "stty" => stty(ctx, args),
        "grep" => grep(ctx, args, stdin),
        "head" | "tail" => head_tail(ctx, program, args, stdin),
        "wc" => wc(ctx, args, stdin),
        "which" => which(ctx, args),
        "ls" => listing::ls(ctx, args),
        "ps" => listing::ps(ctx),
        other => Ran::fail(127, format!("{other}: not simulated")),
    }
}

/// The contents of the files named (`-` or none: standard input), or the
/// error for the first that cannot be read.
fn inputs(
    ctx: &Ctx,
    tool: &str,
    names: &[&String],
    stdin: &[u8],
) -> Result<Vec<(String, Vec<u8>)>, Ran> {
    if names.is_empty() {
        return Ok(vec![(String::new(), stdin.to_vec())]);
    }
    let mut out = Vec::new();
    for n in names {
        if n.as_str() == "-" {
            out.push((String::new(), stdin.to_vec()));
            continue;
        }
        match ctx.files.get(&ctx.path(n)).map(|e| &e.node) {
            Some(Node::File(b)) => out.push((n.to_string(), b.clone())),
            Some(Node::Dir) if ctx.gnu() => {
                return Err(Ran::fail(1, format!("{tool}: {n}: Is a directory")));
            }
            Some(Node::Dir) => {
                return Err(Ran::fail(1, format!("{tool}: read error: Is a directory")));
            }
            None if ctx.gnu() => {
                return Err(Ran::fail(
                    1,
                    format!("{tool}: {n}: No such file or directory"),
                ));
            }
            None => {
                return Err(Ran::fail(
                    1,
                    format!("{tool}: can't open '{n}': No such file or directory"),
                ));
            }
        }
    }
    Ok(out)
}

fn operands(args: &[String]) -> Vec<&String> {
    args.iter()
        .filter(|a| !a.starts_with('-') || a.as_str() == "-")
        .collect()
}

fn cat(ctx: &Ctx, args: &[String], stdin: &[u8]) -> Ran {
    match inputs(ctx, "cat", &operands(args), stdin) {
        Ok(all) => Ran::ok(all.into_iter().flat_map(|(_, b)| b).collect::<Vec<u8>>()),
        Err(e) => e,
    }
}

fn unescape(s: &str) -> (String, bool) {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('e') => out.push('\x1b'),
            Some('\\') => out.push('\\'),
            Some('c') => return (out, true),
            Some(o) => {
                out.push('\\');
                out.push(o);
            }
            None => out.push('\\'),
        }
    }
    (out, false)
}

fn echo(args: &[String]) -> Ran {
    let mut newline = true;
    let mut escapes = false;
    let mut rest = args;
    while let Some(flag) = rest.first() {
        let f = flag.as_str();
        if f.len() < 2
            || !f.starts_with('-')
            || !f[1..].chars().all(|c| matches!(c, 'n' | 'e' | 'E'))
        {
            break;
        }
        newline &= !f.contains('n');
        escapes = f.contains('e');
        rest = &rest[1..];
    }
    let mut text = rest.join(" ");
    if escapes {
        let (t, stop) = unescape(&text);
        text = t;
        newline &= !stop;
    }
    if newline {
        text.push('\n');
    }
    Ran::ok(text)
}

fn printf(args: &[String]) -> Ran {
    let Some(format) = args.first() else {
        return Ran::fail(1, "printf: usage: printf format [arguments]");
    };
    let (format, _) = unescape(format);
    let mut values = args[1..].iter();
    let mut out = String::new();
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('%') => out.push('%'),
            Some('s') => out.push_str(values.next().map_or("", String::as_str)),
            Some('d' | 'i') => {
                let v = values.next().map_or("0", String::as_str);
                out.push_str(&v.trim().parse::<i64>().unwrap_or(0).to_string());
            }
            Some(o) => {
                out.push('%');
                out.push(o);
            }
            None => out.push('%'),
        }
    }
    Ran::ok(out)
}

fn env(ctx: &Ctx, program: &str, args: &[String]) -> Ran {
    if program == "printenv" && !args.is_empty() {
        let found: Vec<&str> = args.iter().filter_map(|a| ctx.var(a)).collect();
        let code = if found.len() == args.len() { 0 } else { 1 };
        let mut out = String::new();
        for v in found {
            out.push_str(v);
            out.push('\n');
        }
        return Ran {
            out: out.into_bytes(),
            code,
            ..Ran::default()
        };
    }
    let mut out = String::new();
    for (k, v) in ctx.env {
        out.push_str(&format!("{k}={v}\n"));
    }
    Ran::ok(out)
}

fn date(ctx: &Ctx, args: &[String]) -> Ran {
    use chrono::format::{Item, StrftimeItems};
    let now = ctx.date(ctx.now);
    let format = args
        .iter()
        .find_map(|a| a.strip_prefix('+'))
        .unwrap_or("%a %b %e %H:%M:%S UTC %Y");
    let items: Vec<Item> = StrftimeItems::new(format).collect();
    if items.iter().any(|i| matches!(i, Item::Error)) {
        return Ran::fail(1, format!("date: invalid format '{format}'"));
    }
    let mut text = String::new();
    use std::fmt::Write;
    if write!(text, "{}", now.format_with_items(items.into_iter())).is_err() {
        return Ran::fail(1, format!("date: invalid format '{format}'"));
    }
    text.push('\n');
    Ran::ok(text)
}

const KERNEL: &str = "6.6.12-sim";
const KERNEL_VERSION: &str = "#1 SMP PREEMPT_DYNAMIC Fri Jan 26 16:00:00 UTC 2024";

fn uname(ctx: &Ctx, args: &[String]) -> Ran {
    let os = if ctx.gnu() { "GNU/Linux" } else { "Linux" };
    let flags: String = args.iter().filter_map(|a| a.strip_prefix('-')).collect();
    let all = flags.contains('a');
    let fields = [
        ('s', "Linux"),
        ('n', ctx.container.pod.as_str()),
        ('r', KERNEL),
        ('v', KERNEL_VERSION),
        ('m', "x86_64"),
        ('o', os),
    ];
    let chosen: Vec<&str> = fields
        .iter()
        .filter(|(f, _)| all || flags.contains(*f))
        .map(|(_, v)| *v)
        .collect();
    let text = if chosen.is_empty() {
        "Linux".to_string()
    } else {
        chosen.join(" ")
    };
    Ran::ok(format!("{text}\n"))
}

fn stty(ctx: &Ctx, args: &[String]) -> Ran {
    if !ctx.tty {
        return Ran::fail(1, "stty: standard input: Not a tty");
    }
    match args.first().map(String::as_str) {
        Some("size") => Ran::ok(format!("{} {}\n", ctx.size.1, ctx.size.0)),
        None => Ran::ok("speed 38400 baud; line = 0;\n"),
        Some(other) => Ran::fail(1, format!("stty: invalid argument '{other}'")),
    }
}

fn grep(ctx: &Ctx, args: &[String], stdin: &[u8]) -> Ran {
    let flags: String = args
        .iter()
        .filter(|a| a.starts_with('-') && a.len() > 1)
        .flat_map(|a| a[1..].chars())
        .collect();
    let mut words = operands(args).into_iter();
    let Some(pattern) = words.next() else {
        return Ran::fail(2, "Usage: grep [OPTIONS] PATTERN [FILE]...");
    };
    let files: Vec<&String> = words.collect();
    let all = match inputs(ctx, "grep", &files, stdin) {
        Ok(a) => a,
        Err(mut e) => {
            e.code = 2;
            return e;
        }
    };
    let fold = flags.contains('i');
    let needle = if fold {
        pattern.to_lowercase()
    } else {
        pattern.to_string()
    };
    let many = all.len() > 1;
    let mut out = String::new();
    let mut count = 0;
    for (name, bytes) in &all {
        for line in String::from_utf8_lossy(bytes).lines() {
            let hay = if fold {
                line.to_lowercase()
            } else {
                line.to_string()
            };
            if hay.contains(&needle) != flags.contains('v') {
                count += 1;
                if many {
                    out.push_str(&format!("{name}:"));
                }
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    if flags.contains('c') {
        out = format!("{count}\n");
    }
    if flags.contains('q') {
        out.clear();
    }
    Ran {
        out: out.into_bytes(),
        code: if count > 0 { 0 } else { 1 },
        ..Ran::default()
    }
}

fn head_tail(ctx: &Ctx, program: &str, args: &[String], stdin: &[u8]) -> Ran {
    let mut n = 10usize;
    let mut files = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "-n" {
            n = it.next().and_then(|v| v.parse().ok()).unwrap_or(n);
        } else if let Some(v) = a
            .strip_prefix("-n")
            .or_else(|| a.strip_prefix('-'))
            .filter(|v| !v.is_empty())
        {
            n = v.parse().unwrap_or(n);
        } else {
            files.push(a);
        }
    }
    let all = match inputs(ctx, program, &files, stdin) {
        Ok(a) => a,
        Err(e) => return e,
    };
    let mut out = String::new();
    for (_, bytes) in all {
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let lines: Vec<&str> = text.lines().collect();
        let pick = if program == "head" {
            &lines[..n.min(lines.len())]
        } else {
            &lines[lines.len().saturating_sub(n)..]
        };
        for l in pick {
            out.push_str(l);
            out.push('\n');
        }
    }
    Ran::ok(out)
}

fn wc(ctx: &Ctx, args: &[String], stdin: &[u8]) -> Ran {
    let flags: String = args
        .iter()
        .filter(|a| a.starts_with('-') && a.len() > 1)
        .flat_map(|a| a[1..].chars())
        .collect();
    let files = operands(args);
    let all = match inputs(ctx, "wc", &files, stdin) {
        Ok(a) => a,
        Err(e) => return e,
    };
    let mut out = String::new();
    for (name, bytes) in all {
        let text = String::from_utf8_lossy(&bytes);
        let counts = [
            ('l', bytes.iter().filter(|&&b| b == b'\n').count()),
            ('w', text.split_whitespace().count()),
            ('c', bytes.len()),
        ];
        let shown: Vec<String> = counts
            .iter()
            .filter(|(f, _)| flags.is_empty() || flags.contains(*f))
            .map(|(_, n)| {
                if flags.len() == 1 {
                    n.to_string()
                } else {
                    format!("{n:>7}")
                }
            })
            .collect();
        out.push_str(&shown.join(" "));
        if !name.is_empty() {
            out.push(' ');
            out.push_str(&name);
        }
        out.push('\n');
    }
    Ran::ok(out)
}

fn which(ctx: &Ctx, args: &[String]) -> Ran {
    let mut out = String::new();
    let mut code = 0;
    for a in args {
        match find(ctx.container.distro(), a) {
            Some(p) if !a.contains('/') => out.push_str(&format!("/bin/{p}\n")),
            Some(_) => out.push_str(&format!("{a}\n")),
            None => code = 1,
        }
    }
    Ran {
        out: out.into_bytes(),
        code,
        ..Ran::default()
    }
}
