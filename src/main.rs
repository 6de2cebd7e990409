use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use tokio::sync::mpsc;

use kftui::app::msg::{ConnEvent, Msg};
use kftui::app::runner::EffectRunner;
use kftui::app::state::{ConnState, Level, Notice, State, Target};
use kftui::app::{self, App};
use kftui::cli::{Cli, Command, SimArgs};
use kftui::config::{self, Overrides, paths};
use kftui::kube::{self as kf, ClusterSource};
use kftui::sim;
use kftui::terminal::TerminalGuard;

fn main() -> ExitCode {
    let cli = Cli::parse();
    if cli.command.is_none() {
        kftui::memory::tune_for_ui();
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("kftui: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Some(Command::CheckConfig) => Ok(check_config(&cli)),
            Some(Command::Sim {
                listen,
                ref kubeconfig,
                ref sim,
            }) => run_sim(listen, kubeconfig.as_deref(), sim).await,
            None => run_ui(&cli).await,
        }
    });
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("kftui: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn config_dir(cli: &Cli) -> std::path::PathBuf {
    cli.config_dir
        .clone()
        .unwrap_or_else(|| paths::config_dir(&|k: &str| std::env::var_os(k)))
}

fn overrides(cli: &Cli) -> Overrides {
    let mut o = Overrides::from_env(|k: &str| std::env::var_os(k));
    if cli.theme.is_some() {
        o.theme = cli.theme.clone();
    }
    if cli.keymap.is_some() {
        o.keymap = cli.keymap.clone();
    }
    o
}

fn check_config(cli: &Cli) -> ExitCode {
    let dir = config_dir(cli);
    let problems = config::check(&dir, &overrides(cli));
    if problems.is_empty() {
        println!("config OK: {}", dir.display());
        ExitCode::SUCCESS
    } else {
        for p in &problems {
            println!("{p}");
        }
        ExitCode::FAILURE
    }
}

fn sim_options(listen: std::net::SocketAddr, args: &SimArgs) -> sim::SimOptions {
    sim::SimOptions {
        listen,
        seed: args.seed,
        scale: args.scale,
        log_rate: args.log_rate,
    }
}

/// Starts the embedded cluster with the faults asked for, if any.
async fn start_sim(opts: sim::SimOptions, args: &SimArgs) -> anyhow::Result<sim::SimHandle> {
    match &args.faults {
        Some(spec) => {
            let faults = sim::parse_faults(spec).map_err(|e| anyhow::anyhow!("--faults: {e}"))?;
            sim::start_with_faults(opts, faults).await
        }
        None => sim::start(opts).await,
    }
}

async fn run_sim(
    listen: std::net::SocketAddr,
    kubeconfig: Option<&std::path::Path>,
    args: &SimArgs,
) -> anyhow::Result<ExitCode> {
    let handle = start_sim(sim_options(listen, args), args).await?;
    println!("kftui sim listening on {}", handle.url());
    println!(
        "pods' Prometheus metrics: http_sd_configs url {}/sim/prometheus-targets",
        handle.url()
    );
    if let Some(path) = kubeconfig {
        std::fs::write(path, handle.kubeconfig_yaml())
            .with_context(|| format!("cannot write kubeconfig {}", path.display()))?;
        println!("kubeconfig written to {} (context kftui-sim)", path.display());
    }
    wait_for_stop_signal().await;
    // Within a second, whatever a controller is doing: its thread is not waited for past that.
    let _ = tokio::time::timeout(std::time::Duration::from_secs(1), handle.shutdown()).await;
    use std::io::Write as _;
    let _ = std::io::stdout().flush();
    std::process::exit(0)
}

async fn wait_for_stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let (Ok(mut term), Ok(mut int)) =
            (signal(SignalKind::terminate()), signal(SignalKind::interrupt()))
        {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

async fn run_ui(cli: &Cli) -> anyhow::Result<ExitCode> {
    let state_dir = paths::state_dir(&|k: &str| std::env::var_os(k));
    let _log_guard = kftui::logging::init(&state_dir);
    let (config, problems) = config::load(&config_dir(cli), &overrides(cli));
    for p in &problems {
        tracing::warn!("config: {p}");
    }

    // Signals are caught from here on, so a SIGTERM or SIGHUP during start-up still restores the
    // terminal: the loop reads the message as soon as it runs.
    let (tx, rx) = mpsc::channel::<Msg>(1024);
    tokio::spawn(kftui::event::signals(tx.clone()));

    // The first frame goes up before anything slow (seeding the demo, reading the kubeconfig):
    // the user sees kftui at once, connecting.
    let mut term = TerminalGuard::enter().context("cannot set up the terminal (is stdout a terminal?)")?;
    let tz = *chrono::Local::now().offset();
    {
        let starting = State::new(
            Target {
                demo: cli.demo,
                ..Target::default()
            },
            chrono::Utc::now(),
        );
        let view = kftui::ui::View {
            theme: &config.theme,
            keymap: &config.keymap,
            tz,
        };
        term.terminal.draw(|f| kftui::ui::render(&starting, &view, f))?;
    }

    let demo = if cli.demo {
        Some(start_sim(sim_options(([127, 0, 0, 1], 0).into(), &cli.sim), &cli.sim).await?)
    } else {
        None
    };
    let source = match &demo {
        Some(handle) => ClusterSource::Yaml(handle.kubeconfig_yaml()),
        None => ClusterSource::Kubeconfig(cli.kubeconfig.clone()),
    };
    let connected = kf::connect(&source, cli.context.as_deref(), cli.namespace.as_deref()).await;
    let choices_file = state_dir.join("state.json");
    let remembered = kftui::app::runner::load_choices(&choices_file);

    let mut target = Target {
        demo: demo.is_some(),
        ..Target::default()
    };
    let kube = match connected {
        Ok(handle) => {
            target.context = handle.context.clone();
            // -A and -n win; else the choice remembered for this context; else its default.
            target.namespace = if cli.all_namespaces {
                None
            } else if cli.namespace.is_some() {
                Some(handle.namespace.clone())
            } else {
                remembered
                    .get(&handle.context)
                    .cloned()
                    .unwrap_or_else(|| Some(handle.namespace.clone()))
            };
            Some(handle)
        }
        Err(e) => {
            target.conn = ConnState::Offline { error: e.to_string() };
            None
        }
    };
    let offline_error = match &target.conn {
        ConnState::Offline { error } => Some(error.clone()),
        _ => None,
    };
    let mut state = State::new(target, chrono::Utc::now());
    state.contexts = kf::contexts(&source);
    state.remembered = remembered;
    state.readonly = cli.readonly || config.readonly_for(&state.target.context);
    state.log_capacity = config.log_buffer_lines;
    state.connect_port = config.connect_port;
    if !problems.is_empty() {
        state.notice = Some(Notice {
            level: Level::Warn,
            text: format!(
                "{} problem(s) in config, defaults used for them; first: {} (kftui check-config lists all)",
                problems.len(),
                problems[0]
            ),
        });
    }
    let app = App {
        state,
        keymap: config.keymap,
        theme: config.theme,
        tz,
    };

    let by_context = config
        .contexts
        .iter()
        .filter_map(|(name, c)| Some((name.clone(), c.prometheus.clone()?)))
        .collect();
    let runner = EffectRunner::new(source, kube, tx.clone(), Some(choices_file)).with_prometheus(
        cli.prometheus.clone().or(config.prometheus_url.clone()),
        // The command line's place is for every context.
        if cli.prometheus.is_some() {
            std::collections::BTreeMap::new()
        } else {
            by_context
        },
    );
    let (input_paused, paused) = tokio::sync::watch::channel(false);
    tokio::spawn(kftui::event::input(tx.clone(), paused));
    tokio::spawn(kftui::event::ticks(tx.clone()));
    if let Some(error) = offline_error {
        let context = String::new();
        let _ = tx.send(Msg::Conn(ConnEvent::Failed { context, error })).await;
    }
    let result = app::run(app, &mut term, runner, rx, input_paused).await;
    drop(term);
    if let Some(handle) = demo {
        handle.shutdown().await;
    }
    result.map(|()| ExitCode::SUCCESS)
}
