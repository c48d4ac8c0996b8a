//! The staff triage web UI (SPEC §8), served by the daemon.
//!
//! - [`Application`]: binds (port 0 in tests) and serves until told to stop.
//! - [`auth`]: staff passwords (Argon2id), sessions, CSRF tokens, the login rate limit.
//! - [`pages`]: what staff read (queue, item, employer, audit log, health).
//! - [`actions`]: what staff do; every action is audited in the store's transaction.
//! - [`render`] and [`mail_view`]: HTML from `templates/web/`, and mail shown safely.
//!
//! Nothing is reachable without a session except the login form.
use crate::config::Settings;
use crate::store::{AnyStore, StoreError};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

pub mod actions;
pub mod auth;
pub mod mail_view;
pub mod pages;
pub mod render;

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    BadRequest(String),
    #[error("the form is missing a valid CSRF token")]
    Csrf,
    #[error("too many failed logins; wait and try again")]
    RateLimited,
    #[error("{0}")]
    Internal(String),
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let (status, text) = match &self {
            WebError::NotFound => (StatusCode::NOT_FOUND, "Fant ikke siden.".to_string()),
            WebError::BadRequest(m) => (StatusCode::BAD_REQUEST, m.clone()),
            WebError::Csrf => (
                StatusCode::FORBIDDEN,
                "Skjemaet mangler gyldig sikkerhetsnøkkel (CSRF). Last siden på nytt og prøv igjen."
                    .to_string(),
            ),
            WebError::RateLimited => (
                StatusCode::TOO_MANY_REQUESTS,
                "For mange mislykkede innlogginger. Vent litt og prøv igjen.".to_string(),
            ),
            WebError::Bind { .. } | WebError::Store(_) | WebError::Internal(_) => {
                // The cause goes to the log, not to the browser.
                tracing::error!(error = %self, "web request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Noe gikk galt på serveren. Feilen er logget.".to_string(),
                )
            }
        };
        let body = render::error_page(status, &text);
        (status, body).into_response()
    }
}

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub store: AnyStore,
    pub settings: Arc<Settings>,
    pub limiter: Arc<auth::LoginLimiter>,
    /// Our own binary, for re-running a message (the attachment parser runs as a child).
    pub exe: PathBuf,
}

/// The web server, bound and ready to serve.
pub struct Application {
    listener: tokio::net::TcpListener,
    addr: SocketAddr,
    state: AppState,
}

impl Application {
    /// Bind `settings.web.bind` (`127.0.0.1:0` picks a free port, as tests do).
    pub async fn build(settings: Settings, store: AnyStore) -> Result<Application, WebError> {
        let bind = settings.web.bind.clone();
        let listener = tokio::net::TcpListener::bind(&bind)
            .await
            .map_err(|source| WebError::Bind {
                addr: bind.clone(),
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| WebError::Bind {
            addr: bind.clone(),
            source,
        })?;
        let exe = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("trekkpost"));
        let limiter = Arc::new(auth::LoginLimiter::new(
            settings.web.login_max_failures,
            std::time::Duration::from_secs(settings.web.login_window_secs),
        ));
        Ok(Application {
            listener,
            addr,
            state: AppState {
                store,
                settings: Arc::new(settings),
                limiter,
                exe,
            },
        })
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Use another binary for re-runs (tests run from the test harness, not `trekkpost`).
    pub fn with_exe(mut self, exe: PathBuf) -> Application {
        self.state.exe = exe;
        self
    }

    /// Serve until `shutdown` completes.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let app = router(self.state);
        axum::serve(
            self.listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await
    }
}

/// Every route; all but the login form sit behind [`auth::require_staff`].
pub fn router(state: AppState) -> Router {
    let staff_only = Router::new()
        .route("/", get(pages::queue))
        .route("/sak/{flag}", get(pages::flag_item))
        .route("/sak/{flag}/lukk", post(actions::resolve_flag))
        .route("/melding/{id}", get(pages::message_item))
        .route("/melding/{id}/vedlegg/{n}", get(pages::attachment))
        .route(
            "/melding/{id}/linje/{line}/fnr",
            post(actions::reveal_national_id),
        )
        .route(
            "/melding/{id}/svar",
            get(pages::reply_form).post(actions::send_reply),
        )
        .route("/melding/{id}/kjor-pa-nytt", post(actions::rerun))
        .route("/melding/{id}/flytt", post(actions::reassign))
        .route("/tilgang", get(pages::access_requests))
        .route("/tilgang/eksport.csv", get(pages::access_export))
        .route("/tilgang/{id}/godkjenn", post(actions::approve_access))
        .route("/tilgang/{id}/avvis", post(actions::reject_access))
        .route("/utboks/{id}", get(pages::outbox_item))
        .route("/utboks/{id}/send-igjen", post(actions::retry_dead_letter))
        .route("/utboks/{id}/forkast", post(actions::discard_dead_letter))
        .route("/arbeidsgivere", get(pages::employers))
        .route("/arbeidsgiver/{id}", get(pages::employer))
        .route("/logg", get(pages::audit_log))
        .route("/helse", get(pages::health))
        .route("/logout", post(auth::logout))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::require_staff,
        ));
    Router::new()
        .route("/login", get(auth::login_form).post(auth::login))
        .merge(staff_only)
        .layer(axum::middleware::map_response(security_headers))
        .with_state(state)
}

/// Pages hold personal data: never cached, never framed, no scripts, nothing from elsewhere.
async fn security_headers(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
