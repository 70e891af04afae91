//! Sending the outbox to the central service (docs/openapi.yaml). A capture counts as
//! uploaded only when the service's receipt names it and the sha256 of its photo; every
//! other answer leaves it in the outbox, to be retried after a growing, jittered wait — or,
//! when the service refused it for good (a 4xx other than 401, 408 and 429), kept for staff.
//! Requests are idempotent on the capture's id, so repeating one after a time-out, a lost
//! answer or a crash can never store a capture twice.
//!
//! `Client` speaks HTTP and classifies answers; `push_pass` and `pull_pass` are one pass
//! each over a store; `background` runs passes on their own thread beside the screen.

mod background;
mod problem;

pub use background::{Background, SyncStatus};
pub use problem::SyncProblem;

use crate::config::SyncSection;
use crate::store::{Store, StoreError};
use capture_core::roster::RosterEntry;
use capture_protocol::{ApiError, CaptureUpload, DecisionPage, Heartbeat, Receipt, RosterVersion};
use chrono::Utc;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use uuid::Uuid;

/// The first retry waits this long; each further one twice as long, up to the config's cap.
const FIRST_BACKOFF: Duration = Duration::from_secs(2);

const PUT_CAPTURE: &str = "PUT /v1/captures";
const GET_ROSTER: &str = "GET /v1/roster";
const GET_DECISIONS: &str = "GET /v1/decisions";
const POST_HEARTBEAT: &str = "POST /v1/heartbeat";

/// The largest answer read for each call; more is not the service's (a proxy's or a lying
/// service's), and is cut off there instead of filling the kiosk's memory. A roster of
/// 200,000 candidates is about 25 MB of JSON.
const MAX_ROSTER_BYTES: usize = 48 << 20;
/// A page of decisions: at most a few hundred of some hundred bytes each.
const MAX_DECISIONS_BYTES: usize = 4 << 20;
/// A receipt, an error or the heartbeat's answer.
const MAX_ANSWER_BYTES: usize = 64 << 10;

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
    /// Try again later: the service busy or broken, an answer that is not the service's, or
    /// the service not reachable at all (then the rest of the pass is put off).
    Retry(SyncProblem),
    /// The service refused this capture for good; staff must look at it.
    Refused(SyncProblem),
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
        let request = self
            .http
            .put(self.url(&format!("captures/{}", upload.id)))
            .json(upload);
        match self.call(PUT_CAPTURE, request, MAX_ANSWER_BYTES).await {
            Ok((status, body)) => classify(status, &body),
            Err(problem) => Outcome::Retry(problem),
        }
    }

    /// `GET /v1/roster?since=V`: the newer roster, or None when V is the newest.
    pub async fn roster_since(&self, since: i64) -> Result<Option<RosterVersion>, SyncProblem> {
        let (status, body) = self
            .call(
                GET_ROSTER,
                self.http.get(self.url(&format!("roster?since={since}"))),
                MAX_ROSTER_BYTES,
            )
            .await?;
        match status {
            204 => Ok(None),
            200 => serde_json::from_slice(&body)
                .map(Some)
                .map_err(|_| not_the_service(GET_ROSTER, status, "a roster")),
            _ => Err(http_problem(GET_ROSTER, status, &body)),
        }
    }

    /// `GET /v1/decisions?since=C`: one page of decisions after C.
    pub async fn decisions_since(&self, since: i64) -> Result<DecisionPage, SyncProblem> {
        let (status, body) = self
            .call(
                GET_DECISIONS,
                self.http.get(self.url(&format!("decisions?since={since}"))),
                MAX_DECISIONS_BYTES,
            )
            .await?;
        match status {
            200 => serde_json::from_slice(&body)
                .map_err(|_| not_the_service(GET_DECISIONS, status, "a page of decisions")),
            _ => Err(http_problem(GET_DECISIONS, status, &body)),
        }
    }

    /// `POST /v1/heartbeat`.
    pub async fn heartbeat(&self, beat: &Heartbeat) -> Result<(), SyncProblem> {
        let (status, body) = self
            .call(
                POST_HEARTBEAT,
                self.http.post(self.url("heartbeat")).json(beat),
                MAX_ANSWER_BYTES,
            )
            .await?;
        match status {
            200..=299 => Ok(()),
            _ => Err(http_problem(POST_HEARTBEAT, status, &body)),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}/v1/{path}", self.base)
    }

    /// Sends `request` and reads its answer, at most `limit` bytes of it: an answer that
    /// says or turns out to be longer is dropped there as not the service's.
    async fn call(
        &self,
        call: &'static str,
        request: reqwest::RequestBuilder,
        limit: usize,
    ) -> Result<(u16, Vec<u8>), SyncProblem> {
        let mut response = request
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(network_problem)?;
        let status = response.status().as_u16();
        let too_large = SyncProblem::AnswerTooLarge {
            call,
            status,
            limit,
        };
        if response.content_length().is_some_and(|n| n > limit as u64) {
            return Err(too_large);
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(network_problem)? {
            if body.len() + chunk.len() > limit {
                return Err(too_large);
            }
            body.extend_from_slice(&chunk);
        }
        Ok((status, body))
    }
}

/// The service's own words in an error answer.
fn why(body: &[u8]) -> String {
    serde_json::from_slice::<ApiError>(body)
        .map(|e| e.error)
        .unwrap_or_else(|_| "(no message)".into())
}

fn network_problem(e: reqwest::Error) -> SyncProblem {
    if e.is_timeout() {
        SyncProblem::TimedOut
    } else if e.is_connect() {
        SyncProblem::CannotConnect
    } else {
        // Without the URL: it is known, and the message stays short.
        SyncProblem::Network(e.without_url().to_string())
    }
}

fn not_the_service(call: &'static str, status: u16, expected: &'static str) -> SyncProblem {
    SyncProblem::NotTheService {
        call,
        status,
        expected,
    }
}

/// What an answer other than the one hoped for means.
fn http_problem(call: &'static str, status: u16, body: &[u8]) -> SyncProblem {
    let message = why(body);
    match status {
        300..=399 => SyncProblem::Redirected { call, status },
        401 => SyncProblem::TokenRefused { call, message },
        408 | 429 => SyncProblem::Busy {
            call,
            status,
            message,
        },
        409 => SyncProblem::Conflict { call, message },
        400..=499 => SyncProblem::Refused {
            call,
            status,
            message,
        },
        _ => SyncProblem::ServerFault {
            call,
            status,
            message,
        },
    }
}

/// What an answer to a PUT means.
fn classify(status: u16, body: &[u8]) -> Outcome {
    match status {
        200 | 201 => match serde_json::from_slice::<Receipt>(body) {
            Ok(r) if status == 201 => Outcome::Sent(r),
            Ok(r) => Outcome::AlreadyThere(r),
            Err(_) => Outcome::Retry(not_the_service(PUT_CAPTURE, status, "a receipt")),
        },
        _ => match http_problem(PUT_CAPTURE, status, body) {
            p @ (SyncProblem::Conflict { .. } | SyncProblem::Refused { .. }) => Outcome::Refused(p),
            p => Outcome::Retry(p),
        },
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
    pub retrying: Vec<(Uuid, SyncProblem)>,
    /// Refused for good, or their photo on this kiosk is damaged: (capture, why).
    pub refused: Vec<(Uuid, SyncProblem)>,
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
                Err(e @ StoreError::PhotoDamaged { .. }) => {
                    Outcome::Refused(SyncProblem::PhotoDamaged(e.to_string()))
                }
                Err(e) => return Err(e),
            };
            let mut store = lock(&store);
            let retry_at = || {
                let wait = backoff(item.attempts, cap, random_unit());
                Utc::now() + chrono::Duration::from_std(wait).unwrap_or_default()
            };
            let (receipt, tally) = match outcome {
                Outcome::Sent(r) => (r, Tally::Sent),
                Outcome::AlreadyThere(r) => (r, Tally::AlreadyThere),
                Outcome::Retry(why) => {
                    let at = retry_at();
                    store.mark_failed(id, &why.to_string(), Some(at))?;
                    if why.is_unreachable() {
                        let mut first = unreachable.lock().unwrap_or_else(|p| p.into_inner());
                        first.get_or_insert((why.clone(), at));
                    }
                    return Ok((id, Tally::Retrying(why)));
                }
                Outcome::Refused(why) => {
                    store.mark_failed(id, &why.to_string(), None)?;
                    return Ok((id, Tally::Refused(why)));
                }
            };
            match store.mark_uploaded(id, &receipt) {
                Ok(()) => Ok((id, tally)),
                Err(e @ StoreError::ReceiptMismatch { .. }) => {
                    let why = SyncProblem::WrongReceipt(e.to_string());
                    store.mark_failed(id, &why.to_string(), Some(retry_at()))?;
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
        let why = SyncProblem::Deferred(Box::new(why));
        lock(store).defer_uploads(&deferred, &why.to_string(), at)?;
        summary
            .retrying
            .extend(deferred.into_iter().map(|id| (id, why.clone())));
        progress(summary.done(), total);
    }
    Ok(summary)
}

/// Why and until when a pass puts off the uploads it has not begun.
type Unreachable = (SyncProblem, chrono::DateTime<Utc>);

/// What a pull from the service brought.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PullSummary {
    /// A newer roster was applied.
    pub roster: Option<RosterApplied>,
    /// Review decisions applied to captures on this kiosk.
    pub decisions: usize,
    /// What could not be fetched or sent this time (tried again at the next pass), and a
    /// roster held back for staff (reported at every pass until they decide).
    pub problems: Vec<SyncProblem>,
}

/// A roster version from the service, now the kiosk's roster.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RosterApplied {
    pub version: i64,
    pub entries: usize,
    /// Rows left out as not valid here (admission number, name, phone).
    pub invalid: usize,
    /// Rows left out because an earlier row has the same admission number and level.
    pub duplicates: usize,
}

/// Pages of decisions fetched at most in one pass (the rest comes at the next).
const MAX_DECISION_PAGES: usize = 100;

/// The rows of a roster from the service this kiosk can use, in order; and how many were
/// invalid here and how many repeated an earlier row's admission number and level (the
/// first is kept: one bad row must not stop every later sync).
fn usable_rows(
    rows: &[capture_protocol::RosterRow],
    admission_no_len: usize,
) -> (Vec<RosterEntry>, usize, usize) {
    let mut seen = std::collections::HashSet::new();
    let (mut entries, mut invalid, mut duplicates) = (Vec::with_capacity(rows.len()), 0, 0);
    for row in rows {
        match RosterEntry::from_row(row, admission_no_len) {
            Ok(e) if seen.insert((e.admission_no.clone(), e.education_level.clone())) => {
                entries.push(e)
            }
            Ok(_) => duplicates += 1,
            Err(_) => invalid += 1,
        }
    }
    (entries, invalid, duplicates)
}

/// Fetches a newer roster and the review decisions since the last ones applied, and
/// sends `heartbeat` when given. The network failing is a problem reported in the
/// summary; only the store's own failures are errors.
///
/// A roster with no usable row, or fewer than half the rows of the roster in use, is held
/// back (the roster in use is kept) until staff confirm it: an empty or cut feed, from a
/// lying service or an operator's slip, would otherwise turn every candidate away.
pub async fn pull_pass(
    store: &Arc<Mutex<Store>>,
    client: &Client,
    admission_no_len: usize,
    heartbeat: Option<Heartbeat>,
) -> Result<PullSummary, StoreError> {
    let mut summary = PullSummary::default();
    let seen = lock(store).roster_version_seen()?;
    match client.roster_since(seen).await {
        Ok(Some(roster)) if roster.version <= seen => {
            summary.problems.push(SyncProblem::RosterNotNewer {
                version: roster.version,
                seen,
            })
        }
        Ok(Some(roster)) => {
            let (entries, invalid, duplicates) = usable_rows(&roster.entries, admission_no_len);
            let held = lock(store).roster_len()?;
            let shrinks = (entries.len() as u64) * 2 < held;
            if entries.is_empty() && invalid > 0 {
                lock(store).refuse_roster_version(roster.version)?;
                summary.problems.push(SyncProblem::RosterUnusable {
                    version: roster.version,
                    rows: invalid,
                    digits: admission_no_len,
                });
            } else if shrinks && lock(store).roster_confirmed()? != roster.version {
                lock(store).hold_back_roster_version(roster.version, entries.len())?;
            } else {
                let n = lock(store).apply_roster_version(&entries, roster.version)?;
                summary.roster = Some(RosterApplied {
                    version: roster.version,
                    entries: n,
                    invalid,
                    duplicates,
                });
            }
        }
        Ok(None) => {}
        Err(why) => summary.problems.push(why),
    }
    let held_back = lock(store).roster_held_back()?;
    if let Some((version, rows)) = held_back {
        let held = lock(store).roster_len()?;
        summary.problems.push(SyncProblem::RosterShrunk {
            version,
            rows,
            held,
        });
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
        free_disk_bytes: capture_durable::free_space(store.data_dir()).ok(),
        camera: camera
            .chars()
            .filter(|c| !c.is_control())
            .take(capture_protocol::MAX_CAMERA_CHARS)
            .collect(),
        sent_at: Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    })
}

enum Tally {
    Sent,
    AlreadyThere,
    Retrying(SyncProblem),
    Refused(SyncProblem),
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
            Outcome::Retry(SyncProblem::NotTheService { .. })
        ));
        assert!(matches!(
            classify(302, b""),
            Outcome::Retry(SyncProblem::Redirected { .. })
        ));
        assert!(matches!(
            classify(401, b""),
            Outcome::Retry(SyncProblem::TokenRefused { .. })
        ));
        for status in [408, 429] {
            assert!(
                matches!(
                    classify(status, b""),
                    Outcome::Retry(SyncProblem::Busy { .. })
                ),
                "{status}"
            );
        }
        for status in [500, 502, 503] {
            assert!(
                matches!(
                    classify(status, b""),
                    Outcome::Retry(SyncProblem::ServerFault { .. })
                ),
                "{status}"
            );
        }
        assert!(matches!(
            classify(409, br#"{"error":"held"}"#),
            Outcome::Refused(SyncProblem::Conflict { ref message, .. }) if message == "held"
        ));
        for status in [400, 403, 404, 413] {
            assert!(
                matches!(
                    classify(status, br#"{"error":"why"}"#),
                    Outcome::Refused(SyncProblem::Refused { ref message, .. }) if message == "why"
                ),
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
