//! Contrasting rows of a batch: the negatives of ratio estimation and the atoms of
//! sequential NPE are other rows' parameters.

use rand::{Rng, RngCore};

/// For each of `rows` rows, `k` distinct other rows drawn uniformly (a partial shuffle), row
/// after row: `rows · k` indices. `k` must be below `rows`.
///
/// ```
/// use rand::SeedableRng;
/// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
/// let picks = abi_approx::parts::contrast::other_rows(4, 3, &mut rng);
/// assert_eq!(picks.len(), 12);
/// assert!(picks.chunks(3).enumerate().all(|(i, row)| !row.contains(&i)));
/// ```
pub fn other_rows(rows: usize, k: usize, rng: &mut dyn RngCore) -> Vec<usize> {
    let k = k.min(rows.saturating_sub(1));
    let mut out = Vec::with_capacity(rows * k);
    let mut pool: Vec<usize> = Vec::with_capacity(rows);
    for i in 0..rows {
        pool.clear();
        pool.extend((0..rows).filter(|&j| j != i));
        for t in 0..k {
            let pick = rng.random_range(t..pool.len());
            pool.swap(t, pick);
            out.push(pool[t]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::other_rows;
    use rand::SeedableRng;

    #[test]
    fn other_rows_are_distinct_and_never_the_row_itself() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
        let picks = other_rows(6, 5, &mut rng);
        for (i, row) in picks.chunks(5).enumerate() {
            assert!(!row.contains(&i));
            let mut sorted = row.to_vec();
            sorted.sort_unstable();
            sorted.dedup();
            assert_eq!(sorted.len(), 5);
        }
    }
}
