//! The web application end to end: the real router on a free port, over the real database
//! (SQLite, and PostgreSQL when `MEKTEP_TEST_POSTGRES_URL` is set), with keys from a test CA
//! signing exactly as NCALayer would.

use std::sync::Arc;

use base64::Engine;
use chrono::Utc;
use domain::campaign::Campaign;
use domain::ids::AcademicYear;
use pki::testca::{CmsSigner, IssuedKey, TestCa, Validity};
use pki::{KeyKind, RevocationConfig, TrustStore, Verifier};
use store::{BlobStore, NewSchool, Store, StoreConfig};
use web::{AppInner, AppState, WebConfig};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

#[path = "app/access.rs"]
mod access;
#[path = "app/sessions.rs"]
mod sessions;
#[path = "app/uploads.rs"]
mod uploads;

struct Person {
    auth: IssuedKey,
    sign: IssuedKey,
}

struct App {
    base: String,
    store: Store,
    state: AppState,
    _dir: TempDir,
}

struct TempDir(std::path::PathBuf);
impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

struct Fixture {
    ca: TestCa,
    parent_a: Person,
    parent_b: Person,
    /// Clerk of school 1 and clerk of school 2.
    clerk_a: Person,
    clerk_b: Person,
    admin: Person,
    director: Person,
}

const DIRECTOR_IIN: &str = "700220300111";

const ADMIN_IIN: &str = "800101300555";

const CLERK_A_IIN: &str = "850715400789";
const CLERK_B_IIN: &str = "920909400321";

fn fixture() -> &'static Fixture {
    static F: std::sync::OnceLock<Fixture> = std::sync::OnceLock::new();
    F.get_or_init(|| {
        let ca = TestCa::generate("web tests").expect("test CA");
        let person = |iin: &str, surname: &str, given: &str| Person {
            auth: ca
                .issue_person(
                    iin,
                    surname,
                    given,
                    None,
                    KeyKind::Auth,
                    Validity::days_from_now(30),
                )
                .expect("auth key"),
            sign: ca
                .issue_person(
                    iin,
                    surname,
                    given,
                    None,
                    KeyKind::Sign,
                    Validity::days_from_now(30),
                )
                .expect("sign key"),
        };
        let parent_a = person("900512400123", "ӘБІЛОВА", "АЙГЕРІМ");
        let parent_b = person("880301300456", "СЕРІКОВ", "ДӘУЛЕТ");
        let clerk_a = person(CLERK_A_IIN, "НҰРЛАНОВА", "ГҮЛНАР");
        let clerk_b = person(CLERK_B_IIN, "ЖАНҰЗАҚОВА", "ӘСЕЛ");
        let admin = person(ADMIN_IIN, "ТӨЛЕГЕНОВ", "АРМАН");
        let director = person(DIRECTOR_IIN, "ҚАСЫМОВ", "БОЛАТ");
        Fixture {
            ca,
            parent_a,
            parent_b,
            clerk_a,
            clerk_b,
            admin,
            director,
        }
    })
}

async fn databases() -> Vec<(String, Option<String>)> {
    let mut out = vec![("sqlite".to_owned(), None)];
    if let Ok(base) = std::env::var("MEKTEP_TEST_POSTGRES_URL") {
        out.push(("postgres".to_owned(), Some(base)));
    }
    out
}

async fn start(backend: &(String, Option<String>)) -> App {
    start_with(
        backend,
        WebConfig {
            demo: false,
            ..WebConfig::default()
        },
    )
    .await
}

/// The service with settings of a test's own (e.g. low rate limits).
async fn start_with(backend: &(String, Option<String>), config: WebConfig) -> App {
    let dir = std::env::temp_dir().join(format!("mektep-web-test-{}", store::random_token(8)));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let url = match &backend.1 {
        None => format!("sqlite://{}", dir.join("t.db").display()),
        Some(base) => fresh_postgres(base).await,
    };
    // As the service runs: who is signed in is remembered (`session.remember_seconds`).
    let store = Store::open(&StoreConfig {
        url,
        max_connections: 4,
    })
    .await
    .expect("store")
    .remember_signed_in_for(std::time::Duration::from_secs(10));
    let f = fixture();
    let mut trust = TrustStore::new();
    trust.add(f.ca.root_cert_der()).expect("root");
    trust.add(f.ca.issuing_cert_der()).expect("issuing");
    let verifier = Verifier::new(trust, RevocationConfig::none());
    seed(&store).await;
    let state = AppState(Arc::new(AppInner {
        store: store.clone(),
        blobs: BlobStore::open(dir.join("documents")).expect("blobs"),
        verifier: Arc::new(verifier),
        config,
        csrf_key: b"test csrf key".to_vec(),
        demo_people: Vec::new(),
        cache: Default::default(),
    }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let app = web::router(state.clone());
    tokio::spawn(async move {
        let _ = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await;
    });
    App {
        base: format!("http://{addr}"),
        store,
        state,
        _dir: TempDir(dir),
    }
}

async fn fresh_postgres(base: &str) -> String {
    store::create_postgres_database(base, "mektep_test_web")
        .await
        .expect("PostgreSQL from MEKTEP_TEST_POSTGRES_URL must be reachable")
}

async fn seed(store: &Store) {
    let now = Utc::now();
    let school = store
        .create_school(
            &NewSchool {
                bin: "950140010007",
                name_kk: "№1 мектеп",
                name_ru: "Школа №1",
                address: "Ақтөбе",
                phone: "",
                email: "",
                design_capacity: 500,
                places: &[("kk", 50), ("ru", 25)],
            },
            "test",
            "test",
            now,
        )
        .await
        .expect("school");
    let street = store
        .create_street("Әбілқайыр хан даңғылы", "проспект Абулхаир хана")
        .await
        .expect("street");
    store
        .add_territory_range(school, street, 1, 60)
        .await
        .expect("territory");
    let other_school = store
        .create_school(
            &NewSchool {
                bin: "960240010002",
                name_kk: "№2 мектеп",
                name_ru: "Школа №2",
                address: "Ақтөбе",
                phone: "",
                email: "",
                design_capacity: 500,
                places: &[("kk", 1)],
            },
            "test",
            "test",
            now,
        )
        .await
        .expect("school 2");
    store
        .grant_staff_role(
            ADMIN_IIN,
            store::StaffRoleKind::Admin,
            None,
            "test",
            "test",
            now,
        )
        .await
        .expect("grant admin");
    store
        .grant_staff_role(
            DIRECTOR_IIN,
            store::StaffRoleKind::Director,
            Some(school),
            "test",
            "test",
            now,
        )
        .await
        .expect("grant director");
    let other_street = store
        .create_street("Сәңкібай батыр даңғылы", "проспект Санкибай батыра")
        .await
        .expect("street 2");
    store
        .add_territory_range(other_school, other_street, 1, 100)
        .await
        .expect("territory 2");
    for (iin, school) in [(CLERK_A_IIN, school), (CLERK_B_IIN, other_school)] {
        store
            .grant_staff_role(
                iin,
                store::StaffRoleKind::Clerk,
                Some(school),
                "test",
                "test",
                now,
            )
            .await
            .expect("grant");
    }
    let today = now.date_naive();
    let year = AcademicYear::next_intake_on_or_after(today).expect("year");
    let mut c = Campaign::standard_defaults(year);
    c.first_grade_window.opens = c.first_grade_window.opens.min(today);
    c.first_grade_window.closes = c.first_grade_window.closes.max(today);
    c.other_grades_until = c.other_grades_until.max(today);
    store
        .create_campaign(
            year.as_str(),
            &serde_json::to_string(&c).expect("json"),
            "test",
            "test",
            now,
        )
        .await
        .expect("campaign");
}

fn client() -> reqwest::Client {
    // Another crate's reqwest features leave rustls without a provider in a workspace build.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

fn csrf_of(html: &str) -> String {
    let marker = "name=\"csrf-token\" content=\"";
    let start = html.find(marker).expect("csrf meta") + marker.len();
    html[start..start + 32].to_owned()
}

async fn page(c: &reqwest::Client, url: &str) -> (u16, String) {
    let r = c.get(url).send().await.expect("GET");
    let status = r.status().as_u16();
    (status, r.text().await.expect("body"))
}

/// Posts an upload form and returns where the server sends the browser back to.
async fn post_upload(c: &reqwest::Client, url: &str, form: reqwest::multipart::Form) -> String {
    let r = c.post(url).multipart(form).send().await.expect("upload");
    r.headers()["location"].to_str().unwrap_or("").to_owned()
}

/// A fresh login challenge, as the page's script asks for it: (CSRF token, challenge id, the
/// bytes to sign).
async fn challenge(app: &App, c: &reqwest::Client) -> (String, serde_json::Value, Vec<u8>) {
    let (_, html) = page(c, &format!("{}/login", app.base)).await;
    let csrf = csrf_of(&html);
    let ch: serde_json::Value = c
        .post(format!("{}/auth/challenge", app.base))
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .expect("challenge")
        .json()
        .await
        .expect("json");
    let data = B64
        .decode(ch["data"].as_str().expect("data"))
        .expect("base64");
    (csrf, ch["id"].clone(), data)
}

/// Signs in through the same two calls the page's script makes.
async fn sign_in(app: &App, c: &reqwest::Client, key: &IssuedKey) -> reqwest::Response {
    let (csrf, id, data) = challenge(app, c).await;
    let cms = CmsSigner::from_issued(key)
        .expect("signer")
        .sign(&data, true)
        .expect("sign");
    c.post(format!("{}/auth/login", app.base))
        .header("x-csrf-token", &csrf)
        .json(&serde_json::json!({ "challenge_id": id, "cms": B64.encode(cms) }))
        .send()
        .await
        .expect("login")
}

async fn confirm_contacts(app: &App, c: &reqwest::Client, email: &str, phone: &str) {
    let (_, html) = page(c, &format!("{}/cabinet", app.base)).await;
    let csrf = csrf_of(&html);
    let r = c
        .post(format!("{}/cabinet/contacts", app.base))
        .form(&[("csrf", csrf.as_str()), ("email", email), ("phone", phone)])
        .send()
        .await
        .expect("contacts");
    assert_eq!(r.status(), 303);
    let log = app
        .store
        .outbox_log(&Default::default(), 10)
        .await
        .expect("outbox");
    let mail = log
        .iter()
        .find(|m| m.recipient == email)
        .expect("confirmation e-mail queued");
    let token = mail
        .body
        .split("token=")
        .nth(1)
        .expect("link")
        .split_whitespace()
        .next()
        .expect("token");
    let sms = log
        .iter()
        .find(|m| {
            m.recipient
                .ends_with(&phone[phone.len() - 7..].replace(' ', ""))
        })
        .expect("SMS queued");
    let code: String = sms.body.chars().filter(|ch| ch.is_ascii_digit()).collect();
    let r = c
        .get(format!("{}/cabinet/confirm-email?token={token}", app.base))
        .send()
        .await
        .expect("confirm e-mail");
    assert!(
        r.headers()["location"]
            .to_str()
            .unwrap_or("")
            .contains("notice-email-confirmed")
    );
    let wrong = c
        .post(format!("{}/cabinet/confirm-phone", app.base))
        .form(&[("csrf", csrf.as_str()), ("code", "000000")])
        .send()
        .await
        .expect("wrong code");
    assert!(
        wrong
            .text()
            .await
            .unwrap_or_default()
            .contains("error-summary"),
        "a wrong code is refused"
    );
    let r = c
        .post(format!("{}/cabinet/confirm-phone", app.base))
        .form(&[("csrf", csrf.as_str()), ("code", code.as_str())])
        .send()
        .await
        .expect("confirm phone");
    assert!(
        r.headers()["location"]
            .to_str()
            .unwrap_or("")
            .contains("notice-phone-confirmed"),
        "code {code} from {:?}",
        sms.body
    );
}

const CHILD: &str = "200315601001";

fn form<'a>(csrf: &'a str, iin: &'a str, birth: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("child_iin", iin),
        ("child_birth_date", birth),
        ("child_surname", "Әбілова"),
        ("child_given_name", "Аружан"),
        ("citizenship", "citizen"),
        ("relation", "mother"),
        ("street_id", "1"),
        ("house", "10"),
        ("school_id", "1"),
        ("language", "kk"),
        ("grade", "1"),
        ("study_form", "full_time"),
        ("consent", "on"),
    ]
}

#[tokio::test]
async fn a_parent_signs_in_applies_uploads_signs_and_submits_once() {
    for backend in databases().await {
        let app = start(&backend).await;
        let f = fixture();
        let c = client();
        let login = sign_in(&app, &c, &f.parent_a.auth).await;
        assert_eq!(login.status(), 200, "{}", backend.0);
        let body: serde_json::Value = login.json().await.expect("json");
        assert_eq!(body["redirect"], "/cabinet");
        // Before contacts are confirmed, no application can be started.
        let r = c
            .get(format!("{}/applications/new", app.base))
            .send()
            .await
            .expect("new");
        assert_eq!(r.headers()["location"], "/cabinet");
        confirm_contacts(&app, &c, "aigerim@example.kz", "+7 701 234 56 78").await;

        let (_, html) = page(&c, &format!("{}/applications/new", app.base)).await;
        let csrf = csrf_of(&html);
        let r = c
            .post(format!("{}/applications/new", app.base))
            .form(&form(&csrf, CHILD, "2020-03-15"))
            .send()
            .await
            .expect("create");
        assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
        let app_url = format!(
            "{}{}",
            app.base,
            r.headers()["location"].to_str().expect("location")
        );

        let pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n".to_vec();
        let png = photo();
        // Refused by content, whatever the name says.
        let evil = reqwest::multipart::Form::new()
            .text("csrf", csrf.clone())
            .text("kind", "health_063u")
            .part(
                "file",
                reqwest::multipart::Part::bytes(b"<html><script>alert(1)</script>".to_vec())
                    .file_name("form.pdf"),
            );
        let r = c
            .post(format!("{app_url}/documents"))
            .multipart(evil)
            .send()
            .await
            .expect("upload");
        assert!(
            r.headers()["location"]
                .to_str()
                .unwrap_or("")
                .contains("app-err-format")
        );
        // A landscape picture is no 3×4 photo, and a cut-off image is refused.
        let mut landscape = std::io::Cursor::new(Vec::new());
        image::RgbImage::new(40, 30)
            .write_to(&mut landscape, image::ImageFormat::Png)
            .expect("png");
        let truncated = png[..png.len() / 2].to_vec();
        for (data, error) in [
            (landscape.into_inner(), "app-err-photo-shape"),
            (truncated, "app-err-image-broken"),
        ] {
            let form = reqwest::multipart::Form::new()
                .text("csrf", csrf.clone())
                .text("kind", "photo_3x4")
                .part(
                    "file",
                    reqwest::multipart::Part::bytes(data).file_name("photo.png"),
                );
            let r = c
                .post(format!("{app_url}/documents"))
                .multipart(form)
                .send()
                .await
                .expect("upload");
            assert!(
                r.headers()["location"]
                    .to_str()
                    .unwrap_or("")
                    .contains(error),
                "{error}: {:?}",
                r.headers()["location"]
            );
        }
        // The page's one form sends every chosen file under `file:<kind>`: all or none are kept.
        let together = |files: &[(&str, &Vec<u8>)]| {
            let mut form = reqwest::multipart::Form::new().text("csrf", csrf.clone());
            for (kind, data) in files {
                form = form.part(
                    format!("file:{kind}"),
                    reqwest::multipart::Part::bytes((*data).clone()).file_name("scan"),
                );
            }
            form
        };
        let broken_photo = png[..png.len() / 2].to_vec();
        for (files, error) in [
            (
                vec![("health_063u", &pdf), ("photo_3x4", &broken_photo)],
                "app-err-image-broken",
            ),
            (
                vec![
                    ("health_063u", &pdf),
                    ("photo_3x4", &png),
                    ("photo_3x4", &png),
                    ("photo_3x4", &png),
                ],
                "app-err-upload-enough",
            ),
            (vec![("birth_certificate_x", &pdf)], "app-err-upload-kind"),
        ] {
            let location = post_upload(&c, &format!("{app_url}/documents"), together(&files)).await;
            assert!(location.contains(error), "{error}: {location}");
        }
        let (_, html) = page(&c, &app_url).await;
        assert!(
            !html.contains("doc-list"),
            "nothing of a refused upload is attached"
        );
        // The health form 063u and both photos in one request; the second health form in its own
        // form, as the school's paper page and older pages send it.
        let form = together(&[
            ("health_063u", &pdf),
            ("photo_3x4", &png),
            ("photo_3x4", &png),
        ]);
        let location = post_upload(&c, &format!("{app_url}/documents"), form).await;
        assert!(!location.contains("error"), "{location}");
        let (_, html) = page(&c, &app_url).await;
        assert_eq!(
            html.matches("form=\"remove-").count(),
            3,
            "three files attached"
        );
        let part = reqwest::multipart::Part::bytes(pdf.clone()).file_name("../../etc/passwd");
        let form = reqwest::multipart::Form::new()
            .text("csrf", csrf.clone())
            .text("kind", "health_026u3")
            .part("file", part);
        let location = post_upload(&c, &format!("{app_url}/documents"), form).await;
        assert!(!location.contains("error"), "{location}");
        let (_, review) = page(&c, &format!("{app_url}/review")).await;
        let content = review
            .split("data-content=\"")
            .nth(1)
            .expect("signable content")
            .split('"')
            .next()
            .expect("end");
        let key = review
            .split("name=\"submit_key\" value=\"")
            .nth(1)
            .expect("submit key")
            .split('"')
            .next()
            .expect("end");
        let document = B64.decode(content).expect("base64");
        assert!(
            String::from_utf8_lossy(&document).contains("\"sha256\""),
            "the signed document carries file hashes"
        );

        // Someone else's signature over the same document is refused.
        let other = CmsSigner::from_issued(&f.parent_b.sign)
            .expect("signer")
            .sign(&document, true)
            .expect("sign");
        let r = c
            .post(format!("{app_url}/submit"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("submit_key", key),
                ("cms", &B64.encode(other)),
            ])
            .send()
            .await
            .expect("submit");
        assert!(
            r.headers()["location"]
                .to_str()
                .unwrap_or("")
                .contains("app-err-signed-by-other")
        );

        let cms = B64.encode(
            CmsSigner::from_issued(&f.parent_a.sign)
                .expect("signer")
                .sign(&document, true)
                .expect("sign"),
        );
        for _ in 0..2 {
            // The second press of "submit" lands on the same registered application.
            let r = c
                .post(format!("{app_url}/submit"))
                .form(&[("csrf", csrf.as_str()), ("submit_key", key), ("cms", &cms)])
                .send()
                .await
                .expect("submit");
            assert!(
                r.headers()["location"]
                    .to_str()
                    .unwrap_or("")
                    .contains("notice-submitted"),
                "{:?}",
                r.headers().get("location")
            );
        }
        let (_, status) = page(&c, &format!("{app_url}?notice=notice-submitted")).await;
        assert!(status.contains("-000001"), "the number is shown");
        let apps = app.store.applications_of_parent(1).await.expect("apps");
        assert_eq!(apps.len(), 1);
        assert_eq!(apps[0].status, "submitted");
        // The parent is told, at both confirmed contacts, with the number: once, despite two presses.
        let told: Vec<_> = app
            .store
            .outbox_log(&Default::default(), 50)
            .await
            .expect("outbox")
            .into_iter()
            .filter(|m| m.kind == "submitted")
            .collect();
        assert_eq!(told.len(), 2, "{told:?}");
        let number = apps[0].number.clone().expect("number");
        assert!(told.iter().all(|m| m.body.contains(&number)), "{told:?}");
        assert!(apps[0].deadline.is_some());
        let (_, _, history) = app
            .store
            .application_with_history(apps[0].id, store::applications::Scope::City)
            .await
            .expect("history")
            .expect("the application");
        assert_eq!(history.len(), 2);
        assert_eq!(
            app.store.verify_audit_chain().await.expect("audit"),
            store::AuditVerification::Intact {
                records: app.store.audit_search("", "", 1).await.expect("audit")[0].id
            }
        );
    }
}

#[tokio::test]
async fn other_parents_applications_are_invisible_and_the_child_gets_one_application() {
    for backend in databases().await {
        let app = start(&backend).await;
        let f = fixture();
        let a = client();
        sign_in(&app, &a, &f.parent_a.auth).await;
        confirm_contacts(&app, &a, "a@example.kz", "+7 701 111 22 33").await;
        let (_, html) = page(&a, &format!("{}/applications/new", app.base)).await;
        let csrf = csrf_of(&html);
        let r = a
            .post(format!("{}/applications/new", app.base))
            .form(&form(&csrf, CHILD, "2020-03-15"))
            .send()
            .await
            .expect("create");
        let path = r.headers()["location"]
            .to_str()
            .expect("location")
            .to_owned();

        let b = client();
        sign_in(&app, &b, &f.parent_b.auth).await;
        confirm_contacts(&app, &b, "b@example.kz", "+7 702 444 55 66").await;
        for url in [
            path.clone(),
            format!("{path}/edit"),
            format!("{path}/review"),
            format!("{path}/documents/1"),
        ] {
            let (code, body) = page(&b, &format!("{}{url}", app.base)).await;
            assert_eq!(code, 404, "{url} on {}", backend.0);
            assert!(!body.contains("Аружан"));
        }
        let (_, html) = page(&b, &format!("{}/applications/new", app.base)).await;
        let csrf_b = csrf_of(&html);
        let r = b
            .post(format!(
                "{path_base}/withdraw",
                path_base = format!("{}{path}", app.base)
            ))
            .form(&[("csrf", csrf_b.as_str())])
            .send()
            .await
            .expect("withdraw");
        assert_eq!(r.status(), 404);
        // The same child by another parent: told where the first application is.
        let r = b
            .post(format!("{}/applications/new", app.base))
            .form(&form(&csrf_b, CHILD, "2020-03-15"))
            .send()
            .await
            .expect("create");
        let body = r.text().await.expect("body");
        assert!(
            body.contains("№1 мектеп"),
            "names the school of the existing application"
        );
        // Too young: explained, not crashed.
        let young = "230601600015";
        let young = if domain::ids::Iin::parse(young).is_ok() {
            young.to_owned()
        } else {
            valid_iin("2306016")
        };
        let r = b
            .post(format!("{}/applications/new", app.base))
            .form(&form(&csrf_b, &young, "2023-06-01"))
            .send()
            .await
            .expect("create");
        assert_eq!(r.status(), 200);
        assert!(r.text().await.expect("body").contains("error-summary"));
        // A form without its CSRF token is refused.
        let r = b
            .post(format!("{}/applications/new", app.base))
            .form(&form("forged", CHILD, "2020-03-15"))
            .send()
            .await
            .expect("forged");
        assert_eq!(r.status(), 403);
    }
}

fn valid_iin(prefix7: &str) -> String {
    for serial in 0..10_000 {
        let first = format!("{prefix7}{serial:04}");
        let digits: Vec<u8> = first.bytes().map(|b| b - b'0').collect();
        if let Ok(arr) = <[u8; 11]>::try_from(digits)
            && let Some(c) = domain::ids::iin_check_digit(&arr)
        {
            return format!("{first}{c}");
        }
    }
    panic!("no IIN for {prefix7}");
}

#[tokio::test]
async fn sign_in_refuses_sign_keys_replays_and_anonymous_access() {
    for backend in databases().await {
        let app = start(&backend).await;
        let f = fixture();
        let c = client();
        let r = sign_in(&app, &c, &f.parent_a.sign).await;
        assert_eq!(r.status(), 422);
        let body: serde_json::Value = r.json().await.expect("json");
        assert_eq!(body["error"], "pki-err-wrong-key-usage-login", "{body}");
        // A replayed challenge is refused.
        let (_, html) = page(&c, &format!("{}/login", app.base)).await;
        let csrf = csrf_of(&html);
        let ch: serde_json::Value = c
            .post(format!("{}/auth/challenge", app.base))
            .header("x-csrf-token", &csrf)
            .send()
            .await
            .expect("ch")
            .json()
            .await
            .expect("json");
        let data = B64.decode(ch["data"].as_str().expect("data")).expect("b64");
        let cms = B64.encode(
            CmsSigner::from_issued(&f.parent_a.auth)
                .expect("s")
                .sign(&data, true)
                .expect("sign"),
        );
        let body = serde_json::json!({ "challenge_id": ch["id"], "cms": cms });
        let first = c
            .post(format!("{}/auth/login", app.base))
            .header("x-csrf-token", &csrf)
            .json(&body)
            .send()
            .await
            .expect("login");
        assert_eq!(first.status(), 200);
        let other = client();
        let (_, html) = page(&other, &format!("{}/login", app.base)).await;
        let csrf2 = csrf_of(&html);
        let replay = other
            .post(format!("{}/auth/login", app.base))
            .header("x-csrf-token", &csrf2)
            .json(&body)
            .send()
            .await
            .expect("replay");
        let replay: serde_json::Value = replay.json().await.expect("json");
        assert_eq!(replay["error"], "auth-challenge-used");
        // A form the framework cannot read gets the same translated page, not English text.
        let r = client()
            .post(format!("{}/login/demo", app.base))
            .header("accept-language", "kk")
            .body("person=not-a-number")
            .header("content-type", "application/x-www-form-urlencoded")
            .send()
            .await
            .expect("malformed");
        assert_eq!(r.status(), 422);
        assert!(r.text().await.expect("html").contains("Жіберілген форма"));
        // Anonymous visitors are sent to sign in.
        let anon = client();
        let r = anon
            .get(format!("{}/cabinet", app.base))
            .send()
            .await
            .expect("cabinet");
        assert_eq!(r.headers()["location"], "/login");
        let (code, _) = page(&anon, &format!("{}/readyz", app.base)).await;
        assert_eq!(code, 200);
    }
}

/// Every translation file has the same keys in Kazakh, Russian and English, so no page shows a
/// key name or falls back to another language.
#[test]
fn every_message_exists_in_all_three_languages() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../locales");
    let keys = |lang: &str, file: &str| -> std::collections::BTreeSet<String> {
        std::fs::read_to_string(root.join(lang).join(file))
            .unwrap_or_default()
            .lines()
            .filter(|l| !l.starts_with([' ', '#', '\t']) && l.contains('='))
            .filter_map(|l| l.split('=').next().map(|k| k.trim().to_owned()))
            .collect()
    };
    let files: Vec<String> = std::fs::read_dir(root.join("kk"))
        .expect("locales/kk")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    assert!(files.iter().any(|f| f == "web.ftl"));
    for file in files {
        let kk = keys("kk", &file);
        for lang in ["ru", "en"] {
            let other = keys(lang, &file);
            assert_eq!(
                kk.difference(&other).collect::<Vec<_>>(),
                Vec::<&String>::new(),
                "{lang}/{file} lacks keys"
            );
            assert_eq!(
                other.difference(&kk).collect::<Vec<_>>(),
                Vec::<&String>::new(),
                "kk/{file} lacks keys of {lang}"
            );
        }
    }
}

/// Every key the pages and handlers name exists, so no key name reaches a page.
#[test]
fn every_key_used_by_the_web_layer_is_translated() {
    let web = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut known = std::collections::BTreeSet::new();
    for entry in std::fs::read_dir(web.join("../../locales/kk")).expect("locales") {
        let text = std::fs::read_to_string(entry.expect("entry").path()).expect("ftl");
        known.extend(
            text.lines()
                .filter(|l| !l.starts_with([' ', '#', '\t']))
                .filter_map(|l| l.split_once('='))
                .map(|(k, _)| k.trim().to_owned()),
        );
    }
    let mut files = Vec::new();
    let mut dirs = vec![web.join("src"), web.join("templates")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).expect("dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path)
            } else {
                files.push(path)
            }
        }
    }
    let mut missing = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("source");
        // Keys are passed as literals to t()/ta(), or (in Rust) named as literals with these
        // prefixes and handed on.
        let mut literals: Vec<&str> = Vec::new();
        for call in [".t(\"", ".ta(\"", "ctx.t(\""] {
            for (i, _) in text.match_indices(call) {
                literals.extend(text[i + call.len()..].split('"').next());
            }
        }
        if file.extension().is_some_and(|e| e == "rs") {
            for prefix in [
                "\"app-err-",
                "\"notice-",
                "\"auth-",
                "\"demo-role-",
                "\"contact-code-",
            ] {
                for (i, _) in text.match_indices(prefix) {
                    literals.extend(text[i + 1..].split('"').next());
                }
            }
        }
        for literal in literals {
            if !literal.ends_with('-') && !known.contains(literal) {
                missing.push(format!("{}: {literal}", file.display()));
            }
        }
    }
    assert!(missing.is_empty(), "untranslated keys: {missing:#?}");
}

/// Fills, documents, signs and submits an application; returns its path.
async fn apply_and_submit(
    app: &App,
    c: &reqwest::Client,
    parent: &Person,
    child_iin: &str,
    birth: &str,
) -> String {
    let (_, html) = page(c, &format!("{}/applications/new", app.base)).await;
    let csrf = csrf_of(&html);
    let r = c
        .post(format!("{}/applications/new", app.base))
        .form(&form(&csrf, child_iin, birth))
        .send()
        .await
        .expect("create");
    assert_eq!(r.status(), 303);
    let path = r.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    let pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n".to_vec();
    let png = photo();
    // Every document with the page's one upload button.
    let mut f = reqwest::multipart::Form::new().text("csrf", csrf.clone());
    for (kind, data) in [
        ("health_063u", &pdf),
        ("health_026u3", &pdf),
        ("photo_3x4", &png),
        ("photo_3x4", &png),
    ] {
        let part = reqwest::multipart::Part::bytes(data.clone()).file_name("scan");
        f = f.part(format!("file:{kind}"), part);
    }
    let location = post_upload(c, &format!("{}{path}/documents", app.base), f).await;
    assert!(!location.contains("error"), "{location}");
    resubmit(app, c, parent, &path).await;
    path
}

/// Reviews, signs and submits the application at `path` as it now stands.
async fn resubmit(app: &App, c: &reqwest::Client, parent: &Person, path: &str) {
    let (_, review) = page(c, &format!("{}{path}/review", app.base)).await;
    let csrf = csrf_of(&review);
    let content = review
        .split("data-content=\"")
        .nth(1)
        .expect("content")
        .split('"')
        .next()
        .expect("end");
    let key = review
        .split("name=\"submit_key\" value=\"")
        .nth(1)
        .expect("key")
        .split('"')
        .next()
        .expect("end");
    let document = B64.decode(content).expect("b64");
    let cms = B64.encode(
        CmsSigner::from_issued(&parent.sign)
            .expect("signer")
            .sign(&document, true)
            .expect("sign"),
    );
    let r = c
        .post(format!("{}{path}/submit", app.base))
        .form(&[("csrf", csrf.as_str()), ("submit_key", key), ("cms", &cms)])
        .send()
        .await
        .expect("submit");
    assert!(
        r.headers()["location"]
            .to_str()
            .unwrap_or("")
            .contains("notice-submitted"),
        "{:?}",
        r.headers().get("location")
    );
}

/// Opens the signing page of a decision and signs it with `key`; returns where the server sent us.
async fn decide_and_sign(
    app: &App,
    c: &reqwest::Client,
    key: &IssuedKey,
    id: &str,
    fields: &[(&str, &str)],
) -> String {
    let (_, review) = page(c, &format!("{}/school/applications/{id}", app.base)).await;
    let csrf = csrf_of(&review);
    let mut form: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    let r = c
        .post(format!("{}/school/applications/{id}/decide", app.base))
        .form(&form)
        .send()
        .await
        .expect("decide");
    if r.status() == 303 {
        return r.headers()["location"]
            .to_str()
            .expect("location")
            .to_owned();
    }
    let html = r.text().await.expect("sign page");
    let content = html
        .split("data-content=\"")
        .nth(1)
        .expect("content")
        .split('"')
        .next()
        .expect("end");
    let cms = B64.encode(
        CmsSigner::from_issued(key)
            .expect("signer")
            .sign(&B64.decode(content).expect("b64"), true)
            .expect("sign"),
    );
    form.push(("cms", &cms));
    let r = c
        .post(format!("{}/school/applications/{id}/sign", app.base))
        .form(&form)
        .send()
        .await
        .expect("sign");
    r.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned()
}

#[tokio::test]
async fn the_school_returns_accepts_with_a_verifiable_receipt_and_refuses_with_grounds() {
    for backend in databases().await {
        let app = start(&backend).await;
        let f = fixture();
        let parent = client();
        sign_in(&app, &parent, &f.parent_a.auth).await;
        confirm_contacts(&app, &parent, "a@example.kz", "+7 701 111 22 33").await;
        let path = apply_and_submit(&app, &parent, &f.parent_a, CHILD, "2020-03-15").await;
        let id = path.rsplit('/').next().expect("id").to_owned();

        let clerk = client();
        let login: serde_json::Value = sign_in(&app, &clerk, &f.clerk_a.auth)
            .await
            .json()
            .await
            .expect("json");
        assert_eq!(login["redirect"], "/school");
        let (_, queue) = page(&clerk, &format!("{}/school", app.base)).await;
        assert!(
            queue.contains("Әбілова Аружан"),
            "the queue lists the application"
        );
        // Another school's clerk, and a parent, get nothing.
        let other = client();
        sign_in(&app, &other, &f.clerk_b.auth).await;
        for url in [
            format!("/school/applications/{id}"),
            format!("/school/applications/{id}/documents/1"),
        ] {
            assert_eq!(
                page(&other, &format!("{}{url}", app.base)).await.0,
                404,
                "{url}"
            );
        }
        // Parents' pages are not for staff, whichever application they name.
        assert_eq!(page(&other, &format!("{}{path}", app.base)).await.0, 403);
        assert!(
            !page(&other, &format!("{}/school", app.base))
                .await
                .1
                .contains("Аружан")
        );
        assert_eq!(
            page(&parent, &format!("{}/school/applications/{id}", app.base))
                .await
                .0,
            404
        );

        // Return for correction: the parent sees the comment, corrects and sends again.
        let (_, review) = page(&clerk, &format!("{}/school/applications/{id}", app.base)).await;
        let csrf = csrf_of(&review);
        let r = clerk
            .post(format!("{}/school/applications/{id}/return", app.base))
            .form(&[("csrf", csrf.as_str()), ("comment", "Фотосурет анық емес")])
            .send()
            .await
            .expect("return");
        assert_eq!(r.status(), 303);
        let (_, mine) = page(&parent, &format!("{}{path}", app.base)).await;
        assert!(mine.contains("Фотосурет анық емес"));
        resubmit(&app, &parent, &f.parent_a, &path).await;

        // A signature by someone else is refused; the clerk's own is accepted and issues a receipt.
        let refused = decide_and_sign(
            &app,
            &clerk,
            &f.clerk_b.sign,
            &id,
            &[("decision", "accept")],
        )
        .await;
        assert!(refused.contains("school-err-signed-by-other"), "{refused}");
        decide_and_sign(
            &app,
            &clerk,
            &f.clerk_a.sign,
            &id,
            &[("decision", "accept")],
        )
        .await;
        let a = app
            .store
            .application(id.parse().expect("id"), store::applications::Scope::City)
            .await
            .expect("db")
            .expect("app");
        assert_eq!(a.status, "accepted");
        let issued = app.store.issued_documents_of(a.id).await.expect("issued");
        assert_eq!(issued.len(), 1);
        let r = parent
            .get(format!("{}{path}/issued/{}", app.base, issued[0].id))
            .send()
            .await
            .expect("pdf");
        assert_eq!(r.headers()["content-type"], "application/pdf");
        let pdf = r.bytes().await.expect("bytes");
        assert!(pdf.starts_with(b"%PDF"));
        assert_eq!(store::sha256_hex(&pdf), issued[0].pdf_sha256);
        let (code, verify) = page(
            &client(),
            &format!("{}/verify/{}", app.base, issued[0].verify_code),
        )
        .await;
        assert_eq!(code, 200);
        assert!(verify.contains(&issued[0].pdf_sha256) && verify.contains("Аружан Ә."));
        assert!(!verify.contains(CHILD), "the public page shows no IIN");
        assert_eq!(
            page(
                &client(),
                &format!("{}/verify/0123456789abcdef0123", app.base)
            )
            .await
            .0,
            404
        );
        let told: Vec<_> = app
            .store
            .outbox_log(&Default::default(), 50)
            .await
            .expect("outbox")
            .into_iter()
            .map(|m| m.kind)
            .collect();
        assert!(
            told.contains(&"returned".to_owned()) && told.contains(&"accepted".to_owned()),
            "{told:?}"
        );

        // A refusal needs grounds; with them it is signed and issued.
        let second = valid_iin("2104016");
        let path2 = apply_and_submit(&app, &parent, &f.parent_a, &second, "2021-04-01").await;
        let id2 = path2.rsplit('/').next().expect("id").to_owned();
        let missing = decide_and_sign(
            &app,
            &clerk,
            &f.clerk_a.sign,
            &id2,
            &[("decision", "refuse"), ("ground", "other")],
        )
        .await;
        assert!(missing.contains("school-err-grounds-text"), "{missing}");
        decide_and_sign(
            &app,
            &clerk,
            &f.clerk_a.sign,
            &id2,
            &[
                ("decision", "refuse"),
                ("ground", "incomplete_documents"),
                ("grounds_text", "026/у-3 жоқ"),
            ],
        )
        .await;
        let a2 = app
            .store
            .application(id2.parse().expect("id"), store::applications::Scope::City)
            .await
            .expect("db")
            .expect("app");
        assert_eq!(a2.status, "refused");
        assert_eq!(a2.refusal_ground.as_deref(), Some("incomplete_documents"));
        assert_eq!(
            app.store.issued_documents_of(a2.id).await.expect("issued")[0].kind,
            "refusal"
        );
    }
}

#[tokio::test]
async fn the_administrator_moves_deadlines_with_a_decree_day_and_grants_access() {
    for backend in databases().await {
        let app = start(&backend).await;
        let f = fixture();
        let parent = client();
        sign_in(&app, &parent, &f.parent_a.auth).await;
        confirm_contacts(&app, &parent, "a@example.kz", "+7 701 111 22 33").await;
        let clerk = client();
        sign_in(&app, &clerk, &f.clerk_a.auth).await;
        for who in [&parent, &clerk] {
            for url in [
                "/admin",
                "/admin/calendar",
                "/admin/campaigns",
                "/admin/staff",
            ] {
                assert_eq!(
                    page(who, &format!("{}{url}", app.base)).await.0,
                    404,
                    "{url}"
                );
            }
        }
        let admin = client();
        let login: serde_json::Value = sign_in(&app, &admin, &f.admin.auth)
            .await
            .json()
            .await
            .expect("json");
        assert_eq!(login["redirect"], "/admin");
        assert_eq!(page(&admin, &format!("{}/admin", app.base)).await.0, 200);

        let first = apply_and_submit(&app, &parent, &f.parent_a, CHILD, "2020-03-15").await;
        let first_id: i64 = first.rsplit('/').next().expect("id").parse().expect("id");
        let before = app
            .store
            .application(first_id, store::applications::Scope::City)
            .await
            .expect("db")
            .expect("app")
            .deadline
            .expect("deadline");
        // A decree day off on a working day before that deadline moves the next deadline by one.
        let received = app
            .store
            .application(first_id, store::applications::Scope::City)
            .await
            .expect("db")
            .expect("app")
            .received_on
            .expect("received");
        let cal = domain::calendar::WorkingCalendar::kazakhstan();
        let day_off = received
            .iter_days()
            .skip(1)
            .find(|d| cal.is_working_day(*d))
            .expect("a working day");
        let (_, html) = page(&admin, &format!("{}/admin/calendar", app.base)).await;
        let csrf = csrf_of(&html);
        let day = day_off.to_string();
        let r = admin
            .post(format!("{}/admin/calendar", app.base))
            .form(&[
                ("csrf", csrf.as_str()),
                ("day", day.as_str()),
                ("kind", "day_off"),
                ("note", "test decree"),
            ])
            .send()
            .await
            .expect("set day");
        assert!(
            r.headers()["location"]
                .to_str()
                .unwrap_or("")
                .contains("admin-saved")
        );
        let second = apply_and_submit(
            &app,
            &parent,
            &f.parent_a,
            &valid_iin("2104016"),
            "2021-04-01",
        )
        .await;
        let second_id: i64 = second.rsplit('/').next().expect("id").parse().expect("id");
        let after = app
            .store
            .application(second_id, store::applications::Scope::City)
            .await
            .expect("db")
            .expect("app")
            .deadline
            .expect("deadline");
        assert!(
            after > before,
            "deadline {before} should move after the decree day {day_off}: {after}"
        );
        assert!(
            app.store
                .audit_search("", "calendar:", 5)
                .await
                .expect("audit")
                .iter()
                .any(|r| r.action == "set_calendar_day")
        );

        // Access granted to an IIN is what the next sign-in gets.
        let r = admin
            .post(format!("{}/admin/staff", app.base))
            .form(&[
                ("csrf", csrf.as_str()),
                ("iin", "880301300456"),
                ("role", "clerk"),
                ("school_id", "1"),
            ])
            .send()
            .await
            .expect("grant");
        assert!(
            r.headers()["location"]
                .to_str()
                .unwrap_or("")
                .contains("admin-saved")
        );
        let newly: serde_json::Value = sign_in(&app, &client(), &f.parent_b.auth)
            .await
            .json()
            .await
            .expect("json");
        assert_eq!(newly["redirect"], "/school");
        // The past of an open campaign is not rewritten.
        let r = admin
            .post(format!("{}/admin/campaigns/1", app.base))
            .form(&[
                ("csrf", csrf.as_str()),
                ("opens", "2000-01-01"),
                ("closes", "2000-01-02"),
                ("other_until", "2000-01-02"),
                ("deadline_days", "5"),
            ])
            .send()
            .await
            .expect("campaign");
        assert!(
            r.headers()["location"]
                .to_str()
                .unwrap_or("")
                .contains("admin-err-past")
        );
    }
}

#[tokio::test]
async fn the_director_issues_the_admission_order_and_the_children_are_admitted() {
    for backend in databases().await {
        let app = start(&backend).await;
        let f = fixture();
        let parent = client();
        sign_in(&app, &parent, &f.parent_a.auth).await;
        confirm_contacts(&app, &parent, "a@example.kz", "+7 701 111 22 33").await;
        let clerk = client();
        sign_in(&app, &clerk, &f.clerk_a.auth).await;
        let mut ids = Vec::new();
        for (iin, birth) in [
            (CHILD.to_owned(), "2020-03-15"),
            (valid_iin("2104016"), "2021-04-01"),
        ] {
            let path = apply_and_submit(&app, &parent, &f.parent_a, &iin, birth).await;
            let id = path.rsplit('/').next().expect("id").to_owned();
            decide_and_sign(
                &app,
                &clerk,
                &f.clerk_a.sign,
                &id,
                &[("decision", "accept")],
            )
            .await;
            ids.push(id);
        }
        // Only the director reaches the order.
        assert_eq!(
            page(&clerk, &format!("{}/school/order", app.base)).await.0,
            404
        );
        let director = client();
        sign_in(&app, &director, &f.director.auth).await;
        let (code, html) = page(&director, &format!("{}/school/order", app.base)).await;
        assert_eq!(code, 200);
        assert!(
            html.contains("1 А"),
            "both Kazakh-language children are proposed for 1 А"
        );
        let csrf = csrf_of(&html);
        let mut form: Vec<(String, String)> = vec![("csrf".into(), csrf.clone())];
        for id in &ids {
            form.push((format!("class_{id}"), "1 А".into()));
        }
        let sign_page = director
            .post(format!("{}/school/order/review", app.base))
            .form(&form)
            .send()
            .await
            .expect("review")
            .text()
            .await
            .expect("html");
        let content = sign_page
            .split("data-content=\"")
            .nth(1)
            .expect("content")
            .split('"')
            .next()
            .expect("end");
        let document = B64.decode(content).expect("b64");
        let cms = B64.encode(
            CmsSigner::from_issued(&f.director.sign)
                .expect("signer")
                .sign(&document, true)
                .expect("sign"),
        );
        form.push(("cms".into(), cms));
        let r = director
            .post(format!("{}/school/order/sign", app.base))
            .form(&form)
            .send()
            .await
            .expect("sign");
        assert!(
            r.headers()["location"]
                .to_str()
                .unwrap_or("")
                .contains("order-issued"),
            "{:?}",
            r.headers().get("location")
        );
        for id in &ids {
            let a = app
                .store
                .application(id.parse().expect("id"), store::applications::Scope::City)
                .await
                .expect("db")
                .expect("app");
            assert_eq!(a.status, "admitted");
        }
        let (_, mine) = page(&parent, &format!("{}/applications/{}", app.base, ids[0])).await;
        assert!(
            mine.contains("status-admitted") || mine.contains("tag admitted"),
            "the parent sees admitted"
        );
        let told = app
            .store
            .outbox_log(&Default::default(), 100)
            .await
            .expect("outbox")
            .into_iter()
            .filter(|m| m.kind == "admitted")
            .count();
        assert_eq!(
            told, 4,
            "each parent told at both contacts, for both children"
        );
        let orders = app
            .store
            .issued_documents_of_school(1, "order")
            .await
            .expect("orders");
        assert_eq!(orders.len(), 1);
        let xlsx = director
            .get(format!("{}/school/orders/{}/xlsx", app.base, orders[0].id))
            .send()
            .await
            .expect("xlsx")
            .bytes()
            .await
            .expect("bytes");
        assert!(xlsx.starts_with(b"PK"));
        let csv = director
            .get(format!("{}/school/orders/{}/csv", app.base, orders[0].id))
            .send()
            .await
            .expect("csv")
            .text()
            .await
            .expect("text");
        assert!(csv.contains("Аружан") && csv.contains("1 А"), "{csv}");
        let pdf = clerk
            .get(format!("{}/school/orders/{}/pdf", app.base, orders[0].id))
            .send()
            .await
            .expect("pdf")
            .bytes()
            .await
            .expect("bytes");
        assert!(pdf.starts_with(b"%PDF"));
        let queue = clerk
            .get(format!("{}/school/export/csv", app.base))
            .send()
            .await
            .expect("export")
            .text()
            .await
            .expect("text");
        assert!(
            queue.contains("Аружан") && queue.lines().count() == 3,
            "{queue}"
        );
        assert_eq!(
            client()
                .get(format!("{}/school/export/csv", app.base))
                .send()
                .await
                .expect("anon")
                .status(),
            303
        );
        // Nothing left to order; a repeat finds no children.
        let (_, html) = page(&director, &format!("{}/school/order", app.base)).await;
        assert!(!html.contains("name=\"class_"));
    }
}

#[tokio::test]
async fn walk_in_parents_take_tickets_and_the_clerk_calls_and_serves_them() {
    for backend in databases().await {
        let app = start(&backend).await;
        let f = fixture();
        let kiosk = client();
        let mut tickets = Vec::new();
        for _ in 0..2 {
            let (_, board) = page(&kiosk, &format!("{}/walkin/1", app.base)).await;
            let csrf = csrf_of(&board);
            let r = kiosk
                .post(format!("{}/walkin/1/ticket", app.base))
                .form(&[("csrf", csrf.as_str())])
                .send()
                .await
                .expect("take");
            tickets.push(
                r.headers()["location"]
                    .to_str()
                    .expect("location")
                    .to_owned(),
            );
        }
        let (_, second) = page(&kiosk, &format!("{}{}", app.base, tickets[1])).await;
        assert!(second.contains(">2<"), "the second ticket is number 2");
        let clerk = client();
        sign_in(&app, &clerk, &f.clerk_a.auth).await;
        let (_, desk) = page(&clerk, &format!("{}/school/walkin", app.base)).await;
        let csrf = csrf_of(&desk);
        clerk
            .post(format!("{}/school/walkin/next", app.base))
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .expect("call");
        let (_, first) = page(&kiosk, &format!("{}{}", app.base, tickets[0])).await;
        assert!(first.contains("class=\"success\""), "ticket 1 is called");
        let first_id = tickets[0].rsplit('/').next().expect("id");
        // Another school's clerk cannot close it.
        let other = client();
        sign_in(&app, &other, &f.clerk_b.auth).await;
        let (_, other_desk) = page(&other, &format!("{}/school/walkin", app.base)).await;
        let other_csrf = csrf_of(&other_desk);
        let r = other
            .post(format!("{}/school/walkin/{first_id}/finish", app.base))
            .form(&[("csrf", other_csrf.as_str())])
            .send()
            .await
            .expect("finish");
        assert_eq!(r.status(), 404);
        let r = clerk
            .post(format!("{}/school/walkin/{first_id}/finish", app.base))
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .expect("finish");
        assert_eq!(r.status(), 303);
        let day = app
            .store
            .walkin_tickets(1, web::service::local_time(Utc::now()).date())
            .await
            .expect("tickets");
        assert!(day[0].served_at.is_some() && day[1].called_at.is_none());
    }
}

#[tokio::test]
async fn a_clerk_registers_a_paper_application_with_scans_and_accepts_it() {
    for backend in databases().await {
        let app = start(&backend).await;
        let f = fixture();
        let clerk = client();
        sign_in(&app, &clerk, &f.clerk_a.auth).await;
        let (_, html) = page(&clerk, &format!("{}/school/paper/new", app.base)).await;
        let csrf = csrf_of(&html);
        let parent_iin = valid_iin("9005124");
        let mut fields = form(&csrf, CHILD, "2020-03-15");
        fields.retain(|(k, _)| *k != "school_id");
        let mut paper: Vec<(&str, &str)> = vec![
            ("parent_iin", parent_iin.as_str()),
            ("parent_surname", "Сейітова"),
            ("parent_given_name", "Мәдина"),
            ("parent_phone", "8 705 555 44 33"),
        ];
        paper.extend(fields.iter().cloned());
        // Without the paper signature noted, nothing is registered.
        let r = clerk
            .post(format!("{}/school/paper/new", app.base))
            .form(&paper)
            .send()
            .await
            .expect("register");
        assert_eq!(r.status(), 200);
        assert!(r.text().await.expect("html").contains("error-summary"));
        paper.push(("paper_signature", "on"));
        let r = clerk
            .post(format!("{}/school/paper/new", app.base))
            .form(&paper)
            .send()
            .await
            .expect("register");
        assert_eq!(r.status(), 303, "{:?}", r.text().await);
        let location = r.headers()["location"]
            .to_str()
            .expect("location")
            .to_owned();
        let id = location
            .trim_end_matches("#scans")
            .rsplit('/')
            .next()
            .expect("id")
            .to_owned();
        let a = app
            .store
            .application(id.parse().expect("id"), store::applications::Scope::City)
            .await
            .expect("db")
            .expect("app");
        assert_eq!(
            (a.channel.as_str(), a.status.as_str(), a.school_id),
            ("paper", "submitted", Some(1))
        );
        assert!(a.number.is_some() && a.deadline.is_some());
        let told = app
            .store
            .outbox_log(&Default::default(), 10)
            .await
            .expect("outbox");
        assert!(
            told.iter()
                .any(|m| m.kind == "submitted" && m.recipient == "+77055554433"),
            "{told:?}"
        );
        // Scans: the clerk of another school cannot attach any.
        let scan = |kind: &str, data: Vec<u8>| {
            reqwest::multipart::Form::new()
                .text("csrf", csrf.clone())
                .text("kind", kind.to_owned())
                .part(
                    "file",
                    reqwest::multipart::Part::bytes(data).file_name("scan"),
                )
        };
        let other = client();
        sign_in(&app, &other, &f.clerk_b.auth).await;
        let other_csrf = csrf_of(&page(&other, &format!("{}/school", app.base)).await.1);
        let forged = reqwest::multipart::Form::new()
            .text("csrf", other_csrf)
            .text("kind", "health_063u")
            .part(
                "file",
                reqwest::multipart::Part::bytes(b"%PDF-1.4\n".to_vec()).file_name("x.pdf"),
            );
        assert_eq!(
            other
                .post(format!("{}/school/applications/{id}/scans", app.base))
                .multipart(forged)
                .send()
                .await
                .expect("scan")
                .status(),
            404
        );
        let pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n".to_vec();
        let png = photo();
        for (kind, data) in [
            ("health_063u", &pdf),
            ("health_026u3", &pdf),
            ("photo_3x4", &png),
            ("photo_3x4", &png),
        ] {
            let r = clerk
                .post(format!("{}/school/applications/{id}/scans", app.base))
                .multipart(scan(kind, data.clone()))
                .send()
                .await
                .expect("scan");
            assert!(
                !r.headers()["location"]
                    .to_str()
                    .unwrap_or("")
                    .contains("error"),
                "{:?}",
                r.headers()["location"]
            );
        }
        assert_eq!(app.store.documents(a.id).await.expect("docs").len(), 4);
        decide_and_sign(
            &app,
            &clerk,
            &f.clerk_a.sign,
            &id,
            &[("decision", "accept")],
        )
        .await;
        let a = app
            .store
            .application(a.id, store::applications::Scope::City)
            .await
            .expect("db")
            .expect("app");
        assert_eq!(a.status, "accepted");
        // The same child cannot be registered twice.
        let r = clerk
            .post(format!("{}/school/paper/new", app.base))
            .form(&paper)
            .send()
            .await
            .expect("register");
        assert_eq!(r.status(), 200);
    }
}

/// Fills and submits an application to school 2 (one Kazakh-language place) from street 1
/// (outside its territory) or street 2 (inside).
async fn apply_to_small_school(
    app: &App,
    c: &reqwest::Client,
    parent: &Person,
    iin: &str,
    birth: &str,
    in_territory: bool,
) -> String {
    let (_, html) = page(c, &format!("{}/applications/new", app.base)).await;
    let csrf = csrf_of(&html);
    let street = if in_territory { "2" } else { "1" };
    let mut fields = form(&csrf, iin, birth);
    for (k, v) in fields.iter_mut() {
        match *k {
            "school_id" => *v = "2",
            "street_id" => *v = street,
            _ => {}
        }
    }
    let r = c
        .post(format!("{}/applications/new", app.base))
        .form(&fields)
        .send()
        .await
        .expect("create");
    let path = r.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    let pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n".to_vec();
    let png = photo();
    for (kind, data) in [
        ("health_063u", &pdf),
        ("health_026u3", &pdf),
        ("photo_3x4", &png),
        ("photo_3x4", &png),
    ] {
        let f = reqwest::multipart::Form::new()
            .text("csrf", csrf.clone())
            .text("kind", kind)
            .part(
                "file",
                reqwest::multipart::Part::bytes(data.clone()).file_name("scan"),
            );
        c.post(format!("{}{path}/documents", app.base))
            .multipart(f)
            .send()
            .await
            .expect("upload");
    }
    resubmit(app, c, parent, &path).await;
    path.rsplit('/').next().expect("id").to_owned()
}

#[tokio::test]
async fn places_go_to_the_service_territory_first_and_a_full_school_refuses() {
    for backend in databases().await {
        let app = start(&backend).await;
        let f = fixture();
        let parent = client();
        sign_in(&app, &parent, &f.parent_a.auth).await;
        confirm_contacts(&app, &parent, "a@example.kz", "+7 701 111 22 33").await;
        // The outside child applied first, the territory child second; one place.
        let outside =
            apply_to_small_school(&app, &parent, &f.parent_a, CHILD, "2020-03-15", false).await;
        let inside = apply_to_small_school(
            &app,
            &parent,
            &f.parent_a,
            &valid_iin("2104016"),
            "2021-04-01",
            true,
        )
        .await;
        let clerk = client();
        sign_in(&app, &clerk, &f.clerk_b.auth).await;
        let refused = decide_and_sign(
            &app,
            &clerk,
            &f.clerk_b.sign,
            &outside,
            &[("decision", "accept")],
        )
        .await;
        assert!(
            refused.contains("school-err-no-places"),
            "the territory child comes first: {refused}"
        );
        decide_and_sign(
            &app,
            &clerk,
            &f.clerk_b.sign,
            &inside,
            &[("decision", "accept")],
        )
        .await;
        let status = |id: &str| {
            let store = app.store.clone();
            let id: i64 = id.parse().expect("id");
            async move {
                store
                    .application(id, store::applications::Scope::City)
                    .await
                    .expect("db")
                    .expect("app")
                    .status
            }
        };
        assert_eq!(status(&inside).await, "accepted");
        // Now the school is full: the outside child is refused with the referral.
        let full = decide_and_sign(
            &app,
            &clerk,
            &f.clerk_b.sign,
            &outside,
            &[("decision", "accept")],
        )
        .await;
        assert!(full.contains("school-err-no-places"));
        decide_and_sign(
            &app,
            &clerk,
            &f.clerk_b.sign,
            &outside,
            &[("decision", "refuse"), ("ground", "no_free_places")],
        )
        .await;
        assert_eq!(status(&outside).await, "refused");
    }
}

#[tokio::test]
async fn unsubmitted_drafts_are_reminded_once_and_the_administrator_sees_and_resends_messages() {
    for backend in databases().await {
        let app = start(&backend).await;
        let f = fixture();
        let parent = client();
        sign_in(&app, &parent, &f.parent_a.auth).await;
        confirm_contacts(&app, &parent, "a@example.kz", "+7 701 111 22 33").await;
        let (_, html) = page(&parent, &format!("{}/applications/new", app.base)).await;
        let csrf = csrf_of(&html);
        parent
            .post(format!("{}/applications/new", app.base))
            .form(&form(&csrf, CHILD, "2020-03-15"))
            .send()
            .await
            .expect("draft");
        let now = Utc::now();
        // Far from the close: no reminder.
        assert_eq!(web::jobs::run_once(&app.state, now).await.expect("jobs"), 0);
        // The administrator brings the close to two days from now.
        let admin = client();
        sign_in(&app, &admin, &f.admin.auth).await;
        let (_, campaigns) = page(&admin, &format!("{}/admin/campaigns", app.base)).await;
        let admin_csrf = csrf_of(&campaigns);
        let today = web::service::local_time(now).date();
        let opens = campaigns
            .split("name=\"opens\" value=\"")
            .nth(1)
            .expect("opens")
            .split('"')
            .next()
            .expect("end")
            .to_owned();
        let closes = (today + chrono::Duration::days(2)).to_string();
        let r = admin
            .post(format!("{}/admin/campaigns/1", app.base))
            .form(&[
                ("csrf", admin_csrf.as_str()),
                ("opens", opens.as_str()),
                ("closes", closes.as_str()),
                ("other_until", closes.as_str()),
                ("deadline_days", "5"),
            ])
            .send()
            .await
            .expect("campaign");
        assert!(
            r.headers()["location"]
                .to_str()
                .unwrap_or("")
                .contains("admin-saved"),
            "{:?}",
            r.headers()["location"]
        );
        for _ in 0..2 {
            web::jobs::run_once(&app.state, now).await.expect("jobs");
        }
        let reminders: Vec<_> = app
            .store
            .outbox_log(&Default::default(), 100)
            .await
            .expect("outbox")
            .into_iter()
            .filter(|m| m.kind == "draft-reminder")
            .collect();
        assert_eq!(
            reminders.len(),
            2,
            "once per contact, despite two runs: {reminders:?}"
        );
        // Staff who gave an e-mail get the daily summary of their school's queue, once a day.
        let clerk = client();
        sign_in(&app, &clerk, &f.clerk_a.auth).await;
        confirm_contacts(&app, &clerk, "clerk@school1.kz", "+7 702 000 11 22").await;
        let tuesday_morning = chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 12, 1, 5, 0, 0)
            .single()
            .expect("time");
        for _ in 0..2 {
            web::jobs::run_once(&app.state, tuesday_morning)
                .await
                .expect("jobs");
        }
        let summaries: Vec<_> = app
            .store
            .outbox_log(&Default::default(), 100)
            .await
            .expect("outbox")
            .into_iter()
            .filter(|m| m.kind == "staff-summary")
            .collect();
        assert_eq!(summaries.len(), 1, "{summaries:?}");
        assert_eq!(summaries[0].recipient, "clerk@school1.kz");
        // The delivery log, and a resend that adds a copy.
        let (code, log) = page(&admin, &format!("{}/admin/outbox", app.base)).await;
        assert_eq!(code, 200);
        assert!(log.contains("+77011112233"));
        assert_eq!(
            page(&parent, &format!("{}/admin/outbox", app.base)).await.0,
            404
        );
        let before = app
            .store
            .outbox_log(&Default::default(), 100)
            .await
            .expect("outbox")
            .len();
        let r = admin
            .post(format!(
                "{}/admin/outbox/{}/resend",
                app.base, reminders[0].id
            ))
            .form(&[("csrf", admin_csrf.as_str())])
            .send()
            .await
            .expect("resend");
        assert_eq!(r.status(), 303);
        let after = app
            .store
            .outbox_log(&Default::default(), 100)
            .await
            .expect("outbox")
            .len();
        assert!(
            after >= before,
            "a resend keeps the original and may add a copy"
        );
    }
}

/// A real 3×4 photo (30 × 40 pixels), as the upload checks decode every image.
fn photo() -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    image::RgbImage::from_pixel(30, 40, image::Rgb([200, 30, 30]))
        .write_to(&mut out, image::ImageFormat::Png)
        .expect("png");
    out.into_inner()
}

#[tokio::test]
async fn schools_and_territories_import_whole_after_a_preview_or_not_at_all() {
    for backend in databases().await {
        let app = start(&backend).await;
        let f = fixture();
        let admin = client();
        sign_in(&app, &admin, &f.admin.auth).await;
        let (_, html) = page(&admin, &format!("{}/admin/schools", app.base)).await;
        let csrf = csrf_of(&html);
        let exported = admin
            .get(format!("{}/admin/schools/export/csv", app.base))
            .send()
            .await
            .expect("export")
            .text()
            .await
            .expect("csv");
        assert!(exported.contains("950140010007"));
        let preview = |csv: String, what: &'static str| {
            let form = reqwest::multipart::Form::new()
                .text("csrf", csrf.clone())
                .part(
                    "file",
                    reqwest::multipart::Part::bytes(csv.into_bytes()).file_name("list.csv"),
                );
            let admin = admin.clone();
            let url = format!("{}/admin/import/{what}", app.base);
            async move {
                admin
                    .post(url)
                    .multipart(form)
                    .send()
                    .await
                    .expect("preview")
                    .text()
                    .await
                    .expect("html")
            }
        };
        let new_bin = {
            let prefix = "9712400";
            (0..10_000)
                .find_map(|s| {
                    let first = format!("{prefix}{s:04}");
                    let digits: Vec<u8> = first.bytes().map(|b| b - b'0').collect();
                    domain::ids::iin_check_digit(&<[u8; 11]>::try_from(digits).ok()?)
                        .map(|c| format!("{first}{c}"))
                })
                .expect("a BIN")
        };
        // One bad row (a wrong BIN) and the file is not applied at all.
        let bad = format!(
            "{exported}\n{new_bin};№9 мектеп;Школа №9;Ақтөбе;;;kk=25\n123456789012;Жаман;Плохая;;;;kk=1\n"
        );
        let html = preview(bad.clone(), "schools").await;
        assert!(
            html.contains("tag refused") && !html.contains("/apply\""),
            "rejected rows and no apply button"
        );
        let data = B64.encode(bad.as_bytes());
        let r = admin
            .post(format!("{}/admin/import/schools/apply", app.base))
            .form(&[("csrf", csrf.as_str()), ("data", data.as_str())])
            .send()
            .await
            .expect("apply");
        assert!(
            r.headers()["location"]
                .to_str()
                .unwrap_or("")
                .contains("import-refused")
        );
        assert_eq!(app.store.schools().await.expect("schools").len(), 2);
        // A parent's form, read before the import, puts the school list in the server's cache.
        let parent = client();
        sign_in(&app, &parent, &f.parent_a.auth).await;
        confirm_contacts(&app, &parent, "a@example.kz", "+7 701 111 22 33").await;
        let form_page = format!("{}/applications/new", app.base);
        assert!(!page(&parent, &form_page).await.1.contains("№9 мектеп"));
        // A clean file is applied whole.
        let good = format!("{exported}\n{new_bin};№9 мектеп;Школа №9;Ақтөбе;;;kk=25 ru=25\n");
        let html = preview(good.clone(), "schools").await;
        assert!(!html.contains("tag refused") && html.contains("/admin/import/schools/apply"));
        let data = B64.encode(good.as_bytes());
        let r = admin
            .post(format!("{}/admin/import/schools/apply", app.base))
            .form(&[("csrf", csrf.as_str()), ("data", data.as_str())])
            .send()
            .await
            .expect("apply");
        assert!(
            r.headers()["location"]
                .to_str()
                .unwrap_or("")
                .contains("import-applied")
        );
        assert_eq!(app.store.schools().await.expect("schools").len(), 3);
        assert!(
            page(&parent, &form_page).await.1.contains("№9 мектеп"),
            "the import clears the cached school list: the new school is offered at once"
        );
        // The form marks the schools serving the typed address; asked before the territory
        // import, it puts the territories in the server's cache.
        let avenue = app
            .store
            .streets()
            .await
            .expect("streets")
            .into_iter()
            .find(|s| s.name_kk == "Әбілқайыр хан даңғылы")
            .expect("the avenue")
            .id
            .to_string();
        let marked_for_house_70 = || {
            let parent = parent.clone();
            let (form_page, avenue) = (form_page.clone(), avenue.clone());
            async move {
                let (_, html) = page(&parent, &form_page).await;
                let csrf = csrf_of(&html);
                let mut fields = form(&csrf, "190315650018", "2019-03-15");
                for (k, v) in fields.iter_mut() {
                    match *k {
                        "street_id" => *v = avenue.as_str(),
                        "house" => *v = "70",
                        // A missing name: the form comes back, with its choices.
                        "child_surname" => *v = "",
                        _ => {}
                    }
                }
                let html = parent
                    .post(&form_page)
                    .form(&fields)
                    .send()
                    .await
                    .expect("form")
                    .text()
                    .await
                    .expect("html");
                html.contains("★ №9 мектеп")
            }
        };
        assert!(!marked_for_house_70().await);
        // Territories: an overlap with school 1's houses is shown to the administrator.
        let territories = format!(
            "bin;street_kk;street_ru;house_from;house_to\n{new_bin};Әбілқайыр хан даңғылы;проспект Абулхаир хана;50;80\n{new_bin};Жаңа көше;Новая улица;1;20\n"
        );
        let data = B64.encode(territories.as_bytes());
        assert!(
            !preview(territories.clone(), "territories")
                .await
                .contains("tag refused")
        );
        admin
            .post(format!("{}/admin/import/territories/apply", app.base))
            .form(&[("csrf", csrf.as_str()), ("data", data.as_str())])
            .send()
            .await
            .expect("apply");
        let (_, html) = page(&admin, &format!("{}/admin/schools", app.base)).await;
        assert!(
            html.contains("50–60"),
            "the overlap of houses 50–60 is reported"
        );
        assert!(
            marked_for_house_70().await,
            "the import clears the cached territories: the new school serves house 70 at once"
        );
        // Only administrators import.
        assert_eq!(
            page(&parent, &format!("{}/admin/schools", app.base))
                .await
                .0,
            404
        );
    }
}

#[tokio::test]
async fn the_campaign_documents_are_data_the_administrator_edits() {
    for backend in databases().await {
        let app = start(&backend).await;
        let f = fixture();
        let admin = client();
        sign_in(&app, &admin, &f.admin.auth).await;
        let (_, html) = page(&admin, &format!("{}/admin/campaigns", app.base)).await;
        let csrf = csrf_of(&html);
        // "At least" above "at most" is refused.
        let r = admin
            .post(format!("{}/admin/campaigns/1/documents", app.base))
            .form(&[("csrf", csrf.as_str()), ("min_0", "3"), ("max_0", "1")])
            .send()
            .await
            .expect("edit");
        assert!(
            r.headers()["location"]
                .to_str()
                .unwrap_or("")
                .contains("admin-err-documents")
        );
        // Current practice's list: 065/u and the health passport instead of 063/u and 026/u-3.
        let r = admin
            .post(format!("{}/admin/campaigns/1/documents", app.base))
            .form(&[("csrf", csrf.as_str()), ("preset", "practice")])
            .send()
            .await
            .expect("preset");
        assert!(
            r.headers()["location"]
                .to_str()
                .unwrap_or("")
                .contains("admin-saved")
        );
        let parent = client();
        sign_in(&app, &parent, &f.parent_a.auth).await;
        confirm_contacts(&app, &parent, "a@example.kz", "+7 701 111 22 33").await;
        let (_, html) = page(&parent, &format!("{}/applications/new", app.base)).await;
        let csrf = csrf_of(&html);
        let r = parent
            .post(format!("{}/applications/new", app.base))
            .form(&form(&csrf, CHILD, "2020-03-15"))
            .send()
            .await
            .expect("create");
        let (_, mine) = page(
            &parent,
            &format!(
                "{}{}",
                app.base,
                r.headers()["location"].to_str().expect("location")
            ),
        )
        .await;
        assert!(
            mine.contains("name=\"file:health_065u\"")
                && !mine.contains("name=\"file:health_063u\""),
            "the parent is asked for the current list"
        );
    }
}

#[path = "app/logs.rs"]
mod logs;
#[path = "app/signatures.rs"]
mod signatures;
