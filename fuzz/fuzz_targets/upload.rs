//! An uploaded file as the server types and cleans it: the format from the first bytes
//! (domain's `check_upload`, as routes/application.rs calls it), then the image decoded with
//! limits and cleaned, or the PDF checked for scripts and embedded files (crates/web/src/images.rs
//! and pdf_check.rs, compiled here as they are, so the fuzzer does not build the whole web stack).
#![no_main]

use domain::campaign::AttachmentLimits;
use libfuzzer_sys::fuzz_target;

#[path = "../../crates/web/src/images.rs"]
#[allow(dead_code)]
mod images;
#[path = "../../crates/web/src/pdf_check.rs"]
#[allow(dead_code)]
mod pdf_check;

fuzz_target!(|data: &[u8]| {
    let limits = AttachmentLimits::default();
    let Ok(format) = limits.check_upload(&data[..data.len().min(64)], data.len() as u64, 0) else {
        return;
    };
    // The last byte decides whether the slot is the 3×4 photo (the shape check).
    let is_photo = data.last().is_some_and(|b| b & 1 == 1);
    let _ = images::clean(format, data.to_vec(), is_photo);
});
