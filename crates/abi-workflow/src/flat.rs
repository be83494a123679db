//! Named parameters as the flat matrices the diagnostics read: truths `(data sets, width)`,
//! draws `(data sets, draws, width)`, and one name per column (`key` for a scalar parameter,
//! `key[j]` for the entries of a vector or array one).

use crate::error::{Result, WorkflowError};
use abi_sim::Batch;
use ndarray::{Array2, Array3, Axis};

/// The columns of `keys` in `batch` (each `(rows, ...)`), side by side, and their names.
pub fn truths(batch: &Batch, keys: &[String]) -> Result<(Array2<f64>, Vec<String>)> {
    let mut columns = Vec::new();
    let mut names = Vec::new();
    for key in keys {
        let a = batch.f64(key)?;
        let rows = a.shape().first().copied().unwrap_or(0);
        let width = a.len() / rows.max(1);
        let m = a
            .to_shape((rows, width))
            .map_err(|e| WorkflowError::Config(format!("`{key}`: {e}")))?
            .to_owned();
        names.extend(column_names(key, width));
        columns.push(m);
    }
    let views: Vec<_> = columns.iter().map(|c| c.view()).collect();
    let joined = ndarray::concatenate(Axis(1), &views)
        .map_err(|e| WorkflowError::Config(format!("parameters {keys:?}: {e}")))?;
    Ok((joined, names))
}

/// The draws of `keys` in `draws` (each `(data sets, n, ...)`), side by side.
pub fn draws(draws: &Batch, keys: &[String]) -> Result<Array3<f64>> {
    let mut parts = Vec::new();
    for key in keys {
        let a = draws.f64(key)?;
        let (sets, n) = match a.shape() {
            [s, n, ..] => (*s, *n),
            other => {
                return Err(WorkflowError::Config(format!(
                    "draws of `{key}` have shape {other:?}, not (data sets, draws, ...)"
                )));
            }
        };
        let width = a.len() / (sets * n).max(1);
        parts.push(
            a.to_shape((sets, n, width))
                .map_err(|e| WorkflowError::Config(format!("`{key}`: {e}")))?
                .to_owned(),
        );
    }
    let views: Vec<_> = parts.iter().map(|c| c.view()).collect();
    ndarray::concatenate(Axis(2), &views)
        .map_err(|e| WorkflowError::Config(format!("draws of {keys:?}: {e}")))
}

/// `key` for a width of 1, else `key[0]`, `key[1]`, ….
pub(crate) fn column_names(key: &str, width: usize) -> Vec<String> {
    if width == 1 {
        vec![key.to_string()]
    } else {
        (0..width).map(|j| format!("{key}[{j}]")).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_flattened_side_by_side_with_their_names() {
        let mut b = Batch::new();
        b.insert("a", ndarray::array![[1.0], [2.0]].into_dyn())
            .unwrap_or_else(|e| panic!("{e}"));
        b.insert("b", ndarray::array![[3.0, 4.0], [5.0, 6.0]].into_dyn())
            .unwrap_or_else(|e| panic!("{e}"));
        let keys = vec!["a".to_string(), "b".to_string()];
        let (m, names) = truths(&b, &keys).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(m, ndarray::array![[1.0, 3.0, 4.0], [2.0, 5.0, 6.0]]);
        assert_eq!(names, ["a", "b[0]", "b[1]"]);
        let mut d = Batch::new();
        d.insert("a", Array3::<f64>::zeros((2, 5, 1)).into_dyn())
            .unwrap_or_else(|e| panic!("{e}"));
        d.insert("b", Array3::<f64>::ones((2, 5, 2)).into_dyn())
            .unwrap_or_else(|e| panic!("{e}"));
        let flat = draws(&d, &keys).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(flat.shape(), &[2, 5, 3]);
        assert_eq!(flat[[1, 4, 2]], 1.0);
        assert_eq!(flat[[1, 4, 0]], 0.0);
    }
}
