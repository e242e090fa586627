//! Action logic on synthetic pose tracks (landmark-cue units: yaw degrees with fr_pose's
//! sign, `yaw < 0` = nose toward image right; pitch decreasing when looking down).

use kyc_liveness::actions::{
    detect_actions, evaluate, score_events, Action, ActionParams, Cue, FaceObs, FailureReason,
    FrameObservation, HeadPose, LivenessConfig, PoseSample, ScoreParams, PASS_THRESHOLD,
    POLICY_FAIL_CAP,
};
use proptest::prelude::*;

use Action::{Nod, TurnLeft, TurnRight};

/// One scripted movement.
#[derive(Clone, Copy)]
struct Move {
    action: Action,
    /// Peak amplitude: degrees for turns, pitch units for nods.
    amp: f64,
    /// Ramp, hold, ramp (s).
    dur: [f64; 3],
}

fn mv(action: Action, amp: f64) -> Move {
    let dur = if action == Nod {
        [0.35, 0.15, 0.35]
    } else {
        [0.4, 0.5, 0.4]
    };
    Move { action, amp, dur }
}

/// Image-frame pose at time `t` for the script (un-mirrored subject; `mirrored` flips yaw as
/// a mirrored recording would).
fn script_pose(moves: &[Move], t: f64, mirrored: bool) -> HeadPose {
    let mut start = 1.0;
    let (mut yaw, mut pitch) = (0.0, 0.0);
    for m in moves {
        let end = start + m.dur.iter().sum::<f64>();
        if t >= start && t <= end {
            let u = t - start;
            let k = if u < m.dur[0] {
                u / m.dur[0]
            } else if u < m.dur[0] + m.dur[1] {
                1.0
            } else {
                1.0 - (u - m.dur[0] - m.dur[1]) / m.dur[2]
            };
            match m.action {
                // Own left = nose toward image right = yaw < 0 in a raw frame.
                TurnLeft => yaw = -m.amp * k,
                TurnRight => yaw = m.amp * k,
                Nod => pitch = -m.amp * k,
            }
        }
        start = end + 0.7;
    }
    if mirrored {
        yaw = -yaw;
    }
    HeadPose { yaw, pitch }
}

fn script_len(moves: &[Move]) -> f64 {
    1.0 + moves
        .iter()
        .map(|m| m.dur.iter().sum::<f64>() + 0.7)
        .sum::<f64>()
        + 0.8
}

/// Deterministic noise in [-1, 1].
fn noise(i: usize, seed: u64) -> f64 {
    let mut x = (i as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ seed;
    x ^= x >> 31;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^= x >> 29;
    (x % 2001) as f64 / 1000.0 - 1.0
}

fn track(moves: &[Move], fps: f64, mirrored: bool, noise_deg: f64) -> Vec<PoseSample> {
    let n = (script_len(moves) * fps).ceil() as usize;
    (0..n)
        .map(|i| {
            let t = i as f64 / fps;
            let mut p = script_pose(moves, t, mirrored);
            p.yaw += noise_deg * noise(i, 1);
            p.pitch += noise_deg * 0.3 * noise(i, 2);
            PoseSample {
                t_ms: t * 1000.0,
                pose: Some(p),
            }
        })
        .collect()
}

fn detected(samples: &[PoseSample], mirrored: bool) -> Vec<Action> {
    detect_actions(samples, mirrored, &ActionParams::default())
        .events
        .iter()
        .map(|e| e.action)
        .collect()
}

fn observations(samples: &[PoseSample]) -> Vec<FrameObservation> {
    samples
        .iter()
        .map(|s| FrameObservation {
            t_ms: s.t_ms,
            face: s.pose.map(|p| FaceObs {
                yaw_lmk: p.yaw,
                pitch_lmk: p.pitch,
                pose_yaw: None,
                pose_pitch: None,
                p_live: Some(0.95),
                bbox: [0.0, 0.0, 100.0, 100.0],
            }),
            other_faces: 0,
        })
        .collect()
}

#[test]
fn every_single_action() {
    for a in [TurnLeft, TurnRight, Nod] {
        let amp = if a == Nod { 12.0 } else { 30.0 };
        let s = track(&[mv(a, amp)], 25.0, false, 1.0);
        assert_eq!(detected(&s, false), vec![a], "{a:?}");
    }
}

#[test]
fn every_order_of_two_and_three_actions() {
    let all = [TurnLeft, TurnRight, Nod];
    let mut seqs: Vec<Vec<Action>> = Vec::new();
    for &a in &all {
        for &b in &all {
            if a != b {
                seqs.push(vec![a, b]);
                for &c in &all {
                    if c != a && c != b {
                        seqs.push(vec![a, b, c]);
                    }
                }
            }
        }
    }
    assert_eq!(seqs.len(), 12);
    for seq in seqs {
        let moves: Vec<Move> = seq
            .iter()
            .map(|&a| mv(a, if a == Nod { 12.0 } else { 30.0 }))
            .collect();
        let s = track(&moves, 30.0, false, 1.5);
        let r = evaluate(&observations(&s), &seq, false, &LivenessConfig::default());
        assert_eq!(r.detected, seq);
        assert!(r.passed && r.score >= PASS_THRESHOLD, "{seq:?}: {r:?}");
        // Each other permutation of the same actions is a wrong order and fails.
        let mut rev = seq.clone();
        rev.reverse();
        let r = evaluate(&observations(&s), &rev, false, &LivenessConfig::default());
        assert!(!r.passed && r.score < PASS_THRESHOLD);
        assert!(
            matches!(r.reasons[0], FailureReason::WrongOrder { .. }),
            "{:?}",
            r.reasons
        );
    }
}

#[test]
fn extra_and_missing_actions_fail() {
    let req = [TurnRight, TurnLeft, Nod];
    let extra = track(
        &[
            mv(TurnRight, 30.0),
            mv(Nod, 12.0),
            mv(TurnLeft, 30.0),
            mv(Nod, 12.0),
        ],
        25.0,
        false,
        1.0,
    );
    let r = evaluate(
        &observations(&extra),
        &req,
        false,
        &LivenessConfig::default(),
    );
    assert_eq!(r.detected, vec![TurnRight, Nod, TurnLeft, Nod]);
    assert!(!r.passed);
    assert!(matches!(r.reasons[0], FailureReason::ExtraActions { .. }));
    assert!((r.score - 0.338).abs() < 0.02, "{}", r.score);

    let missing = track(&[mv(TurnRight, 30.0), mv(Nod, 12.0)], 25.0, false, 1.0);
    let r = evaluate(
        &observations(&missing),
        &req,
        false,
        &LivenessConfig::default(),
    );
    assert!(!r.passed);
    assert!(matches!(r.reasons[0], FailureReason::MissingActions { .. }));

    let none = track(&[], 25.0, false, 1.0);
    let r = evaluate(
        &observations(&none),
        &req,
        false,
        &LivenessConfig::default(),
    );
    assert!(r.detected.is_empty() && !r.passed);
    assert_eq!(r.reasons, vec![FailureReason::NoActionDetected]);
}

#[test]
fn partial_turns_and_small_nods_are_not_actions() {
    // 9° turns and a 4-unit nod (the thresholds are 15° and 6).
    let s = track(
        &[mv(TurnRight, 9.0), mv(TurnLeft, 9.0), mv(Nod, 4.0)],
        25.0,
        false,
        1.0,
    );
    assert!(detected(&s, false).is_empty());
    // A turn reaching the threshold for a single frame is not held long enough.
    let quick = Move {
        action: TurnLeft,
        amp: 25.0,
        dur: [0.1, 0.0, 0.1],
    };
    let s = track(&[quick], 30.0, false, 0.0);
    assert!(detected(&s, false).is_empty());
}

#[test]
fn weak_but_detected_actions_score_lower() {
    let strong = track(&[mv(TurnLeft, 35.0)], 25.0, false, 0.5);
    let weak = track(&[mv(TurnLeft, 19.0)], 25.0, false, 0.5);
    let cfg = LivenessConfig::default();
    let a = evaluate(&observations(&strong), &[TurnLeft], false, &cfg);
    let b = evaluate(&observations(&weak), &[TurnLeft], false, &cfg);
    assert!(a.passed && b.passed);
    assert!(a.score > b.score, "{} vs {}", a.score, b.score);
}

#[test]
fn mirrored_flag_flips_left_and_right() {
    let seq = [TurnRight, TurnLeft, Nod];
    let moves: Vec<Move> = seq
        .iter()
        .map(|&a| mv(a, if a == Nod { 12.0 } else { 30.0 }))
        .collect();
    let s = track(&moves, 25.0, true, 1.0);
    assert_eq!(detected(&s, true), seq.to_vec());
    assert_eq!(detected(&s, false), vec![TurnLeft, TurnRight, Nod]);
    let cfg = LivenessConfig::default();
    assert!(evaluate(&observations(&s), &seq, true, &cfg).passed);
    assert!(!evaluate(&observations(&s), &seq, false, &cfg).passed);
}

#[test]
fn frame_rates_do_not_change_the_result() {
    let seq = [TurnLeft, Nod, TurnRight];
    let moves: Vec<Move> = seq
        .iter()
        .map(|&a| mv(a, if a == Nod { 12.0 } else { 30.0 }))
        .collect();
    for fps in [10.0, 12.0, 15.0, 24.0, 25.0, 30.0, 60.0] {
        let s = track(&moves, fps, false, 1.0);
        assert_eq!(detected(&s, false), seq.to_vec(), "{fps} fps");
        let r = evaluate(&observations(&s), &seq, false, &LivenessConfig::default());
        assert!(r.passed, "{fps} fps: {r:?}");
    }
    // Below 10 fps the policy rejects the clip even if the sequence is read.
    let s = track(&moves, 6.0, false, 0.0);
    let r = evaluate(&observations(&s), &seq, false, &LivenessConfig::default());
    assert!(!r.passed);
    assert!(r
        .reasons
        .iter()
        .any(|x| matches!(x, FailureReason::FrameRateTooLow { .. })));
}

#[test]
fn variable_frame_rate_timestamps() {
    let seq = [TurnRight, Nod];
    let moves = [mv(TurnRight, 30.0), mv(Nod, 12.0)];
    let len = script_len(&moves);
    let mut t = 0.0;
    let mut s = Vec::new();
    let mut i = 0;
    while t < len {
        s.push(PoseSample {
            t_ms: t * 1000.0,
            pose: Some(script_pose(&moves, t, false)),
        });
        // 40-90 ms steps.
        t += 0.065 + 0.025 * noise(i, 7);
        i += 1;
    }
    assert_eq!(detected(&s, false), seq.to_vec());
    // Unsorted input gives the same answer.
    s.reverse();
    assert_eq!(detected(&s, false), seq.to_vec());
}

#[test]
fn dropped_frames_are_bridged_but_long_gaps_abort() {
    let moves = [mv(TurnLeft, 30.0), mv(TurnRight, 30.0)];
    // Drop every third frame and a 0.3 s stretch inside the first turn: still detected.
    let mut s = track(&moves, 25.0, false, 1.0);
    for (i, x) in s.iter_mut().enumerate() {
        let t = x.t_ms / 1000.0;
        if i % 3 == 0 || (1.5..1.8).contains(&t) {
            x.pose = None;
        }
    }
    assert_eq!(detected(&s, false), vec![TurnLeft, TurnRight]);
    // Frames removed entirely (not just faceless) work the same way.
    let s2: Vec<PoseSample> = track(&moves, 25.0, false, 1.0)
        .into_iter()
        .enumerate()
        .filter(|(i, _)| i % 4 != 1)
        .map(|(_, x)| x)
        .collect();
    assert_eq!(detected(&s2, false), vec![TurnLeft, TurnRight]);
    // A 1.8 s gap from inside the first turn until it is nearly back aborts it.
    let long = Move {
        action: TurnLeft,
        amp: 30.0,
        dur: [0.4, 1.6, 0.4],
    };
    let mut s = track(&[long, mv(TurnRight, 30.0)], 25.0, false, 0.5);
    for x in s.iter_mut() {
        let t = x.t_ms / 1000.0;
        if (1.5..3.3).contains(&t) {
            x.pose = None;
        }
    }
    let d = detect_actions(&s, false, &ActionParams::default());
    assert_eq!(d.aborted, 1);
    assert_eq!(d.events.len(), 1);
    assert_eq!(d.events[0].action, TurnRight);
}

#[test]
fn face_missing_policy() {
    let seq = [TurnLeft, TurnRight];
    let moves = [mv(TurnLeft, 30.0), mv(TurnRight, 30.0)];
    // Face missing for 2.5 s between the actions (the clip is 5.9 s): fails on the gap.
    let mut s = track(&moves, 25.0, false, 0.5);
    let long_rest: Vec<PoseSample> = s
        .iter()
        .map(|x| {
            let mut y = *x;
            if x.t_ms > 2300.0 {
                y.t_ms += 2500.0;
            }
            y
        })
        .collect();
    let mut gap: Vec<PoseSample> = (0..62)
        .map(|i| PoseSample {
            t_ms: 2300.0 + 40.0 * (i + 1) as f64,
            pose: None,
        })
        .collect();
    s = long_rest;
    s.append(&mut gap);
    let r = evaluate(&observations(&s), &seq, false, &LivenessConfig::default());
    assert!(!r.passed);
    assert!(r.score <= POLICY_FAIL_CAP);
    assert!(r.reasons.iter().any(|x| matches!(
        x,
        FailureReason::FaceGapTooLong { .. } | FailureReason::FaceRarelyVisible { .. }
    )));
    // No face at all.
    let empty: Vec<PoseSample> = s.iter().map(|x| PoseSample { pose: None, ..*x }).collect();
    let r = evaluate(
        &observations(&empty),
        &seq,
        false,
        &LivenessConfig::default(),
    );
    assert_eq!(r.reasons[0], FailureReason::NoFace);
}

#[test]
fn second_person_policy() {
    let seq = [Nod];
    let s = track(&[mv(Nod, 12.0)], 25.0, false, 0.5);
    let mut obs = observations(&s);
    let n = obs.len();
    for o in obs.iter_mut().take(n / 2) {
        o.other_faces = 1;
    }
    let r = evaluate(&obs, &seq, false, &LivenessConfig::default());
    assert!(!r.passed);
    assert!(matches!(r.reasons[0], FailureReason::MultipleFaces { .. }));
    // A second face in a few frames only lowers the score.
    let mut obs = observations(&s);
    obs[3].other_faces = 1;
    let r = evaluate(&obs, &seq, false, &LivenessConfig::default());
    assert!(r.passed, "{r:?}");
}

#[test]
fn swing_through_is_two_turns_and_clip_end_completes_a_turn() {
    // Left straight to right without resting at the centre.
    let n = 100;
    let s: Vec<PoseSample> = (0..n)
        .map(|i| {
            let t = i as f64 / 25.0;
            let yaw = if t < 1.0 {
                0.0
            } else if t < 2.0 {
                -30.0
            } else if t < 3.0 {
                30.0
            } else {
                0.0
            };
            PoseSample {
                t_ms: t * 1000.0,
                pose: Some(HeadPose { yaw, pitch: 0.0 }),
            }
        })
        .collect();
    assert_eq!(detected(&s, false), vec![TurnLeft, TurnRight]);
    // Ends while turned.
    let s: Vec<PoseSample> = (0..60)
        .map(|i| {
            let t = i as f64 / 25.0;
            PoseSample {
                t_ms: t * 1000.0,
                pose: Some(HeadPose {
                    yaw: if t < 1.2 { 0.0 } else { 30.0 },
                    pitch: 0.0,
                }),
            }
        })
        .collect();
    assert_eq!(detected(&s, false), vec![TurnRight]);
}

#[test]
fn long_look_down_is_not_a_nod_and_double_nods_merge() {
    let hold = Move {
        action: Nod,
        amp: 12.0,
        dur: [0.3, 3.0, 0.3],
    };
    let s = track(&[hold], 25.0, false, 0.0);
    assert!(detected(&s, false).is_empty());
    // Two nods 0.3 s apart merge into one event.
    let s: Vec<PoseSample> = (0..100)
        .map(|i| {
            let t = i as f64 / 25.0;
            let down = (1.0..1.4).contains(&t) || (1.7..2.1).contains(&t);
            PoseSample {
                t_ms: t * 1000.0,
                pose: Some(HeadPose {
                    yaw: 0.0,
                    pitch: if down { -12.0 } else { 0.0 },
                }),
            }
        })
        .collect();
    assert_eq!(detected(&s, false), vec![Nod]);
}

#[test]
fn cue_selection() {
    let o = FrameObservation {
        t_ms: 0.0,
        face: Some(FaceObs {
            yaw_lmk: 1.0,
            pitch_lmk: 2.0,
            pose_yaw: Some(3.0),
            pose_pitch: None,
            p_live: None,
            bbox: [0.0; 4],
        }),
        other_faces: 0,
    };
    assert_eq!(
        o.pose(Cue::Landmark),
        Some(HeadPose {
            yaw: 1.0,
            pitch: 2.0
        })
    );
    assert_eq!(o.pose(Cue::Pose), None);
    assert_eq!(o.pose(Cue::LandmarkYawPosePitch), None);
}

#[test]
fn anti_spoof_factor_lowers_the_score() {
    let s = track(&[mv(TurnLeft, 30.0)], 25.0, false, 0.0);
    let d = detect_actions(&s, false, &ActionParams::default());
    let sp = ScoreParams::default();
    let live = score_events(&d.events, 1.0, &[TurnLeft], 0.0, Some(1.0), &sp);
    let spoof = score_events(&d.events, 1.0, &[TurnLeft], 0.0, Some(0.0), &sp);
    assert!((spoof - live * 0.8).abs() < 0.002, "{live} {spoof}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn never_panics_and_score_is_consistent(
        poses in prop::collection::vec(
            (0.0f64..200.0, prop::option::of((-120.0f64..120.0, -60.0f64..60.0))),
            0..150
        ),
        req in prop::collection::vec(0u8..3, 0..4),
        mirrored in any::<bool>(),
    ) {
        let mut t = 0.0;
        let obs: Vec<FrameObservation> = poses
            .iter()
            .map(|(dt, p)| {
                t += dt;
                FrameObservation {
                    t_ms: t,
                    face: p.map(|(y, pi)| FaceObs {
                        yaw_lmk: y,
                        pitch_lmk: pi,
                        pose_yaw: Some(y),
                        pose_pitch: Some(pi),
                        p_live: Some(0.5),
                        bbox: [0.0, 0.0, 1.0, 1.0],
                    }),
                    other_faces: 0,
                }
            })
            .collect();
        let req: Vec<Action> = req.iter().map(|&c| Action::from_code(c + 1).unwrap()).collect();
        let r = evaluate(&obs, &req, mirrored, &LivenessConfig::default());
        prop_assert!((0.0..=1.0).contains(&r.score));
        prop_assert_eq!(r.passed, r.score >= PASS_THRESHOLD);
        prop_assert_eq!(r.passed, r.reasons.is_empty());
        if r.passed {
            prop_assert_eq!(&r.detected, &req);
        }
    }
}

#[test]
fn no_action_starts_right_after_the_face_returns() {
    // Face absent 2.0-3.5 s; a 0.25 s pitch excursion when it returns (landmarks of a face
    // entering the frame), and the same excursion later with the face steadily visible.
    let blip = |t: f64, at: f64| (at..at + 0.25).contains(&t);
    let mk = |first_blip: f64| -> Vec<PoseSample> {
        (0..150)
            .map(|i| {
                let t = i as f64 / 25.0;
                let pose = if (2.0..3.5).contains(&t) {
                    None
                } else {
                    Some(HeadPose {
                        yaw: 0.0,
                        pitch: if blip(t, first_blip) { -12.0 } else { 0.0 },
                    })
                };
                PoseSample {
                    t_ms: t * 1000.0,
                    pose,
                }
            })
            .collect()
    };
    assert!(detected(&mk(3.5), false).is_empty());
    assert_eq!(detected(&mk(4.5), false), vec![Nod]);
}
