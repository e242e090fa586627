fn main() {
    let args: Vec<String> = std::env::args().collect();
    let img = kyc_face::load_image(std::path::Path::new(&args[1]), &kyc_face::DecodeLimits::default()).unwrap();
    img.save(&args[2]).unwrap();
}
