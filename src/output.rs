//! What the one-shot commands print. Everything goes through here: every
//! registered secret value is masked and every control character except
//! newline and tab is replaced, whatever the text came from (a remote
//! health body, a container name, a runbook's output), and a closed pipe
//! (`opsboard audit show | head`) ends the output quietly instead of
//! panicking.

use std::io::Write;

use crate::model::text::safe_multiline;

/// Writes `text` to stdout, made safe.
pub fn out(text: &str) {
    let mut o = std::io::stdout().lock();
    let _ = o.write_all(safe_multiline(text).as_bytes());
    let _ = o.flush();
}

/// Writes `text` to stderr, made safe.
pub fn err(text: &str) {
    let mut e = std::io::stderr().lock();
    let _ = e.write_all(safe_multiline(text).as_bytes());
    let _ = e.flush();
}

/// `println!` for command output: made safe, never panics.
#[macro_export]
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::output::out(&format!("{}\n", format_args!($($arg)*)))
    };
}

/// `eprintln!` for command output: made safe, never panics.
#[macro_export]
macro_rules! errln {
    ($($arg:tt)*) => {
        $crate::output::err(&format!("{}\n", format_args!($($arg)*)))
    };
}

#[cfg(test)]
mod tests {
    use crate::model::text::safe_multiline;

    #[test]
    fn output_keeps_lines_and_drops_escapes() {
        crate::model::text::register_secret("out-Canary-5150");
        let s = safe_multiline("a\tb\nOSC\x1b]52;c;Zm9v\x07 out-Canary-5150\n");
        assert_eq!(s, "a\tb\nOSC\u{FFFD}]52;c;Zm9v\u{FFFD} ***\n");
    }
}
