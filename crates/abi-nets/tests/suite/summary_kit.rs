//! The summary-network test kit: one generic set of checks that every summary network runs
//! (as the backend conformance kit does for backends). Each check returns `Err` with what
//! went wrong, so that a test can also show that a broken network fails it.
//!
//! Checks: output shape (f32 and f64, evaluation and training mode), permutation invariance
//! (sets) or order sensitivity (sequences), mask invariance (padding with masked random
//! elements, per-row lengths, rows of padding only stay finite), finite-difference input and
//! parameter gradients in f64, a save/load round trip through the `ParamStore`, set or
//! sequence sizes 10 and 100 with the same network, and building by name from the registry
//! (defaults, unknown settings rejected).
#![allow(clippy::unwrap_used)] // test helpers

use abi_ndarray::{Cpu, NdArray};
use abi_nets::summary::SummaryNetwork;
use abi_nets::{NetError, NetworkSpec, Registry, SummaryConfig};
use abi_tensor::{Backend, ParamStore, Tensor};
use rand::{Rng, SeedableRng};

type B64 = NdArray<f64>;
type B32 = NdArray<f32>;
type Check = Result<(), String>;

/// What the network summarises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// exchangeable sets: permutation invariant, padding anywhere
    Set,
    /// time series: order matters, padding trails
    Sequence,
}

/// Elements per data set and features per element of the kit's inputs.
const N: usize = 6;
const DIM: usize = 3;

fn rng(seed: u64) -> rand_chacha::ChaCha8Rng {
    rand_chacha::ChaCha8Rng::seed_from_u64(seed)
}

fn build<B: Backend, C: SummaryConfig>(
    config: &C,
    store: &ParamStore<B>,
    seed: u64,
) -> Result<Box<dyn SummaryNetwork<B>>, String> {
    config
        .build_network(&store.root().sub("summary"), &[N, DIM], &mut rng(seed))
        .map_err(|e| format!("building {}: {e}", C::NAME))
}

fn randn<B: Backend>(shape: &[usize], seed: u64) -> Tensor<B>
where
    B::Device: Default,
{
    Tensor::randn(shape, &mut rng(seed), &B::Device::default()).unwrap()
}

fn max_abs_diff<B: Backend>(a: &Tensor<B>, b: &Tensor<B>) -> f64 {
    let (a, b) = (a.to_f64_vec().unwrap(), b.to_f64_vec().unwrap());
    a.iter()
        .zip(&b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

fn all_finite<B: Backend>(what: &str, t: &Tensor<B>) -> Check {
    if t.to_f64_vec().unwrap().iter().all(|v| v.is_finite()) {
        Ok(())
    } else {
        Err(format!("{what}: non-finite values"))
    }
}

fn summarize<B: Backend>(
    net: &dyn SummaryNetwork<B>,
    x: &Tensor<B>,
    mask: Option<&Tensor<B>>,
) -> Result<Tensor<B>, String> {
    net.summarize(x, mask)
        .map_err(|e| format!("summarize: {e}"))
}

/// Runs every check, stopping at the first failure.
pub fn check_all<C: SummaryConfig>(config: &C, kind: Kind) -> Check {
    output_shape(config)?;
    symmetry(config, kind)?;
    mask_invariance(config, kind)?;
    input_gradient(config)?;
    parameter_gradient(config)?;
    save_load(config)?;
    varying_size(config)?;
    registry::<C>()
}

/// `(batch, N, DIM)` → `(batch, output_dim)`, finite, in f32 and f64, in both modes;
/// evaluation is deterministic.
pub fn output_shape<C: SummaryConfig>(config: &C) -> Check {
    fn one<B: Backend, C: SummaryConfig>(config: &C) -> Check
    where
        B::Device: Default,
    {
        let store = ParamStore::<B>::new(B::Device::default());
        let net = build(config, &store, 1)?;
        let x = randn::<B>(&[4, N, DIM], 2);
        let y = summarize(net.as_ref(), &x, None)?;
        if y.shape() != [4, net.output_dim()] {
            return Err(format!(
                "output shape {:?}, want [4, {}]",
                y.shape(),
                net.output_dim()
            ));
        }
        all_finite("summary", &y)?;
        if max_abs_diff(&y, &summarize(net.as_ref(), &x, None)?) != 0.0 {
            return Err("evaluation mode is not deterministic".into());
        }
        let t = net
            .summarize_train(&x, None, &mut rng(3))
            .map_err(|e| format!("summarize_train: {e}"))?;
        if t.shape() != y.shape() {
            return Err(format!("training-mode shape {:?}", t.shape()));
        }
        all_finite("training-mode summary", &t)
    }
    one::<B32, C>(config)?;
    one::<B64, C>(config)
}

/// Sets: permuting the elements changes the summary by at most 1e-5. Sequences: reversing
/// time changes it by more than 1e-6.
pub fn symmetry<C: SummaryConfig>(config: &C, kind: Kind) -> Check {
    let store = ParamStore::<B64>::new(Cpu);
    let net = build(config, &store, 1)?;
    let x = randn::<B64>(&[3, N, DIM], 4);
    let perm: Vec<usize> = match kind {
        Kind::Set => vec![3, 0, 5, 1, 4, 2],
        Kind::Sequence => (0..N).rev().collect(),
    };
    let y = summarize(net.as_ref(), &x, None)?;
    let yp = summarize(net.as_ref(), &x.index_select(1, &perm).unwrap(), None)?;
    let d = max_abs_diff(&y, &yp);
    match kind {
        Kind::Set if d > 1e-5 => Err(format!("not permutation invariant: max diff {d:e}")),
        Kind::Sequence if d < 1e-6 => Err(format!("insensitive to order: max diff {d:e}")),
        _ => Ok(()),
    }
}

/// Pads each data set with masked random elements (anywhere in sets, at the end of
/// sequences), rows of different real lengths; the summary of each row must match that of
/// the unpadded data set within 1e-5. An all-ones mask changes nothing; a row of padding
/// only gives finite values.
pub fn mask_invariance<C: SummaryConfig>(config: &C, kind: Kind) -> Check {
    let store = ParamStore::<B64>::new(Cpu);
    let net = build(config, &store, 1)?;
    let net = net.as_ref();
    let lengths = [N, 4, 1];
    let total = N + 4;
    let mut r = rng(5);
    let mut data = Vec::new();
    let mut mask = Vec::new();
    let mut want = Vec::new();
    for (row, &len) in lengths.iter().enumerate() {
        let real = randn::<B64>(&[1, len, DIM], 10 + row as u64);
        want.push(summarize(net, &real, None)?);
        let real = real.to_f64_vec().unwrap();
        // which positions of the padded row hold the real elements, in order
        let mut is_real = vec![false; total];
        match kind {
            Kind::Sequence => is_real[..len].iter_mut().for_each(|v| *v = true),
            Kind::Set => {
                let mut placed = 0;
                while placed < len {
                    let i = r.random_range(0..total);
                    if !is_real[i] {
                        is_real[i] = true;
                        placed += 1;
                    }
                }
            }
        }
        let mut next = 0;
        for &real_here in &is_real {
            if real_here {
                data.extend_from_slice(&real[next * DIM..(next + 1) * DIM]);
                next += 1;
            } else {
                data.extend((0..DIM).map(|_| 10.0 * r.random::<f64>() - 5.0));
            }
            mask.push(if real_here { 1.0 } else { 0.0 });
        }
    }
    let b = lengths.len();
    let x = Tensor::<B64>::from_f64(&data, &[b, total, DIM], &Cpu).unwrap();
    let m = Tensor::<B64>::from_f64(&mask, &[b, total], &Cpu).unwrap();
    let got = summarize(net, &x, Some(&m))?;
    for (row, want) in want.iter().enumerate() {
        let d = max_abs_diff(&got.narrow(0, row, 1).unwrap(), want);
        if d > 1e-5 {
            return Err(format!(
                "mask: row {row} ({} real of {total}) differs from its unpadded summary by {d:e}",
                lengths[row]
            ));
        }
    }
    let x = randn::<B64>(&[2, N, DIM], 6);
    let ones = Tensor::<B64>::ones(&[2, N], &Cpu).unwrap();
    let d = max_abs_diff(
        &summarize(net, &x, Some(&ones))?,
        &summarize(net, &x, None)?,
    );
    if d > 1e-12 {
        return Err(format!(
            "mask: an all-ones mask changes the summary by {d:e}"
        ));
    }
    let empty =
        Tensor::<B64>::from_f64(&[vec![0.0; N], vec![1.0; N]].concat(), &[2, N], &Cpu).unwrap();
    all_finite(
        "mask: a row of padding only",
        &summarize(net, &x, Some(&empty))?,
    )
}

/// `sum(summary · w)` for fixed random weights `w`.
fn scalar<B: Backend>(net: &dyn SummaryNetwork<B>, x: &Tensor<B>, w: &Tensor<B>) -> Tensor<B> {
    net.summarize(x, None)
        .unwrap()
        .mul(w)
        .unwrap()
        .sum_all()
        .unwrap()
}

fn close(what: &str, fd: f64, ad: f64) -> Check {
    if (fd - ad).abs() <= 1e-5 * (1.0 + fd.abs()) {
        Ok(())
    } else {
        Err(format!("{what}: finite difference {fd:e}, autodiff {ad:e}"))
    }
}

const H: f64 = 1e-5;

/// Central finite differences in f64 of a few input coordinates against autodiff.
pub fn input_gradient<C: SummaryConfig>(config: &C) -> Check {
    let store = ParamStore::<B64>::new(Cpu);
    let net = build(config, &store, 1)?;
    let net = net.as_ref();
    let x = randn::<B64>(&[2, N, DIM], 7);
    let w = randn::<B64>(&[2, net.output_dim()], 8);
    let xt = x.detach().track();
    let grads = scalar(net, &xt, &w).backward().unwrap();
    let g = grads
        .get(&xt)
        .ok_or("no gradient for the input")?
        .to_f64_vec()
        .unwrap();
    let base = x.to_f64_vec().unwrap();
    for i in [0, 5, 13, base.len() - 1] {
        let at = |delta: f64| {
            let mut v = base.clone();
            v[i] += delta;
            let xv = Tensor::<B64>::from_f64(&v, &x.shape(), &Cpu).unwrap();
            scalar(net, &xv, &w).to_scalar().unwrap()
        };
        close(
            &format!("input element {i}"),
            (at(H) - at(-H)) / (2.0 * H),
            g[i],
        )?;
    }
    Ok(())
}

/// Central finite differences in f64 of two coordinates of the first, a middle and the last
/// trainable parameter against autodiff.
pub fn parameter_gradient<C: SummaryConfig>(config: &C) -> Check {
    let store = ParamStore::<B64>::new(Cpu);
    let net = build(config, &store, 1)?;
    let net = net.as_ref();
    let params = store.trainable_params();
    if params.is_empty() {
        return Ok(());
    }
    let x = randn::<B64>(&[2, N, DIM], 7);
    let w = randn::<B64>(&[2, net.output_dim()], 8);
    let grads = scalar(net, &x, &w).backward().unwrap();
    for p in [
        &params[0],
        &params[params.len() / 2],
        &params[params.len() - 1],
    ] {
        let original = p.value().detach();
        let base = original.to_f64_vec().unwrap();
        let g = match grads.get(&p.value()) {
            Some(g) => g.to_f64_vec().unwrap(),
            None => vec![0.0; base.len()],
        };
        for i in [0, base.len() - 1] {
            let at = |delta: f64| {
                let mut v = base.clone();
                v[i] += delta;
                p.set_value(Tensor::from_f64(&v, &original.shape(), &Cpu).unwrap())
                    .unwrap();
                scalar(net, &x, &w).to_scalar().unwrap()
            };
            let fd = (at(H) - at(-H)) / (2.0 * H);
            p.set_value(original.clone()).unwrap();
            close(&format!("parameter {} [{i}]", p.name()), fd, g[i])?;
        }
    }
    Ok(())
}

/// Saving the store and loading it into a network built from another seed reproduces the
/// summaries exactly.
pub fn save_load<C: SummaryConfig>(config: &C) -> Check {
    let store = ParamStore::<B64>::new(Cpu);
    let net = build(config, &store, 1)?;
    let other_store = ParamStore::<B64>::new(Cpu);
    let other = build(config, &other_store, 2)?;
    let x = randn::<B64>(&[3, N, DIM], 9);
    let y = summarize(net.as_ref(), &x, None)?;
    let path = std::env::temp_dir().join(format!(
        "abi-summary-kit-{}-{}.safetensors",
        C::NAME,
        std::process::id()
    ));
    store.save(&path).map_err(|e| format!("save: {e}"))?;
    let loaded = other_store.load(&path).map_err(|e| format!("load: {e}"));
    let _ = std::fs::remove_file(&path);
    loaded?;
    let d = max_abs_diff(&y, &summarize(other.as_ref(), &x, None)?);
    if d != 0.0 {
        return Err(format!("after save and load the summary differs by {d:e}"));
    }
    Ok(())
}

/// The network built for `N` elements summarises data sets of 10 and 100 elements.
pub fn varying_size<C: SummaryConfig>(config: &C) -> Check {
    let store = ParamStore::<B32>::new(Cpu);
    let net = build(config, &store, 1)?;
    for n in [10, 100] {
        let y = summarize(net.as_ref(), &randn::<B32>(&[2, n, DIM], n as u64), None)?;
        if y.shape() != [2, net.output_dim()] {
            return Err(format!("{n} elements: output shape {:?}", y.shape()));
        }
        all_finite(&format!("{n} elements"), &y)?;
    }
    Ok(())
}

/// The registry (with `C` registered, as the built-ins are) builds the network by name with
/// its defaults (or refuses them as building directly does) and rejects an unknown setting.
pub fn registry<C: SummaryConfig>() -> Check {
    let mut registry = Registry::<B32>::new();
    if !registry.summary_names().contains(&C::NAME) {
        registry
            .register_summary::<C>()
            .map_err(|e| format!("register: {e}"))?;
    }
    let store = ParamStore::<B32>::new(Cpu);
    let path = store.root().sub("summary");
    let by_name = registry.build_summary(&NetworkSpec::new(C::NAME), &path, &[N, DIM], &mut rng(1));
    let direct = build(&C::default(), &ParamStore::<B32>::new(Cpu), 1);
    match (by_name, direct) {
        (Ok((net, resolved)), Ok(direct)) => {
            if net.output_dim() != direct.output_dim() || resolved.name != C::NAME {
                return Err("the registry's network differs from the default configuration".into());
            }
        }
        // defaults that need settings to build (a fusion's backbones): both refuse alike
        (Err(NetError::Config { .. }), Err(_)) => {}
        (Err(e), _) => return Err(format!("registry build: {e}")),
        (Ok(_), Err(e)) => {
            return Err(format!("the registry builds what the defaults refuse: {e}"));
        }
    }
    let bad = NetworkSpec::new(C::NAME)
        .set("no_such_setting=1")
        .map_err(|e| e.to_string())?;
    match registry.build_summary(&bad, &store.root().sub("bad"), &[N, DIM], &mut rng(1)) {
        Err(NetError::Settings { .. }) => Ok(()),
        Err(e) => Err(format!("an unknown setting gave the wrong error: {e}")),
        Ok(_) => Err("an unknown setting was accepted".into()),
    }
}
