//! Entering and, whatever happens, leaving the terminal's UI mode.
//!
//! The guard restores on drop (normal return and `?` errors); ratatui's
//! panic hook (chained before the previous hook) restores on panic; the
//! runtime turns SIGTERM/SIGHUP into a clean return.

use std::io::{self, Stdout};
use std::mem::ManuallyDrop;

use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

pub type Tui = Terminal<CrosstermBackend<Stdout>>;

pub struct TerminalGuard {
    /// Never dropped: ratatui's `Terminal::drop` shows the cursor and, when
    /// that fails (the SSH connection is gone), prints to a dead stderr,
    /// which panics inside a drop and aborts. The guard restores instead,
    /// ignoring errors.
    pub terminal: ManuallyDrop<Tui>,
}

impl TerminalGuard {
    pub fn enter() -> io::Result<TerminalGuard> {
        // try_init installs a panic hook that restores the terminal and then
        // calls the previous hook (color-eyre's), so a panic prints readably.
        let terminal = ratatui::try_init()?;
        Ok(TerminalGuard {
            terminal: ManuallyDrop::new(terminal),
        })
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        // Errors are ignored: on SIGHUP the terminal may already be gone.
        let _ = ratatui::try_restore();
        let _ = crossterm::execute!(io::stdout(), crossterm::cursor::Show);
    }
}
