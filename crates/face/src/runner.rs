//! Running one batch-1 model: f32 input named `input`, f32 outputs read by name.

use crate::error::FaceError;
use kyc_models::ModelSession;
use ort::value::TensorRef;

/// Runs `session` on `input` (shape `shape`) and copies the named outputs,
/// checking that each has `expected_len[i]` values.
pub(crate) fn run<const N: usize>(
    session: &ModelSession,
    input: &[f32],
    shape: [usize; 4],
    outputs: [(&str, usize); N],
) -> Result<[Vec<f32>; N], FaceError> {
    let result: Result<[Vec<f32>; N], kyc_models::ModelError> = session.with(|s| {
        let tensor =
            TensorRef::from_array_view((shape, input)).map_err(|e| session.inference_error(e))?;
        let out = s
            .run(ort::inputs!["input" => tensor])
            .map_err(|e| session.inference_error(e))?;
        let mut res: [Vec<f32>; N] = std::array::from_fn(|_| Vec::new());
        for (slot, (name, len)) in res.iter_mut().zip(outputs) {
            let value = out
                .get(name)
                .ok_or_else(|| session.inference_error(format!("no output named `{name}`")))?;
            let (_, data) = value
                .try_extract_tensor::<f32>()
                .map_err(|e| session.inference_error(e))?;
            if data.len() != len {
                return Err(session.inference_error(format!(
                    "output `{name}` has {} values, expected {len}",
                    data.len()
                )));
            }
            if data.iter().any(|v| !v.is_finite()) {
                return Err(session.inference_error(format!("output `{name}` is not finite")));
            }
            *slot = data.to_vec();
        }
        Ok(res)
    });
    Ok(result?)
}

/// Softmax in f64 (as the reference does), returned as f32.
pub(crate) fn softmax(logits: &[f32]) -> Vec<f32> {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max) as f64;
    let exps: Vec<f64> = logits.iter().map(|&v| (v as f64 - max).exp()).collect();
    let sum: f64 = exps.iter().sum();
    exps.iter().map(|e| (e / sum) as f32).collect()
}
