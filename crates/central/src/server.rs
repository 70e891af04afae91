//! The central service's HTTP API (docs/openapi.yaml) and the reviewers' page, on axum and
//! tokio, over plain HTTP or its own TLS. The SQLite work runs on the blocking pool, one
//! request at a time; the network side is async. [`Service`] runs it on its own thread (the
//! binary, and the kiosk's tests in-process).

use crate::store::{Central, CentralError, Quota, Stored};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Extension, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use capture_protocol::{
    ApiError, CaptureUpload, Heartbeat, MAX_BODY_BYTES, MAX_HEARTBEAT_BYTES, UploadError,
};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use uuid::Uuid;

mod review;

type Shared = Arc<Mutex<Central>>;

/// What every handler shares: the store (reviewer sessions and log-in failures included,
/// so a restart logs nobody out), and whether the service speaks TLS itself.
#[derive(Clone)]
struct AppState {
    central: Shared,
    /// Cookies marked `Secure`, and HSTS sent.
    tls: bool,
}

/// The address a request came from (put in by the accept loop; absent in-process).
#[derive(Clone, Copy)]
pub(crate) struct Peer(pub std::net::IpAddr);

/// Decisions in one page of `GET /v1/decisions`.
const DECISION_PAGE: usize = 500;

/// The service's routes over an opened store; `tls`: it is served over HTTPS by this
/// process (`Secure` cookies, HSTS).
pub fn router(central: Central, tls: bool) -> Router {
    let state = AppState {
        central: Arc::new(Mutex::new(central)),
        tls,
    };
    // A heartbeat is a few hundred bytes: a bigger body is not read.
    let heartbeat = post(post_heartbeat).layer(DefaultBodyLimit::max(MAX_HEARTBEAT_BYTES));
    // The kiosks' API: the token checked before a byte of the body is read, the whole
    // request within its time.
    let kiosk_api = Router::new()
        .route("/v1/captures/{id}", put(put_capture).get(get_capture))
        .route("/v1/roster", get(get_roster))
        .route("/v1/decisions", get(get_decisions))
        .route("/v1/heartbeat", heartbeat)
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            kiosk_only,
        ));
    Router::new()
        .merge(kiosk_api)
        .merge(review::routes())
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::map_response_with_state(
            state.clone(),
            safe_headers,
        ))
        .with_state(state)
}

/// On every answer: no content sniffing (a "photo" is never run as a page), no referrer
/// (a photo's address names its capture), where a handler set no policy of its own nothing
/// loaded or framed, and over the service's own TLS, HSTS.
async fn safe_headers(State(state): State<AppState>, mut response: Response) -> Response {
    let headers = response.headers_mut();
    if state.tls {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            header::HeaderValue::from_static("max-age=31536000"),
        );
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        header::HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        header::HeaderValue::from_static("no-referrer"),
    );
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            header::HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
        );
    }
    response
}

/// The service's own TLS: a certificate chain and its private key, PEM files.
#[derive(Debug, Clone)]
pub struct Tls {
    pub cert: std::path::PathBuf,
    pub key: std::path::PathBuf,
}

fn tls_acceptor(tls: &Tls) -> anyhow::Result<tokio_rustls::TlsAcceptor> {
    use anyhow::Context;
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let certs = CertificateDer::pem_file_iter(&tls.cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .with_context(|| format!("cannot read the certificate chain {}", tls.cert.display()))?;
    anyhow::ensure!(
        !certs.is_empty(),
        "no certificate in {}",
        tls.cert.display()
    );
    let key = PrivateKeyDer::from_pem_file(&tls.key)
        .with_context(|| format!("cannot read the private key {}", tls.key.display()))?;
    let config = tokio_rustls::rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .context("the certificate and the key do not go together")?;
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

/// The service running on its own thread and tokio runtime, on a bound address, until it
/// is stopped (or dropped): requests in flight are finished first.
pub struct Service {
    addr: SocketAddr,
    tls: bool,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    done: std::sync::mpsc::Receiver<()>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// How long `stop` waits for the requests in flight before it lets the thread go.
const STOP_PATIENCE: std::time::Duration = std::time::Duration::from_secs(5);

impl Service {
    /// Opens the store in `dir`, binds `listen` (port 0: any free port) and serves, over
    /// HTTPS when `tls` is given. Errors (the store, the address, the certificate) come back
    /// here, before anything is served.
    pub fn start(
        listen: SocketAddr,
        dir: &std::path::Path,
        tls: Option<&Tls>,
    ) -> anyhow::Result<Service> {
        Service::start_with(listen, dir, tls, Quota::default())
    }

    /// As [`Service::start`], each kiosk held to `quota`.
    pub fn start_with(
        listen: SocketAddr,
        dir: &std::path::Path,
        tls: Option<&Tls>,
        quota: Quota,
    ) -> anyhow::Result<Service> {
        let mut central = Central::open(dir)?;
        central.set_quota(quota);
        let acceptor = tls.map(tls_acceptor).transpose()?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("central")
            .enable_all()
            .build()?;
        let std_listener = std::net::TcpListener::bind(listen)
            .map_err(|e| anyhow::anyhow!("cannot listen on {listen}: {e}"))?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (done_tx, done) = std::sync::mpsc::channel();
        let is_tls = acceptor.is_some();
        let thread = std::thread::Builder::new()
            .name("central".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let listener = match tokio::net::TcpListener::from_std(std_listener) {
                        Ok(l) => l,
                        Err(e) => return tracing::error!("central: cannot listen: {e}"),
                    };
                    let app = router(central, is_tls);
                    let stop = async {
                        let _ = stopped.await;
                    };
                    serve(listener, acceptor, app, stop).await;
                });
                let _ = done_tx.send(());
            })?;
        Ok(Service {
            addr,
            tls: is_tls,
            stop: Some(stop),
            done,
            thread: Some(thread),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR` or `https://ADDR`: what a kiosk's `sync.server` would be.
    pub fn base_url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// Stops accepting, finishes the requests in flight (waiting at most a few seconds),
    /// and ends the thread.
    pub fn stop(mut self) {
        self.shut_down();
    }

    fn shut_down(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
            if self.done.recv_timeout(STOP_PATIENCE).is_ok()
                && let Some(t) = self.thread.take()
            {
                let _ = t.join();
            }
        }
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.shut_down();
    }
}

/// `capture-central` serving: until Ctrl-C or SIGTERM. Prints the address it listens on
/// (port 0 picks one) once it does.
pub fn run(
    listen: SocketAddr,
    dir: &std::path::Path,
    tls: Option<&Tls>,
    quota: Quota,
) -> anyhow::Result<()> {
    // The signal handlers first: once serving, clients may take every file descriptor
    // there is, and a handler that could not be set up then would end the service.
    let signals = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (mut term, mut interrupt) = signals.block_on(async {
        use tokio::signal::unix::{SignalKind, signal};
        anyhow::Ok((
            signal(SignalKind::terminate())?,
            signal(SignalKind::interrupt())?,
        ))
    })?;
    let service = Service::start_with(listen, dir, tls, quota)?;
    println!(
        "central service listening on {} (data in {})",
        service.base_url(),
        dir.display()
    );
    use std::io::Write;
    std::io::stdout().flush()?;
    signals.block_on(async {
        tokio::select! {
            _ = term.recv() => {}
            _ = interrupt.recv() => {}
        }
    });
    tracing::info!("central service stopping: finishing the requests in flight");
    service.stop();
    Ok(())
}

/// What a kiosk over its quota is told to wait.
const QUOTA_RETRY: std::time::Duration = std::time::Duration::from_secs(600);

/// Connections open at once, at most; the next is accepted when one closes. A kiosk
/// holds one or a few; reviewers one each.
pub const MAX_CONNECTIONS: usize = 1024;
/// A request's head must arrive whole within this time of the connection (or of the last
/// answer on it): a client that trickles or stops is dropped.
pub const HEADER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
/// The TLS handshake must be over within this time.
pub const HANDSHAKE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
/// A request's body must arrive whole within this time (an upload is ~400 kB: at 10 kB/s,
/// 40 s).
pub const BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

/// Accepts connections (at most [`MAX_CONNECTIONS`] open; on an accept error such as "too
/// many open files", waiting 10 ms doubling to 1 s before the next try, one log line per
/// wait), shakes hands over TLS when `acceptor` is given (within [`HANDSHAKE_TIMEOUT`]),
/// and serves HTTP/1.1 with the router, dropping a connection whose request head does not
/// arrive within [`HEADER_TIMEOUT`]. When `stop` comes: no more accepting, the requests in
/// flight finished, then return.
async fn serve(
    listener: tokio::net::TcpListener,
    acceptor: Option<tokio_rustls::TlsAcceptor>,
    app: Router,
    stop: impl std::future::Future<Output = ()>,
) {
    use hyper_util::rt::{TokioIo, TokioTimer};
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT);
    let http = Arc::new(http);
    let mut pause = std::time::Duration::ZERO;
    tokio::pin!(stop);
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
            _ = &mut stop => break,
        };
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => {
                    pause = std::time::Duration::ZERO;
                    a
                }
                Err(e) => {
                    pause = (pause * 2).clamp(std::time::Duration::from_millis(10), std::time::Duration::from_secs(1));
                    tracing::warn!("central: accept failed ({e}); next try in {pause:?}");
                    tokio::select! {
                        _ = tokio::time::sleep(pause) => continue,
                        _ = &mut stop => break,
                    }
                }
            },
            _ = &mut stop => break,
        };
        let service = hyper_util::service::TowerToHyperService::new(
            app.clone().layer(Extension(Peer(peer.ip()))),
        );
        let (http, watcher) = (http.clone(), graceful.watcher());
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            let _slot = slot;
            let served = match acceptor {
                None => {
                    let conn = http.serve_connection(TokioIo::new(tcp), service);
                    watcher.watch(conn).await
                }
                Some(acceptor) => {
                    let stream = match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp))
                        .await
                    {
                        Ok(Ok(s)) => s,
                        Ok(Err(e)) => {
                            return tracing::debug!(
                                "central: TLS handshake with {peer} failed: {e}"
                            );
                        }
                        Err(_) => {
                            return tracing::debug!("central: TLS handshake with {peer} timed out");
                        }
                    };
                    let conn = http.serve_connection(TokioIo::new(stream), service);
                    watcher.watch(conn).await
                }
            };
            if let Err(e) = served {
                tracing::debug!("central: connection from {peer}: {e}");
            }
        });
    }
    drop(listener);
    let patience = STOP_PATIENCE - std::time::Duration::from_secs(1);
    if tokio::time::timeout(patience, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("central: requests still in flight after {patience:?}; stopping anyway");
    }
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (
        status,
        axum::Json(ApiError {
            error: message.into(),
        }),
    )
        .into_response()
}

fn internal(e: impl std::fmt::Display) -> Response {
    tracing::error!("central: {e}");
    error(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
}

/// Runs store work on the blocking pool.
async fn with_store<T: Send + 'static>(
    shared: &Shared,
    work: impl FnOnce(&mut Central) -> Result<T, CentralError> + Send + 'static,
) -> Result<T, Response> {
    let shared = shared.clone();
    tokio::task::spawn_blocking(move || {
        let mut central = shared.lock().unwrap_or_else(|p| p.into_inner());
        work(&mut central)
    })
    .await
    .map_err(internal)?
    .map_err(internal)
}

/// The kiosk the request's bearer token belongs to, or a 401.
async fn authenticate(shared: &Shared, headers: &HeaderMap) -> Result<String, Response> {
    let unauthorized = |why: &str| {
        let mut r = error(StatusCode::UNAUTHORIZED, why);
        r.headers_mut()
            .insert(header::WWW_AUTHENTICATE, "Bearer".parse().unwrap());
        r
    };
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_owned())
        .ok_or_else(|| unauthorized("a bearer token is needed"))?;
    with_store(shared, move |c| c.kiosk_for_token(&token))
        .await?
        .ok_or_else(|| unauthorized("unknown token"))
}

/// The calling kiosk, as the token names it (put in the request by [`kiosk_only`]).
#[derive(Clone)]
struct Kiosk(String);

/// In front of every kiosk route: the bearer token checked first (a 401 reads no body),
/// then the request handled within [`BODY_TIMEOUT`] (a body that trickles in is cut: 408).
async fn kiosk_only(
    State(state): State<AppState>,
    mut request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let kiosk = match authenticate(&state.central, request.headers()).await {
        Ok(k) => k,
        Err(r) => return r,
    };
    request.extensions_mut().insert(Kiosk(kiosk));
    match tokio::time::timeout(BODY_TIMEOUT, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            let mut r = error(
                StatusCode::REQUEST_TIMEOUT,
                "the request did not arrive whole in time",
            );
            r.headers_mut().insert(
                header::CONNECTION,
                header::HeaderValue::from_static("close"),
            );
            r
        }
    }
}

fn not_a_uuid() -> Response {
    error(StatusCode::BAD_REQUEST, "the capture id is not a UUID")
}

async fn put_capture(
    State(state): State<AppState>,
    Extension(Kiosk(kiosk)): Extension<Kiosk>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let Ok(id) = Uuid::parse_str(&id) else {
        return not_a_uuid();
    };
    let upload: CaptureUpload = match serde_json::from_slice(&body) {
        Ok(u) => u,
        Err(e) => return error(StatusCode::BAD_REQUEST, format!("malformed body: {e}")),
    };
    if capture_core::profile::Profile::builtin(&upload.profile).is_none() {
        return error(
            StatusCode::BAD_REQUEST,
            "profile: not a photo profile this service knows",
        );
    }
    let photo = match upload.verified_photo(id) {
        Ok(p) => p,
        Err(e @ UploadError::TooLarge(_)) => {
            return error(StatusCode::PAYLOAD_TOO_LARGE, e.to_string());
        }
        Err(e) => return error(StatusCode::BAD_REQUEST, e.to_string()),
    };
    match with_store(&state.central, move |c| {
        c.put_capture(&kiosk, &upload, &photo)
    })
    .await
    {
        Ok(Stored::Created(receipt)) => (StatusCode::CREATED, axum::Json(receipt)).into_response(),
        Ok(Stored::Repeated(receipt)) => (StatusCode::OK, axum::Json(receipt)).into_response(),
        Ok(Stored::NotOnRoster { version }) => error(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!(
                "the candidate (admission number, level and name) is not on roster version \
                 {version}, the newest published for this kiosk"
            ),
        ),
        Ok(Stored::OverQuota(why)) => {
            let mut r = error(StatusCode::TOO_MANY_REQUESTS, why);
            r.headers_mut().insert(
                header::RETRY_AFTER,
                header::HeaderValue::from(QUOTA_RETRY.as_secs()),
            );
            r
        }
        Ok(Stored::Conflict(_)) => error(
            StatusCode::CONFLICT,
            format!("capture {id} is already held with other bytes"),
        ),
        Err(r) => r,
    }
}

async fn get_capture(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let Ok(id) = Uuid::parse_str(&id) else {
        return not_a_uuid();
    };
    match with_store(&state.central, move |c| c.receipt(id)).await {
        Ok(Some(receipt)) => axum::Json(receipt).into_response(),
        Ok(None) => error(StatusCode::NOT_FOUND, format!("no capture {id}")),
        Err(r) => r,
    }
}

#[derive(serde::Deserialize)]
struct Since {
    #[serde(default)]
    since: i64,
}

/// `GET /v1/roster?since=V`: the calling kiosk's newest roster when it is newer than V,
/// else 204.
async fn get_roster(
    State(state): State<AppState>,
    Extension(Kiosk(kiosk)): Extension<Kiosk>,
    Query(Since { since }): Query<Since>,
) -> Response {
    if since < 0 {
        return error(StatusCode::BAD_REQUEST, "since: must be 0 or more");
    }
    match with_store(&state.central, move |c| c.roster_since(&kiosk, since)).await {
        Ok(Some(roster)) => axum::Json(roster).into_response(),
        Ok(None) => StatusCode::NO_CONTENT.into_response(),
        Err(r) => r,
    }
}

/// `GET /v1/decisions?since=C`: decisions on the calling kiosk's captures after C.
async fn get_decisions(
    State(state): State<AppState>,
    Extension(Kiosk(kiosk)): Extension<Kiosk>,
    Query(Since { since }): Query<Since>,
) -> Response {
    if since < 0 {
        return error(StatusCode::BAD_REQUEST, "since: must be 0 or more");
    }
    match with_store(&state.central, move |c| {
        c.decisions_since(&kiosk, since, DECISION_PAGE)
    })
    .await
    {
        Ok(page) => axum::Json(page).into_response(),
        Err(r) => r,
    }
}

/// `POST /v1/heartbeat`: 204.
async fn post_heartbeat(
    State(state): State<AppState>,
    Extension(Kiosk(kiosk)): Extension<Kiosk>,
    body: Bytes,
) -> Response {
    let beat: Heartbeat = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => return error(StatusCode::BAD_REQUEST, format!("malformed body: {e}")),
    };
    if let Err(e) = beat.check_fields() {
        return error(StatusCode::BAD_REQUEST, e.to_string());
    }
    match with_store(&state.central, move |c| c.record_heartbeat(&kiosk, &beat)).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(r) => r,
    }
}
