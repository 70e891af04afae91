//! Sending the outbox to the central service (docs/openapi.yaml). A capture counts as
//! uploaded only when the service's receipt names it and the sha256 of its photo; every
//! other answer leaves it in the outbox, to be retried after a growing, jittered wait — or,
//! when the service refused it for good (a 4xx other than 408 and 429), kept for staff.
//! Requests are idempotent on the capture's id, so repeating one after a time-out, a lost
//! answer or a crash can never store a capture twice.

use crate::config::SyncSection;
use crate::protocol::{ApiError, CaptureUpload, Receipt};
use crate::store::{Store, StoreError};
use chrono::Utc;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use uuid::Uuid;

/// The first retry waits this long; each further one twice as long, up to the config's cap.
const FIRST_BACKOFF: Duration = Duration::from_secs(2);

/// The central service as the kiosk calls it.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    token: String,
}

/// What became of one upload attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Received now (201).
    Sent(Receipt),
    /// The service already had it (200): an earlier attempt got through.
    AlreadyThere(Receipt),
    /// Try again later: the network, a time-out, the service busy or broken, an answer
    /// that is not the service's.
    Retry(String),
    /// The service refused this capture for good; staff must look at it.
    Refused(String),
}

impl Client {
    pub fn new(config: &SyncSection) -> anyhow::Result<Client> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(config.timeout_secs))
            .connect_timeout(Duration::from_secs(config.timeout_secs.min(10)))
            // A redirect is a captive portal or a misconfiguration, never the service.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("capture-kiosk/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Client {
            http,
            base: config.server.trim().trim_end_matches('/').to_owned(),
            token: config.token.trim().to_owned(),
        })
    }

    /// `PUT /v1/captures/{id}`.
    pub async fn put_capture(&self, upload: &CaptureUpload) -> Outcome {
        let url = format!("{}/v1/captures/{}", self.base, upload.id);
        let answer = self
            .http
            .put(&url)
            .bearer_auth(&self.token)
            .json(upload)
            .send()
            .await;
        let response = match answer {
            Ok(r) => r,
            Err(e) => return Outcome::Retry(network_error(e)),
        };
        let status = response.status();
        let body = match response.bytes().await {
            Ok(b) => b,
            Err(e) => return Outcome::Retry(network_error(e)),
        };
        classify(status.as_u16(), &body)
    }
}

fn network_error(e: reqwest::Error) -> String {
    if e.is_timeout() {
        "no answer in time (time-out)".into()
    } else if e.is_connect() {
        "cannot connect to the central service".into()
    } else {
        // Without the URL: it is known, and the message stays short.
        format!("network error: {}", e.without_url())
    }
}

/// What an answer to a PUT means.
fn classify(status: u16, body: &[u8]) -> Outcome {
    let why = || {
        serde_json::from_slice::<ApiError>(body)
            .map(|e| e.error)
            .unwrap_or_else(|_| "(no message)".into())
    };
    match status {
        200 | 201 => match serde_json::from_slice::<Receipt>(body) {
            Ok(r) if status == 201 => Outcome::Sent(r),
            Ok(r) => Outcome::AlreadyThere(r),
            Err(_) => Outcome::Retry(format!(
                "HTTP {status} but no receipt in the answer (a captive portal or a proxy?)"
            )),
        },
        300..=399 => Outcome::Retry(format!(
            "HTTP {status}: redirected (a captive portal? log in to the network)"
        )),
        408 | 429 => Outcome::Retry(format!("HTTP {status}: {}", why())),
        400..=499 => Outcome::Refused(format!("HTTP {status}: {}", why())),
        _ => Outcome::Retry(format!("HTTP {status}: {}", why())),
    }
}

/// The wait before the attempt after `attempts` failed ones: 2 s doubling up to `cap`, then
/// a random half of it taken off, so kiosks that failed together do not return together.
pub fn backoff(attempts: u32, cap: Duration, random: f64) -> Duration {
    let full = FIRST_BACKOFF
        .saturating_mul(1u32 << attempts.min(20))
        .min(cap);
    full.mul_f64(1.0 - 0.5 * random.clamp(0.0, 1.0))
}

fn random_unit() -> f64 {
    (Uuid::new_v4().as_u128() >> 75) as f64 / (1u64 << 53) as f64
}

/// One pass's result.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub sent: u64,
    pub already_there: u64,
    /// Will be retried: (capture, why).
    pub retrying: Vec<(Uuid, String)>,
    /// Refused for good, or their photo on this kiosk is damaged: (capture, why).
    pub refused: Vec<(Uuid, String)>,
}

impl Summary {
    pub fn done(&self) -> u64 {
        self.sent + self.already_there + (self.retrying.len() + self.refused.len()) as u64
    }
}

/// Sends every capture due by `due_by` (now, for the running kiosk; later, to skip the
/// back-off when staff ask), oldest first, at most `concurrency` at once; `progress` is
/// told (done, total) after each. Only the store's own failures end a pass early.
pub async fn push_pass(
    store: &Arc<Mutex<Store>>,
    client: &Client,
    config: &SyncSection,
    due_by: chrono::DateTime<Utc>,
    mut progress: impl FnMut(u64, u64),
) -> Result<Summary, StoreError> {
    let due = lock(store).outbox_due(due_by, 1_000_000)?;
    let total = due.len() as u64;
    let permits = Arc::new(tokio::sync::Semaphore::new(
        config.concurrency.max(1) as usize
    ));
    let cap = Duration::from_secs(config.max_backoff_secs);
    let mut tasks = tokio::task::JoinSet::new();
    for item in due {
        let (store, client, permits) = (store.clone(), client.clone(), permits.clone());
        tasks.spawn(async move {
            let _permit = permits
                .acquire_owned()
                .await
                .expect("the semaphore stays open");
            let id = item.capture_id;
            let upload = lock(&store).upload_for(id);
            let outcome = match upload {
                Ok(upload) => client.put_capture(&upload).await,
                Err(e @ StoreError::PhotoDamaged { .. }) => Outcome::Refused(e.to_string()),
                Err(e) => return Err(e),
            };
            let mut store = lock(&store);
            let retry_at = || {
                let wait = backoff(item.attempts, cap, random_unit());
                Some(Utc::now() + chrono::Duration::from_std(wait).unwrap_or_default())
            };
            let (receipt, tally) = match outcome {
                Outcome::Sent(r) => (r, Tally::Sent),
                Outcome::AlreadyThere(r) => (r, Tally::AlreadyThere),
                Outcome::Retry(why) => {
                    store.mark_failed(id, &why, retry_at())?;
                    return Ok((id, Tally::Retrying(why)));
                }
                Outcome::Refused(why) => {
                    store.mark_failed(id, &why, None)?;
                    return Ok((id, Tally::Refused(why)));
                }
            };
            match store.mark_uploaded(id, &receipt) {
                Ok(()) => Ok((id, tally)),
                Err(e @ StoreError::ReceiptMismatch { .. }) => {
                    let why = format!("the service answered with a wrong receipt: {e}");
                    store.mark_failed(id, &why, retry_at())?;
                    Ok((id, Tally::Retrying(why)))
                }
                Err(e) => Err(e),
            }
        });
    }
    let mut summary = Summary::default();
    let mut first_error = None;
    while let Some(joined) = tasks.join_next().await {
        match joined.expect("an upload task does not panic") {
            Ok((id, tally)) => match tally {
                Tally::Sent => summary.sent += 1,
                Tally::AlreadyThere => summary.already_there += 1,
                Tally::Retrying(why) => summary.retrying.push((id, why)),
                Tally::Refused(why) => summary.refused.push((id, why)),
            },
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
        progress(summary.done(), total);
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(summary),
    }
}

enum Tally {
    Sent,
    AlreadyThere,
    Retrying(String),
    Refused(String),
}

fn lock(store: &Arc<Mutex<Store>>) -> std::sync::MutexGuard<'_, Store> {
    store.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_told_apart() {
        let receipt = br#"{"id":"6f1c1b4e-2f5e-4c1a-9d7e-0a8f3c2b1d00","sha256":"ab","received_at":"2026-11-21T01:00:00Z"}"#;
        assert!(matches!(classify(201, receipt), Outcome::Sent(_)));
        assert!(matches!(classify(200, receipt), Outcome::AlreadyThere(_)));
        // A captive portal's page with 200 is not a receipt.
        assert!(matches!(
            classify(200, b"<html>Welcome to the hotel wifi</html>"),
            Outcome::Retry(_)
        ));
        assert!(matches!(classify(302, b""), Outcome::Retry(_)));
        for status in [408, 429, 500, 502, 503] {
            assert!(
                matches!(classify(status, b""), Outcome::Retry(_)),
                "{status}"
            );
        }
        for status in [400, 401, 403, 404, 409, 413] {
            assert!(
                matches!(classify(status, br#"{"error":"why"}"#), Outcome::Refused(ref w) if w.ends_with("why")),
                "{status}"
            );
        }
    }

    #[test]
    fn the_wait_doubles_up_to_the_cap_with_jitter() {
        let cap = Duration::from_secs(600);
        assert_eq!(backoff(0, cap, 0.0), Duration::from_secs(2));
        assert_eq!(backoff(3, cap, 0.0), Duration::from_secs(16));
        assert_eq!(backoff(30, cap, 0.0), cap);
        assert_eq!(backoff(3, cap, 1.0), Duration::from_secs(8));
        for _ in 0..100 {
            let r = random_unit();
            assert!((0.0..1.0).contains(&r));
        }
    }
}

/// What the staff screen shows about sync.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncStatus {
    /// Why the last pass could not send everything, if it could not.
    pub last_problem: Option<String>,
}

/// The kiosk's sync running beside the screen: its own thread, its own tokio runtime and
/// its own connection to the store, so it never holds up the camera or the screen.
pub struct Background {
    status: Arc<Mutex<SyncStatus>>,
    wake: Arc<tokio::sync::Notify>,
}

impl Background {
    /// Starts passes every `interval_secs` (sooner when a retry falls due or `nudge` is
    /// called). None when no service is configured.
    pub fn spawn(data_dir: std::path::PathBuf, config: SyncSection) -> Option<Background> {
        if config.server.trim().is_empty() {
            return None;
        }
        let status = Arc::new(Mutex::new(SyncStatus::default()));
        let wake = Arc::new(tokio::sync::Notify::new());
        let (thread_status, thread_wake) = (status.clone(), wake.clone());
        let started = std::thread::Builder::new()
            .name("sync".into())
            .spawn(move || run_background(&data_dir, &config, &thread_status, &thread_wake));
        if let Err(e) = started {
            tracing::error!("sync not started: {e}");
            return None;
        }
        Some(Background { status, wake })
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
}

fn run_background(
    data_dir: &std::path::Path,
    config: &SyncSection,
    status: &Mutex<SyncStatus>,
    wake: &tokio::sync::Notify,
) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return tracing::error!("sync not started: {e}"),
    };
    let client = match Client::new(config) {
        Ok(c) => c,
        Err(e) => return tracing::error!("sync not started: {e}"),
    };
    let interval = Duration::from_secs(config.interval_secs);
    runtime.block_on(async {
        let mut store: Option<Arc<Mutex<Store>>> = None;
        loop {
            let mut wait = interval;
            if store.is_none() {
                store = Store::open(data_dir)
                    .map(|s| Arc::new(Mutex::new(s)))
                    .map_err(|e| tracing::error!("sync cannot open the store: {e}"))
                    .ok();
            }
            if let Some(s) = &store {
                let pass = push_pass(s, &client, config, Utc::now(), |_, _| {}).await;
                let mut shown = status.lock().unwrap_or_else(|p| p.into_inner());
                match pass {
                    Ok(summary) => {
                        shown.last_problem = summary
                            .retrying
                            .first()
                            .or(summary.refused.first())
                            .map(|(_, why)| why.clone());
                        if summary.sent + summary.already_there > 0 || !summary.retrying.is_empty()
                        {
                            tracing::info!(
                                "sync: sent {}, already there {}, retrying {}, refused {}",
                                summary.sent,
                                summary.already_there,
                                summary.retrying.len(),
                                summary.refused.len()
                            );
                        }
                    }
                    Err(e) => {
                        tracing::error!("sync pass failed: {e}");
                        shown.last_problem = Some(e.to_string());
                        store = None;
                    }
                }
                drop(shown);
                // Come back when the first retry falls due, if that is sooner.
                if let Some(s) = &store {
                    let next = lock(s).outbox_next_due().ok().flatten();
                    if let Some(due) = next {
                        let until = (due - Utc::now()).to_std().unwrap_or(Duration::ZERO);
                        wait = wait.min(until.max(Duration::from_millis(200)));
                    }
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = wake.notified() => {}
            }
        }
    });
}
