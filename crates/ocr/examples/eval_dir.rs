//! Development aid: the MRZ evaluation over a folder (as `kyc eval ocr`),
//! printing one line per image. Usage: `eval_dir DIR [FILE_SUBSTRING]`.
use kyc_ocr::eval::{evaluate_one, load_cases, summarize};
use kyc_ocr::MrzReader;
use std::path::PathBuf;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = PathBuf::from(&args[1]);
    let filter = args.get(2).cloned().unwrap_or_default();
    let model_dir =
        PathBuf::from(std::env::var("KYC_MODEL_DIR").unwrap_or_else(|_| "models".into()));
    let mut reader = MrzReader::new(&model_dir).expect("model");
    let mut rows = Vec::new();
    for case in load_cases(&dir).expect("csv") {
        if !case.file.contains(&filter) {
            continue;
        }
        let bytes = std::fs::read(dir.join("images").join(&case.file)).expect("image");
        let row = evaluate_one(&mut reader, &bytes, &case, kyc_mrz::Date::today_utc());
        println!(
            "{:40} found {:5} exact {:5} acc {:5} fa {:5} {:7.0} ms c{} {}",
            row.file,
            row.found,
            row.exact,
            row.accepted,
            row.false_accept,
            row.ms,
            row.candidates,
            row.error.clone().unwrap_or_default()
        );
        rows.push(row);
    }
    println!("{:?}", summarize(&rows));
}
