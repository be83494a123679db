//! The conformance kit must fail a backend whose backward rule is wrong.
//!
//! `WrongTanh` delegates everything to `NdArray<f64>` except `tanh`, whose value is right but
//! whose gradient is `0.5` instead of `1 - tanh²` (a straight-through construction:
//! `tanh(x).detach() + 0.5 (x - x.detach())`).

use abi_ndarray::{Cpu, NdArray, NdTensor};
use abi_tensor::conformance::families;
use abi_tensor::{
    Backend, BinaryOp, CmpOp, Gradients, ReduceOp, Result, Tensor, TensorId, UnaryOp,
};

type Inner = NdArray<f64>;

#[derive(Debug, Clone, Copy, Default)]
struct WrongTanh;

fn re_key(g: Gradients<Inner>, probes: &[NdTensor<f64>]) -> Gradients<WrongTanh> {
    let mut out = Gradients::new();
    for p in probes {
        if let Some(v) = g.get(&Tensor::from_raw(p.clone())) {
            out.insert_raw(Inner::id(p), v.into_raw());
        }
    }
    out
}

thread_local! {
    static LEAVES: std::cell::RefCell<Vec<NdTensor<f64>>> = const { std::cell::RefCell::new(Vec::new()) };
}

impl Backend for WrongTanh {
    type Elem = f64;
    type Tensor = NdTensor<f64>;
    type Device = Cpu;

    fn name() -> String {
        "wrong-tanh".into()
    }
    fn from_vec(data: Vec<f64>, shape: &[usize], d: &Cpu) -> Result<NdTensor<f64>> {
        Inner::from_vec(data, shape, d)
    }
    fn to_vec(x: &NdTensor<f64>) -> Result<Vec<f64>> {
        Inner::to_vec(x)
    }
    fn shape(x: &NdTensor<f64>) -> Vec<usize> {
        Inner::shape(x)
    }
    fn device(x: &NdTensor<f64>) -> Cpu {
        Inner::device(x)
    }
    fn to_device(x: &NdTensor<f64>, d: &Cpu) -> Result<NdTensor<f64>> {
        Inner::to_device(x, d)
    }
    fn unary(op: UnaryOp, x: &NdTensor<f64>) -> Result<NdTensor<f64>> {
        if op != UnaryOp::Tanh {
            return Inner::unary(op, x);
        }
        let right = Inner::detach(&Inner::unary(UnaryOp::Tanh, x)?);
        let zero_valued = Inner::binary(BinaryOp::Sub, x, &Inner::detach(x))?;
        let half = Inner::unary(UnaryOp::MulScalar(0.5), &zero_valued)?;
        Inner::binary(BinaryOp::Add, &right, &half)
    }
    fn binary(op: BinaryOp, a: &NdTensor<f64>, b: &NdTensor<f64>) -> Result<NdTensor<f64>> {
        Inner::binary(op, a, b)
    }
    fn compare(op: CmpOp, a: &NdTensor<f64>, b: &NdTensor<f64>) -> Result<NdTensor<f64>> {
        Inner::compare(op, a, b)
    }
    fn where_cond(
        m: &NdTensor<f64>,
        a: &NdTensor<f64>,
        b: &NdTensor<f64>,
    ) -> Result<NdTensor<f64>> {
        Inner::where_cond(m, a, b)
    }
    fn matmul(a: &NdTensor<f64>, b: &NdTensor<f64>) -> Result<NdTensor<f64>> {
        Inner::matmul(a, b)
    }
    fn reduce(
        op: ReduceOp,
        x: &NdTensor<f64>,
        axes: &[usize],
        keep: bool,
    ) -> Result<NdTensor<f64>> {
        Inner::reduce(op, x, axes, keep)
    }
    fn cumsum(x: &NdTensor<f64>, axis: usize) -> Result<NdTensor<f64>> {
        Inner::cumsum(x, axis)
    }
    fn reshape(x: &NdTensor<f64>, shape: &[usize]) -> Result<NdTensor<f64>> {
        Inner::reshape(x, shape)
    }
    fn permute(x: &NdTensor<f64>, perm: &[usize]) -> Result<NdTensor<f64>> {
        Inner::permute(x, perm)
    }
    fn broadcast_to(x: &NdTensor<f64>, shape: &[usize]) -> Result<NdTensor<f64>> {
        Inner::broadcast_to(x, shape)
    }
    fn cat(xs: &[NdTensor<f64>], axis: usize) -> Result<NdTensor<f64>> {
        Inner::cat(xs, axis)
    }
    fn narrow(x: &NdTensor<f64>, axis: usize, start: usize, len: usize) -> Result<NdTensor<f64>> {
        Inner::narrow(x, axis, start, len)
    }
    fn index_select(x: &NdTensor<f64>, axis: usize, idx: &[usize]) -> Result<NdTensor<f64>> {
        Inner::index_select(x, axis, idx)
    }
    fn gather(x: &NdTensor<f64>, axis: usize, idx: &NdTensor<f64>) -> Result<NdTensor<f64>> {
        Inner::gather(x, axis, idx)
    }
    fn scatter_add(
        x: &NdTensor<f64>,
        axis: usize,
        idx: &NdTensor<f64>,
        src: &NdTensor<f64>,
    ) -> Result<NdTensor<f64>> {
        Inner::scatter_add(x, axis, idx, src)
    }
    fn flip(x: &NdTensor<f64>, axes: &[usize]) -> Result<NdTensor<f64>> {
        Inner::flip(x, axes)
    }
    fn searchsorted(s: &NdTensor<f64>, v: &NdTensor<f64>, right: bool) -> Result<NdTensor<f64>> {
        Inner::searchsorted(s, v, right)
    }
    fn detach(x: &NdTensor<f64>) -> NdTensor<f64> {
        Inner::detach(x)
    }
    fn track(x: &NdTensor<f64>) -> NdTensor<f64> {
        let t = Inner::track(x);
        LEAVES.with(|l| l.borrow_mut().push(t.clone()));
        t
    }
    fn is_tracked(x: &NdTensor<f64>) -> bool {
        Inner::is_tracked(x)
    }
    fn id(x: &NdTensor<f64>) -> TensorId {
        Inner::id(x)
    }
    fn backward(out: &NdTensor<f64>, seed: &NdTensor<f64>) -> Result<Gradients<Self>> {
        let g = Inner::backward(out, seed)?;
        Ok(LEAVES.with(|l| re_key(g, &l.borrow())))
    }
    fn grad_enabled() -> bool {
        Inner::grad_enabled()
    }
    fn set_grad_enabled(enabled: bool) -> bool {
        Inner::set_grad_enabled(enabled)
    }
}

#[test]
fn a_wrong_tanh_gradient_fails_the_kit() {
    let (_, unary) = families::<WrongTanh>()
        .into_iter()
        .find(|(name, _)| *name == "unary")
        .expect("the unary family exists");
    let failures = unary(&Cpu);
    assert!(
        failures.iter().any(|f| f.case == "unary/tanh/grad"),
        "the kit did not catch the wrong tanh rule: {failures:?}"
    );
    // values are right, and every other operation still passes
    assert!(
        failures.iter().all(|f| f.case == "unary/tanh/grad"),
        "{failures:?}"
    );
}

#[test]
fn the_same_wrapper_without_the_fault_would_pass_the_other_families() {
    for (name, family) in families::<WrongTanh>() {
        if name == "unary" || name == "autodiff" {
            continue;
        }
        let failures = family(&Cpu);
        // composite activations (mish) and the composed GRU update (the wrapper does not
        // forward the fused one) use tanh, so only those tanh-dependent cases may fail
        assert!(
            failures
                .iter()
                .all(|f| f.case.starts_with("activations") || f.case.starts_with("gru_update")),
            "{name}: {failures:?}"
        );
    }
}
