#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Drives the real kftui binary in a pseudo-terminal: keys in, screen (vt100) out.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};

/// The binary under test: `KFTUI_BIN` (CI points it at the release build), else the one cargo
/// built for this test run.
pub fn binary() -> PathBuf {
    std::env::var_os("KFTUI_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_kftui")))
}

pub struct Pty {
    pub parser: Arc<Mutex<vt100::Parser>>,
    pub raw: Arc<Mutex<Vec<u8>>>,
    writer: Box<dyn Write + Send>,
    pub child: Box<dyn Child + Send + Sync>,
    _master: Box<dyn MasterPty + Send>,
    _dirs: tempfile::TempDir,
}

impl Pty {
    /// Starts `kftui ARGS` in a `cols`×`rows` terminal with a private config and state dir.
    pub fn spawn(args: &[&str], cols: u16, rows: u16) -> Pty {
        Pty::spawn_bin(&binary(), args, cols, rows)
    }

    /// Starts a given kftui binary.
    pub fn spawn_bin(bin: &std::path::Path, args: &[&str], cols: u16, rows: u16) -> Pty {
        Pty::spawn_env(bin, args, cols, rows, &[])
    }

    /// Starts a given kftui binary with extra environment variables.
    pub fn spawn_env(
        bin: &std::path::Path,
        args: &[&str],
        cols: u16,
        rows: u16,
        env: &[(&str, &str)],
    ) -> Pty {
        let dirs = tempfile::tempdir().unwrap();
        let pair = native_pty_system()
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
        let mut cmd = CommandBuilder::new(bin);
        cmd.args(args);
        cmd.env("TERM", "xterm-256color");
        cmd.env("KFTUI_CONFIG_DIR", dirs.path().join("config"));
        cmd.env("XDG_STATE_HOME", dirs.path().join("state"));
        cmd.env("HOME", dirs.path());
        cmd.env_remove("NO_COLOR");
        cmd.env_remove("KUBECONFIG");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = pair.slave.spawn_command(cmd).unwrap();
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().unwrap();
        let writer = pair.master.take_writer().unwrap();
        let parser = Arc::new(Mutex::new(vt100::Parser::new(rows, cols, 0)));
        let raw = Arc::new(Mutex::new(Vec::new()));
        let (p, r) = (parser.clone(), raw.clone());
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            loop {
                match reader.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        p.lock().unwrap().process(&buf[..n]);
                        r.lock().unwrap().extend_from_slice(&buf[..n]);
                    }
                }
            }
        });
        Pty {
            parser,
            raw,
            writer,
            child,
            _master: pair.master,
            _dirs: dirs,
        }
    }

    /// The state dir the process was given (its log file lives here).
    #[allow(dead_code)]
    pub fn state_dir(&self) -> PathBuf {
        self._dirs.path().join("state")
    }

    pub fn screen(&self) -> String {
        self.parser.lock().unwrap().screen().contents()
    }

    pub fn send(&mut self, bytes: &str) {
        self.writer.write_all(bytes.as_bytes()).unwrap();
        self.writer.flush().unwrap();
    }

    /// Presses Esc alone: a terminal reads ESC followed at once by another byte as alt+that key,
    /// so a person's pause after Esc is part of the key.
    pub fn esc(&mut self) {
        self.send("\x1b");
        std::thread::sleep(Duration::from_millis(150));
    }

    /// Types text one key at a time, as a person would.
    pub fn type_text(&mut self, text: &str) {
        for c in text.chars() {
            self.send(&c.to_string());
            std::thread::sleep(Duration::from_millis(15));
        }
    }

    /// Waits until the screen satisfies `pred`, or fails with the last screen.
    pub fn wait_for(&self, what: &str, timeout: Duration, pred: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if pred(&screen) {
                return screen;
            }
            if start.elapsed() > timeout {
                panic!("timed out after {timeout:?} waiting for {what}; screen:\n{screen}");
            }
            // Fine-grained, so the benchmarks that time the screen measure kftui, not this loop.
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// Waits for the process to exit; returns its exit code.
    pub fn wait_exit(&mut self, timeout: Duration) -> u32 {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                // Let the reader drain what the process wrote last.
                std::thread::sleep(Duration::from_millis(100));
                return status.exit_code();
            }
            if start.elapsed() > timeout {
                let _ = self.child.kill();
                panic!(
                    "kftui did not exit within {timeout:?}; screen:\n{}",
                    self.screen()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Whether the terminal is back to normal: main screen, cursor shown, paste mode off.
    pub fn assert_restored(&self) {
        let parser = self.parser.lock().unwrap();
        let screen = parser.screen();
        assert!(!screen.alternate_screen(), "still on the alternate screen");
        assert!(!screen.hide_cursor(), "cursor still hidden");
        assert!(!screen.bracketed_paste(), "bracketed paste still on");
    }
}

impl Drop for Pty {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}
