//! Input and time, turned into `Msg`s: the crossterm event stream, a clock tick, and signals.

use std::time::Duration;

use crossterm::event::{Event, EventStream, KeyEventKind};
use futures::StreamExt;
use tokio::sync::mpsc;

use crate::app::msg::Msg;
use crate::config::keymap::Key;

/// Reads terminal events until the stream ends or the app stops listening. While `paused` is
/// true (an editor has the terminal) no stream is open, so every key goes to the editor.
pub async fn input(tx: mpsc::Sender<Msg>, mut paused: tokio::sync::watch::Receiver<bool>) {
    loop {
        while *paused.borrow_and_update() {
            if paused.changed().await.is_err() {
                return;
            }
        }
        let mut events = EventStream::new();
        loop {
            let event = tokio::select! {
                event = events.next() => event,
                changed = paused.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    break;
                }
            };
            let msg = match event {
                Some(Ok(Event::Key(k))) if k.kind != KeyEventKind::Release => Msg::Key(Key::from(k)),
                Some(Ok(Event::Resize(width, height))) => Msg::Resize { width, height },
                Some(Ok(Event::Paste(text))) => Msg::Paste(text),
                Some(Ok(_)) => continue,
                Some(Err(e)) => {
                    tracing::warn!("terminal input ended: {e}");
                    let _ = tx.send(Msg::Terminate).await;
                    return;
                }
                None => {
                    let _ = tx.send(Msg::Terminate).await;
                    return;
                }
            };
            if tx.send(msg).await.is_err() {
                return;
            }
        }
    }
}

/// Sends the time once a second; `update` decides whether anything on screen changed.
pub async fn ticks(tx: mpsc::Sender<Msg>) {
    let mut interval = tokio::time::interval(Duration::from_secs(1));
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        interval.tick().await;
        if tx.send(Msg::Tick(chrono::Utc::now())).await.is_err() {
            return;
        }
    }
}

/// Turns SIGTERM, SIGHUP (the SSH connection dropped) and SIGINT into a clean exit.
pub async fn signals(tx: mpsc::Sender<Msg>) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut term), Ok(mut hup), Ok(mut int)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::hangup()),
            signal(SignalKind::interrupt()),
        ) else {
            return;
        };
        tokio::select! {
            _ = term.recv() => {}
            _ = hup.recv() => {}
            _ = int.recv() => {}
        }
        let _ = tx.send(Msg::Terminate).await;
    }
    #[cfg(not(unix))]
    {
        if tokio::signal::ctrl_c().await.is_ok() {
            let _ = tx.send(Msg::Terminate).await;
        }
    }
}
