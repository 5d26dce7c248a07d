//! The terminal's side of a `tty=true` session: typed bytes become a line
//! as a pty in canonical mode (or an interactive shell's line editor)
//! makes them — each character echoed, Backspace erases one, Ctrl-U the
//! line, Ctrl-C interrupts, Ctrl-D on an empty line is end of input, Enter
//! (`\r`, or `\n`; `\r\n` counts once) ends the line. With history on (a
//! shell at its prompt), Up and Down recall earlier lines; other escape
//! sequences (arrows, function keys) are swallowed.

/// What a chunk of typed bytes amounted to, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Typed {
    /// Bytes to send back to the terminal (the echo).
    Echo(Vec<u8>),
    Line(String),
    Interrupt,
    EndOfInput,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Esc {
    None,
    /// After ESC.
    Start,
    /// After `ESC [` or `ESC O`, with the parameter bytes seen so far.
    Seq,
}

#[derive(Debug, Default)]
pub struct LineEditor {
    buf: Vec<u8>,
    history: Option<Vec<String>>,
    /// Index into the history while recalling (`len` = the new line).
    recall: usize,
    esc: Option<Esc>,
    after_cr: bool,
}

impl LineEditor {
    /// An editor; `history` for a shell's prompt (Up/Down recall lines).
    pub fn new(history: bool) -> LineEditor {
        LineEditor {
            history: history.then(Vec::new),
            ..LineEditor::default()
        }
    }

    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Typed> {
        let mut out = Vec::new();
        let mut echo = Vec::new();
        let flush = |echo: &mut Vec<u8>, out: &mut Vec<Typed>| {
            if !echo.is_empty() {
                out.push(Typed::Echo(std::mem::take(echo)));
            }
        };
        for &b in bytes {
            let after_cr = std::mem::replace(&mut self.after_cr, false);
            match self.esc.unwrap_or(Esc::None) {
                Esc::Start => {
                    self.esc = matches!(b, b'[' | b'O').then_some(Esc::Seq);
                    continue;
                }
                Esc::Seq => {
                    // Parameter bytes continue the sequence; a final byte ends it.
                    if (0x40..=0x7e).contains(&b) {
                        self.esc = None;
                        match b {
                            b'A' => self.recall_step(-1, &mut echo),
                            b'B' => self.recall_step(1, &mut echo),
                            _ => {}
                        }
                    }
                    continue;
                }
                Esc::None => {}
            }
            match b {
                0x1b => self.esc = Some(Esc::Start),
                b'\n' if after_cr => {}
                b'\r' | b'\n' => {
                    self.after_cr = b == b'\r';
                    echo.extend_from_slice(b"\r\n");
                    flush(&mut echo, &mut out);
                    let line = String::from_utf8_lossy(&std::mem::take(&mut self.buf)).into_owned();
                    if let Some(h) = &mut self.history {
                        if !line.trim().is_empty() && h.last() != Some(&line) {
                            h.push(line.clone());
                        }
                        self.recall = h.len();
                    }
                    out.push(Typed::Line(line));
                }
                0x03 => {
                    echo.extend_from_slice(b"^C\r\n");
                    flush(&mut echo, &mut out);
                    self.buf.clear();
                    self.recall = self.history.as_ref().map_or(0, Vec::len);
                    out.push(Typed::Interrupt);
                }
                0x04 if self.buf.is_empty() => {
                    flush(&mut echo, &mut out);
                    out.push(Typed::EndOfInput);
                }
                0x7f | 0x08 => {
                    if self.pop_char() {
                        echo.extend_from_slice(b"\x08 \x08");
                    }
                }
                0x15 => self.erase_line(&mut echo),
                b if b < 0x20 => {}
                b => {
                    self.buf.push(b);
                    echo.push(b);
                }
            }
        }
        flush(&mut echo, &mut out);
        out
    }

    /// Removes the last character (all its UTF-8 bytes).
    fn pop_char(&mut self) -> bool {
        let Some(mut b) = self.buf.pop() else {
            return false;
        };
        while b & 0xc0 == 0x80 {
            match self.buf.pop() {
                Some(x) => b = x,
                None => break,
            }
        }
        true
    }

    fn erase_line(&mut self, echo: &mut Vec<u8>) {
        while self.pop_char() {
            echo.extend_from_slice(b"\x08 \x08");
        }
    }

    fn recall_step(&mut self, step: isize, echo: &mut Vec<u8>) {
        let Some(h) = &self.history else {
            return;
        };
        let next = self.recall as isize + step;
        if next < 0 || next as usize > h.len() {
            return;
        }
        let next = next as usize;
        let line = h.get(next).cloned().unwrap_or_default();
        self.recall = next;
        self.erase_line(echo);
        self.buf = line.into_bytes();
        echo.extend_from_slice(&self.buf);
    }
}
