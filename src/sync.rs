//! Sending the outbox to the central service (docs/openapi.yaml). A capture counts as
//! uploaded only when the service's receipt names it and the sha256 of its photo; every
//! other answer leaves it in the outbox, to be retried after a growing, jittered wait — or,
//! when the service refused it for good (a 4xx other than 408 and 429), kept for staff.
//! Requests are idempotent on the capture's id, so repeating one after a time-out, a lost
//! answer or a crash can never store a capture twice.

use crate::config::SyncSection;
use crate::protocol::{ApiError, CaptureUpload, DecisionPage, Heartbeat, Receipt, RosterVersion};
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
    /// Try again later: the service busy or broken, an answer that is not the service's.
    Retry(String),
    /// Try again later: the service could not be reached at all (no connection, no answer
    /// in time, the connection cut). The rest of the pass is put off.
    Unreachable(String),
    /// The service refused this capture for good; staff must look at it.
    Refused(String),
}

impl Client {
    pub fn new(config: &SyncSection) -> anyhow::Result<Client> {
        let mut builder = reqwest::Client::builder();
        let ca_file = config.ca_file.trim();
        if !ca_file.is_empty() {
            use anyhow::Context;
            let pem = std::fs::read(ca_file)
                .with_context(|| format!("sync.ca_file: cannot read {ca_file}"))?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem)
                .with_context(|| format!("sync.ca_file: {ca_file} holds no PEM certificates"))?;
            anyhow::ensure!(
                !certs.is_empty(),
                "sync.ca_file: no certificate in {ca_file}"
            );
            builder = builder.tls_certs_merge(certs);
        }
        let http = builder
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
            Err(e) => return Outcome::Unreachable(network_error(e)),
        };
        let status = response.status();
        let body = match response.bytes().await {
            Ok(b) => b,
            Err(e) => return Outcome::Unreachable(network_error(e)),
        };
        classify(status.as_u16(), &body)
    }
}

impl Client {
    /// `GET /v1/roster?since=V`: the newer roster, or None when V is the newest.
    pub async fn roster_since(&self, since: i64) -> Result<Option<RosterVersion>, String> {
        let (status, body) = self
            .call(self.http.get(self.url(&format!("roster?since={since}"))))
            .await?;
        match status {
            204 => Ok(None),
            200 => serde_json::from_slice(&body).map(Some).map_err(|_| {
                "GET /v1/roster: the answer is not a roster (a captive portal?)".into()
            }),
            _ => Err(format!("GET /v1/roster: HTTP {status}: {}", why(&body))),
        }
    }

    /// `GET /v1/decisions?since=C`: one page of decisions after C.
    pub async fn decisions_since(&self, since: i64) -> Result<DecisionPage, String> {
        let (status, body) = self
            .call(self.http.get(self.url(&format!("decisions?since={since}"))))
            .await?;
        match status {
            200 => serde_json::from_slice(&body).map_err(|_| {
                "GET /v1/decisions: the answer is not a page of decisions (a captive portal?)"
                    .into()
            }),
            _ => Err(format!("GET /v1/decisions: HTTP {status}: {}", why(&body))),
        }
    }

    /// `POST /v1/heartbeat`.
    pub async fn heartbeat(&self, beat: &Heartbeat) -> Result<(), String> {
        let (status, body) = self
            .call(self.http.post(self.url("heartbeat")).json(beat))
            .await?;
        match status {
            200..=299 => Ok(()),
            _ => Err(format!("POST /v1/heartbeat: HTTP {status}: {}", why(&body))),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}/v1/{path}", self.base)
    }

    async fn call(&self, request: reqwest::RequestBuilder) -> Result<(u16, Vec<u8>), String> {
        let response = request
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(network_error)?;
        let status = response.status().as_u16();
        let body = response.bytes().await.map_err(network_error)?;
        Ok((status, body.to_vec()))
    }
}

fn why(body: &[u8]) -> String {
    serde_json::from_slice::<ApiError>(body)
        .map(|e| e.error)
        .unwrap_or_else(|_| "(no message)".into())
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
    let why = || why(body);
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
        // The kiosk's token, not the capture: retried once staff fix [sync] token.
        401 => Outcome::Retry(format!(
            "HTTP 401: the service does not accept this kiosk's token (check [sync] token): {}",
            why()
        )),
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
    // Set when the service cannot be reached: the uploads not begun yet are put off to
    // when the failed one is retried, rather than each failing on its own.
    let unreachable: Arc<Mutex<Option<Unreachable>>> = Default::default();
    let mut tasks = tokio::task::JoinSet::new();
    for item in due {
        let (store, client, permits) = (store.clone(), client.clone(), permits.clone());
        let unreachable = unreachable.clone();
        tasks.spawn(async move {
            let _permit = permits
                .acquire_owned()
                .await
                .expect("the semaphore stays open");
            let id = item.capture_id;
            if unreachable
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .is_some()
            {
                return Ok((id, Tally::Deferred));
            }
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
                Outcome::Unreachable(why) => {
                    let at = retry_at();
                    store.mark_failed(id, &why, at)?;
                    let mut first = unreachable.lock().unwrap_or_else(|p| p.into_inner());
                    if first.is_none()
                        && let Some(at) = at
                    {
                        *first = Some((why.clone(), at));
                    }
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
    let mut deferred = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        match joined.expect("an upload task does not panic") {
            Ok((id, Tally::Deferred)) => deferred.push(id),
            Ok((id, tally)) => match tally {
                Tally::Sent => summary.sent += 1,
                Tally::AlreadyThere => summary.already_there += 1,
                Tally::Retrying(why) => summary.retrying.push((id, why)),
                Tally::Refused(why) => summary.refused.push((id, why)),
                Tally::Deferred => unreachable!("handled above"),
            },
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
        progress(summary.done(), total);
    }
    if let Some(e) = first_error {
        return Err(e);
    }
    if !deferred.is_empty() {
        let (why, at) = unreachable
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .expect("deferred only once unreachable");
        let why = format!("not tried this pass: {why}");
        lock(store).defer_uploads(&deferred, &why, at)?;
        summary
            .retrying
            .extend(deferred.into_iter().map(|id| (id, why.clone())));
        progress(summary.done(), total);
    }
    Ok(summary)
}

/// Why and until when a pass puts off the uploads it has not begun.
type Unreachable = (String, chrono::DateTime<Utc>);

/// What a pull from the service brought.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PullSummary {
    /// A newer roster was applied: (version, entries, rows left out as invalid).
    pub roster: Option<(i64, usize, usize)>,
    /// Review decisions applied to captures on this kiosk.
    pub decisions: usize,
    /// What could not be fetched or sent this time (tried again at the next pass).
    pub problems: Vec<String>,
}

/// Pages of decisions fetched at most in one pass (the rest comes at the next).
const MAX_DECISION_PAGES: usize = 100;

/// Fetches a newer roster and the review decisions since the last ones applied, and
/// sends `heartbeat` when given. The network failing is a problem reported in the
/// summary; only the store's own failures are errors.
pub async fn pull_pass(
    store: &Arc<Mutex<Store>>,
    client: &Client,
    admission_no_len: usize,
    heartbeat: Option<Heartbeat>,
) -> Result<PullSummary, StoreError> {
    let mut summary = PullSummary::default();
    let seen = lock(store).roster_version_seen()?;
    match client.roster_since(seen).await {
        Ok(Some(roster)) => {
            let mut entries = Vec::with_capacity(roster.entries.len());
            let mut bad = 0;
            for row in &roster.entries {
                match crate::roster::RosterEntry::from_row(row, admission_no_len) {
                    Ok(e) => entries.push(e),
                    Err(_) => bad += 1,
                }
            }
            if entries.is_empty() && bad > 0 {
                lock(store).refuse_roster_version(roster.version)?;
                summary.problems.push(format!(
                    "roster version {}: none of its {bad} rows is valid here (admission numbers of \
                     {admission_no_len} digits?); kept the roster held, and will not fetch this version again",
                    roster.version
                ));
            } else {
                let n = lock(store).apply_roster_version(&entries, roster.version)?;
                summary.roster = Some((roster.version, n, bad));
            }
        }
        Ok(None) => {}
        Err(why) => summary.problems.push(why),
    }
    let mut cursor = lock(store).decisions_cursor()?;
    for _ in 0..MAX_DECISION_PAGES {
        match client.decisions_since(cursor).await {
            Ok(page) if page.decisions.is_empty() => break,
            Ok(page) => {
                summary.decisions += lock(store).apply_decisions(&page.decisions, page.cursor)?;
                cursor = page.cursor;
                if !page.more {
                    break;
                }
            }
            Err(why) => {
                summary.problems.push(why);
                break;
            }
        }
    }
    if let Some(beat) = heartbeat
        && let Err(why) = client.heartbeat(&beat).await
    {
        summary.problems.push(why);
    }
    Ok(summary)
}

/// Deletes the photo files whose receipt is older than `sync.retention_days` (0: never).
pub fn prune(store: &mut Store, config: &SyncSection) -> Result<usize, StoreError> {
    if config.retention_days == 0 {
        return Ok(0);
    }
    store.prune_uploaded_photos(
        Utc::now(),
        Duration::from_secs(config.retention_days * 86_400),
    )
}

/// How this kiosk is doing, for `POST /v1/heartbeat`.
pub fn heartbeat(store: &Store, camera: &str) -> Result<Heartbeat, StoreError> {
    let counts = store.outbox_counts()?;
    Ok(Heartbeat {
        version: env!("CARGO_PKG_VERSION").into(),
        queue_length: counts.pending,
        refused: counts.failed,
        free_disk_bytes: crate::store::free_space(store.data_dir()).ok(),
        camera: camera.into(),
        sent_at: chrono::Local::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    })
}

enum Tally {
    Sent,
    AlreadyThere,
    Retrying(String),
    Refused(String),
    /// Not tried: the service was found unreachable in this pass.
    Deferred,
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
        for status in [401, 408, 429, 500, 502, 503] {
            assert!(
                matches!(classify(status, b""), Outcome::Retry(_)),
                "{status}"
            );
        }
        for status in [400, 403, 404, 409, 413] {
            assert!(
                matches!(classify(status, br#"{"error":"why"}"#), Outcome::Refused(ref w) if w.ends_with("why")),
                "{status}"
            );
        }
    }

    #[test]
    fn staff_are_told_the_common_causes_in_both_languages() {
        let why = |o: Outcome| match o {
            Outcome::Retry(w) | Outcome::Refused(w) | Outcome::Unreachable(w) => w,
            other => panic!("{other:?}"),
        };
        let portal = why(classify(200, b"<html>log in</html>"));
        assert!(explain(&portal).unwrap().0.contains("认证页面"));
        assert!(
            explain(&why(classify(401, b"")))
                .unwrap()
                .1
                .contains("token")
        );
        assert!(
            explain(&why(classify(503, b"")))
                .unwrap()
                .0
                .contains("出错")
        );
        assert!(
            explain("cannot connect to the central service")
                .unwrap()
                .1
                .contains("network down")
        );
        assert!(explain("no answer in time (time-out)").is_some());
        assert!(explain(&why(classify(409, br#"{"error":"held"}"#))).is_some());
        // Anything else is shown as it is.
        assert_eq!(
            explain(&why(classify(413, br#"{"error":"too large"}"#))),
            None
        );
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

/// A sync problem in a few words for the staff screen, in Chinese and English, for the
/// causes staff can act on; None for the rest (shown as they are).
pub fn explain(why: &str) -> Option<(&'static str, &'static str)> {
    let has = |s: &str| why.contains(s);
    Some(if has("cannot connect") || has("network error") {
        (
            "无法连接中心服务（网络断开？），稍后自动重试",
            "cannot reach the central service (network down?); retried automatically",
        )
    } else if has("time-out") {
        (
            "中心服务无响应（超时），稍后自动重试",
            "no answer from the central service in time; retried automatically",
        )
    } else if has("captive portal") {
        (
            "网络需要登录（认证页面），请先登录网络",
            "the network wants a log-in (captive portal); log in to it first",
        )
    } else if has("HTTP 401") {
        (
            "中心服务不接受本机令牌，请检查配置 [sync] token",
            "the service does not accept this kiosk's token; check [sync] token",
        )
    } else if has("HTTP 409") {
        (
            "中心服务已存有同一编号的另一张照片：请联系中心核对",
            "the service holds another photo under this capture's id: ask the central office",
        )
    } else if has("missing or not the photo that was accepted") {
        (
            "本机照片文件丢失或损坏：请运行 capture-kiosk doctor",
            "a photo file on this kiosk is missing or damaged: run capture-kiosk doctor",
        )
    } else if has("HTTP 5") {
        (
            "中心服务出错，稍后自动重试",
            "the central service has a fault; retried automatically",
        )
    } else {
        return None;
    })
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
    /// Staff asked: the next pass tries every waiting capture, back-off or not.
    everything: Arc<std::sync::atomic::AtomicBool>,
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
        let everything = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (thread_status, thread_wake) = (status.clone(), wake.clone());
        let thread_everything = everything.clone();
        let started = std::thread::Builder::new()
            .name("sync".into())
            .spawn(move || {
                let background = Side {
                    data_dir: &data_dir,
                    config: &config,
                    admission_no_len,
                    camera: &camera,
                    status: &thread_status,
                    wake: &thread_wake,
                    everything: &thread_everything,
                };
                background.run()
            });
        if let Err(e) = started {
            tracing::error!("sync not started: {e}");
            return None;
        }
        Some(Background {
            status,
            wake,
            everything,
        })
    }

    /// Staff asked to send now: a pass at once that tries every waiting capture, without
    /// waiting out their back-off.
    pub fn send_everything_now(&self) {
        self.everything
            .store(true, std::sync::atomic::Ordering::Relaxed);
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
}

/// What the sync thread works with.
struct Side<'a> {
    data_dir: &'a std::path::Path,
    config: &'a SyncSection,
    admission_no_len: usize,
    camera: &'a Mutex<String>,
    status: &'a Mutex<SyncStatus>,
    wake: &'a tokio::sync::Notify,
    everything: &'a std::sync::atomic::AtomicBool,
}

impl Side<'_> {
    fn run(&self) {
        let runtime = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(r) => r,
            Err(e) => return tracing::error!("sync not started: {e}"),
        };
        let client = match Client::new(self.config) {
            Ok(c) => c,
            Err(e) => return tracing::error!("sync not started: {e}"),
        };
        let interval = Duration::from_secs(self.config.interval_secs);
        runtime.block_on(async {
            let mut store: Option<Arc<Mutex<Store>>> = None;
            loop {
                let mut wait = interval;
                if store.is_none() {
                    store = Store::open(self.data_dir)
                        .map(|s| Arc::new(Mutex::new(s)))
                        .map_err(|e| tracing::error!("sync cannot open the store: {e}"))
                        .ok();
                }
                if let Some(s) = &store
                    && let Err(e) = self.pass(s, &client).await
                {
                    tracing::error!("sync pass failed: {e}");
                    self.status
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .last_problem = Some(e.to_string());
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
        });
    }

    /// Sends what is due, then fetches roster and decisions and sends the heartbeat.
    async fn pass(&self, store: &Arc<Mutex<Store>>, client: &Client) -> Result<(), StoreError> {
        let due_by = if self
            .everything
            .swap(false, std::sync::atomic::Ordering::Relaxed)
        {
            Utc::now() + chrono::Duration::days(36_500)
        } else {
            Utc::now()
        };
        let pushed = push_pass(store, client, self.config, due_by, |_, _| {}).await?;
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
        if let Some((version, entries, bad)) = pulled.roster {
            tracing::info!(
                "sync: roster version {version} applied, {entries} entries, {bad} invalid rows left out"
            );
        }
        if pulled.decisions > 0 {
            tracing::info!("sync: {} review decision(s) applied", pulled.decisions);
        }
        let pruned = prune(&mut lock(store), self.config)?;
        if pruned > 0 {
            tracing::info!("sync: {pruned} photo file(s) deleted after the retention period");
        }
        let problem = pushed
            .retrying
            .first()
            .or(pushed.refused.first())
            .map(|(_, why)| why.clone())
            .or_else(|| pulled.problems.first().cloned());
        self.status
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .last_problem = problem;
        Ok(())
    }
}
