//! `ktrdr-backend`: a reference implementation of the KTRDR backend HTTP API.

mod choice;
mod config;
mod connection;
mod data;
mod dummy;
mod errors;
mod models;
mod random;
mod registry;
mod routes;
mod seed;
mod time_format;
mod training;
mod validation;
mod workers;

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;

use crate::config::Settings;
use crate::connection::{Connection, DroppingListener};
use crate::data::csv_store::DataStore;
use crate::registry::Registry;
use crate::routes::{router, AppState, API_PREFIX};
use crate::training::runner::Checkpoints;
use crate::workers::WorkerPool;

fn main() -> ExitCode {
    let settings = Settings::parse();
    if let Err(message) = settings.check() {
        eprintln!("ktrdr-backend: {message}");
        return ExitCode::from(2);
    }
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_max_level(settings.log_level)
        .init();
    match run(settings) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error}");
            eprintln!("ktrdr-backend: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run(mut settings: Settings) -> std::io::Result<()> {
    for dir in [
        &mut settings.data_dir,
        &mut settings.models_dir,
        &mut settings.strategies_dir,
    ] {
        std::fs::create_dir_all(&*dir)?;
        *dir = std::fs::canonicalize(&*dir)?;
    }
    let store = Arc::new(DataStore::new(settings.data_dir.clone()));
    if settings.seed_data {
        let written = seed::seed(&store, &settings.strategies_dir)?;
        tracing::info!(written, "sample data and strategies seeded");
        if settings.seed_only {
            return Ok(());
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let served = runtime.block_on(serve(settings, store));
    // Workers of unfinished operations are abandoned, not awaited.
    runtime.shutdown_timeout(Duration::from_millis(100));
    served
}

async fn serve(settings: Settings, store: Arc<DataStore>) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind((settings.host, settings.port)).await?;
    let address = listener.local_addr()?;
    // Listen for signals before announcing the port, so a stop right after it is graceful.
    let shutdown = shutdown_signal()?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{}", address.port())?;
    stdout.flush()?;
    drop(stdout);
    tracing::info!(
        "serving http://{address}{API_PREFIX}, API {:?}{} (data {}, models {}, strategies {})",
        settings.api,
        settings
            .defect
            .map_or(String::new(), |defect| format!(", defect {defect:?}")),
        settings.data_dir.display(),
        settings.models_dir.display(),
        settings.strategies_dir.display()
    );
    let workers = settings.training_workers.map(|count| count as usize);
    let state = AppState {
        registry: Registry::new(settings.max_finished_operations),
        store,
        workers: WorkerPool::new(workers),
        checkpoints: settings.is_2026().then(|| Arc::new(Checkpoints::default())),
        started: Instant::now(),
        settings: Arc::new(settings),
    };
    let app = router(state).into_make_service_with_connect_info::<Connection>();
    axum::serve(DroppingListener(listener), app)
        .with_graceful_shutdown(shutdown)
        .await
}

/// A future resolving on Ctrl-C or SIGTERM (handlers installed now).
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let interrupt = tokio::signal::ctrl_c();
    Ok(async move {
        #[cfg(unix)]
        tokio::select! {
            _ = interrupt => {},
            _ = terminate.recv() => {},
        }
        #[cfg(not(unix))]
        let _ = interrupt.await;
        tracing::info!("shutting down");
    })
}
