//! Uploads are judged by their content, never their name: programs, pages with scripts, PDFs
//! that act on their own or carry files, polyglots, pixel bombs and cut-off files are refused
//! with a specific translated message, and the draft with its other files stays as it was. A
//! body of gigabytes is refused while it streams in; a file's name never becomes a path.

use super::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const GOOD_PDF: &[u8] =
    b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n";

/// Parent A with confirmed contacts and a draft holding one good document; returns the client,
/// a CSRF token and the draft's id.
async fn draft_with_one_document(app: &App) -> (reqwest::Client, String, i64) {
    let f = fixture();
    let c = client();
    sign_in(app, &c, &f.parent_a.auth).await;
    confirm_contacts(app, &c, "a@example.kz", "+7 701 111 22 33").await;
    let (_, html) = page(&c, &format!("{}/applications/new", app.base)).await;
    let csrf = csrf_of(&html);
    let r = c
        .post(format!("{}/applications/new", app.base))
        .form(&form(&csrf, CHILD, "2020-03-15"))
        .send()
        .await
        .expect("create");
    assert_eq!(r.status(), 303);
    let id: i64 = r.headers()["location"]
        .to_str()
        .expect("location")
        .rsplit('/')
        .next()
        .expect("id")
        .parse()
        .expect("id");
    let r = upload(
        app,
        &c,
        &csrf,
        id,
        "health_063u",
        "063.pdf",
        GOOD_PDF.to_vec(),
    )
    .await;
    assert!(!r.contains("error"), "{r}");
    (c, csrf, id)
}

/// Uploads a file; returns where the server sent the browser.
async fn upload(
    app: &App,
    c: &reqwest::Client,
    csrf: &str,
    id: i64,
    kind: &str,
    name: &str,
    data: Vec<u8>,
) -> String {
    upload_many(app, c, csrf, id, kind, vec![(name, data)]).await
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = (data.len() as u32).to_be_bytes().to_vec();
    let mut body = kind.to_vec();
    body.extend_from_slice(data);
    out.extend_from_slice(&body);
    out.extend_from_slice(&crc32(&body).to_be_bytes());
    out
}

/// A well-formed PNG (valid checksums) that claims 100 000 × 100 000 pixels: 30 GB decoded.
fn pixel_bomb() -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = 100_000u32.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    png.extend(png_chunk(b"IHDR", &ihdr));
    // A few bytes of deflate that would expand to zeros.
    png.extend(png_chunk(
        b"IDAT",
        &[0x78, 0x9c, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01],
    ));
    png.extend(png_chunk(b"IEND", &[]));
    png
}

fn pdf_with(body: &str) -> Vec<u8> {
    format!("%PDF-1.7\n1 0 obj{body}endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n").into_bytes()
}

/// The Kazakh text of a message, as the page shows it.
fn kazakh(key: &str) -> String {
    let ftl = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../locales/kk/web.ftl"
    ))
    .expect("kk");
    ftl.lines()
        .find_map(|l| l.strip_prefix(&format!("{key} = ")))
        .expect("message")
        .to_owned()
}

#[tokio::test]
async fn uploads_are_refused_by_content_with_a_specific_message_and_nothing_is_lost() {
    for backend in databases().await {
        let app = start(&backend).await;
        let (c, csrf, id) = draft_with_one_document(&app).await;
        let mut elf = b"\x7fELF\x02\x01\x01\x00".to_vec();
        elf.resize(4096, 0);
        let mut pe = b"MZ\x90\x00\x03\x00\x00\x00This program cannot be run in DOS mode".to_vec();
        pe.resize(4096, 0);
        let mut zip_polyglot = GOOD_PDF[..GOOD_PDF.len() - 6].to_vec();
        zip_polyglot.extend_from_slice(b"PK\x03\x04\x14\x00\x00\x00\x00\x00run.exe");
        zip_polyglot.extend_from_slice(b"PK\x05\x06\x00\x00\x00\x00\x01\x00\x01\x00");
        zip_polyglot.extend_from_slice(b"%%EOF\n");
        let photo = photo();
        let cases: Vec<(&str, &str, Vec<u8>, &str)> = vec![
            ("health_026u3", "scan.pdf", elf, "app-err-format"),
            ("health_026u3", "scan.pdf", pe, "app-err-format"),
            (
                "health_026u3",
                "scan.pdf",
                b"<!DOCTYPE html><html><script>alert(document.cookie)</script></html>".to_vec(),
                "app-err-format",
            ),
            (
                "photo_3x4",
                "photo.png",
                br#"<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(1)</script></svg>"#.to_vec(),
                "app-err-format",
            ),
            (
                "health_026u3",
                "scan.pdf",
                pdf_with("<</Type/Catalog/OpenAction<</S/JavaScript/JS(app.alert(1))>>>>"),
                "app-err-pdf-active",
            ),
            (
                "health_026u3",
                "scan.pdf",
                pdf_with("<</OpenAction<</S/Launch/F(cmd.exe)>>>>"),
                "app-err-pdf-active",
            ),
            (
                "health_026u3",
                "scan.pdf",
                pdf_with("<</Type/EmbeddedFile/Length 3>>"),
                "app-err-pdf-active",
            ),
            (
                "health_026u3",
                "scan.pdf",
                pdf_with("<</S/J#61vaScript/JS 2 0 R>>"),
                "app-err-pdf-active",
            ),
            ("health_026u3", "scan.pdf", zip_polyglot, "app-err-pdf-polyglot"),
            (
                "health_026u3",
                "scan.pdf",
                pdf_with("<</Title(<html><body><script>alert(1)</script>)>>"),
                "app-err-pdf-polyglot",
            ),
            (
                "health_026u3",
                "scan.pdf",
                GOOD_PDF[..GOOD_PDF.len() - 10].to_vec(),
                "app-err-pdf-broken",
            ),
            ("photo_3x4", "photo.png", pixel_bomb(), "app-err-image-too-large"),
            (
                "photo_3x4",
                "photo.png",
                photo[..photo.len() / 2].to_vec(),
                "app-err-image-broken",
            ),
            ("photo_3x4", "photo.png", Vec::new(), "app-err-upload-empty"),
        ];
        for (kind, name, data, key) in cases {
            let location = upload(&app, &c, &csrf, id, kind, name, data).await;
            assert!(
                location.contains(&format!("error={key}")),
                "{key} expected on {}: {location}",
                backend.0
            );
            let (code, html) = page(&c, &format!("{}{location}", app.base)).await;
            assert_eq!(code, 200);
            assert!(html.contains(&kazakh(key)), "{key} shown in Kazakh");
        }
        // Nothing was lost: the draft and its one good document are still there.
        let docs = app.store.documents(id).await.expect("docs");
        assert_eq!(docs.len(), 1, "{}", backend.0);
        let (_, edit) = page(&c, &format!("{}/applications/{id}/edit", app.base)).await;
        assert!(edit.contains("Аружан"));
    }
}

/// Uploads several files in one form (a file input with `multiple`); returns the redirect.
async fn upload_many(
    app: &App,
    c: &reqwest::Client,
    csrf: &str,
    id: i64,
    kind: &str,
    files: Vec<(&str, Vec<u8>)>,
) -> String {
    let mut form = reqwest::multipart::Form::new()
        .text("csrf", csrf.to_owned())
        .text("kind", kind.to_owned());
    for (name, data) in files {
        form = form.part(
            "file",
            reqwest::multipart::Part::bytes(data).file_name(name.to_owned()),
        );
    }
    let r = c
        .post(format!("{}/applications/{id}/documents", app.base))
        .multipart(form)
        .send()
        .await
        .expect("upload");
    assert_eq!(r.status(), 303);
    r.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned()
}

#[tokio::test]
async fn both_photos_go_in_one_upload_and_a_bad_one_keeps_neither() {
    for backend in databases().await {
        let app = start(&backend).await;
        let (c, csrf, id) = draft_with_one_document(&app).await;
        let (_, html) = page(&c, &format!("{}/applications/{id}", app.base)).await;
        assert!(
            html.contains(" multiple>"),
            "the photo's file input takes both photos at once"
        );
        let photo = photo();
        let blobs_before = app.state.blobs.keys().expect("keys").len();

        // One good photo and one cut off: refused, and neither is kept, not even on disk.
        let location = upload_many(
            &app,
            &c,
            &csrf,
            id,
            "photo_3x4",
            vec![
                ("a.png", photo.clone()),
                ("b.png", photo[..photo.len() / 2].to_vec()),
            ],
        )
        .await;
        assert!(
            location.contains("error=app-err-image-broken"),
            "{location}"
        );
        assert_eq!(app.store.documents(id).await.expect("docs").len(), 1);
        assert_eq!(app.state.blobs.keys().expect("keys").len(), blobs_before);

        // Three photos where two are wanted: refused before anything is written.
        let three = vec![
            ("a.png", photo.clone()),
            ("b.png", photo.clone()),
            ("c.png", photo.clone()),
        ];
        let location = upload_many(&app, &c, &csrf, id, "photo_3x4", three).await;
        assert!(
            location.contains("error=app-err-upload-enough"),
            "{location}"
        );

        // Both photos at once: both attached, each in the audit log.
        let two = vec![("a.png", photo.clone()), ("b.png", photo.clone())];
        let location = upload_many(&app, &c, &csrf, id, "photo_3x4", two).await;
        assert!(!location.contains("error"), "{location}");
        let docs = app.store.documents(id).await.expect("docs");
        let photos: Vec<_> = docs.iter().filter(|d| d.kind == "photo_3x4").collect();
        assert_eq!(photos.len(), 2, "{}", backend.0);
        assert_eq!(
            app.state.blobs.keys().expect("keys").len(),
            blobs_before + 2
        );
        let (_, html) = page(&c, &format!("{}/applications/{id}", app.base)).await;
        assert!(html.contains("a.png") && html.contains("b.png"));
    }
}

#[tokio::test]
async fn file_names_never_become_paths_and_documents_are_never_served_as_pages() {
    let backend = databases().await.remove(0);
    let app = start(&backend).await;
    let (c, csrf, id) = draft_with_one_document(&app).await;
    for (kind, name) in [
        ("health_026u3", "../../../../tmp/mektep-evil.pdf"),
        ("photo_3x4", "..\\..\\mektep-evil2.png"),
        ("photo_3x4", "mektep\u{202e}gnp.exe"),
    ] {
        let data = if kind == "photo_3x4" {
            photo()
        } else {
            GOOD_PDF.to_vec()
        };
        let location = upload(&app, &c, &csrf, id, kind, name, data).await;
        assert!(!location.contains("error"), "{name}: {location}");
    }
    // A name with NUL and control characters, sent as the raw bytes a forged client would send.
    let boundary = "XyZ";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\nhealth_026u3\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\x01b\x1bc\x7f.pdf\"\r\n\
         Content-Type: application/pdf\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(GOOD_PDF);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let r = c
        .post(format!("{}/applications/{id}/documents", app.base))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .expect("raw upload");
    assert!(matches!(r.status().as_u16(), 303 | 400), "{}", r.status());
    let docs = app.store.documents(id).await.expect("docs");
    for d in &docs {
        assert!(
            !d.original_name
                .chars()
                .any(|ch| ch.is_control() || matches!(ch, '/' | '\\' | '\u{202e}')),
            "{:?}",
            d.original_name
        );
    }
    assert!(docs.iter().any(|d| d.original_name == "mektep-evil.pdf"));
    // No file anywhere took a name from the upload.
    let mut dirs = vec![app._dir.0.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("dir").flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            assert!(!name.contains("evil") && !name.contains(".pdf"), "{name}");
            if entry.path().is_dir() {
                dirs.push(entry.path());
            }
        }
    }
    assert!(!std::path::Path::new("/tmp/mektep-evil.pdf").exists());
    // Served with the checked type, nosniff and a sandbox: never as a page of this site.
    for d in &docs {
        let r = c
            .get(format!("{}/applications/{id}/documents/{}", app.base, d.id))
            .send()
            .await
            .expect("document");
        assert_eq!(r.status(), 200);
        let h = r.headers();
        let content_type = h["content-type"].to_str().expect("type");
        assert!(
            ["application/pdf", "image/png", "image/jpeg"].contains(&content_type),
            "{content_type}"
        );
        assert_eq!(h["x-content-type-options"], "nosniff");
        let disposition = h["content-disposition"].to_str().expect("disposition");
        assert!(disposition.starts_with("inline") || disposition.starts_with("attachment"));
        assert!(
            h["content-security-policy"]
                .to_str()
                .expect("csp")
                .starts_with("sandbox")
        );
    }
}

fn dir_size(dir: &std::path::Path) -> u64 {
    let mut total = 0;
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            match entry.metadata() {
                Ok(m) if m.is_dir() => dirs.push(entry.path()),
                Ok(m) => total += m.len(),
                Err(_) => {}
            }
        }
    }
    total
}

/// Sends the head of an upload of `declared` bytes (or chunked), then zeros for as long as the
/// server reads them, starting a new file every `file_bytes` bytes if given; returns the
/// server's status line and location, and how much it took in.
async fn stream_upload(
    app: &App,
    cookie: &str,
    csrf: &str,
    id: i64,
    declared: Option<u64>,
    file_bytes: Option<u64>,
) -> (String, u64) {
    let addr = app.base.trim_start_matches("http://").to_owned();
    let stream = tokio::net::TcpStream::connect(&addr)
        .await
        .expect("connect");
    let (mut rd, mut wr) = stream.into_split();
    let boundary = "StreamBoundary";
    let preamble = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\nhealth_026u3\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"huge.pdf\"\r\n\
         Content-Type: application/pdf\r\n\r\n%PDF-1.4\n"
    );
    let length = match declared {
        Some(n) => format!("Content-Length: {n}\r\n"),
        None => "Transfer-Encoding: chunked\r\n".to_owned(),
    };
    let head = format!(
        "POST /applications/{id}/documents HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookie}\r\n\
         Content-Type: multipart/form-data; boundary={boundary}\r\n{length}\r\n"
    );
    let sent = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let counter = sent.clone();
    let chunked = declared.is_none();
    let writer = tokio::spawn(async move {
        wr.write_all(head.as_bytes()).await?;
        let first = if chunked {
            format!("{:x}\r\n{preamble}\r\n", preamble.len())
        } else {
            preamble
        };
        wr.write_all(first.as_bytes()).await?;
        let frame = |data: &[u8]| {
            if !chunked {
                return data.to_vec();
            }
            let mut c = format!("{:x}\r\n", data.len()).into_bytes();
            c.extend_from_slice(data);
            c.extend_from_slice(b"\r\n");
            c
        };
        let chunk = frame(&[0u8; 64 * 1024]);
        let next_file = frame(
            format!(
                "\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file:health_063u\"; \
                 filename=\"more.pdf\"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4\n"
            )
            .as_bytes(),
        );
        // Five gigabytes, generated as they are sent: never held anywhere.
        let five_gb: u64 = 5 * 1024 * 1024 * 1024;
        let mut in_file = 0u64;
        while counter.load(std::sync::atomic::Ordering::Relaxed) < five_gb {
            if file_bytes.is_some_and(|n| in_file >= n) {
                wr.write_all(&next_file).await?;
                in_file = 0;
            }
            wr.write_all(&chunk).await?;
            in_file += 64 * 1024;
            counter.fetch_add(chunk.len() as u64, std::sync::atomic::Ordering::Relaxed);
        }
        Ok::<(), std::io::Error>(())
    });
    let mut answer = Vec::new();
    let mut buf = vec![0u8; 4096];
    let read = tokio::time::timeout(std::time::Duration::from_secs(20), async {
        while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = rd.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            answer.extend_from_slice(&buf[..n]);
        }
        Ok::<(), std::io::Error>(())
    })
    .await;
    writer.abort();
    assert!(read.is_ok(), "no answer while streaming");
    let head = String::from_utf8_lossy(&answer).into_owned();
    let status = head.lines().next().unwrap_or("").to_owned();
    let location = head
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("location:"))
        .unwrap_or("")
        .to_owned();
    (
        format!("{status} {location}"),
        sent.load(std::sync::atomic::Ordering::Relaxed),
    )
}

#[tokio::test]
async fn a_five_gigabyte_upload_is_refused_while_it_streams() {
    use reqwest::cookie::CookieStore;
    let backend = databases().await.remove(0);
    let app = start(&backend).await;
    let f = fixture();
    let _ = rustls::crypto::ring::default_provider().install_default();
    let jar = Arc::new(reqwest::cookie::Jar::default());
    let c = reqwest::Client::builder()
        .cookie_provider(jar.clone())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    sign_in(&app, &c, &f.parent_a.auth).await;
    confirm_contacts(&app, &c, "a@example.kz", "+7 701 111 22 33").await;
    let (_, html) = page(&c, &format!("{}/applications/new", app.base)).await;
    let csrf = csrf_of(&html);
    let r = c
        .post(format!("{}/applications/new", app.base))
        .form(&form(&csrf, CHILD, "2020-03-15"))
        .send()
        .await
        .expect("create");
    assert_eq!(r.status(), 303);
    let id: i64 = r.headers()["location"]
        .to_str()
        .expect("location")
        .rsplit('/')
        .next()
        .expect("id")
        .parse()
        .expect("id");
    // The browser's cookies, to send on a raw socket.
    let url = reqwest::Url::parse(&app.base).expect("url");
    let cookie = jar
        .cookies(&url)
        .expect("cookies")
        .to_str()
        .expect("ascii")
        .to_owned();
    let documents = app._dir.0.join("documents");
    let before = dir_size(&app._dir.0);
    // Declared up front: refused before the body is read.
    let started = std::time::Instant::now();
    let (answer, sent) = stream_upload(&app, &cookie, &csrf, id, Some(5 << 30), None).await;
    eprintln!(
        "declared 5 GB: {answer} after {:?}, {sent} bytes sent",
        started.elapsed()
    );
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert!(sent < 64 << 20, "{sent} bytes taken in");
    // Streamed without a length: cut off at the campaign's limit per file, while streaming.
    let started = std::time::Instant::now();
    let (answer, sent) = stream_upload(&app, &cookie, &csrf, id, None, None).await;
    eprintln!(
        "chunked 5 GB: {answer} after {:?}, {sent} bytes sent",
        started.elapsed()
    );
    assert!(
        answer.starts_with("HTTP/1.1 303") && answer.contains("app-err-file-too-large"),
        "{answer}"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(15));
    assert!(sent < 64 << 20, "{sent} bytes taken in");
    // Streamed as one file after another, each within the limit per file: cut off at the
    // campaign's total (20 MiB), before the request's own limit (24 MiB) would end it less kindly.
    let started = std::time::Instant::now();
    let (answer, sent) = stream_upload(&app, &cookie, &csrf, id, None, Some(4 << 20)).await;
    eprintln!(
        "chunked 5 GB in 4 MiB files: {answer} after {:?}, {sent} bytes sent",
        started.elapsed()
    );
    assert!(
        answer.starts_with("HTTP/1.1 303") && answer.contains("app-err-total-too-large"),
        "{answer}"
    );
    assert!(sent < 64 << 20, "{sent} bytes taken in");
    // No file grew, and the draft is intact.
    assert!(dir_size(&app._dir.0) <= before + (1 << 20), "files grew");
    assert_eq!(dir_size(&documents), 0);
    assert!(app.store.documents(id).await.expect("docs").is_empty());
    let (_, edit) = page(&c, &format!("{}/applications/{id}/edit", app.base)).await;
    assert!(edit.contains("Аружан"));
}
