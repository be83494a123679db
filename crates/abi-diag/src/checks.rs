//! Shape and value checks shared by every diagnostic.

use crate::error::{Result, input};
use ndarray::{ArrayView2, ArrayView3};

/// Checks posterior draws `(data sets, draws, parameters)` against truths
/// `(data sets, parameters)` and returns `(data sets, draws, parameters)`.
pub(crate) fn draws_truths(
    what: &'static str,
    draws: &ArrayView3<f64>,
    truths: &ArrayView2<f64>,
) -> Result<(usize, usize, usize)> {
    let (n, m, p) = draws.dim();
    if truths.dim() != (n, p) {
        return Err(input(
            what,
            format!(
                "draws have shape {:?} (data sets, draws, parameters) but truths {:?}; expected ({n}, {p})",
                draws.shape(),
                truths.shape()
            ),
        ));
    }
    if n < 2 || m < 2 || p == 0 {
        return Err(input(
            what,
            format!("need at least 2 data sets, 2 draws and 1 parameter, got {n}, {m}, {p}"),
        ));
    }
    finite(what, "draws", draws.iter())?;
    finite(what, "truths", truths.iter())?;
    Ok((n, m, p))
}

/// Checks that every value is finite.
pub(crate) fn finite<'a>(
    what: &'static str,
    name: &str,
    values: impl IntoIterator<Item = &'a f64>,
) -> Result<()> {
    match values.into_iter().position(|v| !v.is_finite()) {
        Some(i) => Err(input(
            what,
            format!("{name} hold a NaN or infinite value (flat index {i})"),
        )),
        None => Ok(()),
    }
}

/// Checks one name per parameter and returns them as owned strings.
pub(crate) fn names<S: AsRef<str>>(
    what: &'static str,
    names: &[S],
    parameters: usize,
) -> Result<Vec<String>> {
    if names.len() != parameters {
        return Err(input(
            what,
            format!(
                "{} parameter names for {parameters} parameters",
                names.len()
            ),
        ));
    }
    Ok(names.iter().map(|s| s.as_ref().to_string()).collect())
}

/// Checks a probability level in the open interval (0, 1).
pub(crate) fn level(what: &'static str, name: &str, value: f64) -> Result<()> {
    if value > 0.0 && value < 1.0 {
        Ok(())
    } else {
        Err(input(
            what,
            format!("{name} must lie in (0, 1), got {value}"),
        ))
    }
}

/// Checks that a matrix of samples `(rows, dims)` has enough rows and finite values.
pub(crate) fn samples(
    what: &'static str,
    name: &str,
    x: &ArrayView2<f64>,
    min_rows: usize,
) -> Result<()> {
    if x.nrows() < min_rows || x.ncols() == 0 {
        return Err(input(
            what,
            format!(
                "{name} need at least {min_rows} rows and 1 column, got shape {:?}",
                x.shape()
            ),
        ));
    }
    finite(what, name, x.iter())
}
