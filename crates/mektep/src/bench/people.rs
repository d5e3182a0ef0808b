//! The test people of a run, prepared before the clock starts: parents with certificates from
//! the demo CA (over a small pool of RSA keys cached on disk, since generating thousands of
//! RSA keys would take longer than the run), their contacts confirmed as if in the weeks
//! before the campaign opened, and children of an eligible age with valid, unique IINs.

use std::path::Path;

use chrono::{Duration, NaiveDate, Utc};
use domain::application::Grade;
use domain::eligibility::{AgeAssessment, assess_for_grade};
use domain::ids::{AcademicYear, iin_check_digit};
use pki::KeyKind;
use pki::testca::{CmsSigner, TestCa, Validity};
use store::Store;

/// One parent: an AUTH key to sign in with and a SIGN key to sign applications with.
pub struct Parent {
    pub iin: String,
    pub surname: &'static str,
    pub given_name: &'static str,
    pub auth: CmsSigner,
    pub sign: CmsSigner,
}

pub struct Child {
    pub iin: String,
    pub birth_date: NaiveDate,
    pub given_name: &'static str,
}

const SURNAMES: [&str; 8] = [
    "ӘБІЛОВА",
    "СЕРІКОВА",
    "ҚАСЫМОВА",
    "НҰРЛАНОВА",
    "ЖАНҰЗАҚОВА",
    "ТӨЛЕГЕНОВА",
    "ОМАРОВА",
    "БЕКОВА",
];
const GIVEN: [&str; 8] = [
    "АЙГЕРІМ",
    "ДИНАРА",
    "ГҮЛНАР",
    "ӘСЕЛ",
    "ЖАНАР",
    "САУЛЕ",
    "МАДИНА",
    "АЛИЯ",
];
const CHILD_NAMES: [&str; 8] = [
    "Аружан",
    "Нұрсұлтан",
    "Әлихан",
    "Айым",
    "Ерасыл",
    "Томирис",
    "Данияр",
    "Інжу",
];

/// The first valid IIN at or after `serial` for a birth date (YYMMDD) and century/sex digit.
fn iin(birth: NaiveDate, century_sex: u8, serial: u32) -> Option<(String, u32)> {
    let yymmdd = birth.format("%y%m%d").to_string();
    (serial..serial + 100).find_map(|s| {
        let first = format!("{yymmdd}{century_sex}{:04}", s % 10_000);
        let digits: [u8; 11] = first
            .bytes()
            .map(|b| b.wrapping_sub(b'0'))
            .collect::<Vec<_>>()
            .try_into()
            .ok()?;
        iin_check_digit(&digits).map(|c| (format!("{first}{c}"), s))
    })
}

/// `count` children, each with a different IIN, all of an age the first grade takes without a
/// parent's confirmation in the campaign year that starts next.
pub fn children(count: usize) -> Result<Vec<Child>, String> {
    let today = Utc::now().date_naive();
    let year = AcademicYear::next_intake_on_or_after(today).map_err(|e| format!("{e:?}"))?;
    // Walk back from about six and a half years before today: the first days the rule takes.
    let mut dates = Vec::new();
    let mut d = today - Duration::days(6 * 365 + 180);
    while dates.len() < 200 {
        if matches!(
            assess_for_grade(Grade::FIRST, d, year),
            AgeAssessment::Eligible { .. }
        ) {
            dates.push(d);
        }
        d -= Duration::days(1);
        if d < today - Duration::days(9 * 365) {
            return Err("no eligible birth dates found for the demo campaign".into());
        }
    }
    let mut out = Vec::with_capacity(count);
    let mut next_serial = vec![0u32; dates.len()];
    for i in 0..count {
        let slot = i % dates.len();
        let birth = dates[slot];
        // 5 or 6: born in the 21st century, boy or girl.
        let century_sex = if i % 2 == 0 { 5 } else { 6 };
        let (iin, used) = iin(birth, century_sex, next_serial[slot])
            .ok_or_else(|| format!("ran out of IINs for {birth}"))?;
        next_serial[slot] = used + 1;
        out.push(Child {
            iin,
            birth_date: birth,
            given_name: CHILD_NAMES[i % CHILD_NAMES.len()],
        });
    }
    Ok(out)
}

/// RSA keys for the parents' certificates, generated once and kept in `cache` (PEM).
pub fn key_pool(cache: &Path, size: usize) -> Result<Vec<Vec<u8>>, String> {
    let mut keys: Vec<Vec<u8>> = match std::fs::read_to_string(cache) {
        Ok(text) => text
            .split("-----END PRIVATE KEY-----")
            .filter_map(|block| block.split("-----BEGIN PRIVATE KEY-----").nth(1))
            .filter_map(|b64| {
                let clean: String = b64.chars().filter(|c| !c.is_whitespace()).collect();
                base64::Engine::decode(&base64::engine::general_purpose::STANDARD, clean).ok()
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    if keys.len() >= size {
        keys.truncate(size);
        return Ok(keys);
    }
    let missing = size - keys.len();
    eprintln!(
        "generating {missing} RSA keys for the test parents (once; cached in {})…",
        cache.display()
    );
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let made: Vec<Result<Vec<u8>, String>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                s.spawn(move || {
                    (t..missing)
                        .step_by(threads)
                        .map(|_| pki::testca::generate_rsa_key().map_err(|e| e.to_string()))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    });
    for k in made {
        keys.push(k?);
    }
    if let Some(dir) = cache.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let text: String = keys
        .iter()
        .map(|k| {
            let b64 = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, k);
            let lines: Vec<&str> = b64
                .as_bytes()
                .chunks(64)
                .filter_map(|c| std::str::from_utf8(c).ok())
                .collect();
            format!(
                "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
                lines.join("\n")
            )
        })
        .collect();
    std::fs::write(cache, text).map_err(|e| format!("{}: {e}", cache.display()))?;
    Ok(keys)
}

/// `count` parents with certificates from the demo CA in `pki_dir`.
pub fn parents(pki_dir: &Path, keys: &[Vec<u8>], count: usize) -> Result<Vec<Parent>, String> {
    let ca = TestCa::load(pki_dir).map_err(|e| format!("demo CA in {}: {e}", pki_dir.display()))?;
    let base = NaiveDate::from_ymd_opt(1985, 1, 1).ok_or("date")?;
    let mut out = Vec::with_capacity(count);
    let mut serial = 0u32;
    for i in 0..count {
        // Mothers born 1985–1994, a different day for each group of parents.
        let birth = base + Duration::days((i % 3650) as i64);
        let (iin, used) = iin(birth, 4, serial).ok_or("ran out of parent IINs")?;
        serial = (used + 1) % 9_000;
        let surname = SURNAMES[i % SURNAMES.len()];
        let given = GIVEN[(i / SURNAMES.len()) % GIVEN.len()];
        let key = &keys[i % keys.len()];
        let issue = |kind| {
            ca.issue_person_with_key(
                key.clone(),
                &iin,
                surname,
                given,
                None,
                kind,
                Validity::days_from_now(30),
            )
            .and_then(|k| CmsSigner::from_issued(&k))
            .map_err(|e| format!("test certificate: {e}"))
        };
        out.push(Parent {
            auth: issue(KeyKind::Auth)?,
            sign: issue(KeyKind::Sign)?,
            iin,
            surname,
            given_name: given,
        });
    }
    Ok(out)
}

/// Registers the parents with confirmed contacts, through the store's own confirmation steps
/// (the service asks for both before an application; real parents do it before opening day).
pub async fn register(store: &Store, parents: &[Parent]) -> Result<(), String> {
    let now = Utc::now();
    let err = |e: store::StoreError| format!("registering a test parent: {e}");
    for (i, p) in parents.iter().enumerate() {
        let person = store
            .person_signed_in(&p.iin, p.surname, p.given_name, None, "kk", "bench", now)
            .await
            .map_err(err)?;
        if person.contacts_confirmed() {
            continue;
        }
        for (channel, address) in [
            ("email", format!("parent{i}@example.kz")),
            ("phone", format!("+7701{:07}", i)),
        ] {
            let secret = store::sha256_hex(format!("bench-{i}-{channel}").as_bytes());
            store
                .start_contact_confirmation(
                    person.id,
                    channel,
                    &address,
                    &secret,
                    now,
                    now + Duration::hours(1),
                    &[],
                )
                .await
                .map_err(err)?;
            store
                .confirm_contact(person.id, channel, &secret, 5, "bench", now)
                .await
                .map_err(err)?;
        }
    }
    Ok(())
}

/// A 3×4 photo as a phone takes it (JPEG, 450×600), about 50 KB.
pub fn photo_jpeg(seed: u32) -> Result<Vec<u8>, String> {
    let mut state = seed.wrapping_mul(2_654_435_761).max(1);
    let img = image::RgbImage::from_fn(450, 600, |x, y| {
        // Smooth face-and-background shapes plus sensor noise, so it compresses like a photo.
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let noise = (state % 12) as u8;
        let dx = x as i32 - 225;
        let dy = y as i32 - 260;
        let face = dx * dx * 4 / 3 + dy * dy < 150 * 150;
        let base = if face {
            [225u8, 185, 160]
        } else {
            [90, 120, 170]
        };
        let shade = (y / 12) as u8;
        image::Rgb([
            base[0].saturating_sub(shade).saturating_add(noise),
            base[1].saturating_sub(shade / 2).saturating_add(noise),
            base[2].saturating_add(noise),
        ])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_with_encoder(image::codecs::jpeg::JpegEncoder::new_with_quality(
        &mut out, 80,
    ))
    .map_err(|e| format!("test photo: {e}"))?;
    Ok(out.into_inner())
}

/// A scanned health form: a PDF wrapping about `size` bytes of image data.
pub fn health_form_pdf(seed: u32, size: usize) -> Vec<u8> {
    let mut state = seed.wrapping_mul(2_246_822_519).max(1);
    let scan: Vec<u8> = (0..size)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state >> 8) as u8
        })
        .collect();
    let mut pdf = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n\
2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n\
3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Resources<</XObject<</Im0 4 0 R>>>>>>endobj\n"
        .to_vec();
    pdf.extend_from_slice(
        format!(
            "4 0 obj<</Type/XObject/Subtype/Image/Width 1240/Height 1754/ColorSpace/DeviceGray/BitsPerComponent 8/Filter/DCTDecode/Length {}>>stream\n",
            scan.len()
        )
        .as_bytes(),
    );
    pdf.extend_from_slice(&scan);
    pdf.extend_from_slice(b"\nendstream endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n");
    pdf
}
