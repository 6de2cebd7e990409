#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The real binary in a pseudo-terminal: keys in, screen out.

#[path = "support/pty.rs"]
mod pty;

use std::time::Duration;

use pty::Pty;

const START: Duration = Duration::from_secs(30);

/// The run count in the Runs pane's title: `Runs (42)` or `Runs (3 of 42)`.
fn title_counts(screen: &str) -> Option<(usize, usize)> {
    let line = screen.lines().find(|l| l.contains(" Runs ("))?;
    let inner = line.split(" Runs (").nth(1)?.split(')').next()?;
    match inner.split_once(" of ") {
        Some((a, b)) => Some((a.trim().parse().ok()?, b.trim().parse().ok()?)),
        None => {
            let n = inner.trim().parse().ok()?;
            Some((n, n))
        }
    }
}

/// Rows of the runs table that show a status word.
fn status_cells(screen: &str) -> Vec<String> {
    screen
        .lines()
        .filter(|l| {
            ["Running", "Succeeded", "Failed", "Pending", "Error", "Suspended"]
                .iter()
                .any(|w| l.contains(w))
        })
        .map(str::to_string)
        .collect()
}

#[test]
fn demo_shows_live_runs_filters_and_quits_cleanly() {
    let mut t = Pty::spawn(&["--demo", "--seed", "7"], 120, 32);
    let screen = t.wait_for("runs in the Runs pane", START, |s| {
        title_counts(s).is_some_and(|(n, _)| n > 0) && status_cells(s).len() > 3
    });
    for tab in [
        "Pipelines",
        "Runs",
        "Logs",
        "Notebooks",
        "Models",
        "Training",
        "Experiments",
    ] {
        assert!(screen.contains(tab), "tab {tab} missing:\n{screen}");
    }
    assert!(
        screen.contains("kftui-sim"),
        "header names the context:\n{screen}"
    );
    assert!(
        screen.contains("connected"),
        "header shows the connection:\n{screen}"
    );

    // Runs move on screen with no key pressed.
    let before = status_cells(&screen);
    t.wait_for("a run to change on screen", Duration::from_secs(40), |s| {
        status_cells(s) != before
    });

    // `/` narrows the list to the rows that match.
    let (_, total) = title_counts(&t.screen()).unwrap();
    t.send("/");
    t.type_text("Failed");
    let filtered = t.wait_for("the filter to narrow the list", Duration::from_secs(5), |s| {
        title_counts(s).is_some_and(|(n, m)| n < m)
    });
    let (shown, all) = title_counts(&filtered).unwrap();
    assert!(shown < all && all >= total.min(all), "{filtered}");
    for line in status_cells(&filtered) {
        assert!(
            line.contains("Failed"),
            "a row that does not match stayed: {line}"
        );
    }
    t.send("\r");
    t.send("q");
    assert_eq!(t.wait_exit(Duration::from_secs(10)), 0);
    t.assert_restored();
}

#[test]
fn panes_help_and_command_line_work_from_the_keyboard() {
    let mut t = Pty::spawn(&["--demo"], 100, 30);
    t.wait_for("first rows", START, |s| {
        title_counts(s).is_some_and(|(n, _)| n > 0)
    });
    t.send("4");
    t.wait_for(
        "the Notebooks pane listing the demo notebooks",
        Duration::from_secs(10),
        |s| s.contains("┌ Notebooks (") && s.contains("jupyter-scipy"),
    );
    t.send("\t");
    t.wait_for(
        "tab to the Models pane listing the demo models",
        Duration::from_secs(10),
        |s| s.contains("┌ Models (") && !s.contains("Loading models"),
    );
    t.send("?");
    let help = t.wait_for("the help overlay", Duration::from_secs(5), |s| s.contains("Help"));
    assert!(help.contains(":quit"), "help lists commands:\n{help}");
    t.esc();
    t.send(":");
    t.type_text("runs\r");
    t.wait_for("the Runs pane after :runs", Duration::from_secs(5), |s| {
        title_counts(s).is_some()
    });
    t.send(":");
    t.type_text("nonsense\r");
    t.wait_for("an unknown-command notice", Duration::from_secs(5), |s| {
        s.contains("unknown command")
    });
    t.send(":");
    t.type_text("quit\r");
    assert_eq!(t.wait_exit(Duration::from_secs(10)), 0);
    t.assert_restored();
}

#[test]
fn sigterm_and_sighup_restore_the_terminal() {
    for signal in ["TERM", "HUP"] {
        let mut t = Pty::spawn(&["--demo"], 80, 24);
        t.wait_for("first frame", START, |s| s.contains("Runs"));
        let pid = t.child.process_id().expect("pid");
        let status = std::process::Command::new("kill")
            .args([format!("-{signal}"), pid.to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        t.wait_exit(Duration::from_secs(10));
        t.assert_restored();
    }
}

#[test]
fn no_cluster_says_so_and_suggests_demo() {
    let mut t = Pty::spawn(&["--kubeconfig", "/nonexistent/kubeconfig"], 100, 24);
    t.wait_for("the offline notice", START, |s| {
        s.contains("--demo") && s.contains("offline")
    });
    t.send("q");
    assert_eq!(t.wait_exit(Duration::from_secs(10)), 0);
    t.assert_restored();
}

#[test]
fn an_idle_screen_writes_nothing_to_the_terminal() {
    // Offline: nothing changes, so after the first frames not one byte may be written.
    let mut t = Pty::spawn(&["--kubeconfig", "/nonexistent/kubeconfig"], 100, 24);
    t.wait_for("the offline notice", START, |s| s.contains("offline"));
    std::thread::sleep(Duration::from_millis(500));
    let before = t.raw.lock().unwrap().len();
    std::thread::sleep(Duration::from_secs(3));
    let after = t.raw.lock().unwrap().len();
    assert_eq!(after - before, 0, "an idle kftui wrote {} bytes", after - before);
    // One key that changes one line writes a few hundred bytes, not a screen.
    t.send("/");
    t.type_text("x");
    std::thread::sleep(Duration::from_millis(300));
    let typed = t.raw.lock().unwrap().len() - after;
    assert!(
        typed > 0 && typed < 600,
        "typing a filter character wrote {typed} bytes"
    );
    t.send("q");
}

#[test]
fn ns_command_shows_another_namespaces_runs() {
    let mut t = Pty::spawn(&["--demo"], 140, 30);
    t.wait_for("first rows", START, |s| {
        title_counts(s).is_some_and(|(n, _)| n > 0)
    });
    t.send(":");
    t.type_text("ns team-vision\r");
    let screen = t.wait_for("team-vision's runs", Duration::from_secs(15), |s| {
        s.contains("│ ns team-vision │") && title_counts(s).is_some_and(|(n, _)| n > 0)
    });
    assert!(
        screen.contains("image-classifier"),
        "team-vision runs image-classifier:\n{screen}"
    );
    // The picker: profiles listed, type to narrow, enter picks.
    t.send("\x0e"); // ctrl-n
    t.wait_for("the namespace picker", Duration::from_secs(10), |s| {
        s.contains("Kubeflow profile")
    });
    t.type_text("example");
    t.send("\r");
    t.wait_for(
        "back in kubeflow-user-example-com",
        Duration::from_secs(15),
        |s| {
            s.contains("│ ns kubeflow-user-example-com │")
                && !s.contains("Namespace —")
                && title_counts(s).is_some_and(|(n, _)| n > 0)
        },
    );
    t.send("q");
    assert_eq!(t.wait_exit(Duration::from_secs(10)), 0);
}

/// A free loopback port.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `kftui sim` on a fixed port, headless.
fn start_sim(port: u16, kubeconfig: &std::path::Path) -> std::process::Child {
    let child = std::process::Command::new(pty::binary())
        .args(["sim", "--listen", &format!("127.0.0.1:{port}"), "--kubeconfig"])
        .arg(kubeconfig)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(start.elapsed() < START, "kftui sim did not start listening");
        std::thread::sleep(Duration::from_millis(50));
    }
    while !kubeconfig.exists() {
        std::thread::sleep(Duration::from_millis(20));
    }
    child
}

#[test]
fn recovers_when_the_api_server_goes_away_and_comes_back() {
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    let port = free_port();
    let mut sim = start_sim(port, &kubeconfig);
    let mut t = Pty::spawn(&["--kubeconfig", kubeconfig.to_str().unwrap()], 120, 30);
    t.wait_for("first rows", START, |s| {
        title_counts(s).is_some_and(|(n, _)| n > 0)
    });

    let _ = std::process::Command::new("kill")
        .arg(sim.id().to_string())
        .status();
    sim.wait().unwrap();
    let screen = t.wait_for("the stale marker", Duration::from_secs(30), |s| {
        s.contains("reconnecting")
    });
    assert!(
        title_counts(&screen).is_some_and(|(n, _)| n > 0),
        "rows stay on screen while reconnecting:\n{screen}"
    );

    std::fs::remove_file(&kubeconfig).unwrap();
    let mut sim = start_sim(port, &kubeconfig);
    t.wait_for("recovery without a restart", Duration::from_secs(60), |s| {
        s.contains("● connected") && !s.contains("stale") && title_counts(s).is_some_and(|(n, _)| n > 0)
    });
    t.send("q");
    assert_eq!(t.wait_exit(Duration::from_secs(10)), 0);
    let _ = sim.kill();
    let _ = sim.wait();
}

#[test]
fn a_runs_logs_arrive_merged_and_search_highlights_matches() {
    let mut t = Pty::spawn(&["--demo"], 140, 32);
    t.wait_for("first rows", START, |s| {
        title_counts(s).is_some_and(|(n, _)| n > 0)
    });
    // The second and third rows are running in the seeded demo.
    t.send("j");
    t.send("l");
    let screen = t.wait_for("log lines", Duration::from_secs(20), |s| {
        s.contains("Logs workflow/") && s.contains(" │ ")
    });
    assert!(screen.contains("following"), "{screen}");
    t.send("/");
    t.type_text("loss\r");
    t.wait_for("the search to find matches", Duration::from_secs(5), |s| {
        s.contains("loss")
    });
    t.send("f");
    t.wait_for("follow paused", Duration::from_secs(5), |s| s.contains("paused"));
    t.send("q");
    assert_eq!(t.wait_exit(Duration::from_secs(10)), 0);
    t.assert_restored();
}

#[test]
fn a_hostile_log_line_changes_neither_the_title_nor_the_screen_outside_the_view() {
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    let port = free_port();
    let mut sim = start_sim(port, &kubeconfig);
    let hostile = "before\u{1b}]0;PWNED\u{7}\u{1b}[2J\u{1b}[H\u{1b}]52;c;cm0gLXJmIC8=\u{7}\u{9b}31mafter\u{8}\u{8}\rEND\n";
    let pod = serde_json::json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "evil-logger", "namespace": "kubeflow-user-example-com",
                     "annotations": {"sim.kftui.dev/log": hostile}},
        "spec": {"containers": [{"name": "main", "image": "busybox"}]}
    });
    let yaml = std::fs::read_to_string(&kubeconfig).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let kc = kube::config::Kubeconfig::from_yaml(&yaml).unwrap();
        let config = kube::Config::from_custom_kubeconfig(kc, &Default::default())
            .await
            .unwrap();
        let client = kube::Client::try_from(config).unwrap();
        let pods: kube::Api<k8s_openapi::api::core::v1::Pod> =
            kube::Api::namespaced(client, "kubeflow-user-example-com");
        pods.create(&Default::default(), &serde_json::from_value(pod).unwrap())
            .await
            .unwrap();
    });
    let mut t = Pty::spawn(&["--kubeconfig", kubeconfig.to_str().unwrap()], 120, 30);
    t.wait_for("first rows", START, |s| {
        title_counts(s).is_some_and(|(n, _)| n > 0)
    });
    t.send(":");
    t.type_text("logs pod/evil-logger\r");
    let screen = t.wait_for("the hostile line, neutralised", Duration::from_secs(20), |s| {
        s.contains("END")
    });
    let parser = t.parser.lock().unwrap();
    assert_eq!(parser.screen().title(), "", "a log line set the terminal title");
    assert!(
        screen.contains("before␛]0;PWNED␇"),
        "escapes are shown, not obeyed:\n{screen}"
    );
    assert!(
        screen.contains("kftui │ ctx kftui-sim"),
        "the header survived:\n{screen}"
    );
    let raw = t.raw.lock().unwrap();
    assert!(
        !raw.windows(4).any(|w| w == b"\x1b]0;" || w == b"\x1b]52"),
        "an OSC sequence reached the terminal"
    );
    drop(raw);
    drop(parser);
    t.send("q");
    t.wait_exit(Duration::from_secs(10));
    let _ = sim.kill();
    let _ = sim.wait();
}

#[test]
fn stop_a_notebook_and_see_it_stopped() {
    let mut t = Pty::spawn(&["--demo"], 120, 30);
    t.wait_for("first rows", START, |s| {
        title_counts(s).is_some_and(|(n, _)| n > 0)
    });
    t.send("4");
    t.wait_for("the demo notebooks", Duration::from_secs(10), |s| {
        s.lines()
            .any(|l| l.contains("jupyter-scipy") && l.contains("Ready"))
    });
    t.send("/");
    t.type_text("jupyter-scipy\r");
    t.send("s");
    t.wait_for("the confirmation", Duration::from_secs(5), |s| {
        s.contains("Stop notebook jupyter-scipy?")
    });
    t.send("y");
    t.wait_for("the notebook stopped", Duration::from_secs(30), |s| {
        s.lines()
            .any(|l| l.contains("jupyter-scipy") && l.contains("■ Stopped"))
    });
    t.send(":");
    t.type_text("quit\r");
    assert_eq!(t.wait_exit(Duration::from_secs(10)), 0);
    t.assert_restored();
}

#[test]
fn open_a_running_run_stop_it_and_see_it_end() {
    let mut t = Pty::spawn(&["--demo"], 140, 36);
    t.wait_for("first rows", START, |s| {
        title_counts(s).is_some_and(|(n, _)| n > 0)
    });
    // Only running runs, then open the first.
    t.send("/");
    t.type_text("Running\r");
    t.wait_for("a running run", Duration::from_secs(30), |s| {
        status_cells(s).first().is_some_and(|l| l.contains("● Running"))
    });
    t.send("\r");
    t.wait_for("its step graph, running", Duration::from_secs(10), |s| {
        s.lines()
            .take(4)
            .any(|l| l.contains("● Running") && l.contains("] ─"))
    });
    t.send("s");
    t.wait_for("the confirmation", Duration::from_secs(5), |s| {
        s.contains("Stop run ") && s.contains("exit handlers still run")
    });
    t.send("y");
    t.wait_for("the run ended", Duration::from_secs(30), |s| {
        s.lines()
            .take(4)
            .any(|l| (l.contains("Failed") || l.contains("Succeeded")) && l.contains(" · "))
    });
    t.esc();
    t.send(":");
    t.type_text("quit\r");
    assert_eq!(t.wait_exit(Duration::from_secs(10)), 0);
    t.assert_restored();
}

#[test]
fn from_pipelines_start_a_run_and_land_on_it_in_runs() {
    let mut t = Pty::spawn(&["--demo"], 140, 36);
    t.wait_for("first rows", START, |s| {
        title_counts(s).is_some_and(|(n, _)| n > 0)
    });
    t.send("1");
    t.wait_for("the pipelines", Duration::from_secs(20), |s| {
        s.lines().any(|l| l.contains("hello-world") && l.contains("KFP"))
    });
    t.send("/");
    t.type_text("hello-world\r");
    t.send("+");
    t.wait_for("the new-run form", Duration::from_secs(20), |s| {
        s.contains("New run · pipeline hello-world")
    });
    t.send("\x13"); // ctrl-s
    t.wait_for(
        "the new run, open in the Runs pane",
        Duration::from_secs(30),
        |s| {
            // The run detail's title: the new Workflow with its phase.
            s.lines().take(4).any(|l| {
                l.contains("hello-world-")
                    && ["Pending", "Running", "Succeeded"].iter().any(|p| l.contains(p))
            })
        },
    );
    t.esc();
    t.wait_for("the run selected in the list", Duration::from_secs(10), |s| {
        // A long name keeps its start and its distinguishing end (the time it was started).
        s.contains("Runs (") && s.contains("Run of hello-")
    });
    t.send(":");
    t.type_text("quit\r");
    assert_eq!(t.wait_exit(Duration::from_secs(10)), 0);
    t.assert_restored();
}

#[test]
fn from_a_notebook_to_its_pod_its_events_and_back_to_the_notebook() {
    let mut t = Pty::spawn(&["--demo"], 140, 36);
    t.wait_for("first rows", START, |s| {
        title_counts(s).is_some_and(|(n, _)| n > 0)
    });
    // The notebook that cannot pull its image: `o` opens its pods.
    t.send("4");
    t.wait_for("the demo notebooks", Duration::from_secs(10), |s| {
        s.contains("pytorch-gpu")
    });
    t.send("/");
    t.type_text("pytorch-gpu\r");
    t.send("o");
    let screen = t.wait_for("the notebook's pod", Duration::from_secs(10), |s| {
        s.contains("pods of notebook/pytorch-gpu")
            && s.lines()
                .any(|l| l.contains("pytorch-gpu-0") && l.contains("ImagePullBackOff"))
    });
    assert!(screen.contains("8 Pods"), "the tab names the kind:\n{screen}");
    // Describe: the container's state and the pull failures.
    t.send("d");
    t.wait_for("the pod described", Duration::from_secs(10), |s| {
        s.contains("Describe — pod/pytorch-gpu-0") && s.contains("QoS Class:")
    });
    t.send("\x04");
    t.wait_for("its container", Duration::from_secs(10), |s| {
        s.contains("Containers (") && s.contains("Waiting: ImagePullBackOff")
    });
    t.send("\x1b");
    std::thread::sleep(Duration::from_millis(300));
    // Events, warnings first; enter on the first goes to the object it is about.
    t.send(":");
    t.type_text("events\r");
    let screen = t.wait_for("the events", Duration::from_secs(10), |s| {
        s.contains(" Events (") && s.contains("Warning")
    });
    let first = screen
        .lines()
        .skip_while(|l| !l.contains("TYPE"))
        .nth(1)
        .unwrap_or_default()
        .to_string();
    assert!(first.contains("Warning"), "warnings first:\n{screen}");
    // `o` from the pod goes to its owner, the notebook, in the Notebooks pane.
    t.send(":");
    t.type_text("po\r");
    t.send("/");
    t.type_text("pytorch-gpu-0\r");
    t.wait_for("the pod", Duration::from_secs(10), |s| {
        s.contains("(1 of") && s.contains("pytorch-gpu-0")
    });
    t.send("o");
    t.wait_for("the owner", Duration::from_secs(10), |s| {
        s.contains(" Notebooks (1 of") && s.contains("Notebook/pytorch-gpu")
    });
    t.send(":");
    t.type_text("quit\r");
    assert_eq!(t.wait_exit(Duration::from_secs(10)), 0);
    t.assert_restored();
}
