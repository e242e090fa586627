//! ICAO 9303 check digits (Part 3, section 4.9): weights 7-3-1 repeating,
//! `<` = 0, `0`-`9` = their value, `A`-`Z` = 10-35, sum modulo 10.

/// The ICAO value of one MRZ character, or `None` for a character outside `A-Z0-9<`.
#[inline]
pub(crate) fn char_value(c: u8) -> Option<u32> {
    match c {
        b'0'..=b'9' => Some(u32::from(c - b'0')),
        b'A'..=b'Z' => Some(u32::from(c - b'A') + 10),
        b'<' => Some(0),
        _ => None,
    }
}

const WEIGHTS: [u32; 3] = [7, 3, 1];

/// Check digit (0-9) of a byte sequence; `None` if a byte is outside `A-Z0-9<`.
pub(crate) fn check_digit_bytes<'a, I>(bytes: I) -> Option<u8>
where
    I: IntoIterator<Item = &'a u8>,
{
    let mut sum: u32 = 0;
    for (i, &c) in bytes.into_iter().enumerate() {
        sum += char_value(c)? * WEIGHTS[i % 3];
    }
    // `sum % 10` is below 10, so the cast cannot truncate.
    Some((sum % 10) as u8)
}

/// The ICAO 9303 check digit (0-9) of an MRZ field.
///
/// Characters are weighted 7, 3, 1, 7, 3, 1, …; `<` counts 0, digits their
/// value and `A`-`Z` 10-35. Returns `None` if a character is outside
/// `A-Z0-9<` (lower case is *not* accepted here: normalise first).
///
/// ```
/// assert_eq!(kyc_mrz::check_digit("L898902C3"), Some(6));
/// assert_eq!(kyc_mrz::check_digit("740812"), Some(2));
/// assert_eq!(kyc_mrz::check_digit("<<<"), Some(0));
/// assert_eq!(kyc_mrz::check_digit("ab"), None);
/// ```
pub fn check_digit(field: &str) -> Option<u8> {
    let mut sum: u32 = 0;
    for (i, c) in field.chars().enumerate() {
        let v = u8::try_from(c).ok().and_then(char_value)?;
        sum += v * WEIGHTS[i % 3];
    }
    Some((sum % 10) as u8)
}

/// The check digit of `bytes` as an ASCII digit.
pub(crate) fn check_char(bytes: &[u8]) -> Option<u8> {
    check_digit_bytes(bytes).map(|d| b'0' + d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn icao_examples() {
        assert_eq!(check_digit("L898902C3"), Some(6));
        assert_eq!(check_digit("D23145890"), Some(7));
        assert_eq!(check_digit("740812"), Some(2));
        assert_eq!(check_digit("120415"), Some(9));
        assert_eq!(check_digit("ZE184226B<<<<<"), Some(1));
        assert_eq!(check_digit(""), Some(0));
        assert_eq!(check_digit("D23145890734"), Some(9));
    }

    #[test]
    fn rejects_outside_alphabet() {
        assert_eq!(check_digit("a"), None);
        assert_eq!(check_digit("É"), None);
        assert_eq!(check_digit("12-3"), None);
        assert_eq!(check_char(b"12 3"), None);
    }

    #[test]
    fn values() {
        assert_eq!(char_value(b'<'), Some(0));
        assert_eq!(char_value(b'A'), Some(10));
        assert_eq!(char_value(b'Z'), Some(35));
        assert_eq!(char_value(b'9'), Some(9));
        assert_eq!(char_value(b'a'), None);
    }
}
