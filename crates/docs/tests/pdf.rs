//! The PDF documents, read back the way a person's PDF viewer would: text extracted with
//! poppler's `pdftotext`.

mod support;

use std::process::Command;

use chrono::{NaiveDate, NaiveDateTime};
use docs::{
    AdmissionOrderData, Child, EdsSignature, OrderClass, PersonName, ReceiptData, RefusalData,
    School, Verification, render_admission_order, render_receipt, render_refusal,
};
use support::ftl::FtlTranslator;

fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(y, m, d)
        .and_then(|d| d.and_hms_opt(h, min, 0))
        .unwrap()
}

fn name(surname: &str, given: &str, patronymic: Option<&str>) -> PersonName {
    PersonName {
        surname: surname.into(),
        given_name: given.into(),
        patronymic: patronymic.map(Into::into),
    }
}

fn school() -> School {
    School {
        name_kk: "Ақтөбе қаласының «ТАҢ» № 12 мектеп-гимназиясы".into(),
        name_ru: "Школа-гимназия № 12 «ТАҢ» города Актобе".into(),
        bin: "010140000123".into(),
    }
}

fn signature() -> EdsSignature {
    EdsSignature {
        signer: "ҚАСЫМОВА МЕҢДІГҮЛ".into(),
        certificate_serial: "4c1a8e0f2b9d73a6".into(),
        signed_at: at(2026, 6, 3, 10, 17),
    }
}

fn verification() -> Verification {
    Verification {
        url: "https://mektep.aktobe.example.kz/verify/R-2026-000123?c=7KQ4-M2XH".into(),
        code: "7KQ4-M2XH".into(),
    }
}

fn receipt() -> ReceiptData {
    ReceiptData {
        number: "R-2026-000123".into(),
        issued_at: at(2026, 6, 3, 10, 15),
        school: school(),
        application_number: "A-2026-004511".into(),
        submitted_at: at(2026, 6, 1, 0, 0),
        child: Child {
            name: name("Өмірзақ", "Ұлан", Some("Ғалымұлы")),
            iin: "190512500123".into(),
        },
        applicant: name("Әлиева", "Һадия", Some("Шаһмарданқызы")),
        documents: vec![
            "Өтініш (1-қосымша) / Заявление (приложение 1)".into(),
            "№ 063/у нысанды денсаулық анықтамасы / Медицинская справка формы № 063/у".into(),
            "Баланың 3×4 см фотосуреті, 2 дана / Фотографии ребёнка 3×4 см, 2 шт.".into(),
        ],
        clerk: name("Қасымова", "Меңдігүл", None),
        signature: Some(signature()),
        verification: verification(),
    }
}

fn refusal() -> RefusalData {
    RefusalData {
        number: "O-2026-000007".into(),
        issued_at: at(2026, 6, 4, 9, 0),
        school: school(),
        application_number: "A-2026-004512".into(),
        submitted_at: at(2026, 6, 1, 8, 30),
        child: Child {
            name: name("Серікбаев", "Нұрасыл", None),
            iin: "190101500456".into(),
        },
        applicant: name("Серікбаева", "Гүлнұр", None),
        grounds: "Мектепте оқыту тілі бойынша бос орын жоқ.\nВ школе нет свободных мест с выбранным языком обучения.".into(),
        referral_department: Some("Ақтөбе қаласының білім бөлімі / Отдел образования города Актобе, пр. Абая 40, тел. +7 7132 00 00 00".into()),
        clerk: name("Қасымова", "Меңдігүл", None),
        signature: None,
        verification: verification(),
    }
}

fn order(children: usize) -> AdmissionOrderData {
    let per_class = 25;
    let letters = ["А", "Ә", "Б", "В", "Г", "Ғ", "Д", "Е", "Ж", "З"];
    let classes = (0..children.div_ceil(per_class))
        .map(|c| OrderClass {
            name: format!("1 «{}»", letters[c % letters.len()]),
            language: if c % 3 == 2 {
                "орыс тілі / русский язык".into()
            } else {
                "қазақ тілі / казахский язык".into()
            },
            children: (c * per_class..((c + 1) * per_class).min(children))
                .map(|i| name(&format!("Бала{i:03}"), "Әлихан", Some("Серікұлы")))
                .collect(),
        })
        .collect();
    AdmissionOrderData {
        number: "17-Б".into(),
        date: NaiveDate::from_ymd_opt(2026, 8, 28).unwrap(),
        school: school(),
        academic_year_start: 2026,
        classes,
        director: name("Жұмабаева", "Айгүл", Some("Маратқызы")),
        signature: Some(signature()),
        verification: verification(),
    }
}

/// Text of a PDF as poppler extracts it; pages separated by form feeds.
fn pdftotext(pdf: &[u8]) -> String {
    let dir = std::env::temp_dir().join(format!("docs-pdf-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{:016x}.pdf", fnv(pdf)));
    std::fs::write(&path, pdf).unwrap();
    let output = match Command::new("pdftotext")
        .arg("-enc")
        .arg("UTF-8")
        .arg(&path)
        .arg("-")
        .output()
    {
        Ok(output) => output,
        Err(e) => panic!(
            "cannot run pdftotext ({e}): install poppler-utils (apt-get install -y poppler-utils)"
        ),
    };
    let _ = std::fs::remove_file(&path);
    assert!(
        output.status.success(),
        "pdftotext failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// pdftotext may break lines where the layout does; compare with whitespace collapsed.
fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn assert_has(text: &str, needles: &[&str]) {
    let flat = squash(text);
    for needle in needles {
        assert!(
            flat.contains(&squash(needle)),
            "missing {needle:?} in:\n{text}"
        );
    }
}

#[test]
fn receipt_text_has_every_kazakh_letter_and_the_russian_words() {
    let t = FtlTranslator::load();
    let pdf = render_receipt(&receipt(), &t).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let text = pdftotext(&pdf);
    for letter in "Ә Ғ Қ Ң Ө Ұ Ү Һ І ә ғ қ ң ө ұ ү һ і".split(' ') {
        assert!(text.contains(letter), "letter {letter} missing in:\n{text}");
    }
    assert_has(
        &text,
        &[
            "ҚОЛХАТ / РАСПИСКА",
            "құжаттардың қабылданғаны туралы / о приёме документов",
            "Өмірзақ Ұлан Ғалымұлы",
            "190512500123",
            "Әлиева Һадия Шаһмарданқызы",
            "Заявитель",
            "Перечень принятых документов",
            "Медицинская справка формы № 063/у",
            "Работник, принявший документы",
            "Қасымова Меңдігүл",
            "Подписано ЭЦП: ҚАСЫМОВА МЕҢДІГҮЛ, серийный номер сертификата 4c1a8e0f2b9d73a6",
            "03.06.2026 10:17",
            "7KQ4-M2XH",
            "Проверка подлинности документа",
            "БСН / БИН: 010140000123",
            "1-бет, барлығы 1 / Страница 1 из 1",
        ],
    );
    assert!(
        t.missing().is_empty(),
        "missing translations: {:?}",
        t.missing()
    );
}

#[test]
fn refusal_states_grounds_referral_and_that_it_is_unsigned() {
    let t = FtlTranslator::load();
    let text = pdftotext(&render_refusal(&refusal(), &t).unwrap());
    assert_has(
        &text,
        &[
            "ДӘЛЕЛДІ БАС ТАРТУ / МОТИВИРОВАННЫЙ ОТКАЗ",
            "Основание отказа",
            "Мектепте оқыту тілі бойынша бос орын жоқ.",
            "В школе нет свободных мест с выбранным языком обучения.",
            "Куда обратиться",
            "Отдел образования города Актобе, пр. Абая 40",
            "Данное решение может быть обжаловано",
            "Документ ещё не подписан ЭЦП.",
        ],
    );
    assert!(
        t.missing().is_empty(),
        "missing translations: {:?}",
        t.missing()
    );
}

#[test]
fn order_with_200_children_paginates_and_lists_everyone() {
    let t = FtlTranslator::load();
    let pdf = render_admission_order(&order(200), &t).unwrap();
    let text = pdftotext(&pdf);
    let pages = text.matches('\u{c}').count();
    assert!((4..=12).contains(&pages), "{pages} pages");
    assert_has(
        &text,
        &[
            "БҰЙРЫҚ / ПРИКАЗ",
            "2026–2027",
            "Зачислить в 1 класс с 1 сентября 2026 года следующих детей.",
            "1 «А» сыныбы / 1 «А» класс",
            "(жалғасы) / (продолжение)",
            "Всего зачислено: 200",
            "Жұмабаева Айгүл Маратқызы",
            &format!("1-бет, барлығы {pages} / Страница 1 из {pages}"),
        ],
    );
    let flat = squash(&text);
    for i in 0..200 {
        assert!(
            flat.contains(&format!("Бала{i:03} Әлихан Серікұлы")),
            "child {i} missing"
        );
    }
    // Every page carries the verification footer.
    assert_eq!(flat.matches("Код проверки: 7KQ4-M2XH").count(), pages);
    assert!(
        t.missing().is_empty(),
        "missing translations: {:?}",
        t.missing()
    );
}

#[test]
fn empty_order_and_receipt_render() {
    let t = FtlTranslator::load();
    let text = pdftotext(&render_admission_order(&order(0), &t).unwrap());
    assert_has(&text, &["Зачисляемых детей нет."]);
    let mut r = receipt();
    r.documents.clear();
    let text = pdftotext(&render_receipt(&r, &t).unwrap());
    assert_has(&text, &["Документы не указаны"]);
}

#[test]
fn hostile_input_gives_a_sane_pdf_not_a_panic() {
    let t = FtlTranslator::load();
    let long_word = "Ә".repeat(5000);
    let mut r = receipt();
    r.child.name = name(&long_word, "\u{0}\u{7}\t\r\n", Some("😀 漢字 \u{202E}"));
    r.number = "x".repeat(300);
    r.documents = (0..300)
        .map(|i| format!("Құжат {i} {}", "сөз ".repeat(i % 40)))
        .collect();
    r.verification.code = String::new();
    let pdf = render_receipt(&r, &t).unwrap();
    let text = pdftotext(&pdf);
    let pages = text.matches('\u{c}').count();
    assert!(pages > 1 && pages < 40, "{pages} pages");

    let mut f = refusal();
    f.grounds = "өте ұзын негіздеме ".repeat(20_000);
    let text = pdftotext(&render_refusal(&f, &t).unwrap());
    let pages = text.matches('\u{c}').count();
    // Grounds are capped, so the document stays a few pages long.
    assert!(pages < 10, "{pages} pages");

    let empty = ReceiptData {
        verification: Verification {
            url: "https://x".into(),
            code: "1".into(),
        },
        ..ReceiptData::default()
    };
    assert!(render_receipt(&empty, &t).unwrap().starts_with(b"%PDF-"));
}

#[test]
fn verification_url_too_long_for_a_qr_code_is_an_error() {
    let t = FtlTranslator::load();
    let mut r = receipt();
    r.verification.url = format!("https://x/{}", "a".repeat(5000));
    let err = render_receipt(&r, &t).unwrap_err();
    assert_eq!(err.key(), "err-docs-qr-too-long");
}

#[test]
fn rendering_is_deterministic() {
    // Same data, same bytes: a stored document can be re-rendered and compared by hash.
    let t = FtlTranslator::load();
    assert_eq!(
        render_receipt(&receipt(), &t).unwrap(),
        render_receipt(&receipt(), &t).unwrap()
    );
}

#[test]
fn fonts_are_subset_so_documents_stay_small() {
    let t = FtlTranslator::load();
    let receipt = render_receipt(&receipt(), &t).unwrap();
    assert!(receipt.len() < 60_000, "receipt is {} bytes", receipt.len());
}
