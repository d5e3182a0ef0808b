//! Receipt, reasoned refusal and admission order: what each document says, in which order.

use super::fonts::{Fonts, Weight};
use super::layout::{Align, BODY, BODY_BOLD, INK, MUTED, SMALL, Style};
use super::paint::Info;
use super::{Heading, Words, begin, finish, signature_stamp, value};
use crate::DocsError;
use crate::i18n::Translate;
use crate::model::{AdmissionOrderData, Child, PersonName, ReceiptData, RefusalData};
use crate::qr::QrMatrix;
use crate::text::{MAX_FIELD_CHARS, clean, date, date_time};

/// Receipt (қолхат / расписка) that the school accepted the documents of an application.
pub fn render_receipt(r: &ReceiptData, t: &dyn Translate) -> Result<Vec<u8>, DocsError> {
    let fonts = Fonts::load()?;
    let qr = QrMatrix::encode(&r.verification.url)?;
    let words = Words { t };
    let heading = Heading {
        title_key: "docs-receipt-title",
        subtitle_key: "docs-receipt-subtitle",
        number: &r.number,
        issued: date_time(r.issued_at),
        school: &r.school,
    };
    let (mut flow, title) = begin(&fonts, &words, &heading);

    application_fields(&mut flow, &words, &r.application_number, r.submitted_at);
    child_and_applicant(&mut flow, &words, &r.child, &r.applicant);

    flow.section(&words.bi("docs-section-documents"));
    if r.documents.is_empty() {
        flow.paragraph(&words.bi("docs-documents-none"), BODY, Align::Left);
    }
    for (i, document) in r.documents.iter().enumerate() {
        flow.numbered(i + 1, &value(document), BODY);
    }
    flow.end_section();
    flow.gap(8.0);

    flow.field(&words.bi("docs-field-clerk"), &person(&r.clerk), BODY);
    signature_stamp(&mut flow, &words, r.signature.as_ref());

    let info = Info {
        title,
        created: r.issued_at,
    };
    finish(flow, &words, &r.verification, &qr, info)
}

/// Reasoned refusal (дәлелді бас тарту / мотивированный отказ) to accept the documents.
pub fn render_refusal(r: &RefusalData, t: &dyn Translate) -> Result<Vec<u8>, DocsError> {
    let fonts = Fonts::load()?;
    let qr = QrMatrix::encode(&r.verification.url)?;
    let words = Words { t };
    let heading = Heading {
        title_key: "docs-refusal-title",
        subtitle_key: "docs-refusal-subtitle",
        number: &r.number,
        issued: date_time(r.issued_at),
        school: &r.school,
    };
    let (mut flow, title) = begin(&fonts, &words, &heading);

    application_fields(&mut flow, &words, &r.application_number, r.submitted_at);
    child_and_applicant(&mut flow, &words, &r.child, &r.applicant);

    flow.section(&words.bi("docs-section-grounds"));
    // The clerk's own paragraphs are kept.
    flow.paragraph(&clean(&r.grounds, MAX_FIELD_CHARS, true), BODY, Align::Left);
    flow.end_section();

    if let Some(department) = &r.referral_department {
        flow.section(&words.bi("docs-section-referral"));
        let args = [("department", value(department))];
        for (i, text) in words
            .each("docs-refusal-referral", &args)
            .iter()
            .enumerate()
        {
            if i > 0 {
                flow.gap(4.0);
            }
            flow.paragraph(text, BODY, Align::Left);
        }
        flow.end_section();
    }

    flow.gap(8.0);
    for text in words.each("docs-refusal-appeal", &[]) {
        flow.paragraph(&text, SMALL, Align::Left);
    }
    flow.gap(8.0);

    flow.field(
        &words.bi("docs-field-refusal-clerk"),
        &person(&r.clerk),
        BODY,
    );
    signature_stamp(&mut flow, &words, r.signature.as_ref());

    let info = Info {
        title,
        created: r.issued_at,
    };
    finish(flow, &words, &r.verification, &qr, info)
}

/// Admission order (бұйрық / приказ): children admitted to the first grade, class by class.
pub fn render_admission_order(
    o: &AdmissionOrderData,
    t: &dyn Translate,
) -> Result<Vec<u8>, DocsError> {
    let fonts = Fonts::load()?;
    let qr = QrMatrix::encode(&o.verification.url)?;
    let words = Words { t };
    let heading = Heading {
        title_key: "docs-order-title",
        subtitle_key: "docs-order-subtitle",
        number: &o.number,
        issued: date(o.date),
        school: &o.school,
    };
    let (mut flow, title) = begin(&fonts, &words, &heading);

    let year = o.academic_year_start;
    let academic_year = format!("{year}–{}", year.saturating_add(1));
    flow.field(&words.bi("docs-field-academic-year"), &academic_year, BODY);
    flow.gap(10.0);

    for text in words.each("docs-order-basis", &[]) {
        flow.paragraph(&text, BODY, Align::Left);
        flow.gap(2.0);
    }
    flow.gap(6.0);
    let command = Style::new(11.0, Weight::Bold, INK, 16.0);
    flow.paragraph(&words.bi("docs-order-command"), command, Align::Center);
    flow.gap(4.0);
    for text in words.each("docs-order-admit", &[("year", year.to_string())]) {
        flow.paragraph(&text, BODY, Align::Left);
    }

    let total: usize = o.classes.iter().map(|c| c.children.len()).sum();
    let language_label = words.bi("docs-field-language");
    let class_total_label = words.bi("docs-order-class-total");
    for class in &o.classes {
        let name = words.bi_args("docs-order-class", &[("class", value(&class.name))]);
        let title = format!("{name} · {language_label}: {}", value(&class.language));
        flow.section(&title);
        for (i, child) in class.children.iter().enumerate() {
            flow.numbered(i + 1, &person(child), BODY);
        }
        flow.end_section();
        let count = format!("{class_total_label}: {}", class.children.len());
        flow.paragraph(
            &count,
            Style::new(9.0, Weight::Regular, MUTED, 14.0),
            Align::Left,
        );
    }
    flow.gap(10.0);
    if total == 0 {
        flow.paragraph(&words.bi("docs-order-no-children"), BODY, Align::Left);
    } else {
        let line = format!("{}: {total}", words.bi("docs-order-total"));
        flow.paragraph(&line, BODY_BOLD, Align::Left);
    }
    flow.gap(10.0);

    flow.field(
        &words.bi("docs-field-director"),
        &person(&o.director),
        BODY_BOLD,
    );
    signature_stamp(&mut flow, &words, o.signature.as_ref());

    let info = Info {
        title,
        created: o.date.and_hms_opt(0, 0, 0).unwrap_or_default(),
    };
    finish(flow, &words, &o.verification, &qr, info)
}

fn person(name: &PersonName) -> String {
    value(&name.full())
}

fn application_fields(
    flow: &mut super::layout::Flow<'_>,
    words: &Words<'_>,
    number: &str,
    submitted_at: chrono::NaiveDateTime,
) {
    flow.field(
        &words.bi("docs-field-application-number"),
        &value(number),
        BODY,
    );
    flow.field(
        &words.bi("docs-field-submitted-at"),
        &date_time(submitted_at),
        BODY,
    );
}

fn child_and_applicant(
    flow: &mut super::layout::Flow<'_>,
    words: &Words<'_>,
    child: &Child,
    applicant: &PersonName,
) {
    flow.field(
        &words.bi("docs-field-child"),
        &person(&child.name),
        BODY_BOLD,
    );
    flow.field(&words.bi("docs-field-child-iin"), &value(&child.iin), BODY);
    flow.field(&words.bi("docs-field-applicant"), &person(applicant), BODY);
}
