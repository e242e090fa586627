//! Parse + verify of a TD1 and a TD3, and repair of a line with two OCR
//! confusions.
//!
//! ```text
//! cargo bench -p kyc-mrz --bench mrz -- --warm-up-time 1 --measurement-time 5
//! ```

use criterion::{criterion_group, criterion_main, Criterion};
use kyc_mrz::{parse, Date, ParseOptions};
use std::hint::black_box;

const TD1: [&str; 3] = [
    "I<UTOD231458907<<<<<<<<<<<<<<<",
    "7408122F1204159UTO<<<<<<<<<<<6",
    "ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
];

const TD3: [&str; 2] = [
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
    "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
];

/// TD3 line 2 with two confusions: `O` for `0` in the birth date and `Z`
/// for `2` in the expiry date.
const TD3_TWO_CONFUSIONS: [&str; 2] = [
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
    "L898902C36UTO74O8122F1Z04159ZE184226B<<<<<10",
];

fn benches(c: &mut Criterion) {
    let options = ParseOptions::new(Date::new(2026, 11, 23).expect("valid date"));

    // Sanity: what is measured is what it claims to be.
    let r = parse(&TD1, &options).expect("TD1 parses");
    assert!(r.valid && r.repairs.is_empty());
    let r = parse(&TD3, &options).expect("TD3 parses");
    assert!(r.valid && r.repairs.is_empty());
    let r = parse(&TD3_TWO_CONFUSIONS, &options).expect("parses");
    assert!(r.valid && r.repairs.len() == 2, "{:?}", r.repairs);

    c.bench_function("parse_verify_td1", |b| {
        b.iter(|| parse(black_box(&TD1), black_box(&options)))
    });
    c.bench_function("parse_verify_td3", |b| {
        b.iter(|| parse(black_box(&TD3), black_box(&options)))
    });
    c.bench_function("repair_td3_two_confusions", |b| {
        b.iter(|| parse(black_box(&TD3_TWO_CONFUSIONS), black_box(&options)))
    });
}

criterion_group!(mrz, benches);
criterion_main!(mrz);
