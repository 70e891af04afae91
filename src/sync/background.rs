//! The kiosk's sync running beside the screen: its own thread, its own tokio runtime and its
//! own connection to the store, so it never holds up the camera or the screen. A pass every
//! `sync.interval_secs`, sooner when a retry falls due or a capture was just accepted; missed
//! passes are not made up. [`Background::stop`] ends it within a bounded time, cancelling a
//! pass in flight (nothing is lost: an upload without its receipt stays in the outbox).

use super::{Client, SyncProblem, heartbeat, lock, prune, pull_pass, push_pass};
use crate::config::SyncSection;
use crate::store::{Store, StoreError};
use chrono::Utc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the staff screen shows about sync.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncStatus {
    /// Why the last pass could not send or fetch everything, if it could not.
    pub last_problem: Option<SyncProblem>,
}

/// The handle the kiosk keeps on its sync thread.
pub struct Background {
    status: Arc<Mutex<SyncStatus>>,
    wake: Arc<tokio::sync::Notify>,
    /// Staff asked: the next pass tries every waiting capture, back-off or not.
    everything: Arc<AtomicBool>,
    stop: Arc<tokio::sync::Notify>,
    stopping: Arc<AtomicBool>,
    done: std::sync::mpsc::Receiver<()>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Background {
    /// Starts passes every `interval_secs` (sooner when a retry falls due or `nudge` is
    /// called). None when no service is configured.
    /// `camera` is the camera's state as the heartbeat reports it, kept up to date by the
    /// caller; `admission_no_len` checks the rosters the service sends.
    pub fn spawn(
        data_dir: std::path::PathBuf,
        config: SyncSection,
        admission_no_len: usize,
        camera: Arc<Mutex<String>>,
    ) -> Option<Background> {
        if config.server.trim().is_empty() {
            return None;
        }
        let status = Arc::new(Mutex::new(SyncStatus::default()));
        let wake = Arc::new(tokio::sync::Notify::new());
        let everything = Arc::new(AtomicBool::new(false));
        let stop = Arc::new(tokio::sync::Notify::new());
        let stopping = Arc::new(AtomicBool::new(false));
        let (done_tx, done) = std::sync::mpsc::channel();
        let side = Side {
            data_dir,
            config,
            admission_no_len,
            camera,
            status: status.clone(),
            wake: wake.clone(),
            everything: everything.clone(),
            stop: stop.clone(),
            stopping: stopping.clone(),
        };
        let started = std::thread::Builder::new()
            .name("sync".into())
            .spawn(move || {
                side.run();
                let _ = done_tx.send(());
            });
        match started {
            Ok(thread) => Some(Background {
                status,
                wake,
                everything,
                stop,
                stopping,
                done,
                thread: Some(thread),
            }),
            Err(e) => {
                tracing::error!("sync not started: {e}");
                None
            }
        }
    }

    /// Staff asked to send now: a pass at once that tries every waiting capture, without
    /// waiting out their back-off.
    pub fn send_everything_now(&self) {
        self.everything.store(true, Ordering::Relaxed);
        self.wake.notify_one();
    }

    /// A capture was just accepted: send it now rather than at the next interval.
    pub fn nudge(&self) {
        self.wake.notify_one();
    }

    pub fn status(&self) -> SyncStatus {
        self.status
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Ends the sync thread: a pass in flight is cancelled (its uploads stay in the outbox
    /// until a receipt comes). Waits at most `patience`; returns whether it ended in time
    /// (if not, the thread is left to end on its own).
    pub fn stop(mut self, patience: Duration) -> bool {
        self.stopping.store(true, Ordering::Relaxed);
        self.stop.notify_one();
        let ended = self.done.recv_timeout(patience).is_ok();
        if ended && let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        if !ended {
            tracing::warn!("sync did not stop within {patience:?}; left to end on its own");
        }
        ended
    }
}

/// What the sync thread works with.
struct Side {
    data_dir: std::path::PathBuf,
    config: SyncSection,
    admission_no_len: usize,
    camera: Arc<Mutex<String>>,
    status: Arc<Mutex<SyncStatus>>,
    wake: Arc<tokio::sync::Notify>,
    everything: Arc<AtomicBool>,
    stop: Arc<tokio::sync::Notify>,
    stopping: Arc<AtomicBool>,
}

impl Side {
    fn run(&self) {
        let runtime = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(r) => r,
            Err(e) => return tracing::error!("sync not started: {e}"),
        };
        let client = match Client::new(&self.config) {
            Ok(c) => c,
            Err(e) => return tracing::error!("sync not started: {e:#}"),
        };
        runtime.block_on(async {
            tokio::select! {
                _ = self.passes(&client) => {}
                _ = self.stop.notified() => {}
            }
        });
        tracing::info!("sync stopped");
    }

    /// Pass after pass, until stopped.
    async fn passes(&self, client: &Client) {
        let interval = Duration::from_secs(self.config.interval_secs);
        let mut store: Option<Arc<Mutex<Store>>> = None;
        while !self.stopping.load(Ordering::Relaxed) {
            let mut wait = interval;
            if store.is_none() {
                store = Store::open(&self.data_dir)
                    .map(|s| Arc::new(Mutex::new(s)))
                    .map_err(|e| tracing::error!("sync cannot open the store: {e}"))
                    .ok();
            }
            if let Some(s) = &store
                && let Err(e) = self.pass(s, client).await
            {
                tracing::error!("sync pass failed: {e}");
                self.set_problem(Some(SyncProblem::Store(e.to_string())));
                store = None;
            }
            // Come back when the first retry falls due, if that is sooner.
            if let Some(s) = &store {
                let next = lock(s).outbox_next_due().ok().flatten();
                if let Some(due) = next {
                    let until = (due - Utc::now()).to_std().unwrap_or(Duration::ZERO);
                    wait = wait.min(until.max(Duration::from_millis(200)));
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = self.wake.notified() => {}
            }
        }
    }

    fn set_problem(&self, problem: Option<SyncProblem>) {
        self.status
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .last_problem = problem;
    }

    /// Sends what is due, then fetches roster and decisions and sends the heartbeat.
    async fn pass(&self, store: &Arc<Mutex<Store>>, client: &Client) -> Result<(), StoreError> {
        let due_by = if self.everything.swap(false, Ordering::Relaxed) {
            Utc::now() + chrono::Duration::days(36_500)
        } else {
            Utc::now()
        };
        let pushed = push_pass(store, client, &self.config, due_by, |_, _| {}).await?;
        if pushed.sent + pushed.already_there > 0 || !pushed.retrying.is_empty() {
            tracing::info!(
                "sync: sent {}, already there {}, retrying {}, refused {}",
                pushed.sent,
                pushed.already_there,
                pushed.retrying.len(),
                pushed.refused.len()
            );
        }
        let camera = self
            .camera
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let beat = heartbeat(&lock(store), &camera)?;
        let pulled = pull_pass(store, client, self.admission_no_len, Some(beat)).await?;
        if let Some(r) = pulled.roster {
            tracing::info!(
                "sync: roster version {} applied, {} entries, {} invalid and {} duplicated rows left out",
                r.version,
                r.entries,
                r.invalid,
                r.duplicates
            );
        }
        if pulled.decisions > 0 {
            tracing::info!("sync: {} review decision(s) applied", pulled.decisions);
        }
        for why in &pulled.problems {
            tracing::warn!("sync: {why}");
        }
        let pruned = prune(&mut lock(store), &self.config)?;
        if pruned > 0 {
            tracing::info!("sync: {pruned} photo file(s) deleted after the retention period");
        }
        let problem = pushed
            .retrying
            .first()
            .or(pushed.refused.first())
            .map(|(_, why)| why.clone())
            .or_else(|| pulled.problems.first().cloned());
        self.set_problem(problem);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kiosk_without_a_service_runs_no_sync() {
        let dir = tempfile::tempdir().unwrap();
        let none = Background::spawn(
            dir.path().to_owned(),
            SyncSection::default(),
            12,
            Default::default(),
        );
        assert!(none.is_none());
    }

    #[test]
    fn the_sync_thread_stops_within_its_bound_while_the_service_does_not_answer() {
        // A listener that accepts and never answers: a pass hangs in its request.
        let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = silent.local_addr().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let config = SyncSection {
            server: format!("http://{addr}"),
            token: "t".into(),
            timeout_secs: 600,
            ..SyncSection::default()
        };
        let sync =
            Background::spawn(dir.path().to_owned(), config, 12, Default::default()).unwrap();
        // Wait until the pass is waiting on the silent service.
        let (_conn, _) = silent.accept().unwrap();
        assert!(
            sync.stop(Duration::from_secs(10)),
            "the thread ended although its request had no answer"
        );
    }
}
