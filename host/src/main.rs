//! The `sluice` command line.

/// Decoding and exporting OTLP allocates and frees many small strings per record from many
/// threads; mimalloc's thread-local free lists beat glibc malloc's arenas at that (measured
/// in BENCHMARKS.md, "End to end over loopback").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand, ValueEnum};
use sluice::app::App;
use sluice::config::{self, Config};
use sluice::filemode::{self, InputFormat};
use sluice_plugin_sdk::Signal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// sluice: OpenTelemetry for LLM systems, through a chain of WebAssembly plugins.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the pipeline on its receivers (the embedded default config reads stdin).
    Run {
        /// Config file; the embedded default when absent.
        #[arg(long, short)]
        config: Option<PathBuf>,
    },
    /// Process OTLP files through the plugin chain, with no server.
    Process {
        /// Config file; the embedded default when absent.
        #[arg(long, short)]
        config: Option<PathBuf>,
        /// Input file(s); `-` is stdin.
        #[arg(long, short, default_value = "-")]
        input: Vec<String>,
        /// Write every exported record here once, in input order (`-` is stdout), instead of
        /// to the config's destinations.
        #[arg(long, short)]
        output: Option<String>,
        /// Input format.
        #[arg(long, value_enum, default_value_t = Format::Auto)]
        format: Format,
        /// The signal of protobuf input (protobuf does not say).
        #[arg(long, value_enum)]
        signal: Option<SignalArg>,
    },
    /// Check a config file and list every problem in it.
    Validate {
        /// Config file.
        #[arg(long, short)]
        config: PathBuf,
        /// Also load every plugin (compile, check the contract, run `init` with its config).
        #[arg(long)]
        plugins: bool,
    },
    /// Print the embedded default config.
    DefaultConfig,
    /// List the plugin chain of a running sluice: order, name, version, file, sha256, when
    /// loaded, calls, failures, p99 latency, and how the last reload went.
    Plugins {
        /// The admin endpoint; read from the config when absent.
        #[arg(long)]
        admin: Option<std::net::SocketAddr>,
        /// Config file whose `[admin] address` to ask; the embedded default when absent.
        #[arg(long, short)]
        config: Option<PathBuf>,
        /// Print the raw JSON of `/plugins`.
        #[arg(long)]
        json: bool,
    },
    /// Pricing tables of the built-in cost plugin.
    Pricing {
        #[command(subcommand)]
        command: PricingCommand,
    },
    /// Write plugins: scaffold a plugin crate, run one plugin on a file and see what it changes.
    Plugin {
        #[command(subcommand)]
        command: sluice::authoring::PluginCommand,
    },
}

#[derive(Subcommand)]
enum PricingCommand {
    /// Convert LiteLLM's model_prices_and_context_window.json into a sluice pricing table.
    Import {
        /// LiteLLM's JSON table.
        file: PathBuf,
        /// Where to write the table; stdout when absent.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Auto,
    Json,
    Protobuf,
}

#[derive(Clone, Copy, ValueEnum)]
enum SignalArg {
    Traces,
    Logs,
    Metrics,
}

fn load_config(path: Option<&Path>) -> Result<Config> {
    Ok(match path {
        Some(p) => config::load_file(p)?,
        None => config::load_str(
            config::DEFAULT_CONFIG,
            "<embedded default config>",
            Path::new("."),
        )?,
    })
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SLUICE_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::DefaultConfig => {
            print!("{}", config::DEFAULT_CONFIG);
            Ok(ExitCode::SUCCESS)
        }
        Command::Pricing {
            command: PricingCommand::Import { file, output },
        } => {
            let summary = sluice::pricing::import_file(&file, output.as_deref())
                .map_err(anyhow::Error::msg)?;
            eprintln!("{summary}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Plugins {
            admin,
            config,
            json,
        } => {
            let admin = match admin {
                Some(a) => a,
                None => load_config(config.as_deref())?.admin.address,
            };
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .context("starting the async runtime")?;
            let view = runtime.block_on(sluice::reload::listing::fetch(admin))?;
            if json {
                println!("{}", serde_json::to_string_pretty(&view)?);
            } else {
                let now = sluice::reload::status::unix_ms(std::time::SystemTime::now());
                print!("{}", sluice::reload::listing::render(&view, now));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Plugin { command } => plugin_command(command),
        Command::Validate { config, plugins } => {
            let cfg = load_config(Some(&config))?;
            if plugins {
                App::build(cfg).context("loading plugins")?;
            }
            eprintln!("{}: ok", config.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Run { config } => {
            let mut app = App::build(load_config(config.as_deref())?)?;
            app.config_path = config;
            if app.config.receivers.is_empty() {
                bail!("the config has no receivers: nothing to run");
            }
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .context("starting the async runtime")?;
            runtime.block_on(async {
                let shutdown = tokio_util::sync::CancellationToken::new();
                tokio::spawn(on_signal(shutdown.clone()));
                sluice::server::run(app, shutdown).await
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Process {
            config,
            input,
            output,
            format,
            signal,
        } => {
            let app = App::build(load_config(config.as_deref())?)?;
            let format = match format {
                Format::Auto => InputFormat::Auto,
                Format::Json => InputFormat::JsonLines,
                Format::Protobuf => InputFormat::Protobuf,
            };
            let signal = signal.map(|s| match s {
                SignalArg::Traces => Signal::Span,
                SignalArg::Logs => Signal::Log,
                SignalArg::Metrics => Signal::MetricPoint,
            });
            let inputs = input
                .iter()
                .map(|path| filemode::read_input(path, format, signal))
                .collect::<Result<Vec<_>, _>>()
                .map_err(anyhow::Error::msg)?;
            finish(filemode::run(&app, inputs, output.as_deref()).map_err(anyhow::Error::msg)?)
        }
    }
}

/// `sluice plugin test` (exit 1 when the plugin failed on a batch) and `sluice plugin new`.
fn plugin_command(command: sluice::authoring::PluginCommand) -> Result<ExitCode> {
    use sluice::authoring::{PluginCommand, scaffold, tryout};
    match command {
        PluginCommand::Test(args) => {
            let report = tryout::run(&args.options(), &mut std::io::stdout().lock())?;
            Ok(if report.failed() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        PluginCommand::New(args) => {
            let created = scaffold::create(&args.name, &args.dir)?;
            println!(
                "created {}: a sluice plugin crate. Next:\n  cd {}\n  cargo test\n  cargo build --release --target wasm32-wasip2\n  sluice plugin test {} --input sample.jsonl --config {}",
                created.dir.display(),
                created.dir.display(),
                created.wasm,
                created.sidecar
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Cancels `shutdown` on SIGINT or SIGTERM.
async fn on_signal(shutdown: tokio_util::sync::CancellationToken) {
    use tokio::signal::unix::{SignalKind, signal};
    let Ok(mut term) = signal(SignalKind::terminate()) else {
        tracing::error!("cannot listen for SIGTERM");
        return;
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    tracing::info!("shutdown signal received");
    shutdown.cancel();
}

fn finish(s: filemode::Summary) -> Result<ExitCode> {
    tracing::info!(
        batches = s.batches,
        records_out = s.records_out,
        dropped_by_plugins = s.dropped_by_plugins,
        unroutable = s.unroutable,
        quarantined = s.quarantined,
        dropped_on_failure = s.dropped_on_failure,
        malformed = s.malformed,
        write_errors = s.write_errors,
        failed_open = s.failed_open,
        "done"
    );
    Ok(if s.failed() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
