//! Backward compatibility: an adapter saved by the first release of the format (version 1,
//! before the transforms were split into modules) still loads, maps data to the same bits and
//! is written back unchanged.
#![allow(clippy::unwrap_used)] // helpers of tests panic on failure by design

use abi_adapter::{Adapter, CustomTransform, Data};
use ndarray::{ArrayD, IxDyn};

/// Written by `Adapter::to_json` of the version-1 code for a fitted adapter that uses every
/// transform of that release.
const LEGACY: &str = include_str!("data/legacy_v1_adapter.json");
/// `name shape bits` of each output entry that adapter produced from [`legacy_data`].
const LEGACY_OUTPUTS: &str = include_str!("data/legacy_v1_outputs.txt");

struct Double;
impl CustomTransform for Double {
    fn forward(&self, x: &ArrayD<f64>) -> Result<ArrayD<f64>, String> {
        Ok(x * 2.0)
    }
}

fn arr(shape: &[usize], data: Vec<f64>) -> ArrayD<f64> {
    ArrayD::from_shape_vec(IxDyn(shape), data).unwrap()
}

fn legacy_data() -> Data {
    let col = |v: [f64; 3]| arr(&[3, 1], v.to_vec());
    Data::new()
        .with(
            "k",
            ArrayD::from_shape_vec(IxDyn(&[3]), vec![0i64, 2, 1]).unwrap(),
        )
        .with("n", arr(&[1], vec![7.0]))
        .with("mu", col([0.1, -0.7, 2.3]))
        .with("sigma", col([0.5, 1.5, 3.0]))
        .with("p", col([0.2, 0.5, 0.9]))
        .with("neg", col([1.0, -3.0, 0.5]))
        .with("rate", col([0.3, 1.1, 2.2]))
        .with("count", col([0.0, 3.0, 11.0]))
        .with("var", col([0.25, 1.0, 4.0]))
        .with("big", col([-5.0, 0.2, 5.0]))
        .with("x", arr(&[3, 2], vec![0.1, 0.25, 1.0 / 3.0, 4.0, 5.5, 6.0]))
        .with("y", arr(&[3, 2], vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]))
}

fn describe(d: &Data) -> String {
    d.iter()
        .map(|(n, a)| {
            let bits: Vec<u64> = a.to_f64().iter().map(|v| v.to_bits()).collect();
            format!("{n} {:?} {bits:?}\n", a.shape())
        })
        .collect()
}

#[test]
fn a_version_1_adapter_loads_and_maps_to_the_same_bits() {
    let mut adapter = Adapter::from_json(LEGACY).unwrap();
    adapter.register("double", Double);
    let out = adapter.forward(legacy_data()).unwrap();
    assert_eq!(describe(&out), LEGACY_OUTPUTS);
}

#[test]
fn a_version_1_adapter_is_written_back_unchanged() {
    let adapter = Adapter::from_json(LEGACY).unwrap();
    assert_eq!(adapter.to_json().unwrap(), LEGACY.trim_end());
}
