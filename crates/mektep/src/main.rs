//! `mektep`: the service and its tools in one binary.

mod bench;
mod config;
mod data;
mod demo;
mod fsck;
mod revocation;
mod serve;
mod storage;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "mektep",
    version,
    about = "Admission to first grade: the e-service and its tools"
)]
struct Cli {
    /// Configuration file (TOML); default: ./mektep.toml if it exists.
    #[arg(long, global = true, env = "MEKTEP_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the service.
    Serve {
        /// Address and port to listen on [default: 127.0.0.1:8080; env MEKTEP_LISTEN].
        #[arg(long)]
        listen: Option<String>,
        /// Folder for the SQLite database and documents [default: ./data; env MEKTEP_DATA_DIR].
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Demo mode: demo data on a fresh database, demo people, messages shown at /dev/outbox.
        #[arg(long)]
        demo: bool,
    },
    /// Create or upgrade the database schema, then exit.
    Migrate {
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// EDS tools: test CA, issuing, signing, verifying, the NCALayer stand-in.
    #[command(subcommand)]
    Pki(pki::cli::PkiCommand),
    /// The audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// The opening-minute rush: test parents walk the whole path against a running server.
    Bench {
        #[command(flatten)]
        args: bench::BenchArgs,
    },
    /// Check that every document row has its file, unchanged, and list files no row names.
    Fsck {
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Remove the files no row names (left by a crash before their row was committed).
        #[arg(long)]
        delete_orphans: bool,
    },
    /// Write a consistent backup (database and documents, with a manifest of hashes) into a
    /// new directory, while the service runs.
    Backup {
        /// The directory to create (must not exist, or be empty).
        dir: PathBuf,
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// Bring a backup back into an empty database and data directory, and check it.
    Restore {
        /// A directory written by `mektep backup`.
        dir: PathBuf,
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// Delete the documents of refused and withdrawn applications older than
    /// retention.refused_and_withdrawn_days (the service also does this every 10 minutes).
    Purge {
        /// Only list what would be deleted.
        #[arg(long)]
        dry_run: bool,
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// Print a new random document encryption key (`id:base64`) for storage.encryption_keys.
    StorageKey {
        /// The key's id, written into every file it seals.
        #[arg(long, default_value = "k1")]
        id: String,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check the hash chain of the whole audit log; exits non-zero if a record was changed or removed.
    Verify {
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
}

// glibc's malloc was about a tenth of the server's CPU in the rush (bench/README.md).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    // One TLS provider for every HTTP client in the process (SMS gateways, revocation checks).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let cli = Cli::parse();
    let load = |data_dir: Option<PathBuf>| -> Result<config::Config, String> {
        let mut c = config::Config::load(cli.config.as_ref())?;
        if let Some(d) = data_dir {
            c.data_dir = d;
        }
        Ok(c)
    };
    let result = match cli.command {
        Command::Pki(cmd) => return pki::cli::run(cmd),
        Command::Serve {
            listen,
            data_dir,
            demo,
        } => load(data_dir).and_then(|mut c| {
            if let Some(l) = listen {
                c.listen = l;
            }
            c.demo |= demo;
            runtime()?.block_on(serve::serve(c))
        }),
        Command::Migrate { data_dir } => load(data_dir).and_then(|c| {
            runtime()?.block_on(async {
                init_logging(&c.log);
                let store = serve::open_store(&c).await?;
                store.close().await;
                println!("database is up to date");
                Ok(())
            })
        }),
        Command::Fsck {
            data_dir,
            delete_orphans,
        } => load(data_dir).and_then(|c| {
            runtime()?.block_on(async {
                let store = serve::open_store(&c).await?;
                let blobs = storage::blob_store(&c)?;
                let report = fsck::check(&store, &blobs, delete_orphans).await?;
                store.close().await;
                println!("documents checked: {}", report.documents);
                for m in &report.missing {
                    println!("MISSING FILE: {m}");
                }
                for m in &report.corrupt {
                    println!("CHANGED FILE: {m}");
                }
                println!(
                    "files without a row: {}{}",
                    report.orphans.len(),
                    if delete_orphans && !report.orphans.is_empty() {
                        " (deleted)"
                    } else {
                        ""
                    }
                );
                if report.missing.is_empty() && report.corrupt.is_empty() {
                    Ok(())
                } else {
                    Err(format!(
                        "{} missing and {} changed files",
                        report.missing.len(),
                        report.corrupt.len()
                    ))
                }
            })
        }),
        Command::Backup { dir, data_dir } => {
            load(data_dir).and_then(|c| runtime()?.block_on(data::backup(&c, &dir)))
        }
        Command::Restore { dir, data_dir } => {
            load(data_dir).and_then(|c| runtime()?.block_on(data::restore(&c, &dir)))
        }
        Command::Purge { dry_run, data_dir } => {
            load(data_dir).and_then(|c| runtime()?.block_on(data::purge(&c, dry_run)))
        }
        Command::StorageKey { id } => {
            let key = store::MasterKey::generate(&id);
            // Parsing checks the id.
            store::MasterKey::parse(&key)
                .map(|_| println!("{key}"))
                .map_err(|e| e.to_string())
        }
        Command::Bench { args } => {
            load(args.data_dir()).and_then(|c| runtime()?.block_on(bench::run(args, c)))
        }
        Command::Audit(AuditCommand::Verify { data_dir }) => load(data_dir).and_then(|c| {
            runtime()?.block_on(async {
                let store = serve::open_store(&c).await?;
                let verdict = store
                    .verify_audit_chain()
                    .await
                    .map_err(|e| e.to_string())?;
                store.close().await;
                match verdict {
                    store::AuditVerification::Intact { records } => {
                        println!("audit log intact: {records} records");
                        Ok(())
                    }
                    store::AuditVerification::Broken { at_record, reason } => {
                        Err(format!("audit log broken at record {at_record}: {reason}"))
                    }
                }
            })
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("mektep: {message}");
            ExitCode::FAILURE
        }
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))
}

pub fn init_logging(filter: &str) {
    let filter = std::env::var("RUST_LOG").unwrap_or_else(|_| filter.to_owned());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_target(false)
        .try_init();
}
