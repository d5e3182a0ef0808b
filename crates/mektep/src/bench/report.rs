//! What a run measured: latencies per step, errors by kind, polite refusals, and the server's
//! CPU time and peak memory read from /proc.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

/// Latency percentiles of one step, in milliseconds.
#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct StepFigures {
    pub count: usize,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

/// The nearest-rank percentile (`p` in 0..=100) of sorted samples.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

pub fn figures(samples: &mut [Duration]) -> StepFigures {
    samples.sort_unstable();
    let ms = |d: Duration| (d.as_secs_f64() * 1e5).round() / 100.0;
    StepFigures {
        count: samples.len(),
        p50_ms: ms(percentile(samples, 50.0)),
        p95_ms: ms(percentile(samples, 95.0)),
        p99_ms: ms(percentile(samples, 99.0)),
        max_ms: ms(samples.last().copied().unwrap_or_default()),
    }
}

/// Samples and counts collected by the parents of a run.
#[derive(Default)]
pub struct Tally {
    pub steps: BTreeMap<&'static str, Vec<Duration>>,
    pub errors: BTreeMap<String, u64>,
    /// 503 answers with Retry-After: the server said "come back in a minute" quickly.
    pub refused: u64,
    pub refused_latency: Vec<Duration>,
    pub completed: u64,
    /// Submissions the server acknowledged (redirect to the submitted notice).
    pub acknowledged: u64,
}

impl Tally {
    pub fn merge(&mut self, other: Tally) {
        for (k, mut v) in other.steps {
            self.steps.entry(k).or_default().append(&mut v);
        }
        for (k, v) in other.errors {
            *self.errors.entry(k).or_default() += v;
        }
        self.refused += other.refused;
        self.refused_latency.extend(other.refused_latency);
        self.completed += other.completed;
        self.acknowledged += other.acknowledged;
    }

    pub fn error(&mut self, kind: impl Into<String>) {
        *self.errors.entry(kind.into()).or_default() += 1;
    }
}

/// CPU time (user + system) and peak resident memory of a process.
#[derive(Clone, Copy, Debug, Default)]
pub struct ProcessUsage {
    pub cpu: Duration,
    pub peak_rss_kb: u64,
}

/// Reads /proc/<pid>/stat (utime, stime) and /proc/<pid>/status (VmHWM).
pub fn process_usage(pid: u32) -> Result<ProcessUsage, String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map_err(|e| format!("/proc/{pid}/stat: {e}"))?;
    // The command name may hold spaces: count fields after its closing parenthesis.
    let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or_default();
    let fields: Vec<&str> = after.split_whitespace().collect();
    // Fields 14 and 15 of the whole line are the 12th and 13th after the name.
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // USER_HZ is 100 on every Linux ABI this runs on.
    let cpu = Duration::from_millis((ticks(11) + ticks(12)) * 10);
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .map_err(|e| format!("/proc/{pid}/status: {e}"))?;
    let peak_rss_kb = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0);
    Ok(ProcessUsage { cpu, peak_rss_kb })
}

/// The machine the figures were taken on.
#[derive(Serialize, Debug)]
pub struct Machine {
    pub nproc: usize,
    pub cpu_model: String,
    pub memory_mb: u64,
    pub kernel: String,
}

pub fn machine() -> Machine {
    let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
    let cpuinfo = read("/proc/cpuinfo");
    let cpu_model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|v| v.trim_start_matches([' ', '\t', ':']).trim().to_owned())
        .unwrap_or_default();
    let memory_mb = read("/proc/meminfo")
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb / 1024);
    Machine {
        nproc: std::thread::available_parallelism().map_or(0, |n| n.get()),
        cpu_model,
        memory_mb,
        kernel: read("/proc/sys/kernel/osrelease").trim().to_owned(),
    }
}

/// The poll-only phase: parents reloading their application's status page.
#[derive(Serialize, Debug)]
pub struct PollFigures {
    pub seconds: f64,
    pub concurrency: usize,
    pub requests: u64,
    pub requests_per_s: f64,
    pub errors: u64,
    pub server_cpu_us_per_request: f64,
    pub latency: StepFigures,
}

/// What the database holds after the run.
#[derive(Serialize, Debug, Default)]
pub struct Check {
    pub submitted_in_database: u64,
    /// Documents of the submitted applications.
    pub documents_in_database: u64,
    /// Documents of drafts left by parents who did not finish.
    pub documents_of_drafts: u64,
    pub missing_files: u64,
    pub changed_files: u64,
    /// Every acknowledged submission is in the database with all its files.
    pub ok: bool,
}

#[derive(Serialize, Debug)]
pub struct Report {
    pub backend: String,
    pub date: String,
    pub mode: String,
    pub parents: usize,
    pub concurrency: usize,
    pub arrival_rate_per_s: Option<f64>,
    pub completed: u64,
    pub acknowledged_submissions: u64,
    pub errors: u64,
    pub errors_by_kind: BTreeMap<String, u64>,
    pub refused_politely: u64,
    pub refused_latency: StepFigures,
    pub duration_s: f64,
    pub applications_per_s: f64,
    pub server_cpu_s: f64,
    pub server_cpu_ms_per_application: f64,
    pub server_cpu_s_per_1000_applications: f64,
    pub server_peak_rss_mb: f64,
    pub steps: BTreeMap<&'static str, StepFigures>,
    pub poll: Option<PollFigures>,
    /// `--phased`: the server's CPU per request of each step.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phases: Option<BTreeMap<&'static str, super::phases::StepCpu>>,
    pub check: Option<Check>,
    pub machine: Machine,
}

impl Report {
    /// The readable summary printed after the JSON is written.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "backend {}  parents {}  concurrency {}{}\n\
             completed {} in {:.1} s: {:.1} applications/s\n\
             errors {} {:?}   refused politely (503) {}\n\
             server CPU {:.1} s = {:.2} ms per application ({:.2} s per 1,000)   peak RSS {:.0} MB\n",
            self.backend,
            self.parents,
            self.concurrency,
            self.arrival_rate_per_s
                .map(|r| format!("  arrivals {r:.1}/s"))
                .unwrap_or_default(),
            self.completed,
            self.duration_s,
            self.applications_per_s,
            self.errors,
            self.errors_by_kind,
            self.refused_politely,
            self.server_cpu_s,
            self.server_cpu_ms_per_application,
            self.server_cpu_s_per_1000_applications,
            self.server_peak_rss_mb,
        );
        s.push_str(&format!(
            "{:<18}{:>8}{:>10}{:>10}{:>10}{:>10}\n",
            "step", "count", "p50 ms", "p95 ms", "p99 ms", "max ms"
        ));
        let mut rows: Vec<(&str, &StepFigures)> = self.steps.iter().map(|(k, v)| (*k, v)).collect();
        if self.refused_latency.count > 0 {
            rows.push(("(refused 503)", &self.refused_latency));
        }
        for (name, f) in rows {
            s.push_str(&format!(
                "{:<18}{:>8}{:>10.1}{:>10.1}{:>10.1}{:>10.1}\n",
                name, f.count, f.p50_ms, f.p95_ms, f.p99_ms, f.max_ms
            ));
        }
        if let Some(p) = &self.poll {
            s.push_str(&format!(
                "status page polling: {:.0} requests/s ({} in {:.1} s, {} errors), p99 {:.1} ms, {:.0} µs server CPU per request\n",
                p.requests_per_s, p.requests, p.seconds, p.errors, p.latency.p99_ms, p.server_cpu_us_per_request
            ));
        }
        if let Some(phases) = &self.phases {
            s.push_str("server CPU per request, step by step (--phased):\n");
            let mut total = 0.0;
            for (step, f) in phases {
                let per_parent =
                    f.server_cpu_us_per_request * f.requests as f64 / self.parents.max(1) as f64;
                total += per_parent;
                s.push_str(&format!(
                    "  {step:<18}{:>8.0} µs per request{:>8.0} µs per parent\n",
                    f.server_cpu_us_per_request, per_parent
                ));
            }
            s.push_str(&format!(
                "  {:<18}{:>35.0} µs per parent\n",
                "all steps", total
            ));
        }
        if let Some(c) = &self.check {
            s.push_str(&format!(
                "database: {} submitted applications with {} documents ({} more in unfinished drafts), {} missing and {} changed files: {}\n",
                c.submitted_in_database,
                c.documents_in_database,
                c.documents_of_drafts,
                c.missing_files,
                c.changed_files,
                if c.ok { "OK" } else { "NOT OK" }
            ));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: &[u64]) -> Vec<Duration> {
        v.iter().map(|m| Duration::from_millis(*m)).collect()
    }

    #[test]
    fn percentiles_are_nearest_rank_over_sorted_samples() {
        let mut samples = ms(&(1..=100).rev().collect::<Vec<_>>());
        let f = figures(&mut samples);
        assert_eq!(f.count, 100);
        assert_eq!(
            (f.p50_ms, f.p95_ms, f.p99_ms, f.max_ms),
            (50.0, 95.0, 99.0, 100.0)
        );
        let mut one = ms(&[7]);
        assert_eq!(figures(&mut one).p99_ms, 7.0);
        assert_eq!(figures(&mut []).max_ms, 0.0);
        // A single slow outlier among 1,000 shows in the maximum, not in p99.
        let mut tail = ms(&[1; 999]);
        tail.push(Duration::from_secs(3));
        let f = figures(&mut tail);
        assert_eq!((f.p99_ms, f.max_ms), (1.0, 3000.0));
    }

    #[test]
    fn tallies_add_up() {
        let mut a = Tally::default();
        a.error("timeout");
        a.steps
            .entry("submit")
            .or_default()
            .push(Duration::from_millis(3));
        a.completed = 1;
        let mut b = Tally::default();
        b.error("timeout");
        b.error("status-500");
        b.refused = 2;
        b.completed = 2;
        a.merge(b);
        assert_eq!(a.errors["timeout"], 2);
        assert_eq!(a.errors["status-500"], 1);
        assert_eq!((a.completed, a.refused, a.steps["submit"].len()), (3, 2, 1));
    }

    #[test]
    fn process_usage_reads_this_process() {
        let u = process_usage(std::process::id()).expect("own /proc entry");
        assert!(u.peak_rss_kb > 0);
    }
}
