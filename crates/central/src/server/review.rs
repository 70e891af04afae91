//! `/review`: the reviewers' page. Plain HTML and a little JS (`review.html`, no build
//! step) over a small JSON API under `/review/api`. Reviewers log in with the name and
//! password `capture-central add-reviewer` gave them; the session is an HttpOnly,
//! SameSite=Strict cookie (Secure over the service's TLS), and every change must be a JSON
//! POST from this origin (`Origin`, `Sec-Fetch-Site`), so another site's page cannot make
//! a reviewer's browser decide anything.

use super::{AppState, Peer, error, with_store};
use crate::store::CentralError;
use axum::Router;
use axum::extract::{Extension, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use capture_protocol::Verdict;
use uuid::Uuid;

const PAGE: &str = include_str!("review.html");
const COOKIE: &str = "review_session";
/// A reviewer logs in again after this long …
const SESSION_LIFETIME: std::time::Duration = std::time::Duration::from_secs(12 * 3600);
/// … or after this long without a request.
const SESSION_IDLE: std::time::Duration = std::time::Duration::from_secs(30 * 60);
/// Failed log-ins are counted over this window; past the limits below, log-ins for that
/// name or from that address are refused unchecked until it has passed.
const LOGIN_WINDOW: std::time::Duration = std::time::Duration::from_secs(15 * 60);
const MAX_FAILURES_PER_NAME: u64 = 5;
/// Higher: reviewers behind one reverse proxy or office NAT share an address.
const MAX_FAILURES_PER_ADDRESS: u64 = 50;
/// Captures listed at once on the page ("more" fetches the next ones).
const LIST_LIMIT: usize = 100;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/review", get(page))
        .route("/review/login", post(login))
        .route("/review/logout", post(logout))
        .route("/review/api/captures", get(list))
        .route("/review/api/captures/{id}/decision", post(decide))
        .route("/review/photos/{id}", get(photo))
}

async fn page() -> Response {
    (
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::X_FRAME_OPTIONS, "DENY"),
            (header::CONTENT_SECURITY_POLICY, page_policy()),
        ],
        Html(PAGE),
    )
        .into_response()
}

/// The page's Content-Security-Policy: its own inline script (by its hash) and nothing
/// else runs; pictures and calls only from this service; no framing, no form elsewhere. A
/// name or a reason that smuggled markup into the page could not run or send anything.
fn page_policy() -> &'static str {
    static POLICY: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        let script = PAGE
            .split_once("<script>")
            .and_then(|(_, rest)| rest.split_once("</script>"))
            .map(|(script, _)| script)
            .expect("review.html has one inline script");
        format!(
            "default-src 'none'; script-src 'sha256-{}'; style-src 'unsafe-inline'; \
             img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; \
             base-uri 'none'",
            capture_protocol::sha256_base64(script.as_bytes())
        )
    });
    &POLICY
}

fn cookie_value(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.to_owned())
}

/// The reviewer logged in with this request's cookie: a session lasts a working day, and
/// ends after [`SESSION_IDLE`] without a request (and when the reviewer is reset or
/// removed). Sessions are in the database: a restart logs nobody out.
async fn reviewer(state: &AppState, headers: &HeaderMap) -> Option<String> {
    let token = cookie_value(headers)?;
    with_store(&state.central, move |c| {
        c.session_reviewer(&token, SESSION_LIFETIME, SESSION_IDLE)
    })
    .await
    .ok()
    .flatten()
}

/// The `Set-Cookie` value of a session (`Secure` when the service speaks TLS itself).
fn session_cookie(state: &AppState, value: &str, max_age: u64) -> String {
    let secure = if state.tls { "; Secure" } else { "" };
    format!("{COOKIE}={value}; Path=/review; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}")
}

/// A change (log-in, log-out, a decision) comes only from this service's own page: a JSON
/// body (which a form on another site cannot send without the browser asking first), and,
/// where the browser says where the request comes from, from this origin. SameSite cookies
/// alone are not relied on.
fn from_own_page(headers: &HeaderMap) -> Result<(), Response> {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("application/json"));
    if !json {
        return Err(error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "a change is sent as application/json",
        ));
    }
    let foreign = || {
        Err(error(
            StatusCode::FORBIDDEN,
            "another site's page cannot change anything here",
        ))
    };
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok())
        && !matches!(site, "same-origin" | "none")
    {
        return foreign();
    }
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        let host = headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let origin_host = origin
            .strip_prefix("https://")
            .or_else(|| origin.strip_prefix("http://"))
            .unwrap_or("");
        if host.is_empty() || !origin_host.eq_ignore_ascii_case(host) {
            return foreign();
        }
    }
    Ok(())
}

fn log_in_first() -> Response {
    error(StatusCode::UNAUTHORIZED, "log in first")
}

#[derive(serde::Deserialize)]
struct Login {
    name: String,
    password: String,
}

async fn login(
    State(state): State<AppState>,
    peer: Option<Extension<Peer>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if let Err(r) = from_own_page(&headers) {
        return r;
    }
    let Ok(Login { name, password }) = serde_json::from_slice(&body) else {
        return error(StatusCode::BAD_REQUEST, "expected {\"name\", \"password\"}");
    };
    let who = name.trim().to_owned();
    let address = peer.map_or("in-process".to_owned(), |Extension(Peer(ip))| {
        ip.to_string()
    });
    let keys = [format!("name:{who}"), format!("addr:{address}")];
    // Too many failures for this name or from this address: refused unchecked, even
    // with the right password, until the window has passed.
    let checked = {
        let keys = keys.clone();
        with_store(&state.central, move |c| {
            let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
            let failures = c.login_failures(&keys, LOGIN_WINDOW)?;
            if failures[0] >= MAX_FAILURES_PER_NAME || failures[1] >= MAX_FAILURES_PER_ADDRESS {
                return Ok(None);
            }
            let ok = c.check_reviewer(&who, &password)?;
            if !ok {
                c.record_login_failure(&keys)?;
            }
            Ok(Some(ok))
        })
        .await
    };
    match checked {
        Err(r) => r,
        Ok(None) => {
            tracing::warn!("review: log-in refused unchecked: too many failures (from {address})");
            let mut r = error(
                StatusCode::TOO_MANY_REQUESTS,
                format!(
                    "too many failed log-ins; try again in {} minutes",
                    LOGIN_WINDOW.as_secs() / 60
                ),
            );
            r.headers_mut().insert(
                header::RETRY_AFTER,
                header::HeaderValue::from(LOGIN_WINDOW.as_secs()),
            );
            r
        }
        Ok(Some(false)) => {
            // Never the password, nor the name typed (it may be a password typed there).
            tracing::warn!("review: a failed log-in (from {address})");
            // Slows guessing down to one try a second per connection.
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            error(StatusCode::UNAUTHORIZED, "wrong name or password")
        }
        Ok(Some(true)) => {
            let who = name.trim().to_owned();
            let session = match with_store(&state.central, move |c| c.start_session(&who)).await {
                Ok(s) => s,
                Err(r) => return r,
            };
            (
                StatusCode::NO_CONTENT,
                [(
                    header::SET_COOKIE,
                    session_cookie(&state, &session, SESSION_LIFETIME.as_secs()),
                )],
            )
                .into_response()
        }
    }
}

async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Err(r) = from_own_page(&headers) {
        return r;
    }
    if let Some(c) = cookie_value(&headers)
        && let Err(r) = with_store(&state.central, move |central| central.end_session(&c)).await
    {
        return r;
    }
    (
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, session_cookie(&state, "", 0))],
    )
        .into_response()
}

#[derive(serde::Deserialize)]
struct ListQuery {
    #[serde(default)]
    all: bool,
    #[serde(default)]
    kiosk: Option<String>,
    #[serde(default)]
    q: Option<String>,
    #[serde(default)]
    offset: usize,
}

async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<ListQuery>,
) -> Response {
    let Some(who) = reviewer(&state, &headers).await else {
        return log_in_first();
    };
    let listed = with_store(&state.central, move |c| {
        let query = crate::store::CaptureQuery {
            undecided_only: !q.all,
            kiosk: q.kiosk.filter(|k| !k.is_empty()),
            search: q.q,
            offset: q.offset,
            limit: LIST_LIMIT,
        };
        Ok((c.captures(&query)?, c.kiosks()?))
    })
    .await;
    match listed {
        Ok(((captures, total), kiosks)) => axum::Json(serde_json::json!({
            "reviewer": who,
            "total": total,
            "captures": captures.iter().map(for_the_page).collect::<Vec<_>>(),
            "kiosks": kiosks,
        }))
        .into_response(),
        Err(r) => r,
    }
}

/// A capture as the page shows it: as held, with the notices' rules that none of the
/// kiosk's checks judged (the reviewer looks at those; a newer kiosk checks more of them).
fn for_the_page(c: &crate::store::HeldCapture) -> serde_json::Value {
    let unchecked: Vec<serde_json::Value> =
        capture_core::compliance::rules::unchecked(c.checks.iter().map(|k| k.id.as_str()))
            .iter()
            .map(|r| serde_json::json!({"id": r.id, "zh": r.title.zh, "en": r.title.en}))
            .collect();
    let mut v = serde_json::to_value(c).expect("a held capture serialises");
    v["unchecked"] = unchecked.into();
    v
}

#[derive(serde::Deserialize)]
struct DecisionBody {
    verdict: Verdict,
    #[serde(default)]
    reason: Option<String>,
}

async fn decide(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    if let Err(r) = from_own_page(&headers) {
        return r;
    }
    let Some(who) = reviewer(&state, &headers).await else {
        return log_in_first();
    };
    let Ok(id) = Uuid::parse_str(&id) else {
        return super::not_a_uuid();
    };
    let Ok(DecisionBody { verdict, reason }) = serde_json::from_slice(&body) else {
        return error(
            StatusCode::BAD_REQUEST,
            "expected {\"verdict\": \"approved\"|\"rejected\", \"reason\"}",
        );
    };
    let decided = with_store(&state.central, move |c| {
        match c.decide(id, verdict, reason.as_deref(), &who) {
            Err(CentralError::NoCapture(_)) => Ok(Err(StatusCode::NOT_FOUND)),
            Err(CentralError::ReasonNeeded) => Ok(Err(StatusCode::UNPROCESSABLE_ENTITY)),
            other => other.map(Ok),
        }
    })
    .await;
    match decided {
        Ok(Ok(decision)) => axum::Json(decision).into_response(),
        Ok(Err(StatusCode::NOT_FOUND)) => error(StatusCode::NOT_FOUND, format!("no capture {id}")),
        Ok(Err(status)) => error(status, CentralError::ReasonNeeded.to_string()),
        Err(r) => r,
    }
}

async fn photo(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if reviewer(&state, &headers).await.is_none() {
        return log_in_first();
    }
    let Ok(id) = Uuid::parse_str(id.trim_end_matches(".jpg")) else {
        return super::not_a_uuid();
    };
    match with_store(&state.central, move |c| c.photo(id)).await {
        Ok(Some(jpeg)) => (
            [
                (header::CONTENT_TYPE, "image/jpeg"),
                // A candidate's face: kept in no cache, the browser's included.
                (header::CACHE_CONTROL, "no-store"),
            ],
            jpeg,
        )
            .into_response(),
        Ok(None) => error(StatusCode::NOT_FOUND, format!("no capture {id}")),
        Err(r) => r,
    }
}
