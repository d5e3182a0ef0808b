//! Personal data out of free text that goes to logs: error messages of mail servers, SMS
//! gateways and libraries may echo an address, a phone number or an IIN. Names cannot be
//! recognised in free text, so code never puts them into such text in the first place.

/// Replaces e-mail addresses with `***@***` and any run of digits (with the spaces, dashes,
/// brackets and `+` that phone numbers are written with) holding 10 or more digits — IINs,
/// BINs, phone numbers — with `***`.
pub fn personal_data(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, token) in text.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(&email_free(token));
    }
    long_numbers_free(&out)
}

fn email_free(token: &str) -> String {
    let Some(at) = token.find('@') else {
        return token.to_owned();
    };
    let is_part = |c: char| c.is_alphanumeric() || "._%+-".contains(c);
    let start = token[..at]
        .char_indices()
        .rev()
        .take_while(|(_, c)| is_part(*c))
        .last()
        .map_or(at, |(i, _)| i);
    let end = token[at + 1..]
        .char_indices()
        .take_while(|(_, c)| is_part(*c))
        .last()
        .map_or(at + 1, |(i, c)| at + 1 + i + c.len_utf8());
    if start == at || end == at + 1 {
        return token.to_owned();
    }
    format!("{}***@***{}", &token[..start], email_free(&token[end..]))
}

fn long_numbers_free(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let joiner = |c: char| " -()+".contains(c);
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() && chars[i] != '+' {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        // The longest run of digits and joiners from here, ending on a digit.
        let mut j = i;
        let mut last_digit = None;
        let mut digits = 0;
        while j < chars.len() && (chars[j].is_ascii_digit() || joiner(chars[j])) {
            if chars[j].is_ascii_digit() {
                digits += 1;
                last_digit = Some(j);
            }
            j += 1;
        }
        match last_digit {
            Some(end) if digits >= 10 => {
                out.push_str("***");
                i = end + 1;
            }
            _ => {
                out.push(chars[i]);
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::personal_data;

    #[test]
    fn addresses_phones_and_iins_are_removed() {
        assert_eq!(
            personal_data("550 5.1.1 <aigerim.a@example.kz>: Recipient address rejected"),
            "550 5.1.1 <***@***>: Recipient address rejected"
        );
        assert_eq!(
            personal_data("gateway refused +7 701 111 22 33 (blocked)"),
            "gateway refused *** (blocked)"
        );
        assert_eq!(
            personal_data("number 77011112233, IIN 900512400123."),
            "number ***, IIN ***."
        );
        // Short numbers (codes, counts, ports) stay.
        assert_eq!(
            personal_data("error 421 after 3 tries on port 587"),
            "error 421 after 3 tries on port 587"
        );
        assert_eq!(personal_data("a@b"), "***@***");
        assert_eq!(personal_data("no at sign @ here"), "no at sign @ here");
    }
}
