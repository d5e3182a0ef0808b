//! Renders a receipt and a 200-child admission order, reports size and time per document, and
//! writes the PDFs (plus a refusal) to a folder for looking at.
//!
//! ```sh
//! cargo run --release -p docs --example render_bench -- [OUT_DIR]
//! ```

#[path = "../tests/support/ftl.rs"]
#[allow(dead_code)] // The example uses only the loader, not the test assertions.
mod ftl;

use std::time::Instant;

use chrono::NaiveDate;
use docs::{
    AdmissionOrderData, Child, EdsSignature, OrderClass, PersonName, ReceiptData, RefusalData,
    School, Verification,
};

fn name(surname: &str, given: &str, patronymic: &str) -> PersonName {
    PersonName {
        surname: surname.into(),
        given_name: given.into(),
        patronymic: Some(patronymic.into()).filter(|p: &String| !p.is_empty()),
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args().nth(1).unwrap_or_else(|| "/tmp".into());
    let t = ftl::FtlTranslator::load();
    let at = NaiveDate::from_ymd_opt(2026, 6, 3)
        .and_then(|d| d.and_hms_opt(10, 15, 0))
        .ok_or("bad date")?;
    let school = School {
        name_kk: "Ақтөбе қаласының «ТАҢ» № 12 мектеп-гимназиясы".into(),
        name_ru: "Школа-гимназия № 12 «ТАҢ» города Актобе".into(),
        bin: "010140000123".into(),
    };
    let signature = EdsSignature {
        signer: "ҚАСЫМОВА МЕҢДІГҮЛ".into(),
        certificate_serial: "4c1a8e0f2b9d73a6e5b1".into(),
        signed_at: at,
    };
    let verification = Verification {
        url: "https://mektep.aktobe.example.kz/verify/R-2026-000123?c=7KQ4-M2XH".into(),
        code: "7KQ4-M2XH".into(),
    };
    let child = Child {
        name: name("Өмірзақ", "Ұлан", "Ғалымұлы"),
        iin: "190512500123".into(),
    };
    let receipt = ReceiptData {
        number: "R-2026-000123".into(),
        issued_at: at,
        school: school.clone(),
        application_number: "A-2026-004511".into(),
        submitted_at: at - chrono::Duration::days(2),
        child: child.clone(),
        applicant: name("Әлиева", "Һадия", "Шаһмарданқызы"),
        documents: vec![
            "Өтініш (1-қосымша) / Заявление (приложение 1)".into(),
            "№ 063/у нысанды денсаулық анықтамасы және № 026/у-3 есеп нысаны / Справка о состоянии здоровья формы № 063/у и учётная форма № 026/у-3".into(),
            "Баланың 3×4 см фотосуреті, 2 дана / Фотографии ребёнка размером 3×4 см, 2 шт.".into(),
        ],
        clerk: name("Қасымова", "Меңдігүл", ""),
        signature: Some(signature.clone()),
        verification: verification.clone(),
    };
    let refusal = RefusalData {
        number: "O-2026-000007".into(),
        issued_at: at,
        school: school.clone(),
        application_number: "A-2026-004512".into(),
        submitted_at: at,
        child,
        applicant: name("Әлиева", "Һадия", "Шаһмарданқызы"),
        grounds: "Мектепте таңдалған оқыту тілі бойынша бос орын жоқ.\nВ школе нет свободных мест с выбранным языком обучения.".into(),
        referral_department: Some("Ақтөбе қаласының білім бөлімі / Отдел образования города Актобе, пр. Абая 40, тел. +7 7132 00 00 00".into()),
        clerk: name("Қасымова", "Меңдігүл", ""),
        signature: None,
        verification: verification.clone(),
    };
    let surnames = [
        "Әбілқайыров",
        "Ғалымжанов",
        "Құрманғазиев",
        "Иванов",
        "Нұрланов",
        "Өтегенов",
        "Үмбетов",
        "Сейітов",
    ];
    let given = [
        "Әлихан",
        "Ерасыл",
        "Айсұлу",
        "Мария",
        "Нұрасыл",
        "Іңкәр",
        "Томирис",
        "Дмитрий",
    ];
    let classes = (0..8)
        .map(|c| OrderClass {
            name: format!("1 «{}»", ["А", "Ә", "Б", "В", "Г", "Ғ", "Д", "Е"][c]),
            language: if c < 6 {
                "қазақ тілі / казахский язык"
            } else {
                "орыс тілі / русский язык"
            }
            .into(),
            children: (0..25)
                .map(|i| {
                    name(
                        surnames[(c + i) % 8],
                        given[(i * 3 + c) % 8],
                        if i % 5 == 0 { "" } else { "Серікұлы" },
                    )
                })
                .collect(),
        })
        .collect();
    let order = AdmissionOrderData {
        number: "17-Б".into(),
        date: NaiveDate::from_ymd_opt(2026, 8, 28).ok_or("bad date")?,
        school,
        academic_year_start: 2026,
        classes,
        director: name("Жұмабаева", "Айгүл", "Маратқызы"),
        signature: Some(signature),
        verification,
    };

    let bench = |label: &str,
                 runs: u32,
                 render: &dyn Fn() -> Result<Vec<u8>, docs::DocsError>|
     -> Result<Vec<u8>, docs::DocsError> {
        let first = render()?;
        let start = Instant::now();
        for _ in 0..runs {
            render()?;
        }
        let per = start.elapsed() / runs;
        println!(
            "{label}: {} bytes, {:.2} ms per render ({runs} runs)",
            first.len(),
            per.as_secs_f64() * 1000.0
        );
        Ok(first)
    };
    let receipt_pdf = bench("receipt", 200, &|| docs::render_receipt(&receipt, &t))?;
    let order_pdf = bench("order, 200 children", 20, &|| {
        docs::render_admission_order(&order, &t)
    })?;
    let refusal_pdf = docs::render_refusal(&refusal, &t)?;
    std::fs::write(format!("{out}/receipt.pdf"), receipt_pdf)?;
    std::fs::write(format!("{out}/order.pdf"), order_pdf)?;
    std::fs::write(format!("{out}/refusal.pdf"), refusal_pdf)?;
    println!("wrote {out}/receipt.pdf, order.pdf, refusal.pdf");
    Ok(())
}
