//! `x`: a shell in a pod's container through the exec subresource (WebSocket,
//! `v5.channel.k8s.io`), the real binary in a pseudo-terminal: keys in, the container's output
//! out, and the UI back when the shell exits.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/pty.rs"]
#[allow(dead_code)]
mod pty;

use std::time::Duration;

const NOTEBOOK: &str = "jupyter-scipy";

#[test]
fn x_opens_a_shell_in_the_notebook_runs_a_command_and_exit_brings_the_ui_back() {
    let mut t = pty::Pty::spawn_env(&pty::binary(), &["--demo"], 120, 30, &[]);
    t.send("4");
    t.wait_for("the notebooks", Duration::from_secs(20), |s| s.contains(NOTEBOOK));
    t.send("/");
    t.type_text(NOTEBOOK);
    t.send("\r");
    t.wait_for("the filter", Duration::from_secs(5), |s| {
        s.contains("Notebooks (1 of")
    });
    t.send("x");
    t.wait_for("the shell's banner", Duration::from_secs(20), |s| {
        s.contains(&format!("kftui: shell in pod/{NOTEBOOK}-0"))
    });
    t.wait_for("a prompt", Duration::from_secs(20), |s| {
        s.lines().any(|l| l.contains(&format!("@{NOTEBOOK}-0")))
    });
    t.type_text("echo hi-from-the-pod\r");
    t.wait_for("the command's output", Duration::from_secs(10), |s| {
        s.lines().any(|l| l.trim() == "hi-from-the-pod")
    });
    t.type_text("hostname\r");
    t.wait_for("the pod's hostname", Duration::from_secs(10), |s| {
        s.lines().any(|l| l.trim() == format!("{NOTEBOOK}-0"))
    });
    t.type_text("exit\r");
    t.wait_for("the UI back", Duration::from_secs(10), |s| {
        s.contains("Notebooks (1 of")
            && s.contains(&format!("shell in pod/{NOTEBOOK}-0"))
            && s.contains("ended (exit 0)")
    });
    // Keys are the UI's again.
    t.send("5");
    t.wait_for("the models pane", Duration::from_secs(10), |s| {
        s.contains(" Models (")
    });
    t.send("q");
    t.wait_exit(Duration::from_secs(10));
}

#[test]
fn x_on_a_notebook_without_a_running_pod_says_so_and_stays() {
    let mut t = pty::Pty::spawn_env(&pty::binary(), &["--demo"], 120, 30, &[]);
    t.send("4");
    t.wait_for("the notebooks", Duration::from_secs(20), |s| {
        s.contains("rstudio-stats")
    });
    // The demo's stopped notebook has no pod.
    t.send("/");
    t.type_text("rstudio-stats");
    t.send("\r");
    t.send("x");
    t.wait_for("the refusal", Duration::from_secs(20), |s| {
        s.contains("notebook/rstudio-stats has no pods")
    });
    t.send("q");
    t.wait_exit(Duration::from_secs(10));
}

#[test]
fn read_only_offers_no_shell() {
    let mut t = pty::Pty::spawn_env(&pty::binary(), &["--demo", "--readonly"], 120, 30, &[]);
    t.send("4");
    t.wait_for("the notebooks", Duration::from_secs(20), |s| s.contains(NOTEBOOK));
    t.send("x");
    t.wait_for("the refusal", Duration::from_secs(10), |s| {
        s.contains("read-only")
    });
    t.send("?");
    let help = t.wait_for("help", Duration::from_secs(5), |s| s.contains("help"));
    assert!(!help.contains("Open a shell"), "{help}");
    t.send("q");
    t.send("q");
    t.wait_exit(Duration::from_secs(10));
}
