//! A small ASN.1 DER reader and writer.
//!
//! Why our own: a signature is checked over the *original* bytes of the TBS certificate, the CRL,
//! the OCSP response data and the CMS signed attributes, so the reader hands out borrowed slices
//! of the input instead of decoded-and-re-encoded values. It never panics: every access is
//! bounds-checked and nesting is limited. Indefinite lengths (BER) are accepted only where
//! CMS producers really use them (outer CMS layers); signed data must be DER anyway.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};

/// A DER decoding failure; `'static` text because it names the structure, never user data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DerError(pub &'static str);

impl std::fmt::Display for DerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

pub type DerResult<T> = Result<T, DerError>;

pub mod tag {
    pub const BOOLEAN: u8 = 0x01;
    pub const INTEGER: u8 = 0x02;
    pub const BIT_STRING: u8 = 0x03;
    pub const OCTET_STRING: u8 = 0x04;
    pub const NULL: u8 = 0x05;
    pub const OID: u8 = 0x06;
    pub const ENUMERATED: u8 = 0x0a;
    pub const UTF8_STRING: u8 = 0x0c;
    pub const PRINTABLE_STRING: u8 = 0x13;
    pub const T61_STRING: u8 = 0x14;
    pub const IA5_STRING: u8 = 0x16;
    pub const UTC_TIME: u8 = 0x17;
    pub const GENERALIZED_TIME: u8 = 0x18;
    pub const VISIBLE_STRING: u8 = 0x1a;
    pub const UNIVERSAL_STRING: u8 = 0x1c;
    pub const BMP_STRING: u8 = 0x1e;
    pub const SEQUENCE: u8 = 0x30;
    pub const SET: u8 = 0x31;
    /// Context-specific constructed `[n]`.
    pub const fn ctx(n: u8) -> u8 {
        0xa0 | n
    }
    /// Context-specific primitive `[n]`.
    pub const fn ctx_prim(n: u8) -> u8 {
        0x80 | n
    }
}

const MAX_DEPTH: usize = 24;

/// One decoded TLV: `value` is the content, `raw` the whole element as it appeared.
#[derive(Debug, Clone, Copy)]
pub struct Tlv<'a> {
    pub tag: u8,
    pub value: &'a [u8],
    pub raw: &'a [u8],
    /// Whether the element used the BER indefinite-length form.
    pub indefinite: bool,
}

impl<'a> Tlv<'a> {
    pub fn reader(&self) -> Reader<'a> {
        Reader::new(self.value)
    }

    pub fn is_constructed(&self) -> bool {
        self.tag & 0x20 != 0
    }

    /// Content of an OCTET STRING, joining the pieces of a BER constructed one.
    pub fn octets(&self) -> DerResult<Vec<u8>> {
        let mut out = Vec::new();
        collect_octets(self, &mut out, 0)?;
        Ok(out)
    }
}

fn collect_octets(tlv: &Tlv<'_>, out: &mut Vec<u8>, depth: usize) -> DerResult<()> {
    if depth > MAX_DEPTH {
        return Err(DerError("octet string nested too deeply"));
    }
    if !tlv.is_constructed() {
        out.extend_from_slice(tlv.value);
        return Ok(());
    }
    let mut r = tlv.reader();
    while !r.is_empty() {
        let part = r.read()?;
        if part.tag & 0x1f != tag::OCTET_STRING {
            return Err(DerError(
                "constructed octet string holds a non-octet-string",
            ));
        }
        collect_octets(&part, out, depth + 1)?;
    }
    Ok(())
}

/// A cursor over a sequence of TLVs.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Reader { data, pos: 0 }
    }

    pub fn is_empty(&self) -> bool {
        self.pos >= self.data.len()
    }

    pub fn peek_tag(&self) -> Option<u8> {
        self.data.get(self.pos).copied()
    }

    pub fn read(&mut self) -> DerResult<Tlv<'a>> {
        let rest = self.data.get(self.pos..).ok_or(DerError("read past end"))?;
        let (tlv, used) = parse_tlv(rest, 0)?;
        self.pos += used;
        Ok(tlv)
    }

    pub fn expect(&mut self, want: u8) -> DerResult<Tlv<'a>> {
        let t = self.read()?;
        if t.tag != want {
            return Err(DerError("unexpected tag"));
        }
        Ok(t)
    }

    /// Reads the next element only if it carries `want`.
    pub fn optional(&mut self, want: u8) -> DerResult<Option<Tlv<'a>>> {
        if self.peek_tag() == Some(want) {
            self.read().map(Some)
        } else {
            Ok(None)
        }
    }

    pub fn finish(&self) -> DerResult<()> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(DerError("trailing data"))
        }
    }

    pub fn read_oid(&mut self) -> DerResult<String> {
        let t = self.expect(tag::OID)?;
        oid_to_string(t.value)
    }

    /// INTEGER content bytes (two's complement, as encoded).
    pub fn read_integer_bytes(&mut self) -> DerResult<&'a [u8]> {
        let t = self.expect(tag::INTEGER)?;
        if t.value.is_empty() {
            return Err(DerError("empty integer"));
        }
        Ok(t.value)
    }

    pub fn read_small_uint(&mut self) -> DerResult<u64> {
        let bytes = self.read_integer_bytes()?;
        small_uint(bytes)
    }

    pub fn read_time(&mut self) -> DerResult<DateTime<Utc>> {
        let t = self.read()?;
        parse_time(&t)
    }

    /// BIT STRING content without the unused-bits octet; only whole-octet strings.
    pub fn read_bit_string_octets(&mut self) -> DerResult<&'a [u8]> {
        let t = self.expect(tag::BIT_STRING)?;
        match t.value.split_first() {
            Some((0, rest)) => Ok(rest),
            _ => Err(DerError("bit string with unused bits")),
        }
    }
}

/// Parses exactly one TLV that must span all of `data`.
pub fn parse_single(data: &[u8]) -> DerResult<Tlv<'_>> {
    let (tlv, used) = parse_tlv(data, 0)?;
    if used != data.len() {
        return Err(DerError("trailing data after element"));
    }
    Ok(tlv)
}

fn parse_tlv(data: &[u8], depth: usize) -> DerResult<(Tlv<'_>, usize)> {
    if depth > MAX_DEPTH {
        return Err(DerError("nested too deeply"));
    }
    let tag = *data.first().ok_or(DerError("missing tag"))?;
    if tag & 0x1f == 0x1f {
        return Err(DerError("high tag numbers are not used here"));
    }
    let first_len = *data.get(1).ok_or(DerError("missing length"))?;
    let (len, header) = if first_len < 0x80 {
        (first_len as usize, 2usize)
    } else if first_len == 0x80 {
        if tag & 0x20 == 0 {
            return Err(DerError("indefinite length on a primitive"));
        }
        // BER indefinite length: walk the children until the end-of-contents marker.
        let mut pos = 2usize;
        loop {
            let rest = data
                .get(pos..)
                .ok_or(DerError("truncated indefinite element"))?;
            if rest.len() >= 2 && rest[0] == 0 && rest[1] == 0 {
                let value = data.get(2..pos).ok_or(DerError("bad indefinite element"))?;
                let raw = data
                    .get(..pos + 2)
                    .ok_or(DerError("bad indefinite element"))?;
                return Ok((
                    Tlv {
                        tag,
                        value,
                        raw,
                        indefinite: true,
                    },
                    pos + 2,
                ));
            }
            let (_, used) = parse_tlv(rest, depth + 1)?;
            pos = pos.checked_add(used).ok_or(DerError("length overflow"))?;
        }
    } else {
        let n = (first_len & 0x7f) as usize;
        if n > 4 {
            return Err(DerError("length too large"));
        }
        let bytes = data.get(2..2 + n).ok_or(DerError("truncated length"))?;
        let mut len = 0usize;
        for b in bytes {
            len = (len << 8) | *b as usize;
        }
        // A length with leading zero octets, or in long form below 128, is not DER: the same
        // element could then be sent in several encodings, which no producer of ours needs.
        if bytes.first() == Some(&0) || len < 0x80 {
            return Err(DerError("non-minimal length encoding"));
        }
        (len, 2 + n)
    };
    let end = header.checked_add(len).ok_or(DerError("length overflow"))?;
    let value = data.get(header..end).ok_or(DerError("truncated element"))?;
    let raw = data.get(..end).ok_or(DerError("truncated element"))?;
    Ok((
        Tlv {
            tag,
            value,
            raw,
            indefinite: false,
        },
        end,
    ))
}

pub fn small_uint(bytes: &[u8]) -> DerResult<u64> {
    let trimmed = match bytes.split_first() {
        Some((0, rest)) => rest,
        Some((b, _)) if b & 0x80 != 0 => return Err(DerError("negative integer")),
        _ => bytes,
    };
    if trimmed.len() > 8 {
        return Err(DerError("integer too large"));
    }
    Ok(trimmed.iter().fold(0u64, |acc, b| (acc << 8) | *b as u64))
}

pub fn oid_to_string(bytes: &[u8]) -> DerResult<String> {
    if bytes.is_empty() {
        return Err(DerError("empty object identifier"));
    }
    let mut arcs: Vec<u64> = Vec::with_capacity(10);
    let mut acc: u64 = 0;
    let mut in_arc = false;
    for b in bytes {
        if acc > (u64::MAX >> 7) {
            return Err(DerError("object identifier arc too large"));
        }
        acc = (acc << 7) | (*b & 0x7f) as u64;
        in_arc = true;
        if b & 0x80 == 0 {
            if arcs.is_empty() {
                let first = (acc / 40).min(2);
                arcs.push(first);
                arcs.push(acc - first * 40);
            } else {
                arcs.push(acc);
            }
            acc = 0;
            in_arc = false;
        }
    }
    if in_arc {
        return Err(DerError("truncated object identifier"));
    }
    let parts: Vec<String> = arcs.iter().map(u64::to_string).collect();
    Ok(parts.join("."))
}

/// Decodes the character string types that appear in names; others are an error.
pub fn decode_string(t: &Tlv<'_>) -> DerResult<String> {
    match t.tag {
        tag::UTF8_STRING
        | tag::PRINTABLE_STRING
        | tag::IA5_STRING
        | tag::VISIBLE_STRING
        | tag::T61_STRING => String::from_utf8(t.value.to_vec())
            .or_else(|_| Ok(t.value.iter().map(|b| *b as char).collect())),
        tag::BMP_STRING => {
            if !t.value.len().is_multiple_of(2) {
                return Err(DerError("odd BMPString"));
            }
            let units: Vec<u16> = t
                .value
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            String::from_utf16(&units).map_err(|_| DerError("bad BMPString"))
        }
        tag::UNIVERSAL_STRING => {
            if !t.value.len().is_multiple_of(4) {
                return Err(DerError("bad UniversalString"));
            }
            t.value
                .chunks_exact(4)
                .map(|c| char::from_u32(u32::from_be_bytes([c[0], c[1], c[2], c[3]])))
                .collect::<Option<String>>()
                .ok_or(DerError("bad UniversalString"))
        }
        _ => Err(DerError("not a character string")),
    }
}

pub fn parse_time(t: &Tlv<'_>) -> DerResult<DateTime<Utc>> {
    let s = std::str::from_utf8(t.value).map_err(|_| DerError("time is not ASCII"))?;
    let (year, rest) = match t.tag {
        tag::UTC_TIME => {
            let yy: i32 = digits(s, 0, 2)?;
            (if yy < 50 { 2000 + yy } else { 1900 + yy }, s.get(2..))
        }
        tag::GENERALIZED_TIME => (digits(s, 0, 4)?, s.get(4..)),
        _ => return Err(DerError("not a time")),
    };
    let rest = rest.ok_or(DerError("short time"))?;
    let month: u32 = digits(rest, 0, 2)?;
    let day: u32 = digits(rest, 2, 4)?;
    let hour: u32 = digits(rest, 4, 6)?;
    let minute: u32 = digits(rest, 6, 8)?;
    let mut tail = rest.get(8..).ok_or(DerError("short time"))?;
    let mut second = 0u32;
    if tail.len() >= 2 && tail.as_bytes().first().is_some_and(u8::is_ascii_digit) {
        second = digits(tail, 0, 2)?;
        tail = tail.get(2..).ok_or(DerError("short time"))?;
    }
    // Fractional seconds (GeneralizedTime) carry nothing a verifier needs.
    if let Some(frac) = tail.strip_prefix('.') {
        let n = frac.bytes().take_while(u8::is_ascii_digit).count();
        tail = frac.get(n..).ok_or(DerError("bad fraction"))?;
    }
    if tail != "Z" {
        return Err(DerError("time must be in UTC (Z)"));
    }
    let date = NaiveDate::from_ymd_opt(year, month, day).ok_or(DerError("invalid date"))?;
    let dt = date
        .and_hms_opt(hour, minute, second.min(59))
        .ok_or(DerError("invalid time"))?;
    Ok(Utc.from_utc_datetime(&dt))
}

fn digits<T: std::str::FromStr>(s: &str, from: usize, to: usize) -> DerResult<T> {
    let part = s.get(from..to).ok_or(DerError("short time"))?;
    if !part.bytes().all(|b| b.is_ascii_digit()) {
        return Err(DerError("time has non-digits"));
    }
    part.parse().map_err(|_| DerError("bad number in time"))
}

// ---------------------------------------------------------------------------------------------
// Writer: just enough to build certificates, CRLs, CMS and OCSP requests in DER.

pub mod write {
    use chrono::{DateTime, Datelike, Utc};

    pub fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(content.len() + 6);
        out.push(tag);
        let len = content.len();
        if len < 0x80 {
            out.push(len as u8);
        } else {
            let bytes = len.to_be_bytes();
            let skip = bytes.iter().take_while(|b| **b == 0).count();
            out.push(0x80 | (bytes.len() - skip) as u8);
            out.extend_from_slice(&bytes[skip..]);
        }
        out.extend_from_slice(content);
        out
    }

    pub fn seq(parts: &[&[u8]]) -> Vec<u8> {
        tlv(super::tag::SEQUENCE, &parts.concat())
    }

    /// SET OF in DER order (elements sorted by their encodings).
    pub fn set_of(parts: &[&[u8]]) -> Vec<u8> {
        let mut sorted: Vec<&[u8]> = parts.to_vec();
        sorted.sort();
        tlv(super::tag::SET, &sorted.concat())
    }

    pub fn explicit(n: u8, content: &[u8]) -> Vec<u8> {
        tlv(super::tag::ctx(n), content)
    }

    pub fn oid(dotted: &str) -> Vec<u8> {
        let arcs: Vec<u64> = dotted.split('.').filter_map(|a| a.parse().ok()).collect();
        let mut body = Vec::new();
        if let [a, b, rest @ ..] = arcs.as_slice() {
            push_base128(&mut body, a * 40 + b);
            for arc in rest {
                push_base128(&mut body, *arc);
            }
        }
        tlv(super::tag::OID, &body)
    }

    fn push_base128(out: &mut Vec<u8>, mut v: u64) {
        let mut tmp = vec![(v & 0x7f) as u8];
        v >>= 7;
        while v > 0 {
            tmp.push(0x80 | (v & 0x7f) as u8);
            v >>= 7;
        }
        tmp.reverse();
        out.extend_from_slice(&tmp);
    }

    /// INTEGER from unsigned big-endian bytes.
    pub fn uint(bytes: &[u8]) -> Vec<u8> {
        let skip = bytes
            .iter()
            .take_while(|b| **b == 0)
            .count()
            .min(bytes.len().saturating_sub(1));
        let trimmed = bytes.get(skip..).unwrap_or(&[]);
        let mut body = Vec::with_capacity(trimmed.len() + 1);
        if trimmed.first().is_none_or(|b| b & 0x80 != 0) {
            body.push(0);
        }
        body.extend_from_slice(trimmed);
        if body.len() > 1 && body[0] == 0 && body[1] & 0x80 == 0 {
            body.remove(0);
        }
        tlv(super::tag::INTEGER, &body)
    }

    pub fn small_int(v: u64) -> Vec<u8> {
        uint(&v.to_be_bytes())
    }

    pub fn null() -> Vec<u8> {
        vec![super::tag::NULL, 0]
    }

    pub fn boolean(v: bool) -> Vec<u8> {
        vec![super::tag::BOOLEAN, 1, if v { 0xff } else { 0 }]
    }

    pub fn octets(content: &[u8]) -> Vec<u8> {
        tlv(super::tag::OCTET_STRING, content)
    }

    pub fn bit_string(content: &[u8]) -> Vec<u8> {
        let mut body = Vec::with_capacity(content.len() + 1);
        body.push(0);
        body.extend_from_slice(content);
        tlv(super::tag::BIT_STRING, &body)
    }

    /// BIT STRING for named bits (key usage): bit 0 is the most significant of the first octet,
    /// trailing zero bits dropped as DER wants.
    pub fn named_bits(bits: &[u8]) -> Vec<u8> {
        let Some(max) = bits.iter().copied().max() else {
            return tlv(super::tag::BIT_STRING, &[0]);
        };
        let nbytes = max as usize / 8 + 1;
        let mut bytes = vec![0u8; nbytes];
        for b in bits {
            if let Some(byte) = bytes.get_mut(*b as usize / 8) {
                *byte |= 0x80 >> (b % 8);
            }
        }
        let unused = 7 - (max % 8);
        let mut body = vec![unused];
        body.extend_from_slice(&bytes);
        tlv(super::tag::BIT_STRING, &body)
    }

    pub fn utf8(s: &str) -> Vec<u8> {
        tlv(super::tag::UTF8_STRING, s.as_bytes())
    }

    pub fn printable(s: &str) -> Vec<u8> {
        tlv(super::tag::PRINTABLE_STRING, s.as_bytes())
    }

    pub fn ia5(s: &str) -> Vec<u8> {
        tlv(super::tag::IA5_STRING, s.as_bytes())
    }

    /// UTCTime through 2049, GeneralizedTime after, as RFC 5280 asks.
    pub fn time(t: DateTime<Utc>) -> Vec<u8> {
        if (1950..2050).contains(&t.year()) {
            utc_time(t)
        } else {
            generalized_time(t)
        }
    }

    pub fn utc_time(t: DateTime<Utc>) -> Vec<u8> {
        tlv(
            super::tag::UTC_TIME,
            t.format("%y%m%d%H%M%SZ").to_string().as_bytes(),
        )
    }

    pub fn generalized_time(t: DateTime<Utc>) -> Vec<u8> {
        tlv(
            super::tag::GENERALIZED_TIME,
            t.format("%Y%m%d%H%M%SZ").to_string().as_bytes(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oid_round_trip() {
        for oid in [
            "1.2.840.113549.1.1.11",
            "2.5.4.3",
            "1.2.398.3.3.4.1.2.1",
            "2.16.840.1.101.3.4.2.1",
        ] {
            let enc = write::oid(oid);
            let t = parse_single(&enc).unwrap();
            assert_eq!(oid_to_string(t.value).unwrap(), oid);
        }
    }

    #[test]
    fn lengths_round_trip() {
        for n in [0usize, 1, 127, 128, 255, 256, 65535, 70000] {
            let enc = write::octets(&vec![7u8; n]);
            let t = parse_single(&enc).unwrap();
            assert_eq!(t.value.len(), n);
        }
    }

    #[test]
    fn uint_encoding_is_minimal_and_positive() {
        assert_eq!(write::uint(&[0, 0, 1]), vec![2, 1, 1]);
        assert_eq!(write::uint(&[0x80]), vec![2, 2, 0, 0x80]);
        assert_eq!(write::uint(&[]), vec![2, 1, 0]);
        assert_eq!(write::small_int(0), vec![2, 1, 0]);
    }

    #[test]
    fn times_parse() {
        let t = parse_single(b"\x17\x0d200909200313Z").unwrap();
        assert_eq!(
            parse_time(&t).unwrap().to_rfc3339(),
            "2020-09-09T20:03:13+00:00"
        );
        let g = parse_single(b"\x18\x13" as &[u8]);
        assert!(g.is_err());
        let g = write::generalized_time(parse_time(&t).unwrap());
        let back = parse_time(&parse_single(&g).unwrap()).unwrap();
        assert_eq!(back.to_rfc3339(), "2020-09-09T20:03:13+00:00");
    }

    #[test]
    fn indefinite_length_is_walked() {
        // SEQUENCE (indefinite) { OCTET STRING "ab" } EOC
        let data = [0x30, 0x80, 0x04, 0x02, b'a', b'b', 0, 0];
        let t = parse_single(&data).unwrap();
        assert!(t.indefinite);
        assert_eq!(t.value, &[0x04, 0x02, b'a', b'b']);
    }

    #[test]
    fn garbage_is_an_error() {
        for data in [
            &[][..],
            &[0x30],
            &[0x30, 0x85, 1, 1, 1, 1, 1],
            &[0x30, 0x05, 1],
            &[0x1f, 0x01, 0],
            &[0x30, 0x80, 0x04, 0x01],
            // Non-minimal lengths: long form below 128, and a leading zero octet.
            &[0x04, 0x81, 0x01, 0],
            &[0x04, 0x82, 0x00, 0x80],
        ] {
            assert!(parse_single(data).is_err(), "{data:?}");
        }
    }
}
