//! End-to-end checks on clips rendered by the generator from the fixture photo (the models
//! and fixtures come from `KYC_MODEL_DIR` / `KYC_FIXTURE_DIR`, set by `.cargo/config.toml`).

use std::path::PathBuf;
use std::sync::OnceLock;

use image::RgbImage;
use kyc_face::{FaceConfig, FaceModels};
use kyc_liveness::analyze::analyze_video;
use kyc_liveness::generate::{render_clip, ClipSpec, FaceBox};
use kyc_liveness::{
    check_liveness, Action, AnalysisConfig, CheckOptions, DecodeError, FailureReason,
    LivenessError, PASS_THRESHOLD,
};

use Action::{Nod, TurnLeft, TurnRight};

fn models() -> &'static FaceModels {
    static M: OnceLock<FaceModels> = OnceLock::new();
    M.get_or_init(|| {
        FaceModels::open(
            None,
            FaceConfig {
                workers: 1,
                ..FaceConfig::default()
            },
        )
        .expect("face models (run scripts/setup)")
    })
}

fn photo() -> (RgbImage, FaceBox) {
    let dir = std::env::var("KYC_FIXTURE_DIR").unwrap_or_else(|_| "testdata/fixtures".into());
    let mut p = PathBuf::from(dir);
    if p.is_relative() {
        // Tests run in the crate folder; the config path is relative to the workspace.
        p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(p);
    }
    // A frontal 512×512 portrait (the Tom Hanks fixture is a 112-px crop already turned ≈27°).
    let img = image::open(p.join("astronaut.png"))
        .expect("fixture photo")
        .to_rgb8();
    let d = models().detect(&img).expect("detect");
    let b = d.first().expect("a face in the fixture").bbox;
    (img, [b.x1, b.y1, b.x2, b.y2])
}

fn spec() -> ClipSpec {
    ClipSpec {
        width: 320,
        height: 240,
        fps: 15.0,
        ..ClipSpec::default()
    }
}

/// Default options without the P(live) floor: generated clips are photo replays, and
/// fr_liveness may (rightly) reject them; these tests are about tracking and actions.
fn small_opts() -> CheckOptions {
    CheckOptions {
        min_p_live: None,
        ..CheckOptions::default()
    }
}

#[test]
fn generated_clip_reads_the_requested_sequence() {
    let (img, face) = photo();
    let req = [TurnRight, TurnLeft, Nod];
    let clip = render_clip(&img, face, &req, &spec()).expect("render");
    let rep = check_liveness(models(), &clip.bytes, &req, false, &small_opts()).expect("check");
    assert_eq!(rep.result.detected, req.to_vec(), "{:?}", rep.result);
    assert!(
        rep.result.passed && rep.result.score >= PASS_THRESHOLD,
        "{:?}",
        rep.result
    );
    // Events fall inside the scheduled action ranges (±0.5 s for smoothing and hysteresis).
    for (e, (a, s, t)) in rep.result.events.iter().zip(&clip.schedule) {
        assert_eq!(e.action, *a);
        assert!(
            e.start_ms > s - 500.0 && e.end_ms < t + 500.0,
            "{e:?} vs {s}-{t}"
        );
    }
    // Best frames: near-frontal, with an embedding of the same person as the photo.
    assert!(!rep.best_frames.is_empty());
    let still = models().analyze(&img).expect("analyze photo");
    for b in &rep.best_frames {
        let m = models().compare(&b.analysis, &still);
        assert!(
            m.is_match,
            "best frame at {} ms: cosine {}",
            b.t_ms, m.cosine
        );
        assert!(b.analysis.anti_spoof.is_some() && b.analysis.head_pose.is_some());
    }
    assert!(rep.signals.identity.samples >= 2);
    assert!(rep.signals.identity.min_cosine.unwrap() > 0.31);
    assert_eq!(rep.signals.multi_face_fraction, 0.0);
    // Wrong order and a subset request fail.
    let rep = check_liveness(
        models(),
        &clip.bytes,
        &[TurnLeft, TurnRight, Nod],
        false,
        &small_opts(),
    )
    .expect("check");
    assert!(!rep.result.passed);
    assert!(matches!(
        rep.result.reasons[0],
        FailureReason::WrongOrder { .. }
    ));
    let rep = check_liveness(
        models(),
        &clip.bytes,
        &[TurnRight, Nod],
        false,
        &small_opts(),
    )
    .expect("check");
    assert!(!rep.result.passed);
}

#[test]
fn measured_yaw_follows_the_ground_truth() {
    let (img, face) = photo();
    let clip = render_clip(&img, face, &[TurnLeft, TurnRight], &spec()).expect("render");
    let cfg = AnalysisConfig {
        decode: kyc_liveness::DecodeOptions {
            target_fps: None,
            ..Default::default()
        },
        ..AnalysisConfig::default()
    };
    let an = analyze_video(models(), &clip.bytes, &cfg).expect("analyze");
    assert_eq!(an.frames.len(), clip.truth.len());
    // Least-squares slope of yaw_lmk on the ground-truth image yaw: the cue has fr_pose's
    // sign (yaw < 0 = nose toward image right), the truth the opposite one.
    let pairs: Vec<(f64, f64)> = an
        .frames
        .iter()
        .zip(&clip.truth)
        .filter_map(|(f, g)| f.obs.face.map(|x| (g.yaw_img_deg, x.yaw_lmk)))
        .collect();
    assert!(
        pairs.len() * 10 >= clip.truth.len() * 9,
        "face lost too often"
    );
    let n = pairs.len() as f64;
    let (mx, my) = (
        pairs.iter().map(|p| p.0).sum::<f64>() / n,
        pairs.iter().map(|p| p.1).sum::<f64>() / n,
    );
    let sxy: f64 = pairs.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let sxx: f64 = pairs.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let syy: f64 = pairs.iter().map(|p| (p.1 - my).powi(2)).sum();
    let slope = sxy / sxx;
    let r = sxy / (sxx * syy).sqrt();
    assert!(slope < -0.5 && slope > -1.6, "slope {slope}");
    assert!(r < -0.8, "r {r}");
}

#[test]
fn mirrored_clip_needs_the_flag() {
    let (img, face) = photo();
    let req = [TurnLeft, Nod];
    let s = ClipSpec {
        mirrored: true,
        ..spec()
    };
    let clip = render_clip(&img, face, &req, &s).expect("render");
    let with = check_liveness(models(), &clip.bytes, &req, true, &small_opts()).expect("check");
    assert!(with.result.passed, "{:?}", with.result);
    let without = check_liveness(models(), &clip.bytes, &req, false, &small_opts()).expect("check");
    assert_eq!(without.result.detected, vec![TurnRight, Nod]);
    assert!(!without.result.passed);
}

#[test]
fn static_photo_fails_and_no_face_is_an_error() {
    let (img, face) = photo();
    let s = ClipSpec {
        jitter_px: 1.5,
        lead_s: 3.0,
        ..spec()
    };
    let clip = render_clip(&img, face, &[], &s).expect("render");
    let rep = check_liveness(
        models(),
        &clip.bytes,
        &[TurnRight, TurnLeft, Nod],
        false,
        &small_opts(),
    )
    .expect("check");
    assert!(!rep.result.passed);
    assert_eq!(rep.result.reasons, vec![FailureReason::NoActionDetected]);

    // A photo without a face -> NoFace (API 500).
    let blank = RgbImage::from_fn(400, 300, |x, y| {
        image::Rgb([(x / 3) as u8, (y / 2) as u8, 60])
    });
    let clip = render_clip(&blank, [150.0, 100.0, 250.0, 220.0], &[Nod], &spec()).expect("render");
    match check_liveness(models(), &clip.bytes, &[Nod], false, &small_opts()) {
        Err(e @ LivenessError::NoFace { .. }) => assert_eq!(e.api_code(), 500),
        other => panic!("{other:?}"),
    }
}

#[test]
fn bad_videos_are_typed_errors() {
    for bytes in [&b""[..], &b"not a video at all"[..], &[0u8; 4096][..]] {
        match check_liveness(models(), bytes, &[Nod], false, &small_opts()) {
            Err(e @ LivenessError::Video(_)) => assert_eq!(e.api_code(), 505),
            other => panic!("{other:?}"),
        }
    }
    match check_liveness(models(), b"", &[Nod], false, &small_opts()) {
        Err(LivenessError::Video(DecodeError::Empty)) => {}
        other => panic!("{other:?}"),
    }
    // A truncated generated clip: either decodes its first part or is a typed error.
    let (img, face) = photo();
    let clip = render_clip(&img, face, &[Nod], &spec()).expect("render");
    for cut in [16, 200, clip.bytes.len() / 2] {
        match check_liveness(models(), &clip.bytes[..cut], &[Nod], false, &small_opts()) {
            Ok(_) | Err(LivenessError::Video(_)) | Err(LivenessError::NoFace { .. }) => {}
            Err(e) => panic!("cut {cut}: {e:?}"),
        }
    }
    assert!(matches!(
        check_liveness(models(), &clip.bytes, &[], false, &small_opts()),
        Err(LivenessError::InvalidRequest(_))
    ));
}
