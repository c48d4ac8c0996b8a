//! Staff authentication: Argon2id passwords, server-side sessions in the store, synchronizer
//! CSRF tokens checked on every state-changing request, and a login rate limit.
use super::{render, AppState, WebError};
use crate::store::Store;
use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::Utc;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const SESSION_COOKIE: &str = "tp_session";
/// Before login there is no session: the login form's token is a double-submit cookie.
pub const LOGIN_COOKIE: &str = "tp_login";
/// Forms carry the token in this field.
pub const CSRF_FIELD: &str = "csrf";
/// State-changing forms are small; anything bigger is refused before it is read.
const MAX_FORM_BYTES: usize = 256 * 1024;
pub const MIN_PASSWORD_CHARS: usize = 12;

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("the password must have at least {MIN_PASSWORD_CHARS} characters")]
    TooShort,
    #[error("cannot hash the password: {0}")]
    Hash(String),
}

/// OWASP's Argon2id parameters: m = 19 MiB, t = 2, p = 1.
fn argon2() -> Result<Argon2<'static>, PasswordError> {
    let params =
        Params::new(19 * 1024, 2, 1, None).map_err(|e| PasswordError::Hash(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// A PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`) for the store.
pub fn hash_password(password: &str) -> Result<String, PasswordError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(PasswordError::TooShort);
    }
    let hash = argon2()?
        .hash_password(password.as_bytes())
        .map_err(|e| PasswordError::Hash(e.to_string()))?;
    Ok(hash.to_string())
}

/// False for a wrong password and for a stored hash that cannot be read.
pub fn verify_password(password: &str, phc: &str) -> bool {
    match argon2() {
        Ok(a) => a.verify_password(password.as_bytes(), phc).is_ok(),
        Err(_) => false,
    }
}

/// A hash of a password nobody has, verified when the e-mail is unknown so that a wrong
/// address takes as long as a wrong password.
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| hash_password(&random_token()).unwrap_or_default())
}

/// 256 random bits, hex.
pub fn random_token() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

fn token_key(token: &str) -> String {
    crate::store::sqlite::sha256_hex(token.as_bytes())
}

/// Equal-length comparison that does not stop at the first difference.
pub fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Failed logins per client address and per e-mail address, in memory: a restart forgets
/// them, which costs an attacker a restart of the daemon.
pub struct LoginLimiter {
    max: u32,
    window: Duration,
    failures: Mutex<HashMap<String, Vec<Instant>>>,
}

impl LoginLimiter {
    pub fn new(max: u32, window: Duration) -> LoginLimiter {
        LoginLimiter {
            max,
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn blocked(&self, keys: &[String]) -> bool {
        let now = Instant::now();
        let Ok(mut map) = self.failures.lock() else {
            return true;
        };
        keys.iter().any(|k| {
            let list = map.entry(k.clone()).or_default();
            list.retain(|t| now.duration_since(*t) < self.window);
            list.len() >= self.max as usize
        })
    }

    fn fail(&self, keys: &[String]) {
        if let Ok(mut map) = self.failures.lock() {
            for k in keys {
                map.entry(k.clone()).or_default().push(Instant::now());
            }
            // Keep the map small when many addresses try.
            if map.len() > 10_000 {
                let window = self.window;
                map.retain(|_, v| v.iter().any(|t| t.elapsed() < window));
            }
        }
    }

    fn clear(&self, keys: &[String]) {
        if let Ok(mut map) = self.failures.lock() {
            for k in keys {
                map.remove(k);
            }
        }
    }
}

/// The logged-in staff member, put in the request by [`require_staff`].
#[derive(Debug, Clone)]
pub struct Staff {
    pub email: String,
    pub csrf: String,
    token_key: String,
}

pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

fn secure(state: &AppState, headers: &HeaderMap) -> bool {
    state.settings.web.behind_tls
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

fn set_cookie(name: &str, value: &str, secure: bool, max_age: Option<i64>) -> HeaderValue {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict");
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    if secure {
        c.push_str("; Secure");
    }
    HeaderValue::from_str(&c).unwrap_or_else(|_| HeaderValue::from_static("invalid=1"))
}

fn form_field(body: &[u8], name: &str) -> Option<String> {
    form_urlencoded::parse(body)
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Every route but the login form: a live session is needed, and every request that can
/// change something must carry the session's CSRF token.
pub async fn require_staff(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Result<Response, WebError> {
    let Some(token) = cookie(request.headers(), SESSION_COOKIE) else {
        return Ok(to_login(&request));
    };
    let key = token_key(&token);
    let Some(session) = state.store.session_get(&key).await? else {
        return Ok(to_login(&request));
    };
    let now = Utc::now();
    let idle = chrono::Duration::minutes(state.settings.web.session_idle_minutes);
    if now - session.last_seen > idle {
        state.store.session_delete(&key).await?;
        return Ok(to_login(&request));
    }
    // Touching on every click would write on every page view; a minute is precise enough.
    if now - session.last_seen > chrono::Duration::seconds(60) {
        state.store.session_touch(&key, now).await?;
    }
    let staff = Staff {
        email: session.email,
        csrf: session.csrf_token,
        token_key: key,
    };
    let (mut parts, body) = request.into_parts();
    let body = if matches!(parts.method, Method::GET | Method::HEAD) {
        body
    } else {
        let bytes = axum::body::to_bytes(body, MAX_FORM_BYTES)
            .await
            .map_err(|_| WebError::BadRequest("Skjemaet er for stort.".into()))?;
        let sent = form_field(&bytes, CSRF_FIELD).unwrap_or_default();
        if !same_token(&sent, &staff.csrf) {
            tracing::warn!(path = %parts.uri.path(), "request without a valid CSRF token refused");
            return Err(WebError::Csrf);
        }
        Body::from(bytes)
    };
    parts.extensions.insert(staff);
    Ok(next.run(Request::from_parts(parts, body)).await)
}

fn to_login(request: &Request) -> Response {
    if request.method() == Method::GET {
        Redirect::to("/login").into_response()
    } else {
        (
            StatusCode::UNAUTHORIZED,
            render::error_page(StatusCode::UNAUTHORIZED, "Du må logge inn."),
        )
            .into_response()
    }
}

pub async fn login_form(State(state): State<AppState>, headers: HeaderMap) -> Response {
    login_page(&state, &headers, None, StatusCode::OK)
}

fn login_page(
    state: &AppState,
    headers: &HeaderMap,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    // Keep a token the browser already has: a second fetch of the form (another tab, or the
    // browser's favicon request redirected here) must not invalidate the first form.
    let token = cookie(headers, LOGIN_COOKIE)
        .filter(|t| t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()))
        .unwrap_or_else(random_token);
    let html = render::page(
        "login.html",
        serde_json::json!({ "csrf": token, "error": error }),
    );
    let mut response = (status, Html(html)).into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(LOGIN_COOKIE, &token, secure(state, headers), Some(3600)),
    );
    response
}

pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, WebError> {
    let expected = cookie(&headers, LOGIN_COOKIE).unwrap_or_default();
    let sent = form_field(&body, CSRF_FIELD).unwrap_or_default();
    if expected.is_empty() || !same_token(&sent, &expected) {
        return Err(WebError::Csrf);
    }
    let email = form_field(&body, "email")
        .unwrap_or_default()
        .trim()
        .to_lowercase();
    let password = form_field(&body, "password").unwrap_or_default();
    let keys = vec![format!("ip:{}", peer.ip()), format!("email:{email}")];
    if state.limiter.blocked(&keys) {
        tracing::warn!(ip = %peer.ip(), "login refused: rate limit");
        return Err(WebError::RateLimited);
    }
    let account = state.store.staff_by_email(&email).await?;
    let (phc, usable) = match &account {
        Some(a) if a.active => (a.password_hash.clone(), true),
        _ => (dummy_hash().to_string(), false),
    };
    // Argon2 takes tens of milliseconds: keep it off the async workers.
    let verified = tokio::task::spawn_blocking(move || verify_password(&password, &phc))
        .await
        .map_err(|e| WebError::Internal(e.to_string()))?;
    let Some(account) = account.filter(|_| usable && verified) else {
        state.limiter.fail(&keys);
        state
            .store
            .audit(
                "anonymous",
                "login_failed",
                &format!("staff:{email}"),
                None,
                Some(&format!("from {}", peer.ip())),
            )
            .await?;
        return Ok(login_page(
            &state,
            &headers,
            Some("Feil e-post eller passord."),
            StatusCode::UNAUTHORIZED,
        ));
    };
    state.limiter.clear(&keys);
    // Sessions that idled out are useless; a login is a good moment to drop them.
    let idle = chrono::Duration::minutes(state.settings.web.session_idle_minutes);
    state.store.session_purge(Utc::now() - idle).await?;
    let token = random_token();
    let csrf = random_token();
    state
        .store
        .session_create(&token_key(&token), account.id, &csrf, Utc::now())
        .await?;
    state
        .store
        .audit(
            &account.email,
            "login",
            &format!("staff:{}", account.email),
            None,
            Some(&format!("from {}", peer.ip())),
        )
        .await?;
    let secure = secure(&state, &headers);
    let mut response = Redirect::to("/").into_response();
    let h = response.headers_mut();
    h.append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, &token, secure, None),
    );
    h.append(
        header::SET_COOKIE,
        set_cookie(LOGIN_COOKIE, "", secure, Some(0)),
    );
    Ok(response)
}

pub async fn logout(
    State(state): State<AppState>,
    axum::Extension(staff): axum::Extension<Staff>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    state.store.session_delete(&staff.token_key).await?;
    state
        .store
        .audit(
            &staff.email,
            "logout",
            &format!("staff:{}", staff.email),
            None,
            None,
        )
        .await?;
    let mut response = Redirect::to("/login").into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, "", secure(&state, &headers), Some(0)),
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_argon2id_and_verify() {
        let phc = hash_password("korrekt hest batteri").expect("hash");
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify_password("korrekt hest batteri", &phc));
        assert!(!verify_password("feil passord her", &phc));
        assert!(!verify_password("korrekt hest batteri", "not a hash"));
        assert!(matches!(
            hash_password("kort"),
            Err(PasswordError::TooShort)
        ));
    }

    #[test]
    fn limiter_blocks_after_the_maximum_and_forgets_on_success() {
        let l = LoginLimiter::new(2, Duration::from_secs(60));
        let keys = vec!["ip:1".to_string()];
        assert!(!l.blocked(&keys));
        l.fail(&keys);
        l.fail(&keys);
        assert!(l.blocked(&keys));
        l.clear(&keys);
        assert!(!l.blocked(&keys));
    }

    #[test]
    fn cookies_and_tokens() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; tp_session=abc; b=2"),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE).as_deref(), Some("abc"));
        assert!(same_token("abc", "abc"));
        assert!(!same_token("abc", "abd"));
        assert!(!same_token("abc", "ab"));
        assert_eq!(random_token().len(), 64);
    }
}
