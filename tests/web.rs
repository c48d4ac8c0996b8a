//! The staff triage web UI (issue 6), tested over HTTP with the app on port 0 against a
//! database in which the real binary has processed the example mailbox; and once in real
//! headless Chromium (`browser_*`).
use reqwest::header::{HeaderMap, COOKIE, LOCATION, SET_COOKIE};
use reqwest::StatusCode;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use trekkpost::config::Settings;
use trekkpost::decide::access::AccessStatus;
use trekkpost::store::{AnyStore, Store};

mod common;

const EMAIL: &str = "kari.saksbehandler@union.example";
const PASSWORD: &str = "korrekt hest batteri stift";

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_trekkpost"))
}

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The examples processed once by `trekkpost run --once`; each test copies the database.
fn processed_template() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("web-template-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("outbox")).expect("mkdir");
        let examples = crate_dir().join("examples");
        let out = std::process::Command::new(bin())
            .args(["run", "--once"])
            .current_dir(&dir)
            .env(
                "TREKKPOST_DATABASE_URL",
                format!("sqlite://{}", dir.join("db.sqlite").display()),
            )
            .env("TREKKPOST_SOURCE", examples.join("mailbox"))
            .env("TREKKPOST_IMPORT_DIR", examples.join("world"))
            .env("TREKKPOST_SINK", dir.join("outbox"))
            .output()
            .expect("run trekkpost");
        assert!(
            out.status.success(),
            "run --once failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        dir
    })
}

struct TestApp {
    base: String,
    store: AnyStore,
    settings: Settings,
    dir: tempfile::TempDir,
    client: reqwest::Client,
    session: Option<String>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    /// The test's PostgreSQL database, when the tests run on PostgreSQL; dropped last.
    _pg: Option<common::pg::PgDb>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

async fn spawn_app_with(extra: &[(&str, &str)]) -> TestApp {
    let template = processed_template();
    let dir = tempfile::tempdir().expect("tempdir");
    for f in ["db.sqlite", "db.sqlite-wal", "db.sqlite-shm"] {
        if template.join(f).exists() {
            std::fs::copy(template.join(f), dir.path().join(f)).expect("copy db");
        }
    }
    std::fs::create_dir_all(dir.path().join("outbox")).expect("mkdir");
    let examples = crate_dir().join("examples");
    let sqlite_url = format!("sqlite://{}", dir.path().join("db.sqlite").display());
    // With TREKKPOST_DATABASE_URL=postgres://… the processed examples are copied into a
    // fresh PostgreSQL database with `db copy`, and the app runs on that.
    let pg = match std::env::var("TREKKPOST_DATABASE_URL") {
        Ok(url) if url.starts_with("postgres") => {
            let db = common::pg::PgDb::create_on(&url, true).expect("PostgreSQL database");
            let from = AnyStore::open(&sqlite_url).await.expect("template");
            let to = AnyStore::open(&db.url).await.expect("PostgreSQL store");
            trekkpost::store::copy::copy(&from, &to)
                .await
                .expect("copy the template to PostgreSQL");
            Some(db)
        }
        _ => None,
    };
    let url = pg.as_ref().map_or(sqlite_url, |db| db.url.clone());
    let mut env: Vec<(String, String)> = vec![
        ("TREKKPOST_DATABASE_URL".into(), url),
        (
            "TREKKPOST_SOURCE".into(),
            examples.join("mailbox").display().to_string(),
        ),
        (
            "TREKKPOST_SINK".into(),
            dir.path().join("outbox").display().to_string(),
        ),
        (
            "TREKKPOST_IMPORT_DIR".into(),
            examples.join("world").display().to_string(),
        ),
        ("TREKKPOST__WEB__BIND".into(), "127.0.0.1:0".into()),
    ];
    for (k, v) in extra {
        env.push((k.to_string(), v.to_string()));
    }
    let settings = Settings::load_with_env(None, env).expect("settings");
    let store = AnyStore::open(&settings.database.url).await.expect("store");
    let hash = trekkpost::web::auth::hash_password(PASSWORD).expect("hash");
    store
        .staff_upsert(EMAIL, &hash, "test")
        .await
        .expect("staff");
    let app = trekkpost::web::Application::build(settings.clone(), store.clone())
        .await
        .expect("build")
        .with_exe(bin());
    let base = format!("http://{}", app.addr());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.run_until(async move {
        let _ = rx.await;
    }));
    TestApp {
        base,
        store,
        settings,
        dir,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
        session: None,
        stop: Some(tx),
        _pg: pg,
    }
}

async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

fn set_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| {
            let first = v.split(';').next()?;
            let (k, val) = first.split_once('=')?;
            (k == name).then(|| val.to_string())
        })
}

/// The first form token in a page.
fn csrf_in(html: &str) -> String {
    let key = "name=\"csrf\" value=\"";
    let start = html.find(key).map(|i| i + key.len()).expect("csrf field");
    html[start..start + 64].to_string()
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Reply {
    fn location(&self) -> String {
        self.headers
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    }
}

impl TestApp {
    async fn send(&self, req: reqwest::RequestBuilder) -> Reply {
        let req = match &self.session {
            Some(s) => req.header(COOKIE, format!("tp_session={s}")),
            None => req,
        };
        let r = req.send().await.expect("request");
        let status = r.status();
        let headers = r.headers().clone();
        let body = r.text().await.unwrap_or_default();
        Reply {
            status,
            headers,
            body,
        }
    }

    async fn get(&self, path: &str) -> Reply {
        self.send(self.client.get(format!("{}{path}", self.base)))
            .await
    }

    async fn post(&self, path: &str, form: &[(&str, &str)]) -> Reply {
        self.send(self.client.post(format!("{}{path}", self.base)).form(form))
            .await
    }

    /// A form post with the session's CSRF token, read from `page` as a browser would.
    async fn post_from(&self, page: &str, path: &str, form: &[(&str, &str)]) -> Reply {
        let token = csrf_in(&self.get(page).await.body);
        let mut fields: Vec<(&str, &str)> = vec![("csrf", token.as_str())];
        fields.extend_from_slice(form);
        self.post(path, &fields).await
    }

    async fn try_login(&self, email: &str, password: &str) -> Reply {
        let form = self.client.get(format!("{}/login", self.base));
        let r = form.send().await.expect("login form");
        let cookie = set_cookie(r.headers(), "tp_login").expect("login cookie");
        let html = r.text().await.expect("body");
        let token = csrf_in(&html);
        let r = self
            .client
            .post(format!("{}/login", self.base))
            .header(COOKIE, format!("tp_login={cookie}"))
            .form(&[
                ("csrf", token.as_str()),
                ("email", email),
                ("password", password),
            ])
            .send()
            .await
            .expect("login");
        let status = r.status();
        let headers = r.headers().clone();
        Reply {
            status,
            headers,
            body: r.text().await.unwrap_or_default(),
        }
    }

    async fn login(&mut self) {
        let r = self.try_login(EMAIL, PASSWORD).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let session = set_cookie(&r.headers, "tp_session").expect("session cookie");
        let raw = r
            .headers
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("tp_session="))
            .unwrap_or_default()
            .to_string();
        assert!(
            raw.contains("HttpOnly") && raw.contains("SameSite=Strict"),
            "{raw}"
        );
        self.session = Some(session);
    }

    async fn message_by_source(&self, source: &str) -> i64 {
        self.store
            .messages()
            .await
            .expect("messages")
            .iter()
            .find(|m| m.source == source)
            .map(|m| m.id)
            .expect("message")
    }

    async fn pending_access_request(&self) -> i64 {
        self.store
            .access_requests()
            .await
            .expect("requests")
            .iter()
            .find(|a| a.status == AccessStatus::PendingApproval)
            .map(|a| a.id)
            .expect("a pending request")
    }

    async fn outbox_templates(&self, message: i64) -> Vec<(String, String)> {
        self.store
            .outbox_of_messages(&[message])
            .await
            .expect("outbox")
            .into_iter()
            .map(|o| (o.template, o.state))
            .collect()
    }

    async fn audit_actions(&self) -> Vec<(String, String)> {
        self.store
            .audit_entries(None, None, 1000)
            .await
            .expect("audit")
            .into_iter()
            .map(|e| (e.actor, e.action))
            .collect()
    }

    async fn drain(&self) {
        let sink = trekkpost::sink::dir::DirSink::new(&self.settings.sink.path);
        trekkpost::pipeline::drain_outbox(&self.store, &sink, &self.settings)
            .await
            .expect("drain");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_is_reachable_without_a_session() {
    let app = spawn_app().await;
    for path in [
        "/",
        "/melding/1",
        "/melding/2/vedlegg/0",
        "/melding/2/svar",
        "/sak/1",
        "/arbeidsgivere",
        "/arbeidsgiver/A3012",
        "/logg",
        "/helse",
        "/utboks/1",
        "/tilgang",
        "/tilgang/eksport.csv",
        "/finnes-ikke",
    ] {
        let r = app.get(path).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{path}");
        assert_eq!(r.location(), "/login", "{path}");
        assert!(r.body.is_empty(), "{path} leaks a body");
    }
    let id = app.pending_access_request().await;
    let r = app
        .post(&format!("/tilgang/{id}/godkjenn"), &[("csrf", "x")])
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let status = app.store.access_request(id).await.unwrap().unwrap().status;
    assert_eq!(status, AccessStatus::PendingApproval);
    // A made-up session cookie is no session.
    let mut forged = spawn_app().await;
    forged.session = Some("0".repeat(64));
    assert_eq!(forged.get("/").await.location(), "/login");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_needs_its_csrf_token_the_right_password_and_is_rate_limited() {
    let app = spawn_app_with(&[("TREKKPOST__WEB__LOGIN_MAX_FAILURES", "3")]).await;
    let r = app
        .post("/login", &[("email", EMAIL), ("password", PASSWORD)])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "login without a token");
    let r = app.try_login(EMAIL, "feil passord igjen").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.body.contains("Feil e-post eller passord"));
    assert!(set_cookie(&r.headers, "tp_session").is_none());
    let r = app.try_login("ukjent@union.example", PASSWORD).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    app.try_login(EMAIL, "feil passord tre").await;
    app.try_login(EMAIL, "feil passord fire").await;
    // Three failures from this address: even the right password waits now.
    let r = app.try_login(EMAIL, PASSWORD).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    let failed = app
        .audit_actions()
        .await
        .iter()
        .filter(|(_, a)| a == "login_failed")
        .count();
    assert!(failed >= 3, "{failed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn actions_without_a_valid_csrf_token_are_refused_and_change_nothing() {
    let mut app = spawn_app().await;
    app.login().await;
    let id = app.pending_access_request().await;
    let path = format!("/tilgang/{id}/godkjenn");
    assert_eq!(app.post(&path, &[]).await.status, StatusCode::FORBIDDEN);
    let wrong = "f".repeat(64);
    assert_eq!(
        app.post(&path, &[("csrf", wrong.as_str())]).await.status,
        StatusCode::FORBIDDEN
    );
    // Another session's token is no good either.
    let mut other = spawn_app().await;
    other.login().await;
    let r = app
        .post(&path, &[("csrf", &csrf_in(&other.get("/").await.body))])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let flag = app
        .store
        .queue(&Default::default())
        .await
        .unwrap()
        .first()
        .map(|f| f.flag_id)
        .unwrap();
    let r = app
        .post(&format!("/sak/{flag}/lukk"), &[("note", "uten token")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.store.access_request(id).await.unwrap().unwrap().status,
        AccessStatus::PendingApproval
    );
    assert_eq!(
        app.store.queue_item(flag).await.unwrap().unwrap().status,
        "open"
    );
    // Logging out also needs the token, and then the session is gone.
    assert_eq!(app.post("/logout", &[]).await.status, StatusCode::FORBIDDEN);
    let r = app.post_from("/", "/logout", &[]).await;
    assert_eq!(r.location(), "/login");
    assert_eq!(app.get("/").await.location(), "/login");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queue_lists_flagged_items_oldest_first_with_counts_and_filters() {
    let mut app = spawn_app().await;
    app.login().await;
    let r = app.get("/").await;
    assert_eq!(r.status, StatusCode::OK);
    for label in ["Tilgangsforespørsel", "Spørsmål", "Ny person"] {
        assert!(r.body.contains(label), "{label} missing from the queue");
    }
    let open = app
        .store
        .queue(&trekkpost::store::QueueFilter {
            status: Some("open".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(open.len() >= 3);
    let positions: Vec<usize> = open
        .iter()
        .map(|f| {
            r.body
                .find(&format!("data-flag=\"{}\"", f.flag_id))
                .expect("row")
        })
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "oldest first");
    let only = app.get("/?kind=access_request").await.body;
    assert!(only.contains("data-kind=\"access_request\""));
    assert!(!only.contains("data-kind=\"question\""));
    let old = app.get("/?age=100000").await.body;
    assert!(old.contains("Ingen saker passer filteret"));
    // A question from an employer's contact counts under that employer.
    let question = app.message_by_source("11-question.eml").await;
    let from = app
        .store
        .message_detail(question)
        .await
        .unwrap()
        .unwrap()
        .from_address
        .unwrap();
    let employer = app.store.employer_by_contact(&from).await.unwrap().unwrap();
    let theirs = app
        .get(&format!("/?employer={}", employer.employer_id))
        .await
        .body;
    assert!(theirs.contains("data-kind=\"question\""));
    assert!(!theirs.contains("data-kind=\"access_request\""));
    let by_employer = app.get("/?employer=NOPE").await.body;
    assert!(by_employer.contains("Ingen saker passer filteret"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn item_page_shows_why_the_mail_and_lines_with_ids_masked() {
    let mut app = spawn_app().await;
    app.login().await;
    let id = app
        .message_by_source("02-list-changed-new-person.eml")
        .await;
    let r = app.get(&format!("/melding/{id}")).await;
    assert_eq!(r.status, StatusCode::OK);
    let page = &r.body;
    assert!(page.contains("Hvorfor saken er her"));
    assert!(page.contains("Lista har personer som ikke sto på den utsendte lista"));
    assert!(page.contains("ny person") && page.contains("uendret"));
    assert!(page.contains("Fakturert") && page.contains("Innsendt") && page.contains("Betalt"));
    assert!(page.contains("Original e-post") && page.contains("Samtalen"));
    assert!(
        page.contains("confirmation"),
        "the reply is in the conversation"
    );
    let full_ids = regex::Regex::new(r"\b\d{11}\b").unwrap();
    assert!(
        !full_ids.is_match(page),
        "a full national ID on the item page"
    );
    assert!(page.contains("*****"));
    // Our reply can be read as the employer got it.
    let reply = app.store.outbox_of_messages(&[id]).await.unwrap()[0].id;
    let r = app.get(&format!("/utboks/{reply}")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("id=\"reply-text\""), "{}", r.body);
    assert!(!full_ids.is_match(&r.body));
    // The full number only on an explicit, audited request.
    let line = app.store.parsed_lines_of(id).await.unwrap();
    let line = line.iter().find(|l| l.national_id.is_some()).unwrap();
    let r = app
        .post_from(
            &format!("/melding/{id}"),
            &format!("/melding/{id}/linje/{}/fnr", line.id),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains(line.national_id.as_deref().unwrap()));
    let entry = app
        .store
        .audit_entries(Some(EMAIL), Some(&format!("message:{id}")), 10)
        .await
        .unwrap();
    assert!(entry.iter().any(|e| e.action == "national_id_shown"));
    // The attachment downloads, never inline, and the download is audited.
    let r = app.get(&format!("/melding/{id}/vedlegg/0")).await;
    assert_eq!(r.status, StatusCode::OK);
    let disposition = r.headers["content-disposition"].to_str().unwrap();
    assert!(disposition.starts_with("attachment;"), "{disposition}");
    assert_eq!(r.headers["content-type"], "application/octet-stream");
    assert!(app
        .audit_actions()
        .await
        .contains(&(EMAIL.to_string(), "attachment_download".to_string())));
    assert_eq!(
        app.get(&format!("/melding/{id}/vedlegg/99")).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approving_an_access_request_queues_access_confirmed_and_is_audited() {
    let mut app = spawn_app().await;
    app.login().await;
    let id = app.pending_access_request().await;
    let message = app
        .store
        .access_request(id)
        .await
        .unwrap()
        .unwrap()
        .last_message
        .unwrap();
    let page = format!("/melding/{message}");
    assert!(app.get(&page).await.body.contains("Godkjenn tilgang"));
    let r = app
        .post_from(&page, &format!("/tilgang/{id}/godkjenn"), &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), format!("/melding/{message}?ok=godkjent"));
    let row = app.store.access_request(id).await.unwrap().unwrap();
    assert_eq!(row.status, AccessStatus::Approved);
    assert!(app
        .outbox_templates(message)
        .await
        .contains(&("access_confirmed".into(), "pending".into())));
    assert!(app
        .audit_actions()
        .await
        .contains(&(EMAIL.to_string(), "access_decision".to_string())));
    // Approving twice is refused; the decision stands.
    let again = app
        .post_from(&page, &format!("/tilgang/{id}/godkjenn"), &[])
        .await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    // Re-running the mail would let the pipeline touch a decided request: refused.
    let rerun = app
        .post_from(&page, &format!("/melding/{message}/kjor-pa-nytt"), &[])
        .await;
    assert_eq!(rerun.status, StatusCode::BAD_REQUEST);
    // The approved request is in the export for Winorg, and the download is audited.
    assert!(app.get("/tilgang").await.body.contains("godkjent"));
    let export = app.get("/tilgang/eksport.csv").await;
    assert_eq!(export.status, StatusCode::OK);
    let email = row.fields.email.clone().unwrap();
    assert!(export
        .body
        .lines()
        .nth(1)
        .is_some_and(|l| l.contains(&email)));
    assert!(app
        .audit_actions()
        .await
        .contains(&(EMAIL.to_string(), "access_export".to_string())));
    app.drain().await;
    let sent: Vec<String> = std::fs::read_dir(app.dir.path().join("outbox"))
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
        .collect();
    assert!(sent
        .iter()
        .any(|m| m.contains("Auto-Submitted: auto-replied")));
    assert_eq!(
        app.store.access_request(id).await.unwrap().unwrap().status,
        AccessStatus::Approved
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejecting_needs_a_reason_and_sends_access_rejected() {
    let mut app = spawn_app().await;
    app.login().await;
    let id = app.pending_access_request().await;
    let message = app
        .store
        .access_request(id)
        .await
        .unwrap()
        .unwrap()
        .last_message
        .unwrap();
    let page = format!("/melding/{message}");
    let path = format!("/tilgang/{id}/avvis");
    let r = app.post_from(&page, &path, &[("reason", "  ")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = app
        .post_from(&page, &path, &[("reason", "Ukjent arbeidsgiver hos oss")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let row = app.store.access_request(id).await.unwrap().unwrap();
    assert_eq!(row.status, AccessStatus::Rejected);
    assert_eq!(row.reason.as_deref(), Some("Ukjent arbeidsgiver hos oss"));
    assert!(app
        .outbox_templates(message)
        .await
        .iter()
        .any(|(t, _)| t == "access_rejected"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resolving_with_a_note_closes_the_flag_and_is_audited() {
    let mut app = spawn_app().await;
    app.login().await;
    let message = app.message_by_source("11-question.eml").await;
    let flag = app.store.flags_of_message(message).await.unwrap()[0].flag_id;
    let page = format!("/melding/{message}");
    let r = app
        .post_from(&page, &format!("/sak/{flag}/lukk"), &[("note", "")])
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "a note is required");
    let r = app
        .post_from(
            &page,
            &format!("/sak/{flag}/lukk"),
            &[("note", "Ringte og svarte på telefon")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let item = app.store.queue_item(flag).await.unwrap().unwrap();
    assert_eq!(item.status, "resolved");
    assert_eq!(item.resolved_by.as_deref(), Some(EMAIL));
    assert_eq!(item.note.as_deref(), Some("Ringte og svarte på telefon"));
    let audit = app.get("/logg").await.body;
    assert!(audit.contains("flag_resolve") && audit.contains("Ringte og svarte på telefon"));
    assert!(!app
        .get("/")
        .await
        .body
        .contains(&format!("data-flag=\"{flag}\"")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_reply_is_prefilled_editable_masked_and_queued() {
    let mut app = spawn_app().await;
    app.login().await;
    let message = app.message_by_source("11-question.eml").await;
    let form = app
        .get(&format!(
            "/melding/{message}/svar?mal=received_under_review"
        ))
        .await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("Re: "), "subject prefilled");
    let detail = app.store.message_detail(message).await.unwrap().unwrap();
    let from = detail.from_address.unwrap();
    assert!(form.body.contains(&from), "recipient prefilled");
    let r = app
        .post_from(
            &format!("/melding/{message}/svar"),
            &format!("/melding/{message}/svar"),
            &[
                ("to", from.as_str()),
                ("subject", "Re: spørsmålet ditt [TL-1]"),
                ("body", "Hei,\nGjelder 01019012345.\nHilsen forbundet"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let outbox = app.store.outbox_of_messages(&[message]).await.unwrap();
    let row = outbox.iter().find(|o| o.template == "staff_reply").unwrap();
    assert_eq!(row.state, "pending");
    app.drain().await;
    let eml: String = std::fs::read_dir(app.dir.path().join("outbox"))
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
        .find(|m| m.contains(&row.message_id))
        .expect("sent reply");
    assert!(!eml.contains("01019012345"), "a full ID left in a mail");
    assert!(eml.contains("In-Reply-To:"));
    assert!(app
        .audit_actions()
        .await
        .contains(&(EMAIL.to_string(), "staff_reply".to_string())));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reassign_and_rerun_keep_what_staff_decided_and_hold_new_replies() {
    let mut app = spawn_app().await;
    app.login().await;
    let message = app
        .message_by_source("02-list-changed-new-person.eml")
        .await;
    let page = format!("/melding/{message}");
    let before = app.store.message_detail(message).await.unwrap().unwrap();
    let other = app
        .store
        .lists_of_employer(
            &app.store
                .list(before.list_number.as_deref().unwrap())
                .await
                .unwrap()
                .unwrap()
                .employer_id,
        )
        .await
        .unwrap();
    let target = other
        .iter()
        .map(|l| l.list_number.clone())
        .find(|n| Some(n) != before.list_number.as_ref())
        .unwrap_or_else(|| before.list_number.clone().unwrap());
    let r = app
        .post_from(
            &page,
            &format!("/melding/{message}/flytt"),
            &[("list_number", "999999999"), ("note", "feil")],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "unknown list");
    let r = app
        .post_from(
            &page,
            &format!("/melding/{message}/flytt"),
            &[("list_number", target.as_str()), ("note", "Riktig periode")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    // A flag staff resolved stays resolved through a re-run.
    let flag = app.store.flags_of_message(message).await.unwrap()[0].flag_id;
    app.store
        .resolve_flag(flag, EMAIL, "lagt inn i Winorg")
        .await
        .unwrap();
    let replies_before = app
        .store
        .outbox_of_messages(&[message])
        .await
        .unwrap()
        .len();
    let r = app
        .post_from(&page, &format!("/melding/{message}/kjor-pa-nytt"), &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let after = app.store.message_detail(message).await.unwrap().unwrap();
    assert_eq!(after.state, "done");
    assert_eq!(after.list_number.as_deref(), Some(target.as_str()));
    assert_eq!(
        app.store.queue_item(flag).await.unwrap().unwrap().status,
        "resolved"
    );
    let outbox = app.store.outbox_of_messages(&[message]).await.unwrap();
    assert!(outbox.len() > replies_before, "the re-run decided a reply");
    assert!(outbox[replies_before..].iter().all(|o| o.state == "held"));
    assert!(!app.store.parsed_lines_of(message).await.unwrap().is_empty());
    let actions = app.audit_actions().await;
    for a in ["message_reassign", "message_rerun", "message_rerun_done"] {
        assert!(actions.contains(&(EMAIL.to_string(), a.to_string())), "{a}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_letters_can_be_retried_or_discarded() {
    let mut app = spawn_app().await;
    app.login().await;
    let message = app.message_by_source("11-question.eml").await;
    let mut ids = Vec::new();
    for n in 0..2 {
        let reply = trekkpost::store::OutboxWrite {
            template: "staff_reply".into(),
            to_address: "x@firma.example".into(),
            subject: format!("dead {n}"),
            message_id: format!("dead{n}@union.example"),
            eml: b"Subject: x\r\n\r\nx".to_vec(),
            held: false,
        };
        app.store
            .queue_staff_reply(message, &reply, "test")
            .await
            .unwrap();
        let row = app
            .store
            .outbox_of_messages(&[message])
            .await
            .unwrap()
            .into_iter()
            .find(|o| o.subject == format!("dead {n}"))
            .unwrap();
        app.store
            .mark_failed(row.id, "550 no such user", chrono::Utc::now(), true)
            .await
            .unwrap();
        ids.push(row.id);
    }
    let health = app.get("/helse").await;
    assert!(health.body.contains("dead 0") && health.body.contains("550 no such user"));
    let r = app
        .post_from("/helse", &format!("/utboks/{}/send-igjen", ids[0]), &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.store.outbox_row(ids[0]).await.unwrap().unwrap().state,
        "pending"
    );
    let r = app
        .post_from(
            "/helse",
            &format!("/utboks/{}/forkast", ids[1]),
            &[("note", "adressen finnes ikke")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.store.outbox_row(ids[1]).await.unwrap().unwrap().state,
        "discarded"
    );
    let open_dead = app
        .store
        .queue(&trekkpost::store::QueueFilter {
            kind: Some("dead_letter".into()),
            status: Some("open".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(open_dead.is_empty(), "dead-letter flags resolved");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn employer_audit_and_health_pages_render() {
    let mut app = spawn_app().await;
    app.login().await;
    let employers = app.get("/arbeidsgivere").await;
    assert!(employers.body.contains("Havørn Sjømat AS"));
    let e = app.get("/arbeidsgiver/A3012").await;
    assert_eq!(e.status, StatusCode::OK);
    for part in [
        "Lister og fakturaer",
        "Innbetalinger",
        "Historikk",
        "991621601",
    ] {
        assert!(e.body.contains(part), "{part}");
    }
    assert_eq!(
        app.get("/arbeidsgiver/FINNES-IKKE").await.status,
        StatusCode::NOT_FOUND
    );
    let audit = app.get("/logg?actor=system").await;
    assert!(audit.body.contains("outcome"));
    let health = app.get("/helse").await;
    assert!(health.body.contains("Postkasse") && health.body.contains("Utboks"));
}

/// A long queue is paged, oldest first, and the paging links keep the filters.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_queue_is_paged_and_the_pages_keep_the_filters() {
    let mut app = spawn_app_with(&[("TREKKPOST__WEB__QUEUE_PAGE_SIZE", "2")]).await;
    app.login().await;
    let all = app
        .store
        .queue(&trekkpost::store::QueueFilter {
            status: None,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(
        all.len() > 2,
        "the examples raise more than one page of flags: {}",
        all.len()
    );
    let mut seen = Vec::new();
    let mut url = Some("/?status=alle".to_string());
    while let Some(u) = url.take() {
        let body = app.get(&u).await.body;
        let rows = body.matches("data-flag=\"").count();
        assert!(rows <= 2, "{rows} rows on one page");
        for f in &all {
            if body.contains(&format!("data-flag=\"{}\"", f.flag_id)) {
                seen.push(f.flag_id);
            }
        }
        // `<a href="…" rel="next">`: the href just before the marker.
        url = body.find("rel=\"next\"").and_then(|at| {
            let href = body[..at].rsplit("href=\"").next()?;
            let end = href.find('"')?;
            Some(href[..end].replace("&#x2f;", "/").replace("&amp;", "&"))
        });
        if let Some(next) = &url {
            assert!(next.contains("status=alle"), "filter kept: {next}");
        }
        assert!(seen.len() <= all.len(), "paging ends");
    }
    let expected: Vec<i64> = all.iter().map(|f| f.flag_id).collect();
    assert_eq!(
        seen, expected,
        "every item once, oldest first, across the pages"
    );
    let beyond = app.get("/?status=alle&side=999").await.body;
    assert!(
        beyond.contains("rel=\"prev\""),
        "a page past the end shows the last one"
    );
}

/// With a real mailbox configured, the health page shows what the daemon last recorded of
/// its IMAP and SMTP connections: connected or not, the error, the last poll, mail waiting.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_page_shows_the_mailbox_connection_and_last_poll() {
    let mut app = spawn_app_with(&[
        ("TREKKPOST__SOURCE__KIND", "imap"),
        ("TREKKPOST__SINK__KIND", "smtp"),
        ("TREKKPOST__IMAP__HOST", "imap.union.example"),
        ("TREKKPOST__IMAP__USER", "trekklister"),
        ("TREKKPOST_IMAP_PASSWORD", "secret"),
        ("TREKKPOST__SMTP__HOST", "smtp.union.example"),
        ("TREKKPOST_SMTP_PASSWORD", "secret"),
    ])
    .await;
    app.login().await;
    let before = app.get("/helse").await;
    assert!(
        before.body.contains("IMAP imap.union.example") && before.body.contains("ingen rapport"),
        "no record yet: {}",
        before.body
    );
    let poll = chrono::Utc::now();
    app.store
        .set_transport_status(
            "source",
            &trekkpost::store::TransportStatus {
                connected: true,
                last_poll: Some(poll),
                waiting: Some(7),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    app.store
        .set_transport_status(
            "sink",
            &trekkpost::store::TransportStatus {
                connected: false,
                last_error: Some("connection refused by smtp.union.example".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let page = app.get("/helse").await.body;
    let section = |id: &str| {
        let start = page.find(&format!("id=\"{id}\"")).expect(id);
        page[start..start + page[start..].find("</dd>").expect("dd end")].to_string()
    };
    let source = section("source");
    let shown_poll = (poll
        + chrono::Duration::hours(trekkpost::web::render::oslo_offset_hours(poll)))
    .format("%d.%m.%Y %H:%M")
    .to_string();
    assert!(source.contains("tilkoblet"), "{source}");
    assert!(!source.contains("ikke tilkoblet"), "{source}");
    assert!(
        source.contains(&format!("Siste henting: {shown_poll}")),
        "{source}"
    );
    assert!(source.contains("E-post i innboksen: 7"), "{source}");
    let sink = section("sink");
    assert!(
        sink.contains("ikke tilkoblet")
            && sink.contains("connection refused by smtp.union.example"),
        "{sink}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_sessions_expire_and_disabled_staff_are_locked_out() {
    let mut app = spawn_app().await;
    app.login().await;
    assert_eq!(app.get("/").await.status, StatusCode::OK);
    let key = trekkpost::store::sqlite::sha256_hex(app.session.as_deref().unwrap().as_bytes());
    app.store
        .session_touch(&key, chrono::Utc::now() - chrono::Duration::hours(2))
        .await
        .unwrap();
    assert_eq!(
        app.get("/").await.location(),
        "/login",
        "idle session ended"
    );
    // An idle session is gone from the store after the next login.
    let stale = trekkpost::store::sqlite::sha256_hex(b"stale");
    let staff = app.store.staff_by_email(EMAIL).await.unwrap().unwrap();
    let long_ago = chrono::Utc::now() - chrono::Duration::days(3);
    app.store
        .session_create(&stale, staff.id, "x", long_ago)
        .await
        .unwrap();
    app.login().await;
    assert!(app.store.session_get(&stale).await.unwrap().is_none());
    assert_eq!(app.get("/").await.status, StatusCode::OK);
    app.store
        .staff_set_active(EMAIL, false, "test")
        .await
        .unwrap();
    assert_eq!(app.get("/").await.location(), "/login");
    assert_eq!(
        app.try_login(EMAIL, PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[test]
fn staff_add_reads_the_password_from_stdin_and_disable_works() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("db.sqlite").display());
    let run = |args: &[&str], input: &str| {
        let mut child = std::process::Command::new(bin())
            .args(args)
            .current_dir(dir.path())
            .env("TREKKPOST_DATABASE_URL", &db)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        if let Some(mut stdin) = child.stdin.take() {
            let _ = stdin.write_all(input.as_bytes());
        }
        child.wait_with_output().unwrap()
    };
    let short = run(&["staff", "add", "ola@union.example"], "kort\n");
    assert!(!short.status.success(), "a short password is refused");
    let ok = run(
        &["staff", "add", "Ola@Union.example"],
        &format!("{PASSWORD}\n"),
    );
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    let account = rt.block_on(async {
        let store = AnyStore::open(&db).await.unwrap();
        store
            .staff_by_email("ola@union.example")
            .await
            .unwrap()
            .unwrap()
    });
    assert!(account.active);
    assert!(account.password_hash.starts_with("$argon2id$"));
    assert!(trekkpost::web::auth::verify_password(
        PASSWORD,
        &account.password_hash
    ));
    let off = run(&["staff", "disable", "ola@union.example"], "");
    assert!(off.status.success());
    let account = rt.block_on(async {
        let store = AnyStore::open(&db).await.unwrap();
        store
            .staff_by_email("ola@union.example")
            .await
            .unwrap()
            .unwrap()
    });
    assert!(!account.active);
    assert!(!run(&["staff", "disable", "nobody@union.example"], "")
        .status
        .success());
}

/// Ends chromedriver (which we started) however the test ends.
struct Driver(std::process::Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

async fn screenshot(client: &fantoccini::Client, name: &str) {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("web-screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot folder");
    let png = client.screenshot().await.expect("screenshot");
    std::fs::write(dir.join(name), png).expect("write screenshot");
}

/// A new staff member in real headless Chromium: log in, open the queue, open the access
/// request, approve it, and find the `access_confirmed` reply in the outbox. Screenshots go
/// to `target/tmp/web-screenshots/`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_logs_in_opens_the_queue_and_approves_an_access_request() {
    use fantoccini::Locator;
    let chromedriver = Path::new("/usr/bin/chromedriver");
    assert!(
        chromedriver.exists() && Path::new("/usr/bin/chromium").exists(),
        "Chromium is missing: scripts/test installs Debian's chromium and chromium-driver"
    );
    let app = spawn_app().await;
    let id = app.pending_access_request().await;
    let list_mail = app
        .message_by_source("02-list-changed-new-person.eml")
        .await;
    let port = free_port();
    let _driver = Driver(
        std::process::Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start chromedriver"),
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "chromedriver did not start"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let profile = tempfile::tempdir().expect("profile");
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--window-size=1280,1400",
                format!("--user-data-dir={}", profile.path().display()),
            ],
        }),
    );
    let client =
        fantoccini::ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("connect to chromedriver");

    let result = async {
        client.goto(&format!("{}/", app.base)).await?;
        // Without a session the queue sends the browser to the login form.
        assert!(client.current_url().await?.path().ends_with("/login"));
        screenshot(&client, "01-login.png").await;
        client
            .find(Locator::Id("email"))
            .await?
            .send_keys(EMAIL)
            .await?;
        client
            .find(Locator::Id("password"))
            .await?
            .send_keys(PASSWORD)
            .await?;
        client.find(Locator::Id("login")).await?.click().await?;
        client.wait().for_element(Locator::Id("queue")).await?;
        screenshot(&client, "02-queue.png").await;
        client
            .find(Locator::Css("a.item-link[data-kind='access_request']"))
            .await?
            .click()
            .await?;
        client.wait().for_element(Locator::Id("approve")).await?;
        screenshot(&client, "03-access-request.png").await;
        client.find(Locator::Id("approve")).await?.click().await?;
        let notice = client.wait().for_element(Locator::Id("notice")).await?;
        let text = notice.text().await?;
        assert!(text.contains("access_confirmed"), "{text}");
        let status = client
            .find(Locator::Id("access-status"))
            .await?
            .text()
            .await?;
        assert_eq!(status, "godkjent");
        // The reply is in the conversation on the page.
        client
            .find(Locator::Css("[data-template='access_confirmed']"))
            .await?;
        screenshot(&client, "04-approved.png").await;
        // The other pages a new staff member meets, kept as pictures to look at.
        for (path, name) in [
            (format!("/melding/{list_mail}"), "05-list-item.png"),
            (
                format!("/melding/{list_mail}/svar?mal=received_under_review"),
                "06-reply.png",
            ),
            ("/arbeidsgiver/A3012".to_string(), "07-employer.png"),
            ("/logg".to_string(), "08-audit.png"),
            ("/helse".to_string(), "09-health.png"),
        ] {
            client.goto(&format!("{}{path}", app.base)).await?;
            client.find(Locator::Css("main h1")).await?;
            screenshot(&client, name).await;
        }
        Ok::<(), fantoccini::error::CmdError>(())
    }
    .await;
    if result.is_err() {
        screenshot(&client, "99-failure.png").await;
        if let Ok(url) = client.current_url().await {
            eprintln!("browser stopped at {url}");
        }
    }
    let _ = client.close().await;
    result.expect("browser steps");

    let message = app
        .store
        .access_request(id)
        .await
        .unwrap()
        .unwrap()
        .last_message
        .unwrap();
    let outbox = app.store.outbox_of_messages(&[message]).await.unwrap();
    let reply = outbox
        .iter()
        .find(|o| o.template == "access_confirmed")
        .expect("access_confirmed in the outbox");
    app.drain().await;
    let sent = app.store.outbox_row(reply.id).await.unwrap().unwrap();
    assert_eq!(sent.state, "sent");
    let delivered = std::fs::read_dir(app.dir.path().join("outbox"))
        .unwrap()
        .filter_map(|e| e.ok())
        .any(|e| std::fs::read_to_string(e.path()).is_ok_and(|m| m.contains(&reply.message_id)));
    assert!(delivered, "the access_confirmed mail reached the sink");
    assert!(app
        .audit_actions()
        .await
        .contains(&(EMAIL.to_string(), "access_decision".to_string())));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cookies_are_secure_when_served_over_tls() {
    let app = spawn_app().await;
    let login = |app: &TestApp, proto: Option<&str>| {
        let mut req = app.client.get(format!("{}/login", app.base));
        if let Some(p) = proto {
            req = req.header("x-forwarded-proto", p);
        }
        req.send()
    };
    let plain = login(&app, None).await.expect("login form");
    let cookie = plain.headers()[SET_COOKIE].to_str().unwrap().to_string();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
    assert!(!cookie.contains("Secure"), "{cookie}");
    let proxied = login(&app, Some("https")).await.expect("login form");
    assert!(proxied.headers()[SET_COOKIE]
        .to_str()
        .unwrap()
        .contains("; Secure"));
    let tls = spawn_app_with(&[("TREKKPOST__WEB__BEHIND_TLS", "true")]).await;
    let r = login(&tls, None).await.expect("login form");
    assert!(r.headers()[SET_COOKIE]
        .to_str()
        .unwrap()
        .contains("; Secure"));
    // Pages are not cached, framed or scripted.
    let csp = r.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"));
    assert_eq!(r.headers()["cache-control"], "no-store");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reassigning_matches_the_lines_against_the_chosen_list() {
    let mut app = spawn_app().await;
    app.login().await;
    let message = app.message_by_source("04-list-too-late.eml").await;
    let current = app
        .store
        .message_detail(message)
        .await
        .unwrap()
        .unwrap()
        .list_number
        .unwrap();
    let employer = app.store.list(&current).await.unwrap().unwrap().employer_id;
    let target = app
        .store
        .lists_of_employer(&employer)
        .await
        .unwrap()
        .into_iter()
        .map(|l| l.list_number)
        .find(|n| *n != current)
        .expect("the employer has a second list");
    let members: Vec<String> = app
        .store
        .issued_lines(&target)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.member_number)
        .collect();
    let r = app
        .post_from(
            &format!("/melding/{message}"),
            &format!("/melding/{message}/flytt"),
            &[
                ("list_number", target.as_str()),
                ("note", "Gjelder november"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let lines = app.store.parsed_lines_of(message).await.unwrap();
    assert!(!lines.is_empty());
    for l in &lines {
        assert!(l.match_status.is_some());
        if let Some(m) = &l.matched_member {
            assert!(members.contains(m), "{m} is not on list {target}");
        }
    }
    let page = app.get(&format!("/melding/{message}")).await.body;
    assert!(page.contains(&format!("Matchet mot liste {target}")));
    assert!(app
        .audit_actions()
        .await
        .contains(&(EMAIL.to_string(), "lines_rematched".to_string())));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_flag_without_a_mail_shows_its_list_and_figures() {
    let mut app = spawn_app().await;
    app.login().await;
    // A list nobody has returned yet, paid with the wrong amount.
    let mut open_list = None;
    for e in app.store.employers().await.unwrap() {
        for l in app.store.lists_of_employer(&e.employer_id).await.unwrap() {
            if l.submitted_message.is_none()
                && app
                    .store
                    .payments_for_list(&l.list_number)
                    .await
                    .unwrap()
                    .is_empty()
            {
                open_list = Some(l);
            }
        }
    }
    let list = open_list.expect("an unreturned, unpaid list");
    let file = app.dir.path().join("payments-extra.csv");
    std::fs::write(
        &file,
        format!(
            "payment_date;amount;kid;payer_account;reference\n2026-11-26;{},00;{};12345678903;feil beløp\n",
            list.invoice_amount_ore / 100 + 1,
            list.kid
        ),
    )
    .unwrap();
    trekkpost::pipeline::import_files(&app.store, &[file], false)
        .await
        .expect("import");
    let flag = app
        .store
        .queue(&trekkpost::store::QueueFilter {
            kind: Some("payment_mismatch".into()),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_iter()
        .find(|f| f.message.is_none() && f.list_number.as_deref() == Some(&list.list_number))
        .expect("a payment_mismatch flag without a mail, for the list");
    assert_eq!(flag.employer_id.as_deref(), Some(list.employer_id.as_str()));
    let queue = app.get("/?kind=payment_mismatch").await.body;
    assert!(queue.contains(&format!("&#x2f;sak&#x2f;{}\"", flag.flag_id)));
    let page = app.get(&format!("/sak/{}", flag.flag_id)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(&format!("liste {}", list.list_number)));
    assert!(page.body.contains("Fakturert") && page.body.contains("Betalt"));
    assert!(page.body.contains("Betaling stemmer ikke"));
    let r = app
        .post_from(
            &format!("/sak/{}", flag.flag_id),
            &format!("/sak/{}/lukk", flag.flag_id),
            &[("note", "Kreditnota sendt")],
        )
        .await;
    assert_eq!(r.location(), "/?ok=lukket");
}
