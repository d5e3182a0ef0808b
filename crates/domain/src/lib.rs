//! The rules of Mektep, the e-service through which a Kazakh city accepts applications for
//! admission to school (first grade above all): what counts as a valid IIN, BIN, phone,
//! e-mail or name; which days are working days and when the receipt (қолхат / расписка) is due;
//! what a campaign allows and which documents it requires of whom; which children may enter
//! first grade; how an application (өтініш / заявление) moves between states; and who gets the
//! places of a school and in which class.
//!
//! This crate is the pure core. It does no I/O, no async, knows no database and no HTTP, and
//! reads no clock: callers pass dates and times in. That keeps every rule testable with plain
//! tables and lets the web, store and document crates share one meaning of each rule.
//! User-facing text is never here: errors and outcomes expose Fluent message keys whose texts
//! live in `locales/{kk,ru,en}/domain.ftl`.

pub mod allocation;
pub mod application;
pub mod calendar;
pub mod campaign;
mod codes;
pub mod eligibility;
pub mod ids;
pub mod redact;

pub use codes::{MessageArg, UnknownCode};
