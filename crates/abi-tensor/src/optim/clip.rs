use crate::backend::Backend;
use crate::error::Result;
use crate::grad::Gradients;
use crate::param::Param;

/// Scales the gradients of `params` so that their joint Euclidean norm is at most `max_norm`;
/// returns the norm before clipping. Runs without recording history.
pub fn clip_grad_norm<B: Backend>(
    grads: &mut Gradients<B>,
    params: &[Param<B>],
    max_norm: f64,
) -> Result<f64> {
    crate::no_grad::<B, _>(|| {
        let mut total = 0.0;
        for p in params {
            if let Some(g) = grads.get(&p.value()) {
                total += g.sum_squares()?.to_scalar()?;
            }
        }
        let norm = total.sqrt();
        if norm > max_norm && norm.is_finite() {
            let scale = max_norm / (norm + 1e-12);
            for p in params {
                let v = p.value();
                if let Some(g) = grads.get(&v) {
                    grads.set(&v, g.mul_scalar(scale)?);
                }
            }
        }
        Ok(norm)
    })
}
