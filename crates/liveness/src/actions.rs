//! Action detection (turn left / turn right / nod) over a per-frame head-pose track, exact
//! sequence matching against the request, and the `livenessScore`.
//!
//! This is a port of the executable reference `reference/action_sm.py` (see
//! `LIVENESS_NOTES.md` §5): same smoothing, baseline, hysteresis, gap handling, merging and
//! score formula, with all durations in seconds so that the frame rate does not matter.
//!
//! # Conventions
//!
//! * Action codes: `1` = the subject turns to their **own left**, `2` = own right, `3` = nod
//!   (down, then back up).
//! * Input yaw is in the **image** frame, as fr_pose and the landmark cue report it:
//!   `yaw < 0` = nose toward image right. Input pitch decreases when the subject looks down
//!   (fr_pose degrees, or the landmark cue `-100 · nose-drop ratio`).
//! * The subject-frame signal is `s = mirrored ? +yaw : -yaw` (`s > 0` = toward own left). In
//!   raw (un-mirrored) camera frames an own-left turn therefore reads `yaw < 0`.
//!
//! # Algorithm (per [`ActionParams`])
//!
//! 1. Centred median smoothing of `s` and pitch over `smooth_s` seconds (by time, so missing
//!    frames and irregular timestamps are handled). A frame is *valid* when its smoothing
//!    window holds at least one observed face.
//! 2. Baseline = median over the first `baseline_s` seconds of valid frames with `|s| < 25°`
//!    (all valid frames if fewer than 2 qualify); re-estimated slowly (time constant
//!    `baseline_tau_s`) only while NEUTRAL and close to it.
//! 3. NEUTRAL → TURN when `|Δs| > turn_deg`; the turn completes when `|Δs| < return_deg`,
//!    and counts only if it spent `turn_hold_s` seconds (and `turn_min_samples` samples)
//!    beyond `turn_deg`. A turn that swings straight through to the other side is two turns;
//!    a clip ending mid-turn completes it.
//!    NEUTRAL → NOD when `down > nod_deg` with `|Δs| < nod_yaw_guard`; it completes when
//!    `down < nod_return_deg` within `nod_max_s`, and turns into a turn if `|Δs|` exceeds
//!    the turn threshold.
//! 4. A face missing for more than `max_gap_s` aborts the action in progress (shorter gaps are
//!    bridged), and no new action may start during the first `reentry_s` seconds after the
//!    face comes back (a face entering the frame edge gives distorted landmarks: the
//!    `syn_A_213_faceout` clip read a 0.12 s "nod" there).
//! 5. Identical consecutive events less than `merge_s` apart are merged (double nods).
//!
//! # Score ([`score_events`])
//!
//! `conf = clip((peak − lo) / (hi − lo), 0, 1)` per event (turn 20→30, nod 8→14, the
//! reference's bounds whatever the detection thresholds);
//! `match ? 0.5 + 0.5·(0.5 + 0.5·min conf) : 0.45 · LCS/len(req) · len(req)/max(n_events, len(req))`,
//! × `min(1, face_ratio/0.9)` × `(1 − 0.5·multi_fraction)` × `(0.8 + 0.2·P(live))` (when a
//! P(live) is known), rounded to 3 decimals. [`evaluate`] then applies the policy checks of
//! [`PolicyParams`]; a policy failure caps the score at [`POLICY_FAIL_CAP`] so that
//! `passed ⇔ score ≥ PASS_THRESHOLD` always holds.

use std::fmt;

use serde::Serialize;

/// Decision threshold on the `livenessScore`.
pub const PASS_THRESHOLD: f64 = 0.5;

/// Highest score given when a policy check fails (same ceiling as a sequence mismatch).
pub const POLICY_FAIL_CAP: f64 = 0.45;

/// `|s|` bound (degrees) for frames used in the initial baseline.
const BASELINE_MAX_ABS: f64 = 25.0;

/// Longest time step credited to a hold timer (s), so that a dropped stretch of frames does
/// not count as time spent beyond the threshold.
const MAX_DT_S: f64 = 0.2;

/// A requested or detected action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Action {
    /// `1`: turn to the subject's own left.
    TurnLeft,
    /// `2`: turn to the subject's own right.
    TurnRight,
    /// `3`: nod (look down, then back up).
    Nod,
}

impl Action {
    /// The API code: 1, 2 or 3.
    pub fn code(self) -> u8 {
        match self {
            Action::TurnLeft => 1,
            Action::TurnRight => 2,
            Action::Nod => 3,
        }
    }

    /// Parses an API code.
    pub fn from_code(code: u8) -> Option<Action> {
        match code {
            1 => Some(Action::TurnLeft),
            2 => Some(Action::TurnRight),
            3 => Some(Action::Nod),
            _ => None,
        }
    }

    /// Parses a request such as `["2","1","3"]` or `"2,1,3"` items; `None` if any item is not
    /// `1`, `2` or `3`.
    pub fn parse_list<S: AsRef<str>>(items: &[S]) -> Option<Vec<Action>> {
        items
            .iter()
            .map(|s| {
                s.as_ref()
                    .trim()
                    .parse::<u8>()
                    .ok()
                    .and_then(Action::from_code)
            })
            .collect()
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Action::TurnLeft => "turn left",
            Action::TurnRight => "turn right",
            Action::Nod => "nod",
        })
    }
}

/// A detected action.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ActionEvent {
    /// What was performed.
    pub action: Action,
    /// Start time (entering the state), ms.
    pub start_ms: f64,
    /// End time (return to neutral, or the last valid frame), ms.
    pub end_ms: f64,
    /// Peak deviation from the baseline: degrees of `s` for turns, pitch units for nods.
    pub peak: f64,
}

/// Parameters of the state machine (see the module documentation). Durations in seconds,
/// angles in the units of the input signal.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ActionParams {
    /// Centred median window.
    pub smooth_s: f64,
    /// Initial baseline window.
    pub baseline_s: f64,
    /// Time constant of the baseline re-estimation while NEUTRAL.
    pub baseline_tau_s: f64,
    /// `|Δs|` to enter a turn.
    pub turn_deg: f64,
    /// Time beyond `turn_deg` needed for a turn to count.
    pub turn_hold_s: f64,
    /// Samples beyond `turn_deg` needed for a turn to count (1 = the reference behaviour).
    pub turn_min_samples: usize,
    /// `|Δs|` under which a turn completes.
    pub return_deg: f64,
    /// Pitch drop to enter a nod.
    pub nod_deg: f64,
    /// Pitch drop under which a nod completes.
    pub nod_return_deg: f64,
    /// Longest nod; a longer look-down is not a nod.
    pub nod_max_s: f64,
    /// `|Δs|` must stay below this to enter a nod.
    pub nod_yaw_guard: f64,
    /// Longest bridged face gap; a longer one aborts the action in progress.
    pub max_gap_s: f64,
    /// After a gap longer than `max_gap_s`, no action starts for this long (0.5 s, counted
    /// from the first smoothed-valid frame, which precedes the face's return by half the
    /// smoothing window).
    pub reentry_s: f64,
    /// Identical consecutive events closer than this are merged.
    pub merge_s: f64,
}

impl ActionParams {
    /// The reference `DEFAULTS` (tuned for the fr_pose signal).
    pub fn pose_reference() -> Self {
        ActionParams {
            smooth_s: 0.20,
            baseline_s: 0.8,
            baseline_tau_s: 2.0,
            turn_deg: 20.0,
            turn_hold_s: 0.12,
            turn_min_samples: 1,
            return_deg: 10.0,
            nod_deg: 8.0,
            nod_return_deg: 4.0,
            nod_max_s: 2.5,
            nod_yaw_guard: 15.0,
            max_gap_s: 0.6,
            reentry_s: 0.5,
            merge_s: 1.0,
        }
    }

    /// `LMK_RECOMMENDED` (landmark cue, `--preset lmk`): turn 15°, nod 6, smoothing 0.3 s,
    /// hold 0.2 s, return 7.5°, with the reference's single-sample hold rule.
    pub fn landmark_reference() -> Self {
        ActionParams {
            turn_deg: 15.0,
            nod_deg: 6.0,
            smooth_s: 0.3,
            turn_hold_s: 0.2,
            return_deg: 7.5,
            ..Self::pose_reference()
        }
    }

    /// The recommended landmark settings plus the notes' "≥ 2 samples" hold rule.
    pub fn landmark() -> Self {
        ActionParams {
            turn_min_samples: 2,
            ..Self::landmark_reference()
        }
    }
}

impl Default for ActionParams {
    /// [`ActionParams::landmark`].
    fn default() -> Self {
        Self::landmark()
    }
}

/// Confidence bounds of the score (reference: turn 20→30, nod 8→14).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ScoreParams {
    /// Turn peak with zero confidence.
    pub turn_lo: f64,
    /// Turn peak with full confidence.
    pub turn_hi: f64,
    /// Nod peak with zero confidence.
    pub nod_lo: f64,
    /// Nod peak with full confidence.
    pub nod_hi: f64,
}

impl Default for ScoreParams {
    fn default() -> Self {
        ScoreParams {
            turn_lo: 20.0,
            turn_hi: 30.0,
            nod_lo: 8.0,
            nod_hi: 14.0,
        }
    }
}

impl ScoreParams {
    /// Confidence of one event in [0, 1].
    pub fn confidence(&self, e: &ActionEvent) -> f64 {
        let (lo, hi) = match e.action {
            Action::Nod => (self.nod_lo, self.nod_hi),
            _ => (self.turn_lo, self.turn_hi),
        };
        let c = (e.peak - lo) / (hi - lo);
        if c.is_nan() {
            0.0
        } else {
            c.clamp(0.0, 1.0)
        }
    }
}

/// Policy checks applied by [`evaluate`] on top of the sequence rule.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PolicyParams {
    /// Fail if the face is present in less than this share of the time (0.8).
    pub min_face_ratio: f64,
    /// Fail if the face is missing for longer than this, in seconds (2.0).
    pub max_face_gap_s: f64,
    /// Fail if this share of frames (or more) shows another qualifying face (0.3).
    pub max_multi_fraction: f64,
    /// Fail if the analysed frame rate is below this (9.5 ≈ "reject < 10 fps" with slack
    /// for timestamp jitter); `None` disables the check.
    pub min_fps: Option<f64>,
    /// Fail if no frontal baseline could be taken in the first `baseline_s` seconds.
    pub require_frontal_start: bool,
}

impl Default for PolicyParams {
    fn default() -> Self {
        PolicyParams {
            min_face_ratio: 0.8,
            max_face_gap_s: 2.0,
            max_multi_fraction: 0.3,
            min_fps: Some(9.5),
            require_frontal_start: false,
        }
    }
}

/// Head pose of the tracked face in one frame (image-frame conventions, see module docs).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct HeadPose {
    /// Yaw; `< 0` = nose toward image right.
    pub yaw: f64,
    /// Pitch; decreases when looking down.
    pub pitch: f64,
}

/// One analysed frame of a pose track.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PoseSample {
    /// Time, ms.
    pub t_ms: f64,
    /// The primary face's pose, `None` when no face was found (or the values are unusable).
    pub pose: Option<HeadPose>,
}

/// Which cue of a [`FaceObs`] feeds the state machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum Cue {
    /// Landmark geometry for yaw and pitch (recommended, 18/21 on the labelled clips).
    #[default]
    Landmark,
    /// fr_pose yaw and pitch.
    Pose,
    /// Landmark yaw, fr_pose pitch.
    LandmarkYawPosePitch,
}

/// Per-face measurements of one frame, as produced by the face pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FaceObs {
    /// Landmark yaw cue, degrees (`-asin(...)`, same sign as fr_pose).
    pub yaw_lmk: f64,
    /// Landmark pitch cue, `-100 · nose-drop ratio`.
    pub pitch_lmk: f64,
    /// fr_pose yaw, degrees, if computed.
    pub pose_yaw: Option<f64>,
    /// fr_pose pitch, degrees, if computed.
    pub pose_pitch: Option<f64>,
    /// Passive anti-spoof P(live), if computed for this frame.
    pub p_live: Option<f64>,
    /// Face box `[x1, y1, x2, y2]` in frame pixels.
    pub bbox: [f32; 4],
}

/// Everything the liveness decision needs from one analysed frame.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FrameObservation {
    /// Time, ms.
    pub t_ms: f64,
    /// The tracked primary face, if found.
    pub face: Option<FaceObs>,
    /// Number of *other* faces that qualify as a second person (the caller filters by
    /// detector score, relative area and landmarks, see `LIVENESS_NOTES.md` §6).
    pub other_faces: usize,
}

impl FrameObservation {
    /// The head pose for the chosen cue; `None` without a face or with non-finite values.
    pub fn pose(&self, cue: Cue) -> Option<HeadPose> {
        let f = self.face.as_ref()?;
        let (yaw, pitch) = match cue {
            Cue::Landmark => (f.yaw_lmk, f.pitch_lmk),
            Cue::Pose => (f.pose_yaw?, f.pose_pitch?),
            Cue::LandmarkYawPosePitch => (f.yaw_lmk, f.pose_pitch?),
        };
        (yaw.is_finite() && pitch.is_finite()).then_some(HeadPose { yaw, pitch })
    }
}

/// Output of [`detect_actions`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Detection {
    /// Detected events, in time order, after merging.
    pub events: Vec<ActionEvent>,
    /// Share of frames that are valid after smoothing (the reference's `face_ratio`).
    pub face_ratio: f64,
    /// Final baseline `(s, pitch)`, if one could be taken.
    pub baseline: Option<(f64, f64)>,
    /// Whether the initial baseline came from at least 2 frontal frames (`|s| < 25°`) in the
    /// first `baseline_s` seconds.
    pub frontal_start: bool,
    /// Actions aborted by a face gap longer than `max_gap_s`.
    pub aborted: usize,
}

fn median(v: &mut [f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

/// Centred median over `[t − win/2, t + win/2]` of the present values (by time).
/// `t` must be sorted.
fn median_smooth(t: &[f64], x: &[Option<f64>], win: f64) -> Vec<Option<f64>> {
    let half = win / 2.0;
    let mut out = Vec::with_capacity(t.len());
    let mut buf = Vec::new();
    let (mut lo, mut hi) = (0usize, 0usize);
    for &ti in t {
        while lo < t.len() && t[lo] < ti - half {
            lo += 1;
        }
        if hi < lo {
            hi = lo;
        }
        while hi < t.len() && t[hi] <= ti + half {
            hi += 1;
        }
        buf.clear();
        buf.extend(x[lo..hi].iter().flatten().copied());
        out.push(median(&mut buf));
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum State {
    Neutral,
    Left,
    Right,
    Down,
}

/// Runs the state machine over a pose track. Samples are sorted by time first (a stable
/// sort; non-finite times are dropped). Never panics.
pub fn detect_actions(samples: &[PoseSample], mirrored: bool, p: &ActionParams) -> Detection {
    let mut samples: Vec<PoseSample> = samples
        .iter()
        .filter(|s| s.t_ms.is_finite())
        .copied()
        .collect();
    samples.sort_by(|a, b| a.t_ms.total_cmp(&b.t_ms));
    let t: Vec<f64> = samples.iter().map(|s| s.t_ms / 1000.0).collect();
    let s_raw: Vec<Option<f64>> = samples
        .iter()
        .map(|s| s.pose.map(|q| if mirrored { q.yaw } else { -q.yaw }))
        .collect();
    let p_raw: Vec<Option<f64>> = samples.iter().map(|s| s.pose.map(|q| q.pitch)).collect();
    let s_f = median_smooth(&t, &s_raw, p.smooth_s);
    let p_f = median_smooth(&t, &p_raw, p.smooth_s);
    let n_valid = s_f.iter().filter(|v| v.is_some()).count();
    let face_ratio = if t.is_empty() {
        0.0
    } else {
        n_valid as f64 / t.len() as f64
    };
    let mut det = Detection {
        events: Vec::new(),
        face_ratio,
        baseline: None,
        frontal_start: false,
        aborted: 0,
    };
    if n_valid < 3 {
        return det;
    }

    // Initial baseline.
    let valid_idx: Vec<usize> = (0..t.len()).filter(|&i| s_f[i].is_some()).collect();
    let t0 = t[valid_idx[0]];
    let frontal: Vec<usize> = valid_idx
        .iter()
        .copied()
        .filter(|&i| {
            t[i] <= t0 + p.baseline_s && s_f[i].is_some_and(|v| v.abs() < BASELINE_MAX_ABS)
        })
        .collect();
    det.frontal_start = frontal.len() >= 2;
    let base_idx = if det.frontal_start {
        &frontal
    } else {
        &valid_idx
    };
    let mut bs =
        median(&mut base_idx.iter().filter_map(|&i| s_f[i]).collect::<Vec<_>>()).unwrap_or(0.0);
    let mut bp =
        median(&mut base_idx.iter().filter_map(|&i| p_f[i]).collect::<Vec<_>>()).unwrap_or(0.0);

    let mut events: Vec<ActionEvent> = Vec::new();
    let mut state = State::Neutral;
    let (mut st, mut peak, mut t_beyond) = (0.0f64, 0.0f64, 0.0f64);
    let mut n_beyond = 0usize;
    let mut last_t: Option<f64> = None;
    let mut hold_until = f64::NEG_INFINITY;
    let turn_done = |t_beyond: f64, n_beyond: usize| {
        t_beyond >= p.turn_hold_s && n_beyond >= p.turn_min_samples
    };
    let turn_event = |state: State, st: f64, end: f64, peak: f64| ActionEvent {
        action: if state == State::Left {
            Action::TurnLeft
        } else {
            Action::TurnRight
        },
        start_ms: st * 1000.0,
        end_ms: end * 1000.0,
        peak,
    };

    for i in 0..t.len() {
        let ti = t[i];
        let (si, pi) = match (s_f[i], p_f[i]) {
            (Some(a), Some(b)) => (a, b),
            _ => {
                if let Some(l) = last_t {
                    if ti - l > p.max_gap_s && state != State::Neutral {
                        state = State::Neutral;
                        det.aborted += 1;
                    }
                }
                continue;
            }
        };
        // A gap without any frame in between (dropped frames) aborts the same way.
        if let Some(l) = last_t {
            if ti - l > p.max_gap_s {
                if state != State::Neutral {
                    state = State::Neutral;
                    det.aborted += 1;
                }
                hold_until = ti + p.reentry_s;
            }
        }
        let dt = last_t.map_or(0.0, |l| (ti - l).min(MAX_DT_S));
        last_t = Some(ti);
        let ds = si - bs;
        let down = -(pi - bp);
        match state {
            State::Neutral => {
                let a = dt / p.baseline_tau_s;
                if ds.abs() < p.return_deg && down.abs() < p.nod_return_deg * 2.0 {
                    bs += a * ds;
                    bp -= a * down;
                }
                if ti < hold_until {
                    // The face just came back: no new action yet.
                } else if ds.abs() > p.turn_deg {
                    state = if ds > 0.0 { State::Left } else { State::Right };
                    (st, peak, t_beyond, n_beyond) = (ti, ds.abs(), 0.0, 1);
                } else if down > p.nod_deg && ds.abs() < p.nod_yaw_guard {
                    state = State::Down;
                    (st, peak) = (ti, down);
                }
            }
            State::Left | State::Right => {
                let d = if state == State::Left { ds } else { -ds };
                peak = peak.max(d);
                if d > p.turn_deg {
                    t_beyond += dt;
                    n_beyond += 1;
                }
                if d < p.return_deg {
                    if turn_done(t_beyond, n_beyond) {
                        events.push(turn_event(state, st, ti, peak));
                    }
                    let prev = state;
                    state = State::Neutral;
                    if -d > p.turn_deg {
                        // Swung straight through to the other side.
                        state = if prev == State::Left {
                            State::Right
                        } else {
                            State::Left
                        };
                        (st, peak, t_beyond, n_beyond) = (ti, -d, 0.0, 1);
                    }
                }
            }
            State::Down => {
                peak = peak.max(down);
                if ds.abs() > p.turn_deg {
                    state = if ds > 0.0 { State::Left } else { State::Right };
                    (st, peak, t_beyond, n_beyond) = (ti, ds.abs(), 0.0, 1);
                } else if down < p.nod_return_deg {
                    if ti - st <= p.nod_max_s {
                        events.push(ActionEvent {
                            action: Action::Nod,
                            start_ms: st * 1000.0,
                            end_ms: ti * 1000.0,
                            peak,
                        });
                    }
                    state = State::Neutral;
                }
            }
        }
    }
    if matches!(state, State::Left | State::Right) && turn_done(t_beyond, n_beyond) {
        // The video ended during the last turn.
        let end = valid_idx.last().map_or(st, |&i| t[i]);
        events.push(turn_event(state, st, end, peak));
    }

    let mut merged: Vec<ActionEvent> = Vec::with_capacity(events.len());
    for e in events {
        match merged.last_mut() {
            Some(m) if m.action == e.action && e.start_ms - m.end_ms < p.merge_s * 1000.0 => {
                m.end_ms = e.end_ms;
                m.peak = m.peak.max(e.peak);
            }
            _ => merged.push(e),
        }
    }
    det.events = merged;
    det.baseline = Some((bs, bp));
    det
}

/// Length of the longest common subsequence.
fn lcs(a: &[Action], b: &[Action]) -> usize {
    let mut prev = vec![0usize; b.len() + 1];
    let mut cur = vec![0usize; b.len() + 1];
    for x in a {
        for (j, y) in b.iter().enumerate() {
            cur[j + 1] = if x == y {
                prev[j] + 1
            } else {
                prev[j + 1].max(cur[j])
            };
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The reference score (`action_sm.score`) before policy checks.
///
/// `multi_fraction` is the share of frames with another face; `p_live` the median P(live)
/// (`None` = no anti-spoof factor). Result in [0, 1], rounded to 3 decimals.
pub fn score_events(
    events: &[ActionEvent],
    face_ratio: f64,
    requested: &[Action],
    multi_fraction: f64,
    p_live: Option<f64>,
    sp: &ScoreParams,
) -> f64 {
    let got: Vec<Action> = events.iter().map(|e| e.action).collect();
    let mut s = if !requested.is_empty() && got == requested {
        let min_conf = events
            .iter()
            .map(|e| sp.confidence(e))
            .fold(1.0f64, f64::min);
        0.5 + 0.5 * (0.5 + 0.5 * min_conf)
    } else {
        let (n, m) = (got.len(), requested.len());
        let extra = if n <= m { 1.0 } else { m as f64 / n as f64 };
        0.45 * (lcs(&got, requested) as f64 / m.max(1) as f64) * extra
    };
    let presence = if face_ratio.is_finite() {
        (face_ratio / 0.9).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let multi = if multi_fraction.is_finite() {
        multi_fraction.clamp(0.0, 1.0)
    } else {
        0.0
    };
    s *= presence * (1.0 - 0.5 * multi);
    if let Some(l) = p_live.filter(|l| l.is_finite()) {
        s *= 0.8 + 0.2 * l.clamp(0.0, 1.0);
    }
    (s.clamp(0.0, 1.0) * 1000.0).round() / 1000.0
}

/// Why a liveness check failed.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub enum FailureReason {
    /// The request lists no action.
    EmptyRequest,
    /// No face was found in the video.
    NoFace,
    /// The face was present for too small a share of the time.
    FaceRarelyVisible {
        /// Share of valid frames.
        face_ratio: f64,
    },
    /// The face left the frame for too long.
    FaceGapTooLong {
        /// Longest gap, seconds.
        gap_s: f64,
    },
    /// Another person's face is visible in many frames.
    MultipleFaces {
        /// Share of frames with another qualifying face.
        fraction: f64,
    },
    /// Too few frames per second to follow the actions.
    FrameRateTooLow {
        /// Analysed frames per second.
        fps: f64,
    },
    /// The video does not start with a frontal face to take the baseline from.
    NoFrontalStart,
    /// No action was detected.
    NoActionDetected,
    /// Some requested actions were not detected (the detected ones are in order).
    MissingActions {
        /// Requested.
        expected: Vec<Action>,
        /// Detected.
        detected: Vec<Action>,
    },
    /// More actions than requested were detected (the requested ones are among them).
    ExtraActions {
        /// Requested.
        expected: Vec<Action>,
        /// Detected.
        detected: Vec<Action>,
    },
    /// The requested actions were performed in a different order.
    WrongOrder {
        /// Requested.
        expected: Vec<Action>,
        /// Detected.
        detected: Vec<Action>,
    },
    /// The detected actions differ from the requested ones.
    WrongActions {
        /// Requested.
        expected: Vec<Action>,
        /// Detected.
        detected: Vec<Action>,
    },
    /// The tracked face does not keep one identity through the clip (embedding consistency).
    IdentityChanged {
        /// Lowest cosine between a sampled embedding and the best frame's embedding.
        min_cosine: f64,
    },
    /// The passive anti-spoof model sees a presentation attack (median P(live) too low).
    SpoofSuspected {
        /// Median P(live) over the measured frames.
        p_live: f64,
    },
    /// The sequence matched but the score (weak actions, anti-spoof factor) is below the
    /// threshold.
    LowScore {
        /// The score.
        score: f64,
    },
}

fn codes(a: &[Action]) -> String {
    let v: Vec<String> = a.iter().map(|x| x.code().to_string()).collect();
    format!("[{}]", v.join(","))
}

impl fmt::Display for FailureReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FailureReason::EmptyRequest => write!(f, "no action was requested"),
            FailureReason::NoFace => write!(f, "no face was found in the video"),
            FailureReason::FaceRarelyVisible { face_ratio } => write!(
                f,
                "the face was visible in only {:.0} % of the video",
                face_ratio * 100.0
            ),
            FailureReason::FaceGapTooLong { gap_s } => {
                write!(f, "the face left the frame for {gap_s:.1} s")
            }
            FailureReason::MultipleFaces { fraction } => write!(
                f,
                "another face is visible in {:.0} % of the frames",
                fraction * 100.0
            ),
            FailureReason::FrameRateTooLow { fps } => {
                write!(f, "the video has too few frames per second ({fps:.1})")
            }
            FailureReason::NoFrontalStart => {
                write!(
                    f,
                    "the video does not start with the face looking at the camera"
                )
            }
            FailureReason::NoActionDetected => write!(f, "no head movement was detected"),
            FailureReason::MissingActions { expected, detected } => write!(
                f,
                "not all requested actions were performed: requested {}, detected {}",
                codes(expected),
                codes(detected)
            ),
            FailureReason::ExtraActions { expected, detected } => write!(
                f,
                "more actions than requested were performed: requested {}, detected {}",
                codes(expected),
                codes(detected)
            ),
            FailureReason::WrongOrder { expected, detected } => write!(
                f,
                "the actions were performed in the wrong order: requested {}, detected {}",
                codes(expected),
                codes(detected)
            ),
            FailureReason::WrongActions { expected, detected } => write!(
                f,
                "the performed actions do not match the request: requested {}, detected {}",
                codes(expected),
                codes(detected)
            ),
            FailureReason::IdentityChanged { min_cosine } => write!(
                f,
                "the face does not stay the same person through the video (cosine {min_cosine:.2})"
            ),
            FailureReason::SpoofSuspected { p_live } => write!(
                f,
                "the face looks like a screen or print replay (P(live) {p_live:.2})"
            ),
            FailureReason::LowScore { score } => write!(
                f,
                "the actions were too small or the video looks like a replay (score {score:.2})"
            ),
        }
    }
}

fn is_subsequence(short: &[Action], long: &[Action]) -> bool {
    let mut it = long.iter();
    short.iter().all(|a| it.any(|b| b == a))
}

/// Classifies a sequence mismatch; `None` when the sequences are equal.
pub fn compare_sequences(requested: &[Action], detected: &[Action]) -> Option<FailureReason> {
    if requested == detected {
        return None;
    }
    let (expected, det) = (requested.to_vec(), detected.to_vec());
    if detected.is_empty() {
        return Some(FailureReason::NoActionDetected);
    }
    let mut a = requested.to_vec();
    let mut b = detected.to_vec();
    a.sort_by_key(|x| x.code());
    b.sort_by_key(|x| x.code());
    Some(if a == b {
        FailureReason::WrongOrder {
            expected,
            detected: det,
        }
    } else if detected.len() > requested.len() && is_subsequence(requested, detected) {
        FailureReason::ExtraActions {
            expected,
            detected: det,
        }
    } else if detected.len() < requested.len() && is_subsequence(detected, requested) {
        FailureReason::MissingActions {
            expected,
            detected: det,
        }
    } else {
        FailureReason::WrongActions {
            expected,
            detected: det,
        }
    })
}

/// Configuration of [`evaluate`].
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct LivenessConfig {
    /// Which cue feeds the state machine.
    pub cue: Cue,
    /// State machine parameters.
    pub params: ActionParams,
    /// Score confidence bounds.
    pub score: ScoreParams,
    /// Policy checks.
    pub policy: PolicyParams,
}

/// The liveness decision for one video.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LivenessResult {
    /// `livenessScore` in [0, 1].
    pub score: f64,
    /// `score >= PASS_THRESHOLD`.
    pub passed: bool,
    /// Detected events.
    pub events: Vec<ActionEvent>,
    /// Detected action sequence.
    pub detected: Vec<Action>,
    /// Why the check failed (empty when passed).
    pub reasons: Vec<FailureReason>,
    /// Share of valid frames (after smoothing).
    pub face_ratio: f64,
    /// Longest stretch without a face, seconds (including at the start and end).
    pub max_face_gap_s: f64,
    /// Share of frames with another qualifying face.
    pub multi_face_fraction: f64,
    /// Median P(live) over the frames that have one.
    pub p_live: Option<f64>,
    /// Analysed frames per second.
    pub fps: f64,
    /// Whether a frontal baseline was found at the start.
    pub frontal_start: bool,
}

impl LivenessResult {
    /// Records a failed anti-replay check: caps the score at [`POLICY_FAIL_CAP`], clears
    /// `passed` and adds the reason (keeping `passed ⇔ score ≥ PASS_THRESHOLD`).
    pub fn fail_with(&mut self, reason: FailureReason) {
        self.score = self.score.min(POLICY_FAIL_CAP);
        self.passed = false;
        self.reasons
            .retain(|r| !matches!(r, FailureReason::LowScore { .. }));
        self.reasons.push(reason);
    }
}

/// Longest time without a face: between consecutive face frames, and from the first frame
/// to the first face / from the last face to the last frame. The whole span if no face.
fn longest_gap_s(obs: &[(f64, bool)]) -> f64 {
    let Some(&(t_first, _)) = obs.first() else {
        return 0.0;
    };
    let t_last = obs.last().map_or(t_first, |o| o.0);
    let mut prev = t_first;
    let mut gap: f64 = 0.0;
    let mut seen = false;
    for &(t, present) in obs {
        if present {
            gap = gap.max(t - prev);
            prev = t;
            seen = true;
        }
    }
    if !seen {
        return (t_last - t_first) / 1000.0;
    }
    gap = gap.max(t_last - prev);
    gap / 1000.0
}

/// Runs the whole decision on per-frame observations: detection, sequence rule, score,
/// policy checks and failure reasons.
pub fn evaluate(
    observations: &[FrameObservation],
    requested: &[Action],
    mirrored: bool,
    cfg: &LivenessConfig,
) -> LivenessResult {
    let mut obs: Vec<&FrameObservation> =
        observations.iter().filter(|o| o.t_ms.is_finite()).collect();
    obs.sort_by(|a, b| a.t_ms.total_cmp(&b.t_ms));
    let samples: Vec<PoseSample> = obs
        .iter()
        .map(|o| PoseSample {
            t_ms: o.t_ms,
            pose: o.pose(cfg.cue),
        })
        .collect();
    let det = detect_actions(&samples, mirrored, &cfg.params);
    let n = obs.len();
    let multi = if n == 0 {
        0.0
    } else {
        obs.iter().filter(|o| o.other_faces > 0).count() as f64 / n as f64
    };
    let mut lives: Vec<f64> = obs
        .iter()
        .filter_map(|o| o.face.and_then(|f| f.p_live))
        .filter(|v| v.is_finite())
        .collect();
    let p_live = median(&mut lives);
    let presence: Vec<(f64, bool)> = samples.iter().map(|s| (s.t_ms, s.pose.is_some())).collect();
    let max_gap = longest_gap_s(&presence);
    let fps = match (obs.first(), obs.last()) {
        (Some(a), Some(b)) if n > 1 && b.t_ms > a.t_ms => {
            (n - 1) as f64 * 1000.0 / (b.t_ms - a.t_ms)
        }
        _ => 0.0,
    };

    let detected: Vec<Action> = det.events.iter().map(|e| e.action).collect();
    let mut score = score_events(
        &det.events,
        det.face_ratio,
        requested,
        multi,
        p_live,
        &cfg.score,
    );

    let mut reasons = Vec::new();
    let mut policy_fail = false;
    let pol = &cfg.policy;
    if requested.is_empty() {
        reasons.push(FailureReason::EmptyRequest);
        policy_fail = true;
    }
    if samples.iter().all(|s| s.pose.is_none()) {
        reasons.push(FailureReason::NoFace);
        policy_fail = true;
    } else {
        if det.face_ratio < pol.min_face_ratio {
            reasons.push(FailureReason::FaceRarelyVisible {
                face_ratio: det.face_ratio,
            });
            policy_fail = true;
        }
        if max_gap > pol.max_face_gap_s {
            reasons.push(FailureReason::FaceGapTooLong { gap_s: max_gap });
            policy_fail = true;
        }
    }
    if multi >= pol.max_multi_fraction && multi > 0.0 {
        reasons.push(FailureReason::MultipleFaces { fraction: multi });
        policy_fail = true;
    }
    if let Some(min_fps) = pol.min_fps {
        if n > 1 && fps < min_fps {
            reasons.push(FailureReason::FrameRateTooLow { fps });
            policy_fail = true;
        }
    }
    if pol.require_frontal_start && !det.frontal_start && !samples.iter().all(|s| s.pose.is_none())
    {
        reasons.push(FailureReason::NoFrontalStart);
        policy_fail = true;
    }
    let sequence_ok = !requested.is_empty() && detected == requested;
    if !requested.is_empty() {
        if let Some(r) = compare_sequences(requested, &detected) {
            reasons.push(r);
        }
    }
    if policy_fail {
        score = score.min(POLICY_FAIL_CAP);
    }
    let passed = score >= PASS_THRESHOLD;
    if sequence_ok && !passed && !policy_fail {
        reasons.push(FailureReason::LowScore { score });
    }
    if passed {
        reasons.clear();
    }
    LivenessResult {
        score,
        passed,
        events: det.events,
        detected,
        reasons,
        face_ratio: det.face_ratio,
        max_face_gap_s: max_gap,
        multi_face_fraction: multi,
        p_live,
        fps,
        frontal_start: det.frontal_start,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_even_and_odd() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&mut []), None);
    }

    #[test]
    fn smoothing_is_by_time_and_bridges_single_gaps() {
        let t = [0.0, 0.1, 0.2, 0.3, 1.0];
        let x = [Some(0.0), Some(10.0), None, Some(0.0), Some(5.0)];
        let s = median_smooth(&t, &x, 0.3);
        // window [t-0.15, t+0.15]
        assert_eq!(s[0], Some(5.0)); // {0, 10}
        assert_eq!(s[2], Some(5.0)); // {10, 0}: missing frame bridged
        assert_eq!(s[4], Some(5.0)); // alone
    }

    #[test]
    fn lcs_and_subsequence() {
        use Action::*;
        assert_eq!(
            lcs(
                &[TurnRight, Nod, TurnLeft, Nod],
                &[TurnRight, TurnLeft, Nod]
            ),
            3
        );
        assert_eq!(lcs(&[], &[Nod]), 0);
        assert!(is_subsequence(
            &[TurnRight, Nod],
            &[TurnRight, TurnLeft, Nod]
        ));
        assert!(!is_subsequence(&[Nod, TurnRight], &[TurnRight, Nod]));
    }

    #[test]
    fn compare_classifies() {
        use Action::*;
        let req = [TurnRight, TurnLeft, Nod];
        assert_eq!(compare_sequences(&req, &req), None);
        assert!(matches!(
            compare_sequences(&req, &[TurnLeft, TurnRight, Nod]),
            Some(FailureReason::WrongOrder { .. })
        ));
        assert!(matches!(
            compare_sequences(&req, &[TurnRight, Nod, TurnLeft, Nod]),
            Some(FailureReason::ExtraActions { .. })
        ));
        assert!(matches!(
            compare_sequences(&req, &[TurnRight, Nod]),
            Some(FailureReason::MissingActions { .. })
        ));
        assert!(matches!(
            compare_sequences(&req, &[Nod, Nod]),
            Some(FailureReason::WrongActions { .. })
        ));
        assert_eq!(
            compare_sequences(&req, &[]),
            Some(FailureReason::NoActionDetected)
        );
    }

    #[test]
    fn score_formula_matches_reference_examples() {
        use Action::*;
        let ev = |a, peak| ActionEvent {
            action: a,
            start_ms: 0.0,
            end_ms: 0.0,
            peak,
        };
        let sp = ScoreParams::default();
        // syn_B_12_ok: peaks 29.7, 29.6, live 0.94 (median) -> 0.978 in the reference.
        let evs = [ev(TurnLeft, 29.7), ev(TurnRight, 29.6)];
        let s = score_events(&evs, 1.0, &[TurnLeft, TurnRight], 0.0, Some(0.94), &sp);
        let conf: f64 = 0.96;
        let expect = (0.5 + 0.5 * (0.5 + 0.5 * conf)) * (0.8 + 0.2 * 0.94);
        assert!((s - (expect * 1000.0).round() / 1000.0).abs() < 1e-9, "{s}");
        // Extra action: 0.45 * 3/3 * 3/4.
        let evs = [
            ev(TurnRight, 30.0),
            ev(Nod, 10.0),
            ev(TurnLeft, 30.0),
            ev(Nod, 10.0),
        ];
        let s = score_events(&evs, 1.0, &[TurnRight, TurnLeft, Nod], 0.0, None, &sp);
        assert!((s - 0.338).abs() < 1e-9, "{s}");
        // Wrong order [1,2,3] vs [2,1,3]: LCS 2 -> 0.45 * 2/3 = 0.3.
        let evs = [ev(TurnLeft, 30.0), ev(TurnRight, 30.0), ev(Nod, 10.0)];
        let s = score_events(&evs, 1.0, &[TurnRight, TurnLeft, Nod], 0.0, None, &sp);
        assert!((s - 0.3).abs() < 1e-9, "{s}");
        // Multi-face factor and presence.
        let evs = [ev(Nod, 14.0)];
        let s = score_events(&evs, 0.45, &[Nod], 1.0, None, &sp);
        assert!((s - 0.25).abs() < 1e-9, "{s}");
    }

    #[test]
    fn parse_codes() {
        assert_eq!(
            Action::parse_list(&["2", " 1", "3"]),
            Some(vec![Action::TurnRight, Action::TurnLeft, Action::Nod])
        );
        assert_eq!(Action::parse_list(&["4"]), None);
        assert_eq!(Action::parse_list(&["x"]), None);
    }

    #[test]
    fn longest_gap_counts_edges() {
        let obs = [
            (0.0, false),
            (500.0, true),
            (1000.0, false),
            (3000.0, true),
            (3100.0, false),
        ];
        assert!((longest_gap_s(&obs) - 2.5).abs() < 1e-9);
        assert!((longest_gap_s(&[(0.0, false), (1000.0, false)]) - 1.0).abs() < 1e-9);
        assert_eq!(longest_gap_s(&[]), 0.0);
    }
}
