//! The process's memory as Linux reports it (`/proc/self/status`), sampled in the background
//! while a bench runs, so a bench can show that its memory stays flat.

use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A `/proc/self/status` field in kB (`VmRSS`, the resident set now; `VmHWM`, its peak).
pub(crate) fn status_kb(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// One sample: the phase it was taken in, when, and the resident set in kB.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Sample {
    pub(crate) phase: u8,
    pub(crate) at: Duration,
    pub(crate) rss_kb: u64,
}

/// Samples the resident set every `every` on a thread of its own, tagging each sample with
/// the phase set last.
pub(crate) struct Sampler {
    phase: Arc<AtomicU8>,
    stop: Arc<AtomicBool>,
    samples: Arc<Mutex<Vec<Sample>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Sampler {
    pub(crate) fn start(every: Duration) -> Sampler {
        let phase = Arc::new(AtomicU8::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let samples = Arc::new(Mutex::new(Vec::new()));
        let (p, s, v) = (phase.clone(), stop.clone(), samples.clone());
        let thread = std::thread::spawn(move || {
            let started = Instant::now();
            while !s.load(Ordering::Relaxed) {
                if let Some(rss_kb) = status_kb("VmRSS") {
                    let sample = Sample {
                        phase: p.load(Ordering::Relaxed),
                        at: started.elapsed(),
                        rss_kb,
                    };
                    v.lock().unwrap_or_else(|e| e.into_inner()).push(sample);
                }
                std::thread::sleep(every); // a sampling period, not a wait for an event
            }
        });
        Sampler {
            phase,
            stop,
            samples,
            thread: Some(thread),
        }
    }

    pub(crate) fn phase(&self, phase: u8) {
        self.phase.store(phase, Ordering::Relaxed);
    }

    /// Stops sampling; answers every sample taken.
    pub(crate) fn finish(mut self) -> Vec<Sample> {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        std::mem::take(&mut *self.samples.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

/// Min, max and a few evenly spaced samples (in MB) of `phase`, for printing.
pub(crate) fn summary(samples: &[Sample], phase: u8, points: usize) -> String {
    let of: Vec<&Sample> = samples.iter().filter(|s| s.phase == phase).collect();
    if of.is_empty() {
        return "no samples".into();
    }
    let mb = |kb: u64| kb as f64 / 1024.0;
    let min = of.iter().map(|s| s.rss_kb).min().unwrap_or(0);
    let max = of.iter().map(|s| s.rss_kb).max().unwrap_or(0);
    let step = (of.len() / points.max(1)).max(1);
    let spaced: Vec<String> = of
        .iter()
        .step_by(step)
        .map(|s| format!("{:.1}s {:.0}", s.at.as_secs_f64(), mb(s.rss_kb)))
        .collect();
    format!(
        "min {:.0} MB, max {:.0} MB over {} samples [{}]",
        mb(min),
        mb(max),
        of.len(),
        spaced.join(", ")
    )
}
