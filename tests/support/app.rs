//! The whole app without a terminal, against the embedded cluster: State, the real keymap, the
//! real effect runner and its message channel. Keys in, State and screen out.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use chrono::{FixedOffset, Utc};
use kftui::app::effect::Effect;
use kftui::app::msg::Msg;
use kftui::app::runner::EffectRunner;
use kftui::app::state::{ConnState, State, Target};
use kftui::app::update::update;
use kftui::config::keymap::{Key, Keymap, parse_keys};
use kftui::config::theme::Theme;
use kftui::kube::ClusterSource;
use kftui::sim::SimHandle;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokio::sync::mpsc;

use super::sim_support::{NS, start};

pub const TIMEOUT: Duration = Duration::from_secs(30);
pub const W: u16 = 160;
pub const H: u16 = 40;

pub struct App {
    pub sim: SimHandle,
    pub state: State,
    pub keymap: Keymap,
    pub runner: EffectRunner,
    pub rx: mpsc::Receiver<Msg>,
    /// Every effect `update` asked for, in order.
    pub effects: Vec<Effect>,
}

impl App {
    /// The demo cluster, looking at the first profile namespace.
    pub async fn start() -> App {
        App::on(start().await)
    }

    pub fn on(sim: SimHandle) -> App {
        let (tx, rx) = mpsc::channel(1024);
        let source = ClusterSource::Yaml(sim.kubeconfig_yaml());
        let runner = EffectRunner::new(source, None, tx, None);
        let target = Target {
            context: kftui::sim::CONTEXT.into(),
            namespace: Some(NS.into()),
            server_version: None,
            conn: ConnState::Connecting,
            demo: true,
        };
        let mut app = App {
            sim,
            state: State::new(target, Utc::now()),
            keymap: Keymap::builtin("default").unwrap(),
            runner,
            rx,
            effects: Vec::new(),
        };
        app.send(Msg::Resize { width: W, height: H });
        app
    }

    pub fn send(&mut self, msg: Msg) {
        for effect in update(&mut self.state, &self.keymap, msg) {
            self.effects.push(effect.clone());
            match effect {
                Effect::Suspend | Effect::FullRedraw => {}
                other => self.runner.run(other),
            }
        }
    }

    pub fn press(&mut self, keys: &str) {
        for k in parse_keys(keys).unwrap() {
            self.send(Msg::Key(k));
        }
    }

    pub fn type_text(&mut self, text: &str) {
        for c in text.chars() {
            self.send(Msg::Key(Key::char(c)));
        }
    }

    /// `:LINE` and enter.
    pub fn command(&mut self, line: &str) {
        self.press(":");
        self.type_text(line);
        self.press("enter");
    }

    /// Handles messages until `cond` holds; the panic shows the screen.
    pub async fn until(&mut self, what: &str, cond: impl Fn(&State) -> bool) {
        let deadline = Instant::now() + TIMEOUT;
        while !cond(&self.state) {
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, self.rx.recv()).await {
                Ok(Some(msg)) => self.send(msg),
                Ok(None) => panic!("every sender is gone while waiting for {what}"),
                Err(_) => panic!(
                    "timed out waiting for {what}; notice {:?}\n{}",
                    self.state.notice,
                    self.screen().join("\n")
                ),
            }
        }
    }

    /// Handles messages for a while.
    pub async fn pump(&mut self, d: Duration) {
        let deadline = Instant::now() + d;
        while let Ok(Some(msg)) = tokio::time::timeout_at(deadline.into(), self.rx.recv()).await {
            self.send(msg);
        }
    }

    /// The screen as text, one string per row.
    pub fn screen(&self) -> Vec<String> {
        screen_of(&self.state, &self.keymap, W, H)
    }

    /// Quits: the runner's tasks and the cluster end.
    pub async fn stop(mut self) {
        self.send(Msg::Terminate);
        self.runner.shutdown().await;
        self.sim.shutdown().await;
    }

    pub fn screen_has(&self, text: &str) -> bool {
        self.screen().iter().any(|l| l.contains(text))
    }
}

/// The screen `state` draws at `width` x `height`, one string per row.
pub fn screen_of(state: &State, keymap: &Keymap, width: u16, height: u16) -> Vec<String> {
    let theme = Theme::builtin("default").unwrap();
    let view = kftui::ui::View {
        theme: &theme,
        keymap,
        tz: FixedOffset::east_opt(0).unwrap(),
    };
    let mut term = Terminal::new(TestBackend::new(width, height)).unwrap();
    term.draw(|f| kftui::ui::render(state, &view, f)).unwrap();
    let buf = term.backend().buffer();
    (0..height)
        .map(|y| (0..width).map(|x| buf[(x, y)].symbol()).collect::<String>())
        .collect()
}
