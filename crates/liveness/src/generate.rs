//! Clip generator: renders a head-turn / nod clip from one still photo with a 2.5-D warp
//! through a yaw/pitch schedule, encodes it in memory with `ffmpeg-next`, and returns the
//! per-frame ground truth.
//!
//! # Model
//!
//! The face is an ellipsoid (half-axes from the face box) with a Gaussian nose bump; a point
//! at depth `z` moves by `z·sin(yaw)` horizontally and `z·sin(pitch)` vertically, so the
//! nose moves most, the cheeks less and the background not at all. The output is computed
//! by inverse mapping (three fixed-point iterations of `src = dst − d(src)`) with bilinear
//! sampling. Beyond ≈ 30° the far cheek stretches instead of being occluded.
//!
//! Such clips are **photo replays by construction**: they test decoding, tracking and the
//! action logic; they are never "live" positives.
//!
//! # Conventions
//!
//! [`GroundTruth::yaw_img_deg`] > 0 = nose toward the **image right**, which is the
//! subject's own left in an un-mirrored image (action `1`); `pitch_down_deg` > 0 = looking
//! down. With [`ClipSpec::mirrored`] the frames are flipped horizontally (a selfie preview)
//! and `yaw_img_deg` is reported in the flipped image: the subject still performs the
//! requested actions, so the check must be told `mirrored = true`.

use image::{Rgb, RgbImage};
use serde::Serialize;

use crate::actions::Action;
use crate::encode::{encode_video, Container, EncodeError, EncodeOptions, VideoCodec};

/// The face region of the photo, pixels `[x1, y1, x2, y2]` (e.g. a detector box).
pub type FaceBox = [f32; 4];

/// Rendering settings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClipSpec {
    /// Output width (even), pixels.
    pub width: u32,
    /// Output height (even), pixels.
    pub height: u32,
    /// Frames per second.
    pub fps: f64,
    /// Face box height as a share of the output height (0.45).
    pub face_scale: f32,
    /// Peak turn angle, degrees (30).
    pub turn_deg: f64,
    /// Peak nod angle, degrees (18).
    pub nod_deg: f64,
    /// Neutral time before the first action, seconds (1.0).
    pub lead_s: f64,
    /// Ramp out / hold / ramp back of a turn, seconds (0.45, 0.5, 0.45).
    pub turn_s: [f64; 3],
    /// Down / hold / up of a nod, seconds (0.35, 0.15, 0.35).
    pub nod_s: [f64; 3],
    /// Neutral time between actions, seconds (0.6).
    pub rest_s: f64,
    /// Neutral time after the last action, seconds (0.8).
    pub tail_s: f64,
    /// Flip the frames horizontally (selfie preview).
    pub mirrored: bool,
    /// Hand jitter amplitude, pixels (0 = none); deterministic.
    pub jitter_px: f32,
    /// Container and codec.
    pub container: Container,
    /// Video codec (H.264 by default; MPEG-4 part 2 when no H.264 encoder exists).
    pub codec: VideoCodec,
}

impl Default for ClipSpec {
    fn default() -> Self {
        ClipSpec {
            width: 640,
            height: 480,
            fps: 25.0,
            face_scale: 0.45,
            turn_deg: 30.0,
            nod_deg: 18.0,
            lead_s: 1.0,
            turn_s: [0.45, 0.5, 0.45],
            nod_s: [0.35, 0.15, 0.35],
            rest_s: 0.6,
            tail_s: 0.8,
            mirrored: false,
            jitter_px: 0.0,
            container: Container::Mp4,
            codec: if VideoCodec::H264.is_available() {
                VideoCodec::H264
            } else {
                VideoCodec::Mpeg4
            },
        }
    }
}

/// Ground truth of one rendered frame.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct GroundTruth {
    /// Time, ms.
    pub t_ms: f64,
    /// Yaw in the output image, degrees; > 0 = nose toward image right.
    pub yaw_img_deg: f64,
    /// Pitch, degrees; > 0 = looking down.
    pub pitch_down_deg: f64,
    /// Index of the action being performed (into the requested list), if any.
    pub action: Option<usize>,
    /// Face box in the output frame `[x1, y1, x2, y2]`.
    pub face_box: [f32; 4],
}

/// A rendered clip.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratedClip {
    /// The encoded video.
    pub bytes: Vec<u8>,
    /// One entry per frame.
    pub truth: Vec<GroundTruth>,
    /// The action time ranges `(action, start ms, end ms)`.
    pub schedule: Vec<(Action, f64, f64)>,
}

/// Why rendering failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum GenerateError {
    /// Bad parameters or photo.
    #[error("invalid clip parameters: {0}")]
    Invalid(String),
    /// Encoding failed.
    #[error(transparent)]
    Encode(#[from] EncodeError),
}

fn smooth(x: f64) -> f64 {
    let x = x.clamp(0.0, 1.0);
    0.5 - 0.5 * (std::f64::consts::PI * x).cos()
}

/// The pose schedule: `(yaw_img_deg, pitch_down_deg, action index)` at time `t` (s), in the
/// un-mirrored image, plus the action ranges and total duration.
struct Schedule {
    segs: Vec<(usize, Action, f64, [f64; 3])>,
    total: f64,
}

impl Schedule {
    fn new(actions: &[Action], spec: &ClipSpec) -> Self {
        let mut t = spec.lead_s;
        let mut segs = Vec::new();
        for (i, &a) in actions.iter().enumerate() {
            let d = if a == Action::Nod {
                spec.nod_s
            } else {
                spec.turn_s
            };
            segs.push((i, a, t, d));
            t += d.iter().sum::<f64>() + spec.rest_s;
        }
        if !actions.is_empty() {
            t -= spec.rest_s;
        }
        Schedule {
            segs,
            total: t + spec.tail_s,
        }
    }

    fn at(&self, t: f64, spec: &ClipSpec) -> (f64, f64, Option<usize>) {
        for &(i, a, start, d) in &self.segs {
            let end = start + d[0] + d[1] + d[2];
            if t < start || t > end {
                continue;
            }
            let u = t - start;
            let k = if u < d[0] {
                smooth(u / d[0].max(1e-9))
            } else if u < d[0] + d[1] {
                1.0
            } else {
                1.0 - smooth((u - d[0] - d[1]) / d[2].max(1e-9))
            };
            return match a {
                // Own left = nose toward the image right in an un-mirrored image.
                Action::TurnLeft => (spec.turn_deg * k, 0.0, Some(i)),
                Action::TurnRight => (-spec.turn_deg * k, 0.0, Some(i)),
                Action::Nod => (0.0, spec.nod_deg * k, Some(i)),
            };
        }
        (0.0, 0.0, None)
    }
}

/// Bilinear sample with a grey background outside the image.
fn sample(img: &RgbImage, x: f32, y: f32) -> Rgb<u8> {
    let (w, h) = img.dimensions();
    if !(x >= 0.0 && y >= 0.0 && x <= (w - 1) as f32 && y <= (h - 1) as f32) {
        return Rgb([110, 110, 110]);
    }
    let (x0, y0) = (x.floor() as u32, y.floor() as u32);
    let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
    let (fx, fy) = (x - x0 as f32, y - y0 as f32);
    let p = |xx, yy| img.get_pixel(xx, yy).0;
    let (a, b, c, d) = (p(x0, y0), p(x1, y0), p(x0, y1), p(x1, y1));
    let mut out = [0u8; 3];
    for k in 0..3 {
        let top = f32::from(a[k]) * (1.0 - fx) + f32::from(b[k]) * fx;
        let bot = f32::from(c[k]) * (1.0 - fx) + f32::from(d[k]) * fx;
        out[k] = (top * (1.0 - fy) + bot * fy).round().clamp(0.0, 255.0) as u8;
    }
    Rgb(out)
}

/// The photo scaled and cropped so that the face box is `face_scale` of the output height,
/// centred horizontally, slightly above the middle. Returns the framed image and the face
/// box in it.
fn frame_photo(photo: &RgbImage, face: FaceBox, spec: &ClipSpec) -> (RgbImage, [f32; 4]) {
    let fh = (face[3] - face[1]).max(1.0);
    let s = spec.face_scale * spec.height as f32 / fh;
    let (cx, cy) = ((face[0] + face[2]) / 2.0, (face[1] + face[3]) / 2.0);
    let (ox, oy) = (spec.width as f32 / 2.0, spec.height as f32 * 0.45);
    let out = RgbImage::from_fn(spec.width, spec.height, |x, y| {
        sample(photo, (x as f32 - ox) / s + cx, (y as f32 - oy) / s + cy)
    });
    let b = [
        ox + (face[0] - cx) * s,
        oy + (face[1] - cy) * s,
        ox + (face[2] - cx) * s,
        oy + (face[3] - cy) * s,
    ];
    (out, b)
}

/// Depth (pixels) of the head model at `(x, y)` of the framed photo.
struct Head {
    cx: f32,
    cy: f32,
    a: f32,
    b: f32,
    depth: f32,
    nose: f32,
    nose_y: f32,
    sigma2: f32,
}

impl Head {
    fn new(b: [f32; 4]) -> Self {
        let (w, h) = (b[2] - b[0], b[3] - b[1]);
        Head {
            cx: (b[0] + b[2]) / 2.0,
            cy: (b[1] + b[3]) / 2.0,
            a: 0.62 * w,
            b: 0.72 * h,
            depth: 0.7 * w,
            nose: 0.22 * w,
            nose_y: (b[1] + b[3]) / 2.0 + 0.05 * h,
            sigma2: (0.13 * w).powi(2),
        }
    }

    fn z(&self, x: f32, y: f32) -> f32 {
        let (dx, dy) = ((x - self.cx) / self.a, (y - self.cy) / self.b);
        let r = 1.0 - dx * dx - dy * dy;
        if r <= 0.0 {
            return 0.0;
        }
        let bump = self.nose
            * (-((x - self.cx).powi(2) + (y - self.nose_y).powi(2)) / (2.0 * self.sigma2)).exp();
        self.depth * r.sqrt() + bump
    }
}

/// Renders one frame of the framed photo at the given pose (un-mirrored) and jitter.
fn render_frame(
    base: &RgbImage,
    head: &Head,
    yaw: f64,
    pitch: f64,
    jitter: (f32, f32),
) -> RgbImage {
    let (sy, sp) = (
        yaw.to_radians().sin() as f32,
        pitch.to_radians().sin() as f32,
    );
    let (w, h) = base.dimensions();
    // Region touched by the warp: the ellipse grown by the largest displacement.
    let m = (head.depth + head.nose) * sy.abs().max(sp.abs()) + 2.0;
    let (rx0, rx1) = (head.cx - head.a - m, head.cx + head.a + m);
    let (ry0, ry1) = (head.cy - head.b - m, head.cy + head.b + m);
    RgbImage::from_fn(w, h, |x, y| {
        let (dx, dy) = (x as f32 - jitter.0, y as f32 - jitter.1);
        if dx < rx0 || dx > rx1 || dy < ry0 || dy > ry1 {
            return sample(base, dx, dy);
        }
        let (mut sx, mut syy) = (dx, dy);
        for _ in 0..3 {
            let z = head.z(sx, syy);
            sx = dx - z * sy;
            syy = dy - z * sp;
        }
        sample(base, sx, syy)
    })
}

/// Renders `actions` performed by the face in `photo` (box `face`) and encodes the clip.
///
/// Deterministic for the same inputs. Memory: one frame at a time is rendered and handed
/// to the encoder.
pub fn render_clip(
    photo: &RgbImage,
    face: FaceBox,
    actions: &[Action],
    spec: &ClipSpec,
) -> Result<GeneratedClip, GenerateError> {
    if photo.width() < 2 || photo.height() < 2 {
        return Err(GenerateError::Invalid("the photo is empty".into()));
    }
    if !face.iter().all(|v| v.is_finite()) || face[2] <= face[0] || face[3] <= face[1] {
        return Err(GenerateError::Invalid(format!("bad face box {face:?}")));
    }
    if spec.width < 16 || spec.height < 16 || spec.width > 4096 || spec.height > 4096 {
        return Err(GenerateError::Invalid(format!(
            "output size {}x{} out of range",
            spec.width, spec.height
        )));
    }
    if !(spec.fps >= 1.0 && spec.fps <= 120.0) {
        return Err(GenerateError::Invalid(format!(
            "fps {} out of range",
            spec.fps
        )));
    }
    let sched = Schedule::new(actions, spec);
    if sched.total > 120.0 {
        return Err(GenerateError::Invalid("the clip would exceed 120 s".into()));
    }
    let (base, fb) = frame_photo(photo, face, spec);
    let head = Head::new(fb);
    let n = (sched.total * spec.fps).ceil() as usize;
    let mut truth = Vec::with_capacity(n);
    let mut seed = 0x9E37_79B9u32;
    let mut rnd = move || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        (seed as f32 / u32::MAX as f32) * 2.0 - 1.0
    };
    let (mut jx, mut jy) = (0.0f32, 0.0f32);
    let frames = (0..n).map(|i| {
        let t = i as f64 / spec.fps;
        let (yaw, pitch, act) = sched.at(t, spec);
        // Smooth random walk for the hand jitter.
        jx = 0.85 * jx + 0.15 * rnd() * spec.jitter_px * 3.0;
        jy = 0.85 * jy + 0.15 * rnd() * spec.jitter_px * 3.0;
        let mut img = render_frame(&base, &head, yaw, pitch, (jx, jy));
        let mut bx = [fb[0] + jx, fb[1] + jy, fb[2] + jx, fb[3] + jy];
        let mut yaw_img = yaw;
        if spec.mirrored {
            image::imageops::flip_horizontal_in_place(&mut img);
            let wf = spec.width as f32 - 1.0;
            bx = [wf - bx[2], bx[1], wf - bx[0], bx[3]];
            yaw_img = -yaw;
        }
        truth.push(GroundTruth {
            t_ms: t * 1000.0,
            yaw_img_deg: yaw_img,
            pitch_down_deg: pitch,
            action: act,
            face_box: bx,
        });
        (t * 1000.0, img)
    });
    let mut o = EncodeOptions::new(spec.container, spec.codec);
    o.gop = (spec.fps.round() as u32).max(1);
    let bytes = encode_video(frames, &o)?;
    let schedule = sched
        .segs
        .iter()
        .map(|&(_, a, s, d)| (a, s * 1000.0, (s + d.iter().sum::<f64>()) * 1000.0))
        .collect();
    Ok(GeneratedClip {
        bytes,
        truth,
        schedule,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn photo() -> RgbImage {
        RgbImage::from_fn(200, 200, |x, y| Rgb([(x % 256) as u8, (y % 256) as u8, 90]))
    }

    #[test]
    fn schedule_timing_and_signs() {
        let spec = ClipSpec::default();
        let s = Schedule::new(&[Action::TurnLeft, Action::TurnRight, Action::Nod], &spec);
        let turn: f64 = spec.turn_s.iter().sum();
        let nod: f64 = spec.nod_s.iter().sum();
        let want = spec.lead_s + 2.0 * turn + nod + 2.0 * spec.rest_s + spec.tail_s;
        assert!((s.total - want).abs() < 1e-9);
        let mid1 = spec.lead_s + spec.turn_s[0] + spec.turn_s[1] / 2.0;
        assert_eq!(s.at(mid1, &spec), (spec.turn_deg, 0.0, Some(0)));
        let mid2 = mid1 + turn + spec.rest_s;
        assert_eq!(s.at(mid2, &spec), (-spec.turn_deg, 0.0, Some(1)));
        assert_eq!(s.at(0.1, &spec), (0.0, 0.0, None));
    }

    #[test]
    fn warp_moves_the_nose_toward_the_turn() {
        // A single bright dot at the nose: yaw > 0 moves it to the image right.
        let base = RgbImage::from_fn(200, 200, |x, y| {
            if (x as i32 - 100).abs() <= 2 && (y as i32 - 105).abs() <= 2 {
                Rgb([255, 255, 255])
            } else {
                Rgb([0, 0, 0])
            }
        });
        let head = Head::new([60.0, 50.0, 140.0, 150.0]);
        let centroid = |img: &RgbImage| {
            let (mut sx, mut sy, mut n) = (0.0, 0.0, 0.0);
            for (x, y, p) in img.enumerate_pixels() {
                if p.0[0] > 128 {
                    sx += f64::from(x);
                    sy += f64::from(y);
                    n += 1.0;
                }
            }
            (sx / n, sy / n)
        };
        let (x0, y0) = centroid(&render_frame(&base, &head, 0.0, 0.0, (0.0, 0.0)));
        let (x1, _) = centroid(&render_frame(&base, &head, 30.0, 0.0, (0.0, 0.0)));
        let (x2, _) = centroid(&render_frame(&base, &head, -30.0, 0.0, (0.0, 0.0)));
        let (_, y3) = centroid(&render_frame(&base, &head, 0.0, 18.0, (0.0, 0.0)));
        assert!(x1 > x0 + 10.0, "{x0} {x1}");
        assert!(x2 < x0 - 10.0, "{x0} {x2}");
        assert!(y3 > y0 + 5.0, "{y0} {y3}");
    }

    #[test]
    fn rejects_bad_parameters() {
        let p = photo();
        let spec = ClipSpec::default();
        assert!(matches!(
            render_clip(&p, [10.0, 10.0, 5.0, 50.0], &[Action::Nod], &spec),
            Err(GenerateError::Invalid(_))
        ));
        let bad = ClipSpec {
            fps: 0.0,
            ..ClipSpec::default()
        };
        assert!(render_clip(&p, [50.0, 50.0, 150.0, 150.0], &[Action::Nod], &bad).is_err());
        let huge = ClipSpec {
            rest_s: 200.0,
            ..ClipSpec::default()
        };
        assert!(render_clip(
            &p,
            [50.0, 50.0, 150.0, 150.0],
            &[Action::Nod, Action::Nod],
            &huge
        )
        .is_err());
    }

    #[test]
    fn renders_decodable_clip_with_truth() {
        let spec = ClipSpec {
            width: 160,
            height: 120,
            fps: 15.0,
            mirrored: true,
            jitter_px: 1.0,
            ..ClipSpec::default()
        };
        let c = render_clip(
            &photo(),
            [50.0, 50.0, 150.0, 150.0],
            &[Action::TurnLeft],
            &spec,
        )
        .unwrap();
        let dur: f64 = spec.lead_s + spec.turn_s.iter().sum::<f64>() + spec.tail_s;
        assert_eq!(c.truth.len(), (dur * 15.0).ceil() as usize);
        // Mirrored: the own-left turn reads nose toward the image left.
        let peak = c.truth.iter().map(|g| g.yaw_img_deg).fold(0.0, f64::min);
        assert!((peak + spec.turn_deg).abs() < 1e-9);
        let mut n = 0;
        let info = crate::decode::decode_frames(
            &c.bytes,
            &crate::decode::DecodeOptions::default(),
            |_| {
                n += 1;
                std::ops::ControlFlow::Continue(())
            },
        )
        .unwrap();
        assert_eq!(info.decoded_frames, c.truth.len());
        assert_eq!((info.width, info.height), (160, 120));
        assert_eq!(c.schedule.len(), 1);
    }
}
