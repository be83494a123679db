//! The MLP: shapes, parameter names, errors, and that it learns.

use abi_ndarray::{Cpu, NdArray};
use abi_nets::{Activation, MlpConfig};
use abi_tensor::optim::{AdamConfig, Optimizer};
use abi_tensor::{Init, ParamStore, Tensor};
use rand::SeedableRng;

type B = NdArray;

#[test]
fn shapes_names_and_errors() {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
    let store = ParamStore::<B>::new(Cpu);
    let net = MlpConfig::new(vec![4, 8, 2])
        .activation(Activation::Mish)
        .output_init(Init::Zeros)
        .build(&store.root().sub("net"), &mut rng)
        .unwrap();
    assert_eq!(store.num_elements(), 4 * 8 + 8 + 8 * 2 + 2);
    // rank-3 inputs keep their leading axes
    let x = Tensor::<B>::randn(&[5, 3, 4], &mut rng, &Cpu).unwrap();
    let y = net.forward(&x).unwrap();
    assert_eq!(y.shape(), vec![5, 3, 2]);
    // a zero-initialised output layer starts the network at its (zero) bias
    assert!(y.to_f64_vec().unwrap().iter().all(|v| *v == 0.0));
    let bad = Tensor::<B>::zeros(&[5, 3], &Cpu).unwrap();
    let e = net.forward(&bad).unwrap_err().to_string();
    assert!(e.contains("Dense::forward") && e.contains("[5, 3]"), "{e}");
    assert!(
        MlpConfig::new(vec![3])
            .build(&store.root().sub("x"), &mut rng)
            .is_err()
    );
    assert!(MlpConfig::new(vec![3, 0, 1]).check().is_err());
}

#[test]
fn learns_a_nonlinear_function() {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
    let store = ParamStore::<B>::new(Cpu);
    let net = MlpConfig::new(vec![1, 32, 32, 1])
        .activation(Activation::Tanh)
        .build(&store.root(), &mut rng)
        .unwrap();
    let x = Tensor::<B>::rand_uniform(&[256, 1], -3.0, 3.0, &mut rng, &Cpu).unwrap();
    let y = x.sin().unwrap();
    let mut opt = AdamConfig::new(1e-2).build::<B>().unwrap();
    let mse = |net: &abi_nets::Mlp<B>| {
        net.forward(&x)
            .unwrap()
            .sub(&y)
            .unwrap()
            .square()
            .unwrap()
            .mean_all()
            .unwrap()
    };
    let first = mse(&net).to_scalar().unwrap();
    for _ in 0..400 {
        let loss = mse(&net);
        opt.step(&store.trainable_params(), &loss.backward().unwrap())
            .unwrap();
    }
    let last = mse(&net).to_scalar().unwrap();
    // sin has variance ~0.5 on [-3, 3]; a broken network stays near it
    assert!(last < 0.01, "mse {first} -> {last}");
}
