use image::RgbImage;
use kyc_liveness::*;
fn main() {
    let imgs: Vec<RgbImage> = (0..10).map(|i| RgbImage::from_pixel(64, 48, image::Rgb([i as u8 * 4, 0, 0]))).collect();
    let times: Vec<f64> = (0..10).map(|i| i as f64 * 50.0).collect();
    let mut b = encode_video(times.iter().copied().zip(imgs.iter()), &EncodeOptions::new(Container::Gif, VideoCodec::Gif)).unwrap();
    println!("{:?}", &b[..16]);
    b[6..10].copy_from_slice(&[0xFF, 0xFF, 0xFF, 0xFF]);
    println!("{:?}", probe(&b, &DecodeOptions::default()));
}
