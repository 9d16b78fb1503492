//! Progress bars (indicatif) for the bench's phases: timed ones show the count so far, counted
//! ones how many of how many. They draw on standard error, and only on a terminal.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

/// A bar over `duration` showing `counter` as `unit`; runs on its own thread until the time
/// is up. Join the handle after the workers.
pub fn timed(
    label: &str,
    duration: Duration,
    counter: Arc<AtomicU64>,
    unit: &'static str,
) -> std::thread::JoinHandle<()> {
    let total = u64::try_from(duration.as_millis()).unwrap_or(u64::MAX).max(1);
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{prefix:>28} [{bar:30}] {elapsed:>3} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_prefix(label.to_string());
    std::thread::spawn(move || {
        let start = Instant::now();
        loop {
            let ms = u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX);
            bar.set_position(ms.min(total));
            bar.set_message(format!("{} {unit}", counter.load(Ordering::Relaxed)));
            if ms >= total {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        bar.finish();
    })
}

/// A bar counting to `total`.
pub fn counted(label: &str, total: u64, unit: &'static str) -> ProgressBar {
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template(&format!(
            "{{prefix:>28}} [{{bar:30}}] {{pos}}/{{len}} {unit} {{per_sec}} eta {{eta}}"
        ))
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar.set_prefix(label.to_string());
    bar
}

/// A spinner for a step that takes as long as it takes.
pub fn step(label: &str) -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{prefix:>28} {spinner} {elapsed} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.set_prefix(label.to_string());
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}
