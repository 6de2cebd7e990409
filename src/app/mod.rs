//! The app: one State, a pure `update`, a pure render, and an event loop that runs effects.

pub mod action;
pub mod cluster;
pub mod connections;
pub mod detail;
pub mod effect;
pub mod experiments;
pub mod filter;
pub mod form;
pub mod list;
pub mod logs;
pub mod models;
pub mod monitor;
pub mod msg;
pub mod notebook_form;
pub mod pane;
pub mod picker;
pub mod pipelines;
pub mod run_actions;
pub mod runner;
pub mod sort;
pub mod state;
pub mod subs;
pub mod training;
pub mod update;
pub mod viewer;
pub mod views;

use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use crate::app::effect::Effect;
use crate::app::msg::Msg;
use crate::app::runner::EffectRunner;
use crate::app::state::State;
use crate::config::keymap::Keymap;
use crate::config::theme::Theme;
use crate::terminal::TerminalGuard;
use crate::ui::{self, View};

/// The shortest time between two frames (about 60 per second).
pub const FRAME: Duration = Duration::from_millis(16);

/// Frame timings, logged at exit (`KFTUI_LOG=info`): what the benchmarks read.
#[derive(Debug, Default)]
pub struct FrameStats {
    micros: Vec<u32>,
}

impl FrameStats {
    fn record(&mut self, d: Duration) {
        if self.micros.len() < 1_000_000 {
            self.micros.push(u32::try_from(d.as_micros()).unwrap_or(u32::MAX));
        }
    }

    /// `frames N, p50 X µs, p99 Y µs, max Z µs, over 16 ms: K`.
    pub fn summary(&self) -> String {
        let mut v = self.micros.clone();
        v.sort_unstable();
        let pct = |p: usize| v.get((v.len().saturating_sub(1)) * p / 100).copied().unwrap_or(0);
        let over = v.iter().filter(|m| **m > 16_000).count();
        format!(
            "frames {}, p50 {} µs, p99 {} µs, max {} µs, over 16 ms: {over}",
            v.len(),
            pct(50),
            pct(99),
            v.last().copied().unwrap_or(0)
        )
    }
}

/// Everything the loop owns.
pub struct App {
    pub state: State,
    pub keymap: Keymap,
    pub theme: Theme,
    pub tz: chrono::FixedOffset,
}

/// Runs the UI until the user quits or a signal arrives. Drains every pending message, then
/// draws once if anything changed, at most once per [`FRAME`].
pub async fn run(
    mut app: App,
    term: &mut TerminalGuard,
    mut runner: EffectRunner,
    mut rx: mpsc::Receiver<Msg>,
    input_paused: tokio::sync::watch::Sender<bool>,
) -> anyhow::Result<()> {
    let size = term.terminal.size()?;
    let mut effects = update::update(
        &mut app.state,
        &app.keymap,
        Msg::Resize {
            width: size.width,
            height: size.height,
        },
    );
    let mut stats = FrameStats::default();
    effects.extend(draw(&mut app, term, &mut stats)?);
    let mut last_draw = Instant::now();
    if !app.state.target.context.is_empty() {
        runner.probe(&app.state.target.context);
    }
    let mut buf = Vec::with_capacity(256);
    while app.state.running {
        let pending: Vec<Effect> = std::mem::take(&mut effects);
        for effect in pending {
            match effect {
                Effect::OpenShell { context, target } => {
                    let _ = input_paused.send(true);
                    tokio::time::sleep(Duration::from_millis(30)).await;
                    term.leave_for_shell(&format!(
                        "kftui: shell in pod/{} ({}), namespace {}; exit returns to kftui",
                        target.pod, target.container, target.namespace
                    ))?;
                    let end = runner.shell(&context, &target).await;
                    term.back_from_shell()?;
                    let _ = input_paused.send(false);
                    app.state.dirty = true;
                    effects.extend(update::update(
                        &mut app.state,
                        &app.keymap,
                        Msg::ShellEnded { target, end },
                    ));
                }
                Effect::OpenEditor(doc) => {
                    // Input stops first, so every key goes to the editor.
                    let _ = input_paused.send(true);
                    tokio::time::sleep(Duration::from_millis(30)).await;
                    let hint = format!("{}-{}", doc.target.namespace, doc.target.name);
                    let result = term.edit(&doc.text, &hint).await?;
                    let _ = input_paused.send(false);
                    app.state.dirty = true;
                    effects.extend(update::update(
                        &mut app.state,
                        &app.keymap,
                        Msg::Edited { doc, result },
                    ));
                }
                Effect::Suspend => {
                    term.suspend()?;
                    app.state.dirty = true;
                }
                Effect::FullRedraw => {
                    term.clear()?;
                    app.state.dirty = true;
                }
                Effect::Copy(text) => crate::terminal::copy_osc52(&text),
                other => runner.run(other),
            }
        }
        if app.state.dirty {
            let due = last_draw + FRAME;
            if Instant::now() >= due {
                effects.extend(draw(&mut app, term, &mut stats)?);
                last_draw = Instant::now();
            } else {
                tokio::select! {
                    n = rx.recv_many(&mut buf, 256) => if n == 0 { break },
                    _ = tokio::time::sleep_until(due.into()) => {}
                }
            }
        } else if rx.recv_many(&mut buf, 256).await == 0 {
            break;
        }
        for msg in buf.drain(..) {
            effects.extend(update::update(&mut app.state, &app.keymap, msg));
        }
    }
    runner.shutdown().await;
    tracing::info!("{}", stats.summary());
    Ok(())
}

fn draw(app: &mut App, term: &mut TerminalGuard, stats: &mut FrameStats) -> std::io::Result<Vec<Effect>> {
    let started = Instant::now();
    app.state.take_dirty();
    let view = View {
        theme: &app.theme,
        keymap: &app.keymap,
        tz: app.tz,
    };
    let state = &app.state;
    term.terminal.draw(|f| ui::render(state, &view, f))?;
    // What the frame laid out that `update` keeps scrolling inside: the open detail's end.
    let end = ui::detail_end(state, &view);
    stats.record(started.elapsed());
    Ok(if end == app.state.detail_end {
        Vec::new()
    } else {
        update::update(&mut app.state, &app.keymap, Msg::DetailEnd(end))
    })
}
