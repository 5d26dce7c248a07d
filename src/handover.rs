//! Handing the terminal to an exec session and taking it back.
//!
//! The board leaves the alternate screen (raw mode stays on: the remote
//! side has a terminal of its own and echoes), stops reading keys and
//! passes every byte typed to the session and every byte it writes to the
//! screen, tells it the window's size (and every change), until the
//! command exits or the operator presses Ctrl-]. Then the modes a program
//! in the session may have left on are reset and the board is drawn again
//! in full, as it was. Messages from the sources keep being applied to
//! the state meanwhile, so the board comes back current.
//!
//! The session is the operator's own terminal for its duration: its bytes
//! are not drawn by opsboard, so they are passed as they are, control
//! sequences included, as `kubectl exec -it` and `docker exec -it` do.

use std::io;
use std::os::fd::AsFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crossterm::event::EventStream;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;

use crate::app::Msg;
use crate::ops::exec::{LEAVE_KEY, Session, SessionEnd};
use crate::terminal::TerminalGuard;

/// How long the exit code may take once the output has ended.
const EXIT_WAIT: Duration = Duration::from_secs(10);

/// Runs `session` on the terminal; `on_msg` applies what the sources
/// send meanwhile. The board's key reader, `events`, is stopped first (it
/// would take keys meant for the session) and a fresh one is returned.
pub async fn run(
    guard: &mut TerminalGuard,
    events: EventStream,
    session: Session,
    rx: &mut mpsc::Receiver<Msg>,
    on_msg: impl FnMut(Msg),
) -> io::Result<EventStream> {
    // Dropping the reader wakes its thread, which then lets go of
    // crossterm's input lock; a new reader takes that lock when it is
    // made, so it is made only once the session is over.
    drop(events);
    tokio::time::sleep(Duration::from_millis(30)).await;
    let result = pump(guard, session, rx, on_msg).await;
    let events = EventStream::new();
    result.map(|()| events)
}

async fn pump(
    guard: &mut TerminalGuard,
    session: Session,
    rx: &mut mpsc::Receiver<Msg>,
    mut on_msg: impl FnMut(Msg),
) -> io::Result<()> {
    let mut out = tokio::io::stdout();
    crossterm::execute!(
        io::stdout(),
        crossterm::terminal::LeaveAlternateScreen,
        crossterm::cursor::Show
    )?;
    // Two short lines: they fit 80 columns without wrapping mid-word.
    let banner = format!(
        "\r\n\x1b[1mopsboard\x1b[0m ▸ {}\r\n\x1b[2mexit, or Ctrl-], returns to the board\x1b[0m\r\n",
        crate::model::text::safe(&session.title)
    );
    out.write_all(banner.as_bytes()).await?;
    out.flush().await?;
    let Session {
        mut input,
        mut output,
        resize,
        exit,
        ended,
        ..
    } = session;
    if let Ok((w, h)) = crossterm::terminal::size() {
        let _ = resize.send((w, h));
    }
    let mut winch = signal(SignalKind::window_change())?;
    // The runtime's own listeners see these too and quit after the
    // session; the session just ends first.
    let mut hangup = signal(SignalKind::hangup())?;
    let mut terminate = signal(SignalKind::terminate())?;
    let keys = KeyReader::start();
    let mut keys_rx = keys.rx;
    let mut buf = vec![0u8; 16 * 1024];
    let mut input_open = true;
    let left = loop {
        tokio::select! {
            typed = keys_rx.recv(), if input_open => match typed {
                Some(bytes) => {
                    if let Some(i) = bytes.iter().position(|b| *b == LEAVE_KEY) {
                        if i > 0 {
                            let _ = input.write_all(&bytes[..i]).await;
                        }
                        break Some("left with Ctrl-]");
                    }
                    if input.write_all(&bytes).await.and(input.flush().await).is_err() {
                        // The remote side stopped reading: its output
                        // will end soon.
                        input_open = false;
                    }
                }
                // The terminal is gone (the SSH connection dropped): no one
                // is left to type, so leave rather than wait for ever.
                None => break Some("the terminal went away"),
            },
            n = output.read(&mut buf) => match n {
                Ok(0) | Err(_) => break None,
                Ok(n) => {
                    out.write_all(&buf[..n]).await?;
                    out.flush().await?;
                }
            },
            _ = winch.recv() => {
                if let Ok((w, h)) = crossterm::terminal::size() {
                    let _ = resize.send((w, h));
                }
            }
            Some(m) = rx.recv() => on_msg(m),
            _ = hangup.recv() => break Some("the terminal hung up (SIGHUP)"),
            _ = terminate.recv() => break Some("opsboard was told to stop (SIGTERM)"),
        }
    };
    let end = if let Some(why) = left {
        SessionEnd::Left(why.to_string())
    } else {
        match tokio::time::timeout(EXIT_WAIT, exit).await {
            Ok(Ok(code)) => SessionEnd::Exited(code),
            Ok(Err(e)) => SessionEnd::Failed(e),
            Err(_) => SessionEnd::Failed(format!(
                "no exit code within {}s of the output's end",
                EXIT_WAIT.as_secs()
            )),
        }
    };
    drop(input);
    drop(output);
    drop(keys_rx);
    keys.stop.store(true, Ordering::SeqCst);
    let _ = tokio::task::spawn_blocking(move || keys.thread.join()).await;
    take_back(guard)?;
    let _ = ended.send(end);
    Ok(())
}

/// Resets what a program in the session may have left on (cursor-key and
/// keypad modes, bracketed paste, mouse reporting, colours, the scroll
/// region), then enters the board's screen again and forgets what was on
/// it, so the next frame is drawn in full.
fn take_back(guard: &mut TerminalGuard) -> io::Result<()> {
    use std::io::Write;
    let mut o = io::stdout();
    o.write_all(
        b"\x1b[0m\x1b[r\x1b[?1l\x1b>\x1b[?2004l\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l\x1b[?25h",
    )?;
    crossterm::terminal::enable_raw_mode()?;
    crossterm::execute!(
        o,
        crossterm::terminal::EnterAlternateScreen,
        crossterm::terminal::Clear(crossterm::terminal::ClearType::All),
        crossterm::cursor::Hide
    )?;
    // ratatui's own clear asks the terminal where its cursor is, which a
    // slow link may not answer in time; a blank frame makes its idea of
    // the screen match the cleared one instead, so the board's next frame
    // is drawn in full.
    guard.terminal.autoresize()?;
    guard
        .terminal
        .draw(|f| f.render_widget(ratatui::widgets::Clear, f.area()))?;
    Ok(())
}

/// Reads the keys typed, on a thread of its own: it looks every 50 ms
/// whether it should stop, so it never takes a key after the session.
struct KeyReader {
    rx: mpsc::Receiver<Vec<u8>>,
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<()>,
}

impl KeyReader {
    fn start() -> KeyReader {
        let (tx, rx) = mpsc::channel(64);
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            use nix::poll::{PollFd, PollFlags, poll};
            let stdin = io::stdin();
            let fd = stdin.as_fd();
            let mut buf = [0u8; 4096];
            while !flag.load(Ordering::SeqCst) {
                let mut fds = [PollFd::new(fd, PollFlags::POLLIN)];
                match poll(&mut fds, 50u16) {
                    Ok(0) => continue,
                    Ok(_) => {}
                    Err(nix::errno::Errno::EINTR) => continue,
                    Err(_) => return,
                }
                match nix::unistd::read(fd, &mut buf) {
                    Ok(0) => return,
                    Ok(n) => {
                        if tx.blocking_send(buf[..n].to_vec()).is_err() {
                            return;
                        }
                    }
                    Err(nix::errno::Errno::EINTR | nix::errno::Errno::EAGAIN) => {}
                    Err(_) => return,
                }
            }
        });
        KeyReader { rx, stop, thread }
    }
}
