//! Input forms: DER, base64 (NCALayer's `createCMSSignatureFromBase64`) and PEM
//! (`-----BEGIN CMS-----`, what `kz.gov.pki.knca.basics` returns).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::error::{VerifyError, malformed};

/// Returns the DER of a CMS given as DER, base64 (whitespace allowed) or PEM.
pub fn parse_cms_input(input: &[u8]) -> Result<Vec<u8>, VerifyError> {
    // DER is taken as is: its last byte may well look like whitespace.
    if input.first() == Some(&0x30) {
        return Ok(input.to_vec());
    }
    let trimmed = trim_ascii(input);
    if trimmed.starts_with(b"-----BEGIN") {
        let blocks = pem_blocks(trimmed, "");
        return match blocks.into_iter().next() {
            Some(der) => Ok(der),
            None => Err(malformed("PEM without a readable block")),
        };
    }
    decode_base64(trimmed).ok_or_else(|| malformed("neither DER, PEM nor base64"))
}

fn trim_ascii(data: &[u8]) -> &[u8] {
    let start = data
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(data.len());
    let end = data
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    data.get(start..end).unwrap_or(&[])
}

/// Base64 with any ASCII whitespace (and the `\n` escapes of a JSON-quoted string) removed.
pub fn decode_base64(data: &[u8]) -> Option<Vec<u8>> {
    // NCALayer's answer arrives as one unbroken line: it is decoded as it is, without the copies
    // that cleaning takes (they were a tenth of checking a signature). Any byte that is not
    // base64 still fails the decoding, as it would after cleaning.
    if !data.is_empty() && !data.iter().any(|b| b.is_ascii_whitespace() || *b == b'\\') {
        return STANDARD.decode(data).ok();
    }
    let text = std::str::from_utf8(data).ok()?;
    let cleaned: String = text
        .replace("\\n", "")
        .replace("\\r", "")
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    if cleaned.is_empty() {
        return None;
    }
    STANDARD.decode(cleaned.as_bytes()).ok()
}

/// Decodes every PEM block whose label contains `label` (empty: any label).
pub fn pem_blocks(data: &[u8], label: &str) -> Vec<Vec<u8>> {
    let Ok(text) = std::str::from_utf8(data) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("-----BEGIN ") {
        let after = &rest[start + 11..];
        let Some(label_end) = after.find("-----") else {
            break;
        };
        let this_label = &after[..label_end];
        let body_start = &after[label_end + 5..];
        let end_marker = format!("-----END {this_label}-----");
        let Some(body_end) = body_start.find(&end_marker) else {
            break;
        };
        if (label.is_empty() || this_label.contains(label))
            && let Some(der) = decode_base64(&body_start.as_bytes()[..body_end])
        {
            out.push(der);
        }
        rest = &body_start[body_end + end_marker.len()..];
    }
    out
}

/// PEM-encodes DER with 64-column lines.
pub fn to_pem(label: &str, der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_der_base64_and_pem() {
        let der = vec![0x30, 0x03, 0x02, 0x01, 0x05];
        let b64 = STANDARD.encode(&der);
        let spaced = format!(" {}\r\n{} ", &b64[..3], &b64[3..]);
        let pem = to_pem("CMS", &der);
        for input in [
            der.clone(),
            b64.into_bytes(),
            spaced.into_bytes(),
            pem.into_bytes(),
        ] {
            assert_eq!(parse_cms_input(&input).unwrap(), der);
        }
    }

    #[test]
    fn der_ending_in_a_whitespace_byte_is_kept_whole() {
        let der = vec![0x30, 0x03, 0x04, 0x01, b'\n'];
        assert_eq!(parse_cms_input(&der).unwrap(), der);
    }

    #[test]
    fn base64_is_decoded_whole_broken_into_lines_or_with_json_escapes() {
        let der: Vec<u8> = (0..=255u8).collect();
        let b64 = STANDARD.encode(&der);
        let lines = format!("{}\n{}\r\n{}", &b64[..76], &b64[76..152], &b64[152..]);
        let escaped = format!("{}\\n{}\\r\\n{}", &b64[..76], &b64[76..152], &b64[152..]);
        for input in [&b64, &lines, &escaped] {
            assert_eq!(
                decode_base64(input.as_bytes()),
                Some(der.clone()),
                "{input}"
            );
        }
        // A stray backslash, a byte of another alphabet or a lone escape is not base64.
        for bad in [
            format!("{}\\x", &b64[..8]),
            format!("{}é", &b64[..8]),
            "\\n".into(),
        ] {
            assert_eq!(decode_base64(bad.as_bytes()), None, "{bad}");
        }
        assert_eq!(decode_base64(&[0xff, 0xfe, b'A']), None);
    }

    #[test]
    fn refuses_garbage() {
        for input in [&b""[..], b"   ", b"!!!", b"-----BEGIN CMS-----\nzz"] {
            assert!(matches!(
                parse_cms_input(input),
                Err(VerifyError::Malformed(_))
            ));
        }
    }
}
