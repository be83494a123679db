//! The invariant and equivariant layers of a deep set.

use crate::summary::init::{KernelInit, dense};
use crate::summary::mask;
use crate::summary::pooling::{Pooling, PoolingLayer};
use crate::summary::residual_mlp::{MlpStyle, ResidualMlp};
use crate::{Dense, LayerNorm};
use abi_tensor::{Backend, ParamPath, Result, Tensor};
use rand::{Rng, RngCore};

/// A learnable permutation-invariant function (Zaheer et al., 2017; Bloem-Reddy & Teh,
/// 2020): `outer(pool(inner(x)))` with residual MLPs and linear projections,
/// `(batch, n, in_dim)` → `(batch, outer_widths.last())`. Pooling skips padded elements.
#[derive(Debug, Clone)]
pub(crate) struct InvariantLayer<B: Backend> {
    inner: ResidualMlp<B>,
    inner_projector: Dense<B>,
    pooling: PoolingLayer<B>,
    outer: ResidualMlp<B>,
    outer_projector: Dense<B>,
    out_dim: usize,
}

impl<B: Backend> InvariantLayer<B> {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        path: &ParamPath<B>,
        in_dim: usize,
        inner_widths: &[usize],
        outer_widths: &[usize],
        pooling: Pooling,
        style: MlpStyle,
        rng: &mut (impl Rng + ?Sized),
    ) -> Result<Self> {
        let mut rng = rng;
        let inner = ResidualMlp::new(&path.sub("inner"), in_dim, inner_widths, style, &mut rng)?;
        let d = inner.out_dim();
        let inner_projector = dense(&path.sub("inner_projector"), d, d, style.init, &mut rng)?;
        let pooling = PoolingLayer::new(pooling, &path.sub("pooling"), d, style.dropout, &mut rng)?;
        let outer = ResidualMlp::new(
            &path.sub("outer"),
            pooling.out_dim(),
            outer_widths,
            style,
            &mut rng,
        )?;
        let out_dim = outer.out_dim();
        let outer_projector = dense(
            &path.sub("outer_projector"),
            out_dim,
            out_dim,
            style.init,
            &mut rng,
        )?;
        Ok(Self {
            inner,
            inner_projector,
            pooling,
            outer,
            outer_projector,
            out_dim,
        })
    }

    pub fn out_dim(&self) -> usize {
        self.out_dim
    }

    /// `(batch, n, in_dim)` with mask `(batch, n)` → `(batch, out_dim)`.
    pub fn forward(
        &self,
        x: &Tensor<B>,
        mask: Option<&Tensor<B>>,
        mut rng: Option<&mut (dyn RngCore + '_)>,
    ) -> Result<Tensor<B>> {
        let h = self.inner.forward(x, rng.as_deref_mut())?;
        let pooled = if matches!(self.pooling, PoolingLayer::Mean(_)) {
            // the mean commutes with the affine projector: project once per set instead of
            // once per element
            let mean = self.pooling.forward(&h, mask, rng.as_deref_mut())?;
            self.inner_projector.forward(&mean)?
        } else {
            let h = self.inner_projector.forward(&h)?;
            self.pooling.forward(&h, mask, rng.as_deref_mut())?
        };
        let out = self.outer.forward(&pooled, rng)?;
        self.outer_projector.forward(&out)
    }
}

/// A permutation-equivariant layer: each element is projected, joined with an invariant
/// summary of the whole (real) set, passed through a residual MLP and added back, then
/// layer-normalised: `(batch, n, in_dim)` → `(batch, n, widths.last())`.
#[derive(Debug, Clone)]
pub(crate) struct EquivariantLayer<B: Backend> {
    input_projector: Dense<B>,
    invariant: InvariantLayer<B>,
    fc: ResidualMlp<B>,
    fc_projector: Dense<B>,
    layer_norm: LayerNorm<B>,
    out_dim: usize,
}

/// The widths of an [`EquivariantLayer`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct EquivariantWidths<'a> {
    pub equivariant: &'a [usize],
    pub invariant_inner: &'a [usize],
    pub invariant_outer: &'a [usize],
}

impl<B: Backend> EquivariantLayer<B> {
    pub fn new(
        path: &ParamPath<B>,
        in_dim: usize,
        widths: EquivariantWidths<'_>,
        pooling: Pooling,
        style: MlpStyle,
        rng: &mut (impl Rng + ?Sized),
    ) -> Result<Self> {
        let mut rng = rng;
        let d = widths.equivariant.last().copied().unwrap_or(in_dim);
        let g = KernelInit::GlorotUniform;
        let input_projector = dense(&path.sub("input_projector"), in_dim, d, g, &mut rng)?;
        let invariant = InvariantLayer::new(
            &path.sub("invariant"),
            d,
            widths.invariant_inner,
            widths.invariant_outer,
            pooling,
            style,
            &mut rng,
        )?;
        let fc = ResidualMlp::new(
            &path.sub("equivariant_fc"),
            d + invariant.out_dim(),
            widths.equivariant,
            style,
            &mut rng,
        )?;
        let fc_projector = dense(
            &path.sub("fc_projector"),
            fc.out_dim(),
            d,
            style.init,
            &mut rng,
        )?;
        let layer_norm = LayerNorm::new(&path.sub("layer_norm"), d, &mut rng)?;
        Ok(Self {
            input_projector,
            invariant,
            fc,
            fc_projector,
            layer_norm,
            out_dim: d,
        })
    }

    pub fn out_dim(&self) -> usize {
        self.out_dim
    }

    /// `(batch, n, in_dim)` with mask `(batch, n)` → `(batch, n, out_dim)`.
    pub fn forward(
        &self,
        x: &Tensor<B>,
        mask: Option<&Tensor<B>>,
        mut rng: Option<&mut (dyn RngCore + '_)>,
    ) -> Result<Tensor<B>> {
        mask::check("EquivariantLayer", x, mask)?;
        let s = x.shape();
        let h = self.input_projector.forward(x)?;
        let summary = self.invariant.forward(&h, mask, rng.as_deref_mut())?;
        let tiled = summary
            .unsqueeze(1)?
            .broadcast_to(&[s[0], s[1], self.invariant.out_dim()])?;
        let joined = Tensor::cat(&[h.clone(), tiled], 2)?;
        let update = self.fc_projector.forward(&self.fc.forward(&joined, rng)?)?;
        self.layer_norm.forward(&h.add(&update)?)
    }
}
