//! Issuing-state and nationality codes: ISO 3166-1 alpha-3 plus the codes
//! ICAO Doc 9303 Part 3 adds (`D` for Germany, British nationality classes,
//! organisations, stateless persons and refugees) and the `UTO` specimen code.

/// The 249 ISO 3166-1 alpha-3 country codes (sorted).
pub const ISO_3166_ALPHA3: &[&str] = &[
    "ABW", "AFG", "AGO", "AIA", "ALA", "ALB", "AND", "ARE", "ARG", "ARM", "ASM", "ATA", "ATF",
    "ATG", "AUS", "AUT", "AZE", "BDI", "BEL", "BEN", "BES", "BFA", "BGD", "BGR", "BHR", "BHS",
    "BIH", "BLM", "BLR", "BLZ", "BMU", "BOL", "BRA", "BRB", "BRN", "BTN", "BVT", "BWA", "CAF",
    "CAN", "CCK", "CHE", "CHL", "CHN", "CIV", "CMR", "COD", "COG", "COK", "COL", "COM", "CPV",
    "CRI", "CUB", "CUW", "CXR", "CYM", "CYP", "CZE", "DEU", "DJI", "DMA", "DNK", "DOM", "DZA",
    "ECU", "EGY", "ERI", "ESH", "ESP", "EST", "ETH", "FIN", "FJI", "FLK", "FRA", "FRO", "FSM",
    "GAB", "GBR", "GEO", "GGY", "GHA", "GIB", "GIN", "GLP", "GMB", "GNB", "GNQ", "GRC", "GRD",
    "GRL", "GTM", "GUF", "GUM", "GUY", "HKG", "HMD", "HND", "HRV", "HTI", "HUN", "IDN", "IMN",
    "IND", "IOT", "IRL", "IRN", "IRQ", "ISL", "ISR", "ITA", "JAM", "JEY", "JOR", "JPN", "KAZ",
    "KEN", "KGZ", "KHM", "KIR", "KNA", "KOR", "KWT", "LAO", "LBN", "LBR", "LBY", "LCA", "LIE",
    "LKA", "LSO", "LTU", "LUX", "LVA", "MAC", "MAF", "MAR", "MCO", "MDA", "MDG", "MDV", "MEX",
    "MHL", "MKD", "MLI", "MLT", "MMR", "MNE", "MNG", "MNP", "MOZ", "MRT", "MSR", "MTQ", "MUS",
    "MWI", "MYS", "MYT", "NAM", "NCL", "NER", "NFK", "NGA", "NIC", "NIU", "NLD", "NOR", "NPL",
    "NRU", "NZL", "OMN", "PAK", "PAN", "PCN", "PER", "PHL", "PLW", "PNG", "POL", "PRI", "PRK",
    "PRT", "PRY", "PSE", "PYF", "QAT", "REU", "ROU", "RUS", "RWA", "SAU", "SDN", "SEN", "SGP",
    "SGS", "SHN", "SJM", "SLB", "SLE", "SLV", "SMR", "SOM", "SPM", "SRB", "SSD", "STP", "SUR",
    "SVK", "SVN", "SWE", "SWZ", "SXM", "SYC", "SYR", "TCA", "TCD", "TGO", "THA", "TJK", "TKL",
    "TKM", "TLS", "TON", "TTO", "TUN", "TUR", "TUV", "TWN", "TZA", "UGA", "UKR", "UMI", "URY",
    "USA", "UZB", "VAT", "VCT", "VEN", "VGB", "VIR", "VNM", "VUT", "WLF", "WSM", "YEM", "ZAF",
    "ZMB", "ZWE",
];

/// Codes that ICAO Doc 9303 Part 3 (section 5) uses in addition to ISO 3166-1,
/// plus `RKS` (Kosovo, used on its passports) and `UTO` (Utopia, the ICAO specimen state).
///
/// * `D` Germany (written `D<<` in the MRZ);
/// * `GBD`, `GBN`, `GBO`, `GBP`, `GBS`: British nationality classes;
/// * `UNO`, `UNA`, `UNK`: United Nations, its agencies, UNMIK (Kosovo);
/// * `EUE`: European Union; `XPO`: Interpol; `XOM`: Sovereign Military Order of Malta;
/// * `XBA`, `XIM`, `XCC`, `XCE`, `XCO`, `XDC`, `XEC`, `XES`, `XMP`: other organisations
///   (African Development Bank, Afreximbank, CARICOM, Council of Europe, COMESA, SADC,
///   ECOWAS, OECS, Parliamentary Assembly of the Mediterranean);
/// * `XXA` stateless, `XXB` refugee (1951 Convention), `XXC` other refugee, `XXX` unspecified.
pub const ICAO_SPECIAL: &[&str] = &[
    "D", "EUE", "GBD", "GBN", "GBO", "GBP", "GBS", "RKS", "UNA", "UNK", "UNO", "UTO", "XBA", "XCC",
    "XCE", "XCO", "XDC", "XEC", "XES", "XIM", "XMP", "XOM", "XPO", "XXA", "XXB", "XXC", "XXX",
];

/// Whether `code` is a valid issuing-state / nationality code: an ISO 3166-1
/// alpha-3 code or an ICAO special code, upper case, with MRZ fillers already
/// trimmed (`"D"`, not `"D<<"`).
///
/// ```
/// use kyc_mrz::codes::is_valid_state_code;
/// assert!(is_valid_state_code("KHM"));
/// assert!(is_valid_state_code("UTO"));
/// assert!(is_valid_state_code("D"));
/// assert!(!is_valid_state_code("UT0"));
/// assert!(!is_valid_state_code("khm"));
/// ```
pub fn is_valid_state_code(code: &str) -> bool {
    match key(code.as_bytes()) {
        Some(k) => VALID[k / 64] & (1 << (k % 64)) != 0,
        None => false,
    }
}

/// Codes are 1-3 letters: a base-27 number of three symbols (A-Z = 0-25,
/// 26 for an absent trailing letter).
const KEYS: usize = 27 * 27 * 27;

const fn key(code: &[u8]) -> Option<usize> {
    if code.is_empty() || code.len() > 3 {
        return None;
    }
    let mut k = 0;
    let mut i = 0;
    while i < 3 {
        let symbol = if i < code.len() {
            if !code[i].is_ascii_uppercase() {
                return None;
            }
            (code[i] - b'A') as usize
        } else {
            26
        };
        k = k * 27 + symbol;
        i += 1;
    }
    Some(k)
}

/// A bit per possible code, set for the codes of both lists (built at compile time).
static VALID: [u64; KEYS.div_ceil(64)] = {
    let mut bits = [0u64; KEYS.div_ceil(64)];
    let lists: [&[&str]; 2] = [ISO_3166_ALPHA3, ICAO_SPECIAL];
    let mut l = 0;
    while l < lists.len() {
        let mut i = 0;
        while i < lists[l].len() {
            match key(lists[l][i].as_bytes()) {
                Some(k) => bits[k / 64] |= 1 << (k % 64),
                None => panic!("state code lists hold 1-3 upper-case letters"),
            }
            i += 1;
        }
        l += 1;
    }
    bits
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_sorted_unique_and_complete() {
        assert_eq!(ISO_3166_ALPHA3.len(), 249);
        assert!(ISO_3166_ALPHA3.windows(2).all(|w| w[0] < w[1]));
        assert!(ICAO_SPECIAL.windows(2).all(|w| w[0] < w[1]));
        for c in ISO_3166_ALPHA3 {
            assert_eq!(c.len(), 3);
            assert!(c.bytes().all(|b| b.is_ascii_uppercase()));
            assert!(!ICAO_SPECIAL.contains(c), "{c} listed twice");
        }
    }

    #[test]
    fn lookup_matches_the_lists() {
        // Every 1-3 letter code (and some non-codes) against a linear search.
        let letters: Vec<char> = ('A'..='Z').collect();
        let mut n = 0;
        for a in &letters {
            for b in std::iter::once(None).chain(letters.iter().map(Some)) {
                for c in std::iter::once(None).chain(letters.iter().map(Some)) {
                    if b.is_none() && c.is_some() {
                        continue;
                    }
                    let code: String = [Some(a), b, c].into_iter().flatten().collect();
                    let listed = ISO_3166_ALPHA3.contains(&code.as_str())
                        || ICAO_SPECIAL.contains(&code.as_str());
                    assert_eq!(is_valid_state_code(&code), listed, "{code}");
                    n += usize::from(listed);
                }
            }
        }
        assert_eq!(n, ISO_3166_ALPHA3.len() + ICAO_SPECIAL.len());
        for bad in ["", "KHMM", "K<M", "kHM", "1BC", "ÄBC", "AB\0"] {
            assert!(!is_valid_state_code(bad), "{bad:?}");
        }
    }

    #[test]
    fn some_codes() {
        for c in [
            "KHM", "THA", "VNM", "LAO", "DEU", "D", "GBR", "XXA", "UNO", "EUE", "UTO",
        ] {
            assert!(is_valid_state_code(c), "{c}");
        }
        for c in ["", "D<<", "UT0", "BAD", "ZZZ", "KH", "KHMM", "ZIM"] {
            assert!(!is_valid_state_code(c), "{c}");
        }
    }
}
