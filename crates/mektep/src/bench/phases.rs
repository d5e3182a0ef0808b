//! `mektep bench --phased`: the server's CPU per request of each step. Parents go in waves; in
//! a wave each waits for all the others after each step, so that between two meetings the
//! server works on one step only, and the last to arrive reads the server's CPU time. A rush mixes the
//! steps, and its total per application is what the targets are about; this says where it goes.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::Barrier;

use super::flow::Failure;

pub struct Phases {
    pid: u32,
    /// Parents in a wave: requests per meeting.
    parents: usize,
    arrived: Barrier,
    measured: Barrier,
    last_ns: Mutex<u64>,
    per_step: Mutex<BTreeMap<&'static str, (u64, u64)>>,
}

/// A parent that failed leaves the others waiting; past this they give up too.
const MEETING_TIMEOUT: Duration = Duration::from_secs(120);

impl Phases {
    pub fn new(pid: u32, parents: usize) -> Result<Phases, String> {
        Ok(Phases {
            pid,
            parents,
            arrived: Barrier::new(parents),
            measured: Barrier::new(parents),
            last_ns: Mutex::new(cpu_ns(pid)?),
            per_step: Mutex::new(BTreeMap::new()),
        })
    }

    pub async fn step_done(&self, step: &'static str) -> Result<(), Failure> {
        let meet = |b: &'static str| Failure(format!("phased: a parent did not reach {b}"));
        let arrival = tokio::time::timeout(MEETING_TIMEOUT, self.arrived.wait())
            .await
            .map_err(|_| meet(step))?;
        if arrival.is_leader() {
            let now = cpu_ns(self.pid).map_err(Failure)?;
            let mut last = lock(&self.last_ns);
            let mut per_step = lock(&self.per_step);
            let entry = per_step.entry(step).or_default();
            entry.0 += now.saturating_sub(*last);
            entry.1 += self.parents as u64;
            *last = now;
        }
        tokio::time::timeout(MEETING_TIMEOUT, self.measured.wait())
            .await
            .map_err(|_| meet(step))?;
        Ok(())
    }

    /// Server CPU per request of each step, in microseconds, with the requests counted.
    pub fn figures(&self) -> BTreeMap<&'static str, StepCpu> {
        lock(&self.per_step)
            .iter()
            .map(|(step, (ns, requests))| {
                let us = *ns as f64 / 1e3 / (*requests).max(1) as f64;
                (
                    *step,
                    StepCpu {
                        requests: *requests,
                        server_cpu_us_per_request: (us * 10.0).round() / 10.0,
                    },
                )
            })
            .collect()
    }
}

#[derive(serde::Serialize, Debug)]
pub struct StepCpu {
    pub requests: u64,
    pub server_cpu_us_per_request: f64,
}

/// The server's CPU time in nanoseconds, threads that ended included; `/proc` counts it in
/// hundredths of a second, which over 1,000 parents in all is 10 µs per request.
fn cpu_ns(pid: u32) -> Result<u64, String> {
    Ok(super::report::process_usage(pid)?.cpu.as_nanos() as u64)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
