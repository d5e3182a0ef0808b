//! `mektep bench`: the opening-minute rush against a running server. Test parents (certificates
//! from the demo CA, contacts confirmed beforehand) each walk the whole path over HTTP; the
//! report gives applications per second, latency per step, errors by kind, polite refusals,
//! and the server's CPU time and peak memory per application, then checks the database.

mod flow;
mod people;
mod phases;
mod report;

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use flow::{Files, Session, Target};
use report::{Check, PollFigures, Report, Tally, figures, process_usage};

use crate::config::Config;

#[derive(clap::Args)]
pub struct BenchArgs {
    /// The running server.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// Parents in the run; each applies for one child (parents of the pool come back for
    /// their other children).
    #[arg(long, default_value_t = 200)]
    parents: usize,
    /// Parents on the path at the same time (closed loop: the next starts when one finishes).
    #[arg(long, default_value_t = 50)]
    concurrency: usize,
    /// Open loop instead: new parents arrive at this rate per second whatever the server's
    /// pace (at most --concurrency at once), to show overload.
    #[arg(long)]
    rate: Option<f64>,
    /// The server's process id, for its CPU time and peak memory (/proc/<pid>).
    #[arg(long)]
    server_pid: Option<u32>,
    /// The server's data folder: the demo CA (demo-pki) and, with its configuration, the
    /// database the run is checked against.
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Distinct test parents (certificates); the run's parents cycle through them.
    #[arg(long, default_value_t = 2000)]
    pool: usize,
    /// RSA keys under the parents' certificates, generated once and cached.
    #[arg(long, default_value_t = 64)]
    keys: usize,
    #[arg(long, default_value = "target/bench-keys.pem")]
    keys_cache: PathBuf,
    /// Status page reloads per parent after submitting.
    #[arg(long, default_value_t = 1)]
    polls: usize,
    /// Then a poll-only phase of this many seconds (0: none).
    #[arg(long, default_value_t = 0.0)]
    poll_seconds: f64,
    /// Retries of a step the server refused politely (503 with Retry-After).
    #[arg(long, default_value_t = 100)]
    max_retries: usize,
    /// Pause before such a retry, in milliseconds.
    #[arg(long, default_value_t = 1000)]
    retry_pause_ms: u64,
    /// Write the JSON report here (the summary goes to standard output).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Skip the database check at the end.
    #[arg(long)]
    no_check: bool,
    /// Measure the server's CPU per request of each step instead of a rush: parents go in
    /// waves of --concurrency, and in a wave each waits for the others after each step (needs
    /// --server-pid, and --parents a multiple of --concurrency; the latencies then are those of
    /// a crowd moving in step, not of a rush).
    #[arg(long, conflicts_with = "rate")]
    phased: bool,
}

impl BenchArgs {
    pub fn data_dir(&self) -> Option<PathBuf> {
        self.data_dir.clone()
    }
}

pub async fn run(args: BenchArgs, config: Config) -> Result<(), String> {
    if args.parents == 0 || args.concurrency == 0 {
        return Err("--parents and --concurrency must be at least 1".into());
    }
    let phases = match (args.phased, args.server_pid) {
        (false, _) => None,
        (true, _) if args.parents % args.concurrency != 0 => {
            return Err("--phased needs --parents to be a multiple of --concurrency".into());
        }
        (true, Some(pid)) => Some(phases::Phases::new(pid, args.concurrency)?),
        (true, None) => return Err("--phased needs --server-pid".into()),
    };
    let concurrency = args.concurrency;
    // Each parent on the path holds a connection: past the open-files limit the generator's
    // own connects fail ("Too many open files"), which a run would count as the server's errors.
    if let Some(limit) = open_files_limit()
        && concurrency as u64 + 256 > limit
    {
        return Err(format!(
            "--concurrency {concurrency} needs about {} open files, and this process may open {limit} \
             (ulimit -n): run fewer parents at a time",
            concurrency + 256
        ));
    }
    let store = crate::serve::open_store(&Config {
        database_max_connections: 4,
        ..config.clone()
    })
    .await?;
    let backend = store.backend().as_str().to_owned();

    // Before the clock: keys, certificates, registered parents, children, files.
    let pool_size = args.pool.min(args.parents).max(1);
    let (keys_cache, keys, pki_dir) = (
        args.keys_cache.clone(),
        args.keys.max(1),
        config.data_dir.join("demo-pki"),
    );
    let parents = tokio::task::spawn_blocking(move || {
        let keys = people::key_pool(&keys_cache, keys)?;
        people::parents(&pki_dir, &keys, pool_size)
    })
    .await
    .map_err(|e| e.to_string())??;
    people::register(&store, &parents).await?;
    let children = people::children(args.parents)?;
    let files = Files {
        photos: [people::photo_jpeg(1)?, people::photo_jpeg(2)?],
        health_forms: [
            people::health_form_pdf(3, 100 * 1024),
            people::health_form_pdf(4, 90 * 1024),
        ],
    };
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .pool_max_idle_per_host(concurrency)
        .tcp_nodelay(true)
        .build()
        .map_err(|e| format!("HTTP client: {e}"))?;
    let target = Arc::new(Target {
        client,
        base: args.url.trim_end_matches('/').to_owned(),
        files,
        polls: args.polls,
        max_retries: args.max_retries,
        retry_pause: Duration::from_millis(args.retry_pause_ms),
        phases,
    });
    eprintln!(
        "prepared {} parents and {} children; the rush starts",
        parents.len(),
        children.len()
    );
    let rush = Arc::new(Rush {
        target: target.clone(),
        parents,
        children,
        tally: Mutex::new(Tally::default()),
        sessions: Mutex::new(Vec::new()),
    });

    // The clock.
    let usage = |pid: Option<u32>| pid.map(process_usage).transpose();
    let before = usage(args.server_pid)?;
    let started = Instant::now();
    match args.rate {
        None => {
            let next = Arc::new(AtomicUsize::new(0));
            let workers: Vec<_> = (0..concurrency)
                .map(|_| {
                    let (next, rush, n) = (next.clone(), rush.clone(), args.parents);
                    tokio::spawn(async move {
                        loop {
                            let i = next.fetch_add(1, Ordering::Relaxed);
                            if i >= n {
                                break;
                            }
                            rush.one(i).await;
                        }
                    })
                })
                .collect();
            for w in workers {
                w.await.map_err(|e| e.to_string())?;
            }
        }
        Some(rate) => {
            let gap = Duration::from_secs_f64(1.0 / rate.max(0.001));
            let room = Arc::new(tokio::sync::Semaphore::new(args.concurrency));
            let mut tasks = Vec::with_capacity(args.parents);
            for i in 0..args.parents {
                tokio::time::sleep_until((started + gap.mul_f64(i as f64)).into()).await;
                let Ok(permit) = room.clone().try_acquire_owned() else {
                    lock(&rush.tally).error("generator: more parents waiting than --concurrency");
                    continue;
                };
                let rush = rush.clone();
                tasks.push(tokio::spawn(async move {
                    rush.one(i).await;
                    drop(permit);
                }));
            }
            for t in tasks {
                t.await.map_err(|e| e.to_string())?;
            }
        }
    }
    let elapsed = started.elapsed();
    let after = usage(args.server_pid)?;
    let tally = std::mem::take(&mut *lock(&rush.tally));
    let sessions: Vec<Session> = std::mem::take(&mut *lock(&rush.sessions));

    // The status page alone.
    let poll = if args.poll_seconds > 0.0 && !sessions.is_empty() {
        let before = usage(args.server_pid)?;
        let t0 = Instant::now();
        let (mut samples, errors) = flow::poll_only(
            target.clone(),
            Arc::new(sessions),
            args.concurrency,
            Duration::from_secs_f64(args.poll_seconds),
        )
        .await;
        let seconds = t0.elapsed().as_secs_f64();
        let after = usage(args.server_pid)?;
        let requests = samples.len() as u64;
        let cpu = match (before, after) {
            (Some(b), Some(a)) => (a.cpu - b.cpu).as_secs_f64(),
            _ => 0.0,
        };
        Some(PollFigures {
            seconds,
            concurrency: args.concurrency,
            requests,
            requests_per_s: requests as f64 / seconds,
            errors,
            server_cpu_us_per_request: cpu * 1e6 / (requests.max(1) as f64),
            latency: figures(&mut samples),
        })
    } else {
        None
    };

    let check = if args.no_check {
        None
    } else {
        Some(check(&store, &config, tally.acknowledged).await?)
    };
    store.close().await;

    let cpu_s = match (before, after) {
        (Some(b), Some(a)) => (a.cpu - b.cpu).as_secs_f64(),
        _ => 0.0,
    };
    let peak_mb = after.map_or(0.0, |a| a.peak_rss_kb as f64 / 1024.0);
    let completed = tally.completed;
    let per_app = |x: f64| {
        if completed == 0 {
            0.0
        } else {
            x / completed as f64
        }
    };
    let mut steps = std::collections::BTreeMap::new();
    for (name, mut samples) in tally.steps {
        steps.insert(name, figures(&mut samples));
    }
    let mut refused_latency = tally.refused_latency;
    let report = Report {
        backend,
        date: chrono::Utc::now().to_rfc3339(),
        mode: if args.rate.is_some() {
            "open"
        } else {
            "closed"
        }
        .into(),
        parents: args.parents,
        concurrency,
        arrival_rate_per_s: args.rate,
        completed,
        acknowledged_submissions: tally.acknowledged,
        errors: tally.errors.values().sum(),
        errors_by_kind: tally.errors,
        refused_politely: tally.refused,
        refused_latency: figures(&mut refused_latency),
        duration_s: (elapsed.as_secs_f64() * 100.0).round() / 100.0,
        applications_per_s: completed as f64 / elapsed.as_secs_f64(),
        server_cpu_s: cpu_s,
        server_cpu_ms_per_application: per_app(cpu_s * 1000.0),
        server_cpu_s_per_1000_applications: per_app(cpu_s * 1000.0),
        server_peak_rss_mb: peak_mb,
        steps,
        poll,
        phases: target.phases.as_ref().map(phases::Phases::figures),
        check,
        machine: report::machine(),
    };
    let json = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
    match &args.out {
        Some(path) => {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            }
            std::fs::write(path, format!("{json}\n"))
                .map_err(|e| format!("{}: {e}", path.display()))?;
        }
        None => println!("{json}"),
    }
    print!("{}", report.summary());
    let failed = report.errors > 0 || report.check.as_ref().is_some_and(|c| !c.ok);
    if failed {
        Err(
            "the run had errors or the database does not hold every acknowledged application"
                .into(),
        )
    } else {
        Ok(())
    }
}

/// What every test parent of the rush shares.
struct Rush {
    target: Arc<Target>,
    parents: Vec<people::Parent>,
    children: Vec<people::Child>,
    tally: Mutex<Tally>,
    sessions: Mutex<Vec<Session>>,
}

impl Rush {
    /// Test parent `i` walks the whole path; what happened goes into the shared tally.
    async fn one(&self, i: usize) {
        let mut mine = Tally::default();
        let parent = &self.parents[i % self.parents.len()];
        match flow::apply(&self.target, parent, &self.children[i], i, &mut mine).await {
            Ok(s) => {
                mine.completed += 1;
                lock(&self.sessions).push(s);
            }
            Err(f) => mine.error(f.0),
        }
        lock(&self.tally).merge(mine);
    }
}

/// The soft limit on open files, from /proc/self/limits (`None` if it cannot be read, or is
/// unlimited).
fn open_files_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.trim_start_matches("Max open files")
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Counts what the database holds, and checks every document file against its SHA-256.
async fn check(store: &store::Store, config: &Config, acknowledged: u64) -> Result<Check, String> {
    let err = |e: store::StoreError| e.to_string();
    let mut submitted = std::collections::HashSet::new();
    for c in store.campaigns().await.map_err(err)? {
        let in_status = store
            .applications_in_status(c.id, "submitted")
            .await
            .map_err(err)?;
        submitted.extend(in_status.into_iter().map(|a| a.id));
    }
    // With the service's keys: the files are sealed, and fsck opens each one.
    let blobs = crate::storage::blob_store(config)?;
    // A parent who gave up past the upload (an error, or refused too often under overload)
    // leaves a draft with its documents, as a real parent would: those are counted apart.
    let (of_submitted, of_drafts): (Vec<_>, Vec<_>) = store
        .all_documents()
        .await
        .map_err(err)?
        .into_iter()
        .partition(|d| submitted.contains(&d.application_id));
    let fsck = crate::fsck::check(store, &blobs, false).await?;
    let (missing, changed) = (fsck.missing.len() as u64, fsck.corrupt.len() as u64);
    let submitted = submitted.len() as u64;
    let documents = of_submitted.len() as u64;
    Ok(Check {
        submitted_in_database: submitted,
        documents_in_database: documents,
        documents_of_drafts: of_drafts.len() as u64,
        missing_files: missing,
        changed_files: changed,
        ok: submitted == acknowledged && documents == 4 * acknowledged && missing + changed == 0,
    })
}
