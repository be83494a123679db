//! `BasicWorkflow`: online, offline and disk training with the default adapter, save/load
//! bit-exactly, and clear errors for missing names, untrained use and foreign files.
#![allow(clippy::unwrap_used)]

use abi_ndarray::{Cpu, NdArray};
use abi_sim::Simulator;
use abi_sim::models::{GaussianMeans, SetSize};
use abi_workflow::{BasicWorkflow, BasicWorkflowBuilder, WORKFLOW_FILE};
use std::sync::Arc;

fn set_model() -> Arc<dyn Simulator> {
    Arc::new(
        GaussianMeans::new(2, SetSize::Fixed(10))
            .unwrap()
            .simulator(),
    )
}

fn two_moons() -> Arc<dyn Simulator> {
    abi_sim::benchmarks::simulator_by_name("two_moons").unwrap()
}

#[test]
fn online_training_with_a_summary_network_then_save_and_load_bit_exactly() {
    let mut workflow = BasicWorkflow::builder()
        .simulator(set_model())
        .inference_variables(&["mu"])
        .summary_variables(&["x"])
        .seed(3)
        .quiet()
        .build::<NdArray>(&Cpu)
        .unwrap();
    let history = workflow.fit_online(2, 20, 32).unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history.val_losses().len(), 2);
    let data = workflow.simulate(4).unwrap();
    let before = workflow.log_prob(&data).unwrap();

    let dir = tempfile::tempdir().unwrap();
    workflow.save(dir.path()).unwrap();
    let mut loaded = BasicWorkflow::<NdArray>::load(dir.path(), &Cpu, Some(set_model())).unwrap();
    assert_eq!(loaded.variables(), workflow.variables());
    assert_eq!(loaded.log_prob(&data).unwrap(), before);
    workflow.reseed(9);
    loaded.reseed(9);
    assert_eq!(
        workflow.sample(50, &data).unwrap(),
        loaded.sample(50, &data).unwrap()
    );
    let table = loaded.compute_default_diagnostics(30, 40).unwrap();
    let names: Vec<&str> = table.rows.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["mu[0]", "mu[1]"]);
}

#[test]
fn offline_training_holds_out_validation_rows_and_disk_training_streams_shards() {
    let sims = two_moons()
        .sample(
            1_000,
            &mut <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(1),
        )
        .unwrap();
    let builder = BasicWorkflowBuilder::new()
        .inference_variables(&["theta"])
        .inference_conditions(&["x"])
        .inference_network(
            abi_nets::NetworkSpec::new("coupling_flow")
                .set("depth=2")
                .unwrap(),
        )
        .quiet();
    let mut offline = builder.clone().build::<NdArray>(&Cpu).unwrap();
    let history = offline.fit_offline(&sims, 2, 100).unwrap();
    assert_eq!(history.val_losses().len(), 2);
    // 900 training rows in batches of 100
    assert!(offline.simulate(1).is_err(), "no simulator was given");

    let dir = tempfile::tempdir().unwrap();
    let mut writer = abi_sim::npz::ShardWriter::new(dir.path()).unwrap();
    writer.write(&sims.slice(0, 500).unwrap()).unwrap();
    writer.write(&sims.slice(500, 1_000).unwrap()).unwrap();
    let mut disk = builder
        .simulator(two_moons())
        .build::<NdArray>(&Cpu)
        .unwrap();
    let history = disk.fit_disk(dir.path(), 1, 100).unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(
        history.val_losses().len(),
        1,
        "validated on fresh simulations"
    );
    let draws = disk.sample(10, &sims.slice(0, 2).unwrap()).unwrap();
    assert_eq!(draws.f64("theta").unwrap().shape(), &[2, 10, 2]);
}

#[test]
fn missing_names_untrained_use_and_foreign_files_are_errors() {
    let e = BasicWorkflow::builder().build::<NdArray>(&Cpu).unwrap_err();
    assert!(e.to_string().contains("inference variables"), "{e}");
    let e = BasicWorkflow::builder()
        .inference_variables(&["theta"])
        .summary_network("deep_set")
        .build::<NdArray>(&Cpu)
        .unwrap_err();
    assert!(e.to_string().contains("without summary variables"), "{e}");
    let e = BasicWorkflow::builder()
        .inference_variables(&["theta"])
        .learning_rate(-1.0)
        .build::<NdArray>(&Cpu)
        .unwrap_err();
    assert!(e.to_string().contains("learning rate"), "{e}");

    let mut untrained = BasicWorkflow::builder()
        .simulator(two_moons())
        .inference_variables(&["theta"])
        .inference_conditions(&["x"])
        .quiet()
        .build::<NdArray>(&Cpu)
        .unwrap();
    let data = untrained.simulate(2).unwrap();
    let e = untrained.sample(5, &data).unwrap_err();
    assert!(e.to_string().contains("not been trained"), "{e}");
    let dir = tempfile::tempdir().unwrap();
    assert!(untrained.save(dir.path()).is_err());

    untrained.fit_online(1, 5, 32).unwrap();
    untrained.save(dir.path()).unwrap();
    let path = dir.path().join(WORKFLOW_FILE);
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replace("\"version\": 1", "\"version\": 99")).unwrap();
    let e = BasicWorkflow::<NdArray>::load(dir.path(), &Cpu, None).unwrap_err();
    assert!(e.to_string().contains("version 99"), "{e}");
    std::fs::write(&path, "{ not json").unwrap();
    let e = BasicWorkflow::<NdArray>::load(dir.path(), &Cpu, None).unwrap_err();
    assert!(e.to_string().contains(WORKFLOW_FILE), "{e}");
}

#[test]
fn one_dimensional_parameters_get_a_network_that_can_model_them() {
    use abi_sim::{Vars, make_simulator};
    use rand::Rng;
    let simulator = make_simulator()
        .then("prior", |_, rng| {
            Ok(Vars::new().with("theta", rng.random_range(0.0..1.0)))
        })
        .then("likelihood", |v, rng| {
            Ok(Vars::new().with("x", v.scalar("theta")? + rng.random_range(0.0..0.1)))
        })
        .expand_scalars(true);
    let sims = simulator
        .sample(
            256,
            &mut <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(2),
        )
        .unwrap();
    // a coupling flow cannot split one dimension; the default turns to flow matching
    let mut workflow = BasicWorkflow::builder()
        .inference_variables(&["theta"])
        .inference_conditions(&["x"])
        .quiet()
        .build::<NdArray>(&Cpu)
        .unwrap();
    workflow.fit_offline(&sims, 1, 64).unwrap();
    let spec = workflow.approximator().unwrap().spec();
    assert_eq!(
        spec.inference_network.as_ref().unwrap().name,
        "flow_matching"
    );
    let draws = workflow.sample(20, &sims.slice(0, 3).unwrap()).unwrap();
    assert_eq!(draws.f64("theta").unwrap().shape(), &[3, 20, 1]);
}

#[test]
fn estimates_follow_the_analytic_posterior_and_misspecified_data_are_flagged() {
    let model = GaussianMeans::new(2, SetSize::Fixed(10)).unwrap();
    let mut workflow = BasicWorkflow::builder()
        .simulator(Arc::new(model.simulator()))
        .inference_variables(&["mu"])
        .summary_variables(&["x"])
        .summary_mmd(1.0)
        .seed(5)
        .quiet()
        .build::<NdArray>(&Cpu)
        .unwrap();
    workflow.fit_online(5, 150, 32).unwrap();

    let test = workflow.simulate(100).unwrap();
    let estimates = workflow.estimate(&test, 400).unwrap();
    assert_eq!(estimates.draws, 400);
    assert_eq!(estimates.means().shape(), &[100, 2]);
    let x = test.f64("x").unwrap();
    let (mut sq, mut sd_ratio) = (0.0, 0.0);
    for s in 0..100 {
        let xs = x.index_axis(ndarray::Axis(0), s);
        let xs = xs.into_dimensionality::<ndarray::Ix2>().unwrap();
        let (mean, var) = model.posterior(xs).unwrap();
        for (j, exact) in mean.iter().enumerate() {
            let e = estimates.get(&format!("mu[{j}]")).unwrap();
            sq += (e.mean[s] - exact).powi(2) / var;
            sd_ratio += e.sd[s] / var.sqrt();
            assert!(e.lower[s] < e.median[s] && e.median[s] < e.upper[s]);
            // a central 90 % interval of a near-normal posterior spans about 3.29 sd
            let width = (e.upper[s] - e.lower[s]) / e.sd[s];
            assert!((2.8..3.8).contains(&width), "interval of {width} sd");
        }
    }
    let (rmse, sd_ratio) = ((sq / 200.0).sqrt(), sd_ratio / 200.0);
    assert!(rmse < 0.3, "posterior means {rmse} posterior sd off");
    assert!(
        (sd_ratio - 1.0).abs() < 0.15,
        "posterior sd ratio {sd_ratio}"
    );
    assert!(workflow.estimate(&test, 1).is_err());

    let summaries = workflow.summarize(&test).unwrap();
    assert_eq!(summaries.nrows(), 100);
    let fitting = workflow.simulate(20).unwrap();
    let typical = workflow.misspecification_test(&fitting, 500, 200).unwrap();
    // noise four times as wide as the model's: unlike anything it simulates
    let mut wide = workflow.simulate(20).unwrap();
    let x = wide.f64("x").unwrap().mapv(|v| 4.0 * v);
    wide.set("x", x).unwrap();
    let flagged = workflow.misspecification_test(&wide, 500, 200).unwrap();
    assert!(
        typical.p_value > 0.05,
        "well-specified p = {}",
        typical.p_value
    );
    assert!(
        flagged.p_value < 0.01,
        "misspecified p = {}",
        flagged.p_value
    );
}
