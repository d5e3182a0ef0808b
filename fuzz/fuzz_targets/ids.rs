//! The identifiers parents and staff type (IIN, BIN, phone, e-mail, names): none panics, and
//! whatever is accepted is canonical, i.e. parsing its own text gives the same value back.
#![no_main]

use domain::ids::{Bin, Email, Iin, PersonName, Phone};
use libfuzzer_sys::fuzz_target;

macro_rules! round_trip {
    ($ty:ty, $text:expr) => {
        if let Ok(value) = <$ty>::parse($text) {
            let again = <$ty>::parse(value.as_str()).unwrap_or_else(|e| {
                panic!(
                    "{} {:?} does not parse again: {e:?}",
                    stringify!($ty),
                    value.as_str()
                )
            });
            assert_eq!(
                again.as_str(),
                value.as_str(),
                "{} is not canonical",
                stringify!($ty)
            );
        }
    };
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    round_trip!(Iin, text);
    round_trip!(Bin, text);
    round_trip!(Phone, text);
    round_trip!(Email, text);
    round_trip!(PersonName, text);
    if let Ok(iin) = Iin::parse(text) {
        let _ = iin.birth_date();
        let _ = iin.sex();
    }
});
