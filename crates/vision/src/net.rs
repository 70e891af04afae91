//! One neural network, loaded once from ONNX bytes built into the binary, optimised by
//! tract for a fixed input shape, and run with reused buffers.

use tract_onnx::prelude::*;

#[derive(Debug, thiserror::Error)]
pub enum NetError {
    #[error("model {name} cannot be loaded: {message}")]
    Load { name: &'static str, message: String },
    #[error("model {name} failed: {message}")]
    Run { name: &'static str, message: String },
}

pub struct Net {
    name: &'static str,
    state: TypedSimpleState,
    /// NHWC input shape.
    pub shape: [usize; 4],
}

impl Net {
    /// Loads and optimises a model whose single input is `shape` (NHWC, f32).
    pub fn load(name: &'static str, onnx: &[u8], shape: [usize; 4]) -> Result<Net, NetError> {
        let fail = |e: TractError| NetError::Load {
            name,
            message: format!("{e:#}"),
        };
        let plan = tract_onnx::onnx()
            .model_for_read(&mut &onnx[..])
            .and_then(|m| m.with_input_fact(0, InferenceFact::dt_shape(f32::datum_type(), shape)))
            .and_then(|m| m.into_optimized())
            .and_then(|m| m.into_runnable())
            .map_err(fail)?;
        let state = plan.spawn().map_err(fail)?;
        Ok(Net { name, state, shape })
    }

    /// Runs the model on one NHWC input; returns its outputs as f32 vectors.
    pub fn run(&mut self, input: Tensor) -> Result<Vec<Vec<f32>>, NetError> {
        let fail = |e: TractError| NetError::Run {
            name: self.name,
            message: format!("{e:#}"),
        };
        let outputs = self.state.run(tvec!(input.into())).map_err(fail)?;
        outputs
            .iter()
            .map(|o| {
                Ok(o.to_plain_array_view::<f32>()
                    .map_err(fail)?
                    .iter()
                    .copied()
                    .collect())
            })
            .collect()
    }
}
