//! Binomial probabilities on a whole support at once (for the ECDF and histogram bands).

/// `ln k!` for `k = 0..=n`.
pub(crate) fn ln_factorials(n: usize) -> Vec<f64> {
    let mut out = Vec::with_capacity(n + 1);
    let mut acc = 0.0;
    out.push(0.0);
    for k in 1..=n {
        acc += (k as f64).ln();
        out.push(acc);
    }
    out
}

/// The probabilities `P(X = k)`, `k = 0..=n`, of `X ~ Binomial(n, p)`, given `ln k!` for
/// `k = 0..=n` (from [`ln_factorials`]).
pub(crate) fn pmf(n: usize, p: f64, ln_fact: &[f64]) -> Vec<f64> {
    if p <= 0.0 {
        return (0..=n).map(|k| if k == 0 { 1.0 } else { 0.0 }).collect();
    }
    if p >= 1.0 {
        return (0..=n).map(|k| if k == n { 1.0 } else { 0.0 }).collect();
    }
    let (lp, lq) = (p.ln(), (-p).ln_1p());
    (0..=n)
        .map(|k| {
            let ln_choose = ln_fact[n] - ln_fact[k] - ln_fact[n - k];
            (ln_choose + k as f64 * lp + (n - k) as f64 * lq).exp()
        })
        .collect()
}

/// `(cdf, sf)` with `cdf[k] = P(X ≤ k)` and `sf[k] = P(X ≥ k)`; each tail is summed from its
/// own end so that small tail probabilities keep their precision.
pub(crate) fn tails(pmf: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let mut cdf = Vec::with_capacity(pmf.len());
    let mut acc = 0.0;
    for p in pmf {
        acc += p;
        cdf.push(acc.min(1.0));
    }
    let mut sf = vec![0.0; pmf.len()];
    let mut acc = 0.0;
    for (k, p) in pmf.iter().enumerate().rev() {
        acc += p;
        sf[k] = acc.min(1.0);
    }
    (cdf, sf)
}

/// The smallest `k` with `P(X ≤ k) ≥ q` (the binomial quantile function, as SciPy's
/// `binom.ppf`).
pub(crate) fn quantile(cdf: &[f64], q: f64) -> usize {
    // guard against the last cumulative sum landing a hair below 1
    let q = q.min(cdf.last().copied().unwrap_or(1.0));
    cdf.partition_point(|c| *c < q)
        .min(cdf.len().saturating_sub(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binomial_tables_are_consistent() {
        let lf = ln_factorials(10);
        let p = pmf(10, 0.3, &lf);
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        // P(X = 3) for Binomial(10, 0.3) = 0.266827932
        assert!((p[3] - 0.266_827_932).abs() < 1e-8);
        let (cdf, sf) = tails(&p);
        assert!((cdf[4] + sf[5] - 1.0).abs() < 1e-12);
        // scipy.stats.binom.ppf(0.5, 10, 0.3) = 3
        assert_eq!(quantile(&cdf, 0.5), 3);
        assert_eq!(quantile(&cdf, 0.0), 0);
        assert_eq!(quantile(&cdf, 1.0), 10);
    }
}
