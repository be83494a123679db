//! Layer norm, RMS norm, FiLM, Fourier features and multi-head attention: what they compute,
//! their invariances, and a finite-difference check of their input gradients.
#![allow(clippy::unwrap_used)]

use abi_ndarray::{Cpu, NdArray};
use abi_nets::{Film, FourierEmbedding, LayerNorm, MultiHeadAttention, RmsNorm};
use abi_tensor::{ParamStore, Tensor};
use rand::SeedableRng;

type B = NdArray<f64>;

fn rng() -> rand_chacha::ChaCha8Rng {
    rand_chacha::ChaCha8Rng::seed_from_u64(7)
}

fn randn(shape: &[usize], seed: u64) -> Tensor<B> {
    let mut r = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    Tensor::randn(shape, &mut r, &Cpu).unwrap()
}

/// Central finite differences of `sum(f(x) · w)` against autodiff, for every input element.
fn check_input_gradient(x: &Tensor<B>, f: &dyn Fn(&Tensor<B>) -> Tensor<B>) {
    let w = randn(&f(x).shape(), 99);
    let scalar = |x: &Tensor<B>| f(x).mul(&w).unwrap().sum_all().unwrap();
    let xt = x.detach().track();
    let grads = scalar(&xt).backward().unwrap();
    let g = grads.get(&xt).unwrap().to_f64_vec().unwrap();
    let base = x.to_f64_vec().unwrap();
    let h = 1e-6;
    for i in 0..base.len() {
        let mut plus = base.clone();
        plus[i] += h;
        let mut minus = base.clone();
        minus[i] -= h;
        let fp = scalar(&Tensor::from_f64(&plus, &x.shape(), &Cpu).unwrap())
            .to_scalar()
            .unwrap();
        let fm = scalar(&Tensor::from_f64(&minus, &x.shape(), &Cpu).unwrap())
            .to_scalar()
            .unwrap();
        let fd = (fp - fm) / (2.0 * h);
        assert!(
            (fd - g[i]).abs() < 1e-5 * (1.0 + fd.abs()),
            "element {i}: fd {fd} vs autodiff {}",
            g[i]
        );
    }
}

#[test]
fn layer_and_rms_norm_normalise_rows() {
    let store = ParamStore::<B>::new(Cpu);
    let ln = LayerNorm::new(&store.root().sub("ln"), 6, &mut rng()).unwrap();
    let rms = RmsNorm::new(&store.root().sub("rms"), 6, &mut rng()).unwrap();
    let x = randn(&[5, 6], 1)
        .mul_scalar(3.0)
        .unwrap()
        .add_scalar(2.0)
        .unwrap();
    let y = ln.forward(&x).unwrap().to_f64_vec().unwrap();
    let r = rms.forward(&x).unwrap().to_f64_vec().unwrap();
    for row in 0..5 {
        let v = &y[row * 6..row * 6 + 6];
        let mean = v.iter().sum::<f64>() / 6.0;
        let var = v.iter().map(|a| (a - mean).powi(2)).sum::<f64>() / 6.0;
        assert!(
            mean.abs() < 1e-9 && (var - 1.0).abs() < 1e-2,
            "row {row}: mean {mean}, var {var}"
        );
        let q = &r[row * 6..row * 6 + 6];
        let ms = q.iter().map(|a| a * a).sum::<f64>() / 6.0;
        assert!((ms - 1.0).abs() < 1e-5, "row {row}: mean square {ms}");
    }
    check_input_gradient(&x, &|x| ln.forward(x).unwrap());
    check_input_gradient(&x, &|x| rms.forward(x).unwrap());
    assert!(ln.forward(&randn(&[5, 4], 2)).is_err());
}

#[test]
fn film_starts_as_identity_and_fourier_features_are_bounded() {
    let store = ParamStore::<B>::new(Cpu);
    let film = Film::new(&store.root().sub("film"), 4, 3, &mut rng()).unwrap();
    let x = randn(&[8, 4], 3);
    let c = randn(&[8, 3], 4);
    assert_eq!(
        film.forward(&x, &c).unwrap().to_f64_vec().unwrap(),
        x.to_f64_vec().unwrap()
    );
    check_input_gradient(&c, &|c| film.forward(&x, c).unwrap());

    let emb = FourierEmbedding::new(&store.root().sub("time"), 16, 2.0, &mut rng()).unwrap();
    let t = Tensor::<B>::from_f64(&[0.0, 0.25, 1.0], &[3, 1], &Cpu).unwrap();
    let e = emb.forward(&t).unwrap();
    assert_eq!(e.shape(), [3, 16]);
    let v = e.to_f64_vec().unwrap();
    // t = 0: sines 0, cosines 1
    assert!(
        v[..8].iter().all(|s| s.abs() < 1e-12) && v[8..16].iter().all(|c| (c - 1.0).abs() < 1e-12)
    );
    // sin² + cos² = 1 for every frequency
    for row in 0..3 {
        for i in 0..8 {
            let (s, c) = (v[row * 16 + i], v[row * 16 + 8 + i]);
            assert!((s * s + c * c - 1.0).abs() < 1e-12);
        }
    }
    // the frequencies are saved but not trained
    assert!(!store.get("time.frequencies").unwrap().is_trainable());
    assert!(FourierEmbedding::new(&store.root().sub("odd"), 5, 1.0, &mut rng()).is_err());
}

#[test]
fn attention_is_equivariant_in_queries_invariant_in_keys_and_respects_the_mask() {
    let store = ParamStore::<B>::new(Cpu);
    let mha = MultiHeadAttention::new(&store.root().sub("mha"), 4, 2, 3, &mut rng()).unwrap();
    let x = randn(&[2, 5, 4], 5);
    let y = randn(&[2, 6, 4], 6);
    let out = mha.forward(&x, &y, None).unwrap();
    assert_eq!(out.shape(), [2, 5, 4]);
    let perm = [4usize, 2, 0, 1, 3];
    let key_perm = [5usize, 3, 1, 0, 2, 4];
    let close = |a: &Tensor<B>, b: &Tensor<B>| {
        let (a, b) = (a.to_f64_vec().unwrap(), b.to_f64_vec().unwrap());
        a.iter().zip(&b).all(|(p, q)| (p - q).abs() < 1e-9)
    };
    // permuting the queries permutes the output; permuting keys and values changes nothing
    let px = x.index_select(1, &perm).unwrap();
    assert!(close(
        &mha.forward(&px, &y, None).unwrap(),
        &out.index_select(1, &perm).unwrap()
    ));
    let py = y.index_select(1, &key_perm).unwrap();
    assert!(close(&mha.forward(&x, &py, None).unwrap(), &out));
    // masked keys do not matter: changing them leaves the output unchanged
    let mut m = vec![1.0; 12];
    m[4] = 0.0;
    m[11] = 0.0;
    let mask = Tensor::<B>::from_f64(&m, &[2, 6], &Cpu).unwrap();
    let masked = mha.forward(&x, &y, Some(&mask)).unwrap();
    let mut yv = y.to_f64_vec().unwrap();
    for j in 0..4 {
        yv[4 * 4 + j] += 10.0; // batch 0, key 4
        yv[24 + 5 * 4 + j] -= 7.0; // batch 1, key 5
    }
    let y2 = Tensor::<B>::from_f64(&yv, &[2, 6, 4], &Cpu).unwrap();
    assert!(close(&mha.forward(&x, &y2, Some(&mask)).unwrap(), &masked));
    assert!(!close(&mha.forward(&x, &y2, None).unwrap(), &out));
    check_input_gradient(&x, &|x| mha.forward(x, &y, Some(&mask)).unwrap());
    assert!(mha.forward(&x, &randn(&[2, 6, 3], 8), None).is_err());
}

#[test]
fn residual_mlp_with_layer_norm_matches_its_definition() {
    use abi_nets::{Activation, MlpConfig};
    let store = ParamStore::<B>::new(Cpu);
    let cfg = MlpConfig::new(vec![3, 8, 8, 8, 2])
        .activation(Activation::Mish)
        .residual(true)
        .layer_norm(true);
    let net = cfg.build(&store.root().sub("mlp"), &mut rng()).unwrap();
    assert!(store.get("mlp.norm2.gain").is_some());
    let x = randn(&[4, 3], 11);
    // by hand: the first hidden layer changes width (no skip), the next two add a skip
    // fresh layer norms equal the network's initial ones (gain 1, bias 0)
    let norms: Vec<LayerNorm<B>> = (0..3)
        .map(|_| LayerNorm::new(&ParamStore::<B>::new(Cpu).root(), 8, &mut rng()).unwrap())
        .collect();
    let l = net.layers();
    let block = |i: usize, h: &Tensor<B>| {
        norms[i]
            .forward(&l[i].forward(h).unwrap())
            .unwrap()
            .mish()
            .unwrap()
    };
    let h1 = block(0, &x);
    let h2 = h1.add(&block(1, &h1)).unwrap();
    let h3 = h2.add(&block(2, &h2)).unwrap();
    let want = l[3].forward(&h3).unwrap().to_f64_vec().unwrap();
    let got = net.forward(&x).unwrap().to_f64_vec().unwrap();
    for (a, b) in got.iter().zip(&want) {
        assert!((a - b).abs() < 1e-12, "{a} vs {b}");
    }
    // settings saved before these options existed still load (both default to off)
    let old: MlpConfig =
        serde_json::from_str(r#"{"widths":[2,4,1],"activation":"relu","output_init":"Zeros"}"#)
            .unwrap();
    assert!(!old.residual && !old.layer_norm);
    check_input_gradient(&x, &|x| net.forward(x).unwrap());
}
