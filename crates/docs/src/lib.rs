//! Official documents of the Mektep service, rendered to bytes.
//!
//! The service hands a parent a **receipt** (қолхат / расписка) when the school accepts the
//! documents, a **reasoned refusal** (дәлелді бас тарту / мотивированный отказ) when it does not,
//! and the director signs an **admission order** (бұйрық / приказ) for the new academic year.
//! This crate turns plain data into those PDF documents — A4, bilingual Kazakh/Russian, with an
//! embedded font that has every Kazakh letter and a QR code that leads to the public verification
//! page. It also renders QR codes as SVG for web pages, report tables as CSV and XLSX, and report
//! charts as accessible SVG.
//!
//! It is a pure, synchronous library: no database, no HTTP, no clock. Callers pass data structs
//! ([`ReceiptData`], [`RefusalData`], [`AdmissionOrderData`], [`Table`]) and get bytes or strings
//! back. Every label printed on a document comes from a [`Translate`] implementation (the web
//! crate's Fluent bundle, keys in `locales/{kk,ru,en}/docs.ftl`), never from this code.
//!
//! Input a user controls (names, grounds, list lengths) never panics the renderer: long values wrap,
//! absurdly long values are cut with an ellipsis, long lists flow onto further pages.

mod chart;
mod error;
mod i18n;
mod model;
mod pdf;
mod qr;
mod table;
mod text;

pub use chart::{ChartOptions, bar_chart_svg, line_chart_svg};
pub use error::DocsError;
pub use i18n::{DOCUMENT_LANGUAGES, Translate};
pub use model::{
    AdmissionOrderData, Child, EdsSignature, OrderClass, PersonName, ReceiptData, RefusalData,
    School, Verification,
};
pub use pdf::{render_admission_order, render_receipt, render_refusal};
pub use qr::qr_svg;
pub use table::{Cell, Table, to_csv, to_xlsx};
