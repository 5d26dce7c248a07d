//! The remote alert sources as the board runs them: the real polling
//! tasks (`RemoteSource::spawn`) feeding the real reducer (`update`), and
//! the screen as the user would see it (ratatui's `TestBackend`).
//!
//! Use with `mod support; use support::remote_board;`.

#![allow(dead_code)]

use std::time::{Duration, Instant, SystemTime};

use opsboard::app::alerts::AlertRow;
use opsboard::app::{Banner, Keymap, Msg, State, View, update};
use opsboard::clients::prometheus::{Auth, ServerSpec};
use opsboard::sources::remote::{Polled, RemoteSource};
use opsboard::ui::{self, Theme};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokio::sync::mpsc;

/// A server polled every `interval`, each request given `timeout`.
pub fn polled(name: &str, url: &str, interval: Duration, timeout: Duration) -> Polled {
    Polled {
        spec: ServerSpec {
            name: name.into(),
            url: url::Url::parse(url).expect("a test URL"),
            auth: Auth::None,
            ca_pem: None,
            timeout,
        },
        interval,
    }
}

pub struct Board {
    pub state: State,
    rx: mpsc::Receiver<Msg>,
    _source: RemoteSource,
}

impl Board {
    /// Starts polling; nothing is applied until [`Self::until`].
    pub fn start(prometheus: Vec<Polled>, alertmanagers: Vec<Polled>) -> Board {
        let (tx, rx) = mpsc::channel(1024);
        let source = RemoteSource::spawn(prometheus, alertmanagers, vec![], 0, tx);
        let mut state = State::new(
            vec![],
            Keymap::default(),
            Banner::default(),
            SystemTime::now(),
        );
        update(
            &mut state,
            Msg::Resize {
                width: 140,
                height: 30,
            },
        );
        Board {
            state,
            rx,
            _source: source,
        }
    }

    /// Applies what the sources send, through the reducer, until `check`
    /// passes; panics after `within` with the last reason and the screen.
    pub async fn until(
        &mut self,
        what: &str,
        within: Duration,
        mut check: impl FnMut(&mut Board) -> Result<(), String>,
    ) {
        let deadline = Instant::now() + within;
        loop {
            self.tick();
            let why = match check(self) {
                Ok(()) => return,
                Err(why) => why,
            };
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                let screen = self.screen(View::Alerts);
                panic!(
                    "{what}: not so after {within:?}; last: {why}\nnotice: {:?}\n{screen}",
                    self.state.notice()
                );
            }
            let wait = left.min(Duration::from_millis(500));
            if let Ok(Some(msg)) = tokio::time::timeout(wait, self.rx.recv()).await {
                update(&mut self.state, msg);
                while let Ok(m) = self.rx.try_recv() {
                    update(&mut self.state, m);
                }
            }
        }
    }

    /// The clock moves as it does in the runtime.
    fn tick(&mut self) {
        update(&mut self.state, Msg::Tick(SystemTime::now()));
    }

    /// The whole screen as text, showing `view`.
    pub fn screen(&mut self, view: View) -> String {
        self.tick();
        self.state.view = view;
        let mut term = Terminal::new(TestBackend::new(self.state.width, self.state.height))
            .expect("a test terminal");
        term.draw(|f| ui::render(f, &self.state, &Theme::default()))
            .expect("drawn");
        ui::text::buffer_to_text(term.backend().buffer())
    }

    /// The detail of the alert named `name`, as text.
    pub fn detail(&mut self, name: &str) -> String {
        let Some(row) = self
            .state
            .alerts
            .rows
            .iter()
            .position(|r| r.alert.name == name)
        else {
            return format!("no {name} row");
        };
        self.screen(View::AlertDetail { row, scroll: 0 })
    }

    pub fn row(&self, name: &str) -> Option<&AlertRow> {
        self.state.alerts.rows.iter().find(|r| r.alert.name == name)
    }

    /// The notice line's parts from the alert sources.
    pub fn errors(&self) -> Vec<String> {
        self.state.alerts.errors()
    }
}
