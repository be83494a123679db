//! `.npz` files: our round trip, a file written by NumPy, sharded folders, bad files.
#![allow(clippy::unwrap_used)] // helpers of tests panic on failure by design

use abi_sim::npz::{ShardWriter, read_npz, shard_paths, write_npz};
use abi_sim::{Array, Batch, SimError};
use ndarray::{ArrayD, IxDyn};

fn sample_batch() -> Batch {
    let mut b = Batch::new();
    let theta: Vec<f64> = (0..6).map(|i| i as f64 * 0.1 - 0.2).collect();
    b.insert(
        "theta",
        ArrayD::from_shape_vec(IxDyn(&[3, 2]), theta).unwrap(),
    )
    .unwrap();
    let x: Vec<f32> = (0..24).map(|i| i as f32 / 7.0).collect();
    b.insert("x", ArrayD::from_shape_vec(IxDyn(&[3, 4, 2]), x).unwrap())
        .unwrap();
    b.insert(
        "n",
        ArrayD::from_shape_vec(IxDyn(&[3]), vec![4i64, 5, 6]).unwrap(),
    )
    .unwrap();
    b
}

#[test]
fn round_trip_is_exact() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sims.npz");
    let b = sample_batch();
    write_npz(&b, &path).unwrap();
    assert_eq!(read_npz(&path).unwrap(), b);
}

#[test]
fn reads_a_file_written_by_numpy() {
    // tests/fixtures/numpy_written.npz is made by data/make_fixtures.py with numpy.savez
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/numpy_written.npz"
    );
    let b = read_npz(path).unwrap();
    let theta = b.f64("theta").unwrap();
    assert_eq!(theta.shape(), &[3, 2]);
    assert_eq!(
        theta.iter().copied().collect::<Vec<_>>(),
        [0.0, 0.25, 0.5, 0.75, 1.0, 1.25]
    );
    match b.get("x").unwrap() {
        Array::F32(x) => {
            assert_eq!(x.shape(), &[3, 2, 2]);
            assert_eq!(x[[0, 0, 0]], -1.0);
            assert_eq!(x[[2, 1, 1]], 1.0);
        }
        other => panic!("x should be f32, is {}", other.dtype()),
    }
    match b.get("n").unwrap() {
        Array::I64(n) => assert_eq!(n.iter().copied().collect::<Vec<_>>(), [5, 7, 9]),
        other => panic!("n should be i64, is {}", other.dtype()),
    }
}

#[test]
fn shards_are_numbered_and_listed() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = ShardWriter::new(dir.path().join("sims")).unwrap();
    for _ in 0..3 {
        w.write(&sample_batch()).unwrap();
    }
    let paths = shard_paths(dir.path().join("sims")).unwrap();
    assert_eq!(paths.len(), 3);
    assert!(paths[2].ends_with("shard-000002.npz"));
    // a second writer continues the numbering
    let mut w2 = ShardWriter::new(dir.path().join("sims")).unwrap();
    assert!(
        w2.write(&sample_batch())
            .unwrap()
            .ends_with("shard-000003.npz")
    );
    let all: Vec<Batch> = shard_paths(dir.path().join("sims"))
        .unwrap()
        .iter()
        .map(|p| read_npz(p).unwrap())
        .collect();
    assert_eq!(Batch::concat(&all).unwrap().batch_size(), Some(12));
}

#[test]
fn bad_files_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.npz");
    std::fs::write(&path, b"this is not a zip archive").unwrap();
    let e = read_npz(&path).unwrap_err();
    assert!(matches!(e, SimError::File { .. }), "{e}");
    assert!(e.to_string().contains("bad.npz"));
    assert!(matches!(
        read_npz(dir.path().join("missing.npz")),
        Err(SimError::File { .. })
    ));
}
