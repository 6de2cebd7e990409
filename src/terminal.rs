//! The terminal, always given back: an RAII guard, a panic hook, and suspend/resume for ctrl-z.
//! Signals (SIGTERM, SIGHUP) end the event loop, and the guard's Drop restores the terminal.
//! Nothing here queries the terminal (no cursor-position request), so a slow or silent pty
//! cannot block start-up.

use std::io::{self, BufWriter, Stdout, Write};

use crossterm::event::{DisableBracketedPaste, EnableBracketedPaste};
use crossterm::execute;
use crossterm::terminal::{EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

pub type Backend = CrosstermBackend<BufWriter<Stdout>>;

/// Owns the terminal while the UI is up; dropping it restores the terminal.
pub struct TerminalGuard {
    pub terminal: Terminal<Backend>,
}

fn enter_modes() -> io::Result<()> {
    enable_raw_mode()?;
    execute!(
        io::stdout(),
        EnterAlternateScreen,
        EnableBracketedPaste,
        crossterm::cursor::Hide
    )?;
    Ok(())
}

/// Leaves raw mode and the alternate screen, and shows the cursor. Safe to call more than once,
/// and from a panic hook.
pub fn restore() {
    let _ = disable_raw_mode();
    let mut out = io::stdout();
    let _ = execute!(
        out,
        DisableBracketedPaste,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
    let _ = out.flush();
}

impl TerminalGuard {
    pub fn enter() -> io::Result<TerminalGuard> {
        install_panic_hook();
        enter_modes()?;
        let backend = CrosstermBackend::new(BufWriter::with_capacity(64 * 1024, io::stdout()));
        match Terminal::new(backend) {
            Ok(terminal) => Ok(TerminalGuard { terminal }),
            Err(e) => {
                restore();
                Err(e)
            }
        }
    }

    /// Gives the terminal back to the shell and stops the process (ctrl-z); returns after `fg`,
    /// with the UI's modes back on and the next frame drawn in full.
    pub fn suspend(&mut self) -> io::Result<()> {
        restore();
        #[cfg(unix)]
        {
            let _ = nix::sys::signal::raise(nix::sys::signal::Signal::SIGTSTP);
        }
        enter_modes()?;
        self.terminal.clear()
    }

    /// Gives the terminal to the user's editor on `text` (in a private temporary file named after
    /// `hint`), and takes it back when the editor exits, with the next frame drawn in full.
    /// Returns the file's text, or why the editor could not run.
    pub async fn edit(&mut self, text: &str, hint: &str) -> io::Result<Result<String, String>> {
        restore();
        let result = run_editor(text, hint).await;
        enter_modes()?;
        self.terminal.clear()?;
        Ok(result)
    }

    /// Leaves the UI's screen for a remote shell: the main screen, raw mode kept (every key goes
    /// to the container as typed), the cursor shown, a line saying where the shell is.
    pub fn leave_for_shell(&mut self, banner: &str) -> io::Result<()> {
        let mut out = io::stdout();
        execute!(
            out,
            DisableBracketedPaste,
            LeaveAlternateScreen,
            crossterm::cursor::Show
        )?;
        write!(out, "{banner}\r\n")?;
        out.flush()
    }

    /// Comes back from a remote shell: the UI's screen and modes, drawn in full next.
    pub fn back_from_shell(&mut self) -> io::Result<()> {
        write!(io::stdout(), "\r\n")?;
        enter_modes()?;
        self.terminal.clear()
    }

    /// Clears the screen so the next draw repaints every cell.
    pub fn clear(&mut self) -> io::Result<()> {
        self.terminal.clear()
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

/// Restores the terminal before the default panic message prints, so the message is readable
/// and the shell is usable.
pub fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        previous(info);
    }));
}

/// The OSC 52 sequence that puts `text` on the terminal's clipboard (`ESC ] 52 ; c ; … BEL`).
pub fn osc52(text: &str) -> String {
    use base64::Engine;
    format!(
        "\x1b]52;c;{}\x07",
        base64::engine::general_purpose::STANDARD.encode(text)
    )
}

/// The local terminal's keys and sizes while a remote shell has it. Keys are read by a thread
/// that polls stdin and stops when this is dropped, so no read is left waiting to take the
/// UI's next key.
pub struct Passthrough {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    reader: Option<std::thread::JoinHandle<()>>,
    resizer: tokio::task::JoinHandle<()>,
}

impl Passthrough {
    /// Starts reading; returns the keys' bytes and the terminal's new sizes.
    pub fn start() -> (
        Passthrough,
        tokio::sync::mpsc::Receiver<Vec<u8>>,
        tokio::sync::mpsc::Receiver<(u16, u16)>,
    ) {
        use std::sync::atomic::Ordering;
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (keys_tx, keys) = tokio::sync::mpsc::channel(64);
        let (sizes_tx, sizes) = tokio::sync::mpsc::channel(8);
        let flag = stop.clone();
        let reader = std::thread::spawn(move || {
            use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
            let stdin = io::stdin();
            let mut buf = [0u8; 4096];
            while !flag.load(Ordering::Relaxed) {
                let mut fds = [PollFd::new(std::os::fd::AsFd::as_fd(&stdin), PollFlags::POLLIN)];
                match poll(&mut fds, PollTimeout::from(50u16)) {
                    Ok(0) => continue,
                    Ok(_) => match nix::unistd::read(&stdin, &mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            if keys_tx.blocking_send(buf[..n].to_vec()).is_err() {
                                break;
                            }
                        }
                    },
                    Err(nix::errno::Errno::EINTR) => continue,
                    Err(_) => break,
                }
            }
        });
        let resizer = tokio::spawn(async move {
            #[cfg(unix)]
            {
                use tokio::signal::unix::{SignalKind, signal};
                let Ok(mut winch) = signal(SignalKind::window_change()) else {
                    return;
                };
                while winch.recv().await.is_some() {
                    if let Ok(size) = crossterm::terminal::size()
                        && sizes_tx.send(size).await.is_err()
                    {
                        return;
                    }
                }
            }
        });
        (
            Passthrough {
                stop,
                reader: Some(reader),
                resizer,
            },
            keys,
            sizes,
        )
    }
}

impl Drop for Passthrough {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        self.resizer.abort();
        if let Some(r) = self.reader.take() {
            let _ = r.join();
        }
    }
}

/// The editor the user chose: `$VISUAL`, else `$EDITOR`, else `vi`, split into the program and
/// its arguments (`code --wait`), as kubectl does.
fn editor_command() -> Vec<String> {
    ["VISUAL", "EDITOR"]
        .iter()
        .filter_map(|k| std::env::var(k).ok())
        .find(|v| !v.trim().is_empty())
        .unwrap_or_else(|| "vi".to_string())
        .split_whitespace()
        .map(String::from)
        .collect()
}

/// Writes `text` to a new file only the user can read, runs the editor on it, reads it back and
/// removes it.
async fn run_editor(text: &str, hint: &str) -> Result<String, String> {
    use std::os::unix::fs::OpenOptionsExt;
    let safe: String = hint
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let path = std::env::temp_dir().join(format!("kftui-edit-{}-{safe}.yaml", std::process::id()));
    let write = || -> io::Result<()> {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)?;
        f.write_all(text.as_bytes())
    };
    write().map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    let command = editor_command();
    let (program, args) = command.split_first().ok_or("no editor is set")?;
    let status = tokio::process::Command::new(program)
        .args(args)
        .arg(&path)
        .status()
        .await;
    let read = std::fs::read_to_string(&path);
    let _ = std::fs::remove_file(&path);
    match status {
        Ok(s) if s.success() => read.map_err(|e| format!("cannot read the edited file: {e}")),
        Ok(s) => Err(format!(
            "the editor ({program}) exited with {s}; nothing was saved"
        )),
        Err(e) => Err(format!(
            "cannot run the editor {program:?} ($VISUAL, $EDITOR, else vi): {e}"
        )),
    }
}

/// Copies `text` to the clipboard of the terminal kftui runs in (over SSH too), when stdout is a
/// terminal; a terminal without OSC 52 ignores it.
pub fn copy_osc52(text: &str) {
    use std::io::IsTerminal;
    let mut out = io::stdout();
    if out.is_terminal() {
        let _ = out.write_all(osc52(text).as_bytes());
        let _ = out.flush();
    }
}

#[cfg(test)]
mod osc52_tests {
    #[test]
    fn osc52_is_base64_between_the_escape_and_bel() {
        assert_eq!(super::osc52("hi"), "\x1b]52;c;aGk=\x07");
    }
}
