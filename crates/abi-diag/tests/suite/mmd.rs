//! MMD: the unbiased estimator, the permutation test's size and power, and the
//! summary-space misspecification test.

use crate::common::gaussian_sample;
use abi_diag::{Kernel, mmd_permutation_test, mmd2_unbiased, summary_space_test};

const KERNELS: [Kernel; 2] = [
    Kernel::Gaussian { bandwidth: None },
    Kernel::InverseMultiquadric { scale: None },
];

#[test]
fn permutation_test_has_its_size_under_h0_and_power_against_a_shift() {
    for kernel in KERNELS {
        let reps = 60;
        let mut rejected = 0;
        for r in 0..reps {
            let x = gaussian_sample(40, 2, 0.0, 100 + r);
            let y = gaussian_sample(40, 2, 0.0, 1000 + r);
            let t = mmd_permutation_test(x.view(), y.view(), kernel, 100, r).unwrap();
            rejected += usize::from(t.p_value <= 0.05);
        }
        // 60 tests at 5 %: 3 expected, more than 9 happens with probability < 0.2 %
        assert!(
            rejected <= 9,
            "{kernel:?}: {rejected}/{reps} rejected under H0"
        );
        let mut power = 0;
        for r in 0..20 {
            let x = gaussian_sample(40, 2, 1.0, 200 + r);
            let y = gaussian_sample(40, 2, 0.0, 2000 + r);
            let t = mmd_permutation_test(x.view(), y.view(), kernel, 100, r).unwrap();
            power += usize::from(t.p_value <= 0.05);
        }
        assert!(power >= 17, "{kernel:?}: only {power}/20 shifts detected");
    }
}

#[test]
fn unbiased_mmd_is_centred_at_zero_under_h0() {
    let mut total = 0.0;
    for r in 0..20 {
        let x = gaussian_sample(50, 3, 0.0, 300 + r);
        let y = gaussian_sample(50, 3, 0.0, 3000 + r);
        total += mmd2_unbiased(
            x.view(),
            y.view(),
            Kernel::Gaussian {
                bandwidth: Some(1.0),
            },
        )
        .unwrap();
    }
    assert!(
        (total / 20.0).abs() < 0.01,
        "mean MMD² under H0 {}",
        total / 20.0
    );
    // closed form for N(0, I_3) against N((2, 0, 0), I_3), h = 1: 2 (1/3)^1.5 (1 − e^(−2/3)) = 0.187
    let x = gaussian_sample(50, 3, 2.0, 1);
    let y = gaussian_sample(50, 3, 0.0, 2);
    assert!(
        mmd2_unbiased(
            x.view(),
            y.view(),
            Kernel::Gaussian {
                bandwidth: Some(1.0)
            }
        )
        .unwrap()
            > 0.1
    );
}

#[test]
fn summary_space_test_flags_shifted_observations_only() {
    let reference = gaussian_sample(400, 4, 0.0, 7);
    let mut rejected = 0;
    for r in 0..40 {
        let typical = gaussian_sample(20, 4, 0.0, 500 + r);
        let t = summary_space_test(typical.view(), reference.view(), Kernel::default(), 100, r)
            .unwrap();
        rejected += usize::from(t.p_value <= 0.05);
    }
    assert!(
        rejected <= 7,
        "{rejected}/40 typical observation sets flagged"
    );
    let odd = gaussian_sample(20, 4, 1.5, 9);
    let t = summary_space_test(odd.view(), reference.view(), Kernel::default(), 200, 1).unwrap();
    assert!(
        t.p_value < 0.01 && t.null.len() == 200,
        "shifted p = {}",
        t.p_value
    );
    let one = gaussian_sample(1, 4, 4.0, 10);
    let t = summary_space_test(one.view(), reference.view(), Kernel::default(), 100, 2).unwrap();
    assert!(t.p_value < 0.05, "single outlier p = {}", t.p_value);
    assert!(summary_space_test(reference.view(), one.view(), Kernel::default(), 10, 0).is_err());
}
