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

#[test]
fn a_new_shard_never_replaces_one_after_a_deletion() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = ShardWriter::new(dir.path()).unwrap();
    let first = w.write(&sample_batch()).unwrap();
    let second = w.write(&sample_batch()).unwrap();
    std::fs::remove_file(&first).unwrap();
    let before = std::fs::read(&second).unwrap();
    let mut other = sample_batch();
    other
        .insert("extra", ArrayD::<f64>::zeros(IxDyn(&[3, 1])))
        .unwrap();
    // one shard left: counting would name the new one after the first, i.e. the second
    let third = ShardWriter::new(dir.path()).unwrap().write(&other).unwrap();
    assert_ne!(third, second);
    assert_eq!(std::fs::read(&second).unwrap(), before);
    // a writer whose next number another writer took moves on instead of replacing
    let mut stale = ShardWriter::new(dir.path()).unwrap();
    let taken = ShardWriter::new(dir.path())
        .unwrap()
        .write(&sample_batch())
        .unwrap();
    let fourth = stale.write(&other).unwrap();
    assert_ne!(fourth, taken);
    assert_eq!(read_npz(&taken).unwrap().len(), 3);
    assert_eq!(shard_paths(dir.path()).unwrap().len(), 4);
}

/// An `.npy` entry whose header declares `shape` (and holds eight bytes of data), stored in
/// a zip archive without compression.
fn crafted_npz(path: &std::path::Path, header: &[u8]) {
    use std::io::Write;
    let file = std::fs::File::create(path).unwrap();
    let mut zip = zip::ZipWriter::new(file);
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.start_file("x.npy", options).unwrap();
    zip.write_all(header).unwrap();
    zip.write_all(&[0u8; 8]).unwrap();
    zip.finish().unwrap();
}

fn npy_header(dict: &str) -> Vec<u8> {
    let mut text = dict.as_bytes().to_vec();
    while (10 + text.len() + 1) % 64 != 0 {
        text.push(b' ');
    }
    text.push(b'\n');
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend_from_slice(&(text.len() as u16).to_le_bytes());
    bytes.extend_from_slice(&text);
    bytes
}

#[test]
fn sizes_declared_in_a_file_are_checked_before_allocation() {
    let dir = tempfile::tempdir().unwrap();
    let huge = dir.path().join("huge.npz");
    crafted_npz(
        &huge,
        &npy_header("{'descr': '<f8', 'fortran_order': False, 'shape': (1099511627776, 2), }"),
    );
    assert!(std::fs::metadata(&huge).unwrap().len() < 400);
    let e = read_npz(&huge).unwrap_err().to_string();
    assert!(e.contains("huge.npz") && e.contains("entry `x.npy`"), "{e}");
    assert!(e.contains("17592186044416 bytes"), "{e}");
    // an element count that overflows
    let overflow = dir.path().join("overflow.npz");
    crafted_npz(
        &overflow,
        &npy_header(
            "{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4), }",
        ),
    );
    let e = read_npz(&overflow).unwrap_err().to_string();
    assert!(e.contains("overflows"), "{e}");
    // a version-2 header claiming 4 GiB of header text
    let long = dir.path().join("long.npz");
    let mut header = b"\x93NUMPY\x02\x00".to_vec();
    header.extend_from_slice(&u32::MAX.to_le_bytes());
    crafted_npz(&long, &header);
    let e = read_npz(&long).unwrap_err().to_string();
    assert!(e.contains("header of 4294967295 bytes"), "{e}");
    // the honest file of the same layout reads
    let honest = dir.path().join("honest.npz");
    crafted_npz(
        &honest,
        &npy_header("{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1), }"),
    );
    assert_eq!(read_npz(&honest).unwrap().batch_size(), Some(1));
}
