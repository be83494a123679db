//! Parameter files, optimisers, checkpoints and determinism on the ndarray backend.

use abi_ndarray::{Cpu, NdArray};
use abi_tensor::optim::{
    AdamConfig, LrSchedule, Optimizer, SgdConfig, clip_grad_norm, load_checkpoint, save_checkpoint,
};
use abi_tensor::{Init, ParamStore, Result, Tensor, TensorError, io};
use rand::SeedableRng;
use std::collections::BTreeMap;

type B = NdArray;

fn rng(seed: u64) -> rand_chacha::ChaCha8Rng {
    rand_chacha::ChaCha8Rng::seed_from_u64(seed)
}

/// A two-layer regression model and its data, all from one seed.
struct Model {
    store: ParamStore<B>,
    x: Tensor<B>,
    y: Tensor<B>,
}

impl Model {
    fn new(seed: u64) -> Result<Self> {
        let mut r = rng(seed);
        let store = ParamStore::<B>::new(Cpu);
        let root = store.root().sub("net");
        root.sub(0)
            .param("weight", &[3, 16], Init::GlorotUniform, &mut r)?;
        root.sub(0).param("bias", &[16], Init::Zeros, &mut r)?;
        root.sub(1)
            .param("weight", &[16, 1], Init::GlorotUniform, &mut r)?;
        root.sub(1).param("bias", &[1], Init::Zeros, &mut r)?;
        let x = Tensor::randn(&[64, 3], &mut r, &Cpu)?;
        let y = x.sin()?.sum(&[1], true)?;
        Ok(Self { store, x, y })
    }

    fn loss(&self) -> Result<Tensor<B>> {
        let p = |n: &str| {
            self.store
                .get(n)
                .map(|p| p.value())
                .ok_or(TensorError::Param(n.into()))
        };
        let h = self
            .x
            .matmul(&p("net.0.weight")?)?
            .add(&p("net.0.bias")?)?
            .tanh()?;
        let out = h.matmul(&p("net.1.weight")?)?.add(&p("net.1.bias")?)?;
        out.sub(&self.y)?.square()?.mean_all()
    }

    fn step(&self, opt: &mut dyn Optimizer<B>) -> Result<f64> {
        let loss = self.loss()?;
        let mut grads = loss.backward()?;
        clip_grad_norm(&mut grads, &self.store.trainable_params(), 1.5)?;
        opt.step(&self.store.trainable_params(), &grads)?;
        loss.to_scalar()
    }
}

fn bits(store: &ParamStore<B>) -> BTreeMap<String, Vec<u32>> {
    store
        .tensors()
        .into_iter()
        .map(|(n, t)| {
            (
                n,
                t.to_vec()
                    .unwrap_or_default()
                    .iter()
                    .map(|v| v.to_bits())
                    .collect(),
            )
        })
        .collect()
}

#[test]
fn save_and_load_round_trip_bit_exactly() -> Result<()> {
    let dir = tempfile::tempdir().map_err(|e| TensorError::Io {
        path: "tmp".into(),
        source: e,
    })?;
    let path = dir.path().join("params.safetensors");
    let a = Model::new(1)?;
    a.store.save(&path)?;
    let b = Model::new(2)?;
    assert_ne!(bits(&a.store), bits(&b.store));
    b.store.load(&path)?;
    assert_eq!(bits(&a.store), bits(&b.store));
    // f32 weights load into an f64 model exactly
    let wide = ParamStore::<NdArray<f64>>::new(Cpu);
    let file = io::load_tensors::<NdArray<f64>>(&path, &Cpu)?;
    for (name, t) in &file.tensors {
        wide.insert(name, t.clone(), true)?;
    }
    let w64 = wide
        .get("net.0.weight")
        .map(|p| p.value().to_vec())
        .transpose()?
        .unwrap_or_default();
    let w32 = a
        .store
        .get("net.0.weight")
        .map(|p| p.value().to_vec())
        .transpose()?
        .unwrap_or_default();
    assert!(w64.iter().zip(&w32).all(|(x, y)| *x == *y as f64));
    Ok(())
}

#[test]
fn bad_files_are_typed_errors() -> Result<()> {
    let dir = tempfile::tempdir().map_err(|e| TensorError::Io {
        path: "tmp".into(),
        source: e,
    })?;
    let m = Model::new(3)?;
    let good = dir.path().join("good.safetensors");
    m.store.save(&good)?;
    let bytes = std::fs::read(&good).map_err(|e| TensorError::Io {
        path: "good".into(),
        source: e,
    })?;

    // truncated / corrupt bytes
    let corrupt = dir.path().join("corrupt.safetensors");
    std::fs::write(&corrupt, &bytes[..bytes.len() / 2]).map_err(|e| TensorError::Io {
        path: "c".into(),
        source: e,
    })?;
    let e = m.store.load(&corrupt).unwrap_err();
    assert!(matches!(e, TensorError::File { .. }), "{e}");
    assert!(e.to_string().contains("corrupt.safetensors"), "{e}");

    // garbage
    std::fs::write(&corrupt, b"not a model file at all").map_err(|e| TensorError::Io {
        path: "c".into(),
        source: e,
    })?;
    assert!(matches!(
        m.store.load(&corrupt),
        Err(TensorError::File { .. })
    ));

    // missing file
    assert!(matches!(
        m.store.load(dir.path().join("none")),
        Err(TensorError::Io { .. })
    ));

    // a model with other parameter names
    let other = ParamStore::<B>::new(Cpu);
    other.root().param("w", &[2], Init::Zeros, &mut rng(0))?;
    let e = other.load(&good).unwrap_err();
    assert!(e.to_string().contains("unknown parameter"), "{e}");

    // same names, other shape
    let mut r = rng(0);
    let wrong = ParamStore::<B>::new(Cpu);
    let root = wrong.root().sub("net");
    root.sub(0).param("weight", &[3, 8], Init::Zeros, &mut r)?;
    root.sub(0).param("bias", &[16], Init::Zeros, &mut r)?;
    root.sub(1).param("weight", &[16, 1], Init::Zeros, &mut r)?;
    root.sub(1).param("bias", &[1], Init::Zeros, &mut r)?;
    let e = wrong.load(&good).unwrap_err();
    assert!(
        e.to_string().contains("[3, 8]") && e.to_string().contains("[3, 16]"),
        "{e}"
    );

    // a future format version
    let mut meta = BTreeMap::new();
    meta.insert("note".to_string(), "x".to_string());
    let tensors = m.store.tensors();
    let mut bytes = io::to_bytes(&tensors, &meta)?;
    let needle = b"\"abi.format_version\":\"1\"";
    let at = bytes
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("version in header");
    bytes[at + needle.len() - 2] = b'9';
    let e = io::from_bytes::<B>(&bytes, &Cpu).unwrap_err();
    assert!(e.to_string().contains("version"), "{e}");
    Ok(())
}

#[test]
fn duplicate_and_malformed_names_are_rejected() {
    let store = ParamStore::<B>::new(Cpu);
    let mut r = rng(0);
    assert!(store.root().param("w", &[2], Init::Zeros, &mut r).is_ok());
    assert!(matches!(
        store.root().param("w", &[2], Init::Zeros, &mut r),
        Err(TensorError::Param(_))
    ));
    assert!(
        store
            .root()
            .param("a.b", &[2], Init::Zeros, &mut r)
            .is_err()
    );
    assert!(store.root().param("", &[2], Init::Zeros, &mut r).is_err());
}

#[test]
fn frozen_parameters_get_no_gradient_and_no_update() -> Result<()> {
    let m = Model::new(4)?;
    assert_eq!(m.store.freeze("net.0"), 2);
    let before = bits(&m.store);
    let mut opt = AdamConfig::new(1e-2).build::<B>()?;
    m.step(&mut opt)?;
    let after = bits(&m.store);
    assert_eq!(before["net.0.weight"], after["net.0.weight"]);
    assert_ne!(before["net.1.weight"], after["net.1.weight"]);
    assert_eq!(m.store.trainable_params().len(), 2);
    Ok(())
}

#[test]
fn optimisers_reduce_the_loss() -> Result<()> {
    let configs: Vec<(&str, Box<dyn Optimizer<B>>)> = vec![
        ("adam", Box::new(AdamConfig::new(1e-2).build::<B>()?)),
        (
            "adamw",
            Box::new(AdamConfig::adamw(1e-2, 5e-3).build::<B>()?),
        ),
        ("sgd", Box::new(SgdConfig::new(5e-2, 0.9).build::<B>()?)),
        (
            "adam-cosine",
            Box::new(
                AdamConfig::new(1e-2)
                    .with_schedule(LrSchedule::cosine_with_warmup(1e-2, 10, 200))
                    .build::<B>()?,
            ),
        ),
    ];
    for (name, mut opt) in configs {
        let m = Model::new(5)?;
        let first = m.loss()?.to_scalar()?;
        for _ in 0..200 {
            m.step(opt.as_mut())?;
        }
        let last = m.loss()?.to_scalar()?;
        assert!(last < 0.1 * first, "{name}: loss {first} -> {last}");
    }
    Ok(())
}

#[test]
fn adamw_decays_weights_without_gradient_signal() -> Result<()> {
    // zero gradient: AdamW shrinks by (1 - lr·wd) per step, Adam leaves weights alone
    let store = ParamStore::<B>::new(Cpu);
    let p = store.root().param("w", &[4], Init::Ones, &mut rng(0))?;
    let mut opt = AdamConfig::adamw(0.1, 0.5).build::<B>()?;
    for _ in 0..3 {
        let loss = p.value().mul_scalar(0.0)?.sum_all()?;
        opt.step(&store.params(), &loss.backward()?)?;
    }
    let w = p.value().to_f64_vec()?;
    let want = 0.95f64.powi(3);
    assert!(w.iter().all(|v| (v - want).abs() < 1e-5), "{w:?} vs {want}");
    Ok(())
}

#[test]
fn clipping_bounds_the_global_norm() -> Result<()> {
    let m = Model::new(6)?;
    let loss = m.loss()?.mul_scalar(1e3)?;
    let mut grads = loss.backward()?;
    let params = m.store.trainable_params();
    let before = clip_grad_norm(&mut grads, &params, 1.0)?;
    assert!(before > 1.0);
    let after = clip_grad_norm(&mut grads, &params, f64::INFINITY)?;
    assert!((after - 1.0).abs() < 1e-4, "norm after clipping {after}");
    Ok(())
}

#[test]
fn checkpoints_resume_bit_exactly() -> Result<()> {
    let dir = tempfile::tempdir().map_err(|e| TensorError::Io {
        path: "tmp".into(),
        source: e,
    })?;
    let path = dir.path().join("ckpt.safetensors");
    let schedule = LrSchedule::cosine_with_warmup(1e-2, 3, 20);
    // uninterrupted run
    let a = Model::new(7)?;
    let mut oa = AdamConfig::new(1e-2).with_schedule(schedule).build::<B>()?;
    let mut losses_a = Vec::new();
    for _ in 0..10 {
        losses_a.push(a.step(&mut oa)?);
    }
    // interrupted after 5 steps, resumed in a fresh model and optimiser
    let b = Model::new(7)?;
    let mut ob = AdamConfig::new(1e-2).with_schedule(schedule).build::<B>()?;
    let mut losses_b = Vec::new();
    for _ in 0..5 {
        losses_b.push(b.step(&mut ob)?);
    }
    save_checkpoint(&path, &b.store, &ob)?;
    let c = Model::new(99)?;
    let mut oc = AdamConfig::new(1e-2).with_schedule(schedule).build::<B>()?;
    load_checkpoint(&path, &c.store, &mut oc)?;
    let c = Model {
        x: b.x.clone(),
        y: b.y.clone(),
        ..c
    };
    assert_eq!(oc.steps_taken(), 5);
    for _ in 0..5 {
        losses_b.push(c.step(&mut oc)?);
    }
    assert_eq!(losses_a, losses_b);
    assert_eq!(bits(&a.store), bits(&c.store));
    // an SGD state does not load into Adam
    let mut sgd = SgdConfig::new(0.1, 0.9).build::<B>()?;
    save_checkpoint(&path, &c.store, &sgd)?;
    assert!(load_checkpoint(&path, &c.store, &mut oc).is_err());
    load_checkpoint(&path, &c.store, &mut sgd)?;
    Ok(())
}

#[test]
fn results_do_not_depend_on_the_thread_count() -> Result<()> {
    type Trace = (Vec<u64>, BTreeMap<String, Vec<u32>>);
    let run = |threads: usize| -> Result<Trace> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .map_err(|e| TensorError::InvalidArgument {
                op: "pool",
                reason: e.to_string(),
            })?;
        pool.install(|| {
            // big enough for the parallel matmul and elementwise paths
            let mut r = rng(11);
            let store = ParamStore::<B>::new(Cpu);
            let w1 = store
                .root()
                .param("w1", &[64, 512], Init::GlorotUniform, &mut r)?;
            let w2 = store
                .root()
                .param("w2", &[512, 1], Init::GlorotUniform, &mut r)?;
            let x = Tensor::<B>::randn(&[256, 64], &mut r, &Cpu)?;
            let mut opt = AdamConfig::new(1e-3).build::<B>()?;
            let mut losses = Vec::new();
            for _ in 0..3 {
                let loss = x
                    .matmul(&w1.value())?
                    .gelu()?
                    .matmul(&w2.value())?
                    .square()?
                    .mean_all()?;
                opt.step(&store.params(), &loss.backward()?)?;
                losses.push(loss.to_scalar()?.to_bits());
            }
            Ok((losses, bits(&store)))
        })
    };
    assert_eq!(run(1)?, run(2)?);
    Ok(())
}
