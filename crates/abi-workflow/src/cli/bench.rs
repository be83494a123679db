//! `abi bench`: neural posterior estimation on built-in benchmark tasks, scored by C2ST
//! against reference posteriors drawn by MCMC on each task's exact likelihood, with the
//! training time, simulations per second and posterior draws per second. One JSON file per
//! cell (task × simulation budget) and a Markdown table of every cell in the folder;
//! finished cells are kept, so an interrupted run resumes where it stopped.

use abi_nets::NetworkSpec;
use abi_sim::benchmarks::{BenchmarkTask, ReferenceOptions, reference_posterior, task_by_name};
use abi_workflow::{BasicWorkflow, Result, WorkflowError};
use ndarray::{Array2, Axis};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The default inference network of the benchmark: measured on two moons at 10⁴ simulations
/// it reaches sbi's accuracy in a ninth of its training time.
pub const DEFAULT_NETWORK: &str = r#"{"name": "spline_coupling_flow", "settings": {"depth": 3, "subnet_widths": [64, 64], "dropout": 0}}"#;

/// What `abi bench` runs.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// Task names (`abi tasks`).
    pub tasks: Vec<String>,
    /// Simulation budgets, one cell per task and budget.
    pub simulations: Vec<usize>,
    /// Observations per cell, drawn from the task with the seed.
    pub observations: usize,
    /// Posterior and reference draws per observation.
    pub draws: usize,
    /// The inference network: a registry name or a JSON spec.
    pub network: String,
    /// Most epochs; training stops 20 epochs after the best validation loss.
    pub epochs: usize,
    /// The folder of the JSON cells and `results.md`.
    pub out: PathBuf,
    /// Seed of the simulations, observations, networks and scores.
    pub seed: u64,
    /// Rerun cells that are already in the folder.
    pub force: bool,
    /// Progress bars.
    pub progress: bool,
}

/// One finished cell.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Cell {
    /// The task.
    pub task: String,
    /// Training simulations (a tenth held out for validation).
    pub simulations: usize,
    /// The inference network's spec.
    pub network: String,
    /// C2ST of each observation's posterior against its reference (0.5 is perfect); `None`
    /// where the task has no tractable likelihood to draw a reference from.
    pub c2st: Vec<Option<f64>>,
    /// Mean of the available C2ST values.
    pub mean_c2st: Option<f64>,
    /// Epochs trained.
    pub epochs: usize,
    /// Wall time of training in seconds.
    pub train_seconds: f64,
    /// Simulations per second of the task's simulator (all cores).
    pub simulations_per_second: f64,
    /// Posterior draws per second, all observations in one call.
    pub draws_per_second: f64,
    /// Logical cores of the machine.
    pub cores: usize,
    /// The seed.
    pub seed: u64,
}

fn cell_path(out: &Path, task: &str, simulations: usize) -> PathBuf {
    out.join(format!("{task}-{simulations}.json"))
}

/// The most observations `abi bench` scores per task and budget.
pub const MAX_OBSERVATIONS: usize = 1000;

/// Runs every cell of `options` not yet in its folder, then writes `results.md`.
pub fn run(options: &BenchOptions) -> Result<()> {
    // each observation is scored by its own reference posterior: a handful, not millions
    if options.observations == 0 || options.observations > MAX_OBSERVATIONS {
        return Err(WorkflowError::Config(format!(
            "--observations must be in 1..={MAX_OBSERVATIONS}, got {}",
            options.observations
        )));
    }
    let spec = NetworkSpec::parse(&options.network)?;
    let out = &options.out;
    std::fs::create_dir_all(out).map_err(|e| WorkflowError::file(out, e))?;
    for task in &options.tasks {
        for &n in &options.simulations {
            let path = cell_path(out, task, n);
            if path.exists() && !options.force {
                println!("{task} at {n} simulations: kept {}", path.display());
                continue;
            }
            let cell = run_cell(options, &spec, task, n)?;
            let text =
                serde_json::to_string_pretty(&cell).map_err(|e| WorkflowError::file(&path, e))?;
            std::fs::write(&path, text).map_err(|e| WorkflowError::file(&path, e))?;
            println!(
                "{task} at {n} simulations: mean C2ST {}, trained in {:.1} s, {:.0} draws/s",
                show(cell.mean_c2st),
                cell.train_seconds,
                cell.draws_per_second
            );
        }
    }
    let table = out.join("results.md");
    std::fs::write(&table, markdown(&read_cells(out)?))
        .map_err(|e| WorkflowError::file(&table, e))?;
    println!("table: {}", table.display());
    Ok(())
}

fn show(v: Option<f64>) -> String {
    v.map_or_else(|| "—".into(), |v| format!("{v:.3}"))
}

fn run_cell(options: &BenchOptions, spec: &NetworkSpec, name: &str, n: usize) -> Result<Cell> {
    let task = task_by_name(name)?;
    let simulator = abi_sim::benchmarks::simulator_by_name(name)?;
    let mut rng = abi_sim::draw_rng(options.seed, 0);
    let t = Instant::now();
    let sims = abi_sim::simulate(&*simulator, n, 1_000, &mut rng, options.progress)?;
    let simulations_per_second = n as f64 / t.elapsed().as_secs_f64().max(1e-9);

    let mut builder = BasicWorkflow::builder()
        .simulator(simulator)
        .inference_variables(&["theta"])
        .inference_conditions(&["x"])
        .inference_network(spec.clone())
        .learning_rate(3e-3)
        .patience(20)
        .seed(options.seed);
    if !options.progress {
        builder = builder.quiet();
    }
    let mut workflow = builder.build::<abi_ndarray::NdArray>(&abi_ndarray::Cpu)?;
    let t = Instant::now();
    let epochs = workflow.fit_offline(&sims, options.epochs, 256)?.len();
    let train_seconds = t.elapsed().as_secs_f64();

    // observations: parameters from the prior, data from the task, one stream each
    let (k, dim_x) = (options.observations, task.dim_data());
    let mut x = Array2::zeros((k, dim_x));
    for i in 0..k {
        let mut obs_rng = abi_sim::draw_rng(options.seed.wrapping_add(1), i as u64);
        let theta = task.prior().sample(&mut obs_rng);
        let xi = task.simulate(&theta, &mut obs_rng);
        x.row_mut(i).assign(&ndarray::ArrayView1::from(&xi));
    }
    let mut conditions = abi_sim::Batch::new();
    conditions.insert("x", x.clone().into_dyn())?;
    let t = Instant::now();
    let draws = workflow.sample(options.draws, &conditions)?;
    let draws_per_second = (k * options.draws) as f64 / t.elapsed().as_secs_f64().max(1e-9);
    let draws = draws.f64("theta")?;

    let mut c2st = Vec::with_capacity(k);
    for i in 0..k {
        let xi: Vec<f64> = x.row(i).to_vec();
        let seed = options.seed.wrapping_add(100 + i as u64);
        if task
            .log_likelihood(&task.prior().sample(&mut rng), &xi)
            .is_none()
        {
            c2st.push(None);
            continue;
        }
        let reference = reference_posterior(
            &task,
            &xi,
            options.draws,
            &ReferenceOptions::default(),
            seed,
        )?;
        let own = draws.index_axis(Axis(0), i);
        let own = own
            .to_shape((options.draws, task.dim_parameters()))
            .map_err(|e| WorkflowError::Config(format!("draws of `theta`: {e}")))?;
        c2st.push(Some(abi_diag::c2st(own.view(), reference.view(), seed)?));
    }
    let scored: Vec<f64> = c2st.iter().flatten().copied().collect();
    let mean_c2st = (!scored.is_empty()).then(|| scored.iter().sum::<f64>() / scored.len() as f64);
    Ok(Cell {
        task: name.into(),
        simulations: n,
        network: options.network.clone(),
        c2st,
        mean_c2st,
        epochs,
        train_seconds,
        simulations_per_second,
        draws_per_second,
        cores: std::thread::available_parallelism().map_or(1, |c| c.get()),
        seed: options.seed,
    })
}

/// Every cell in `out`, by task and budget.
fn read_cells(out: &Path) -> Result<Vec<Cell>> {
    let mut cells = Vec::new();
    let entries = std::fs::read_dir(out).map_err(|e| WorkflowError::file(out, e))?;
    for entry in entries {
        let path = entry.map_err(|e| WorkflowError::file(out, e))?.path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let text = std::fs::read_to_string(&path).map_err(|e| WorkflowError::file(&path, e))?;
        let cell: Cell = serde_json::from_str(&text).map_err(|e| WorkflowError::file(&path, e))?;
        cells.push(cell);
    }
    cells.sort_by(|a, b| (&a.task, a.simulations).cmp(&(&b.task, b.simulations)));
    Ok(cells)
}

/// The cells as a Markdown table, with the machine's cores.
fn markdown(cells: &[Cell]) -> String {
    let cores = cells.first().map_or(0, |c| c.cores);
    let mut s = format!(
        "NPE on the benchmark tasks ({cores} cores; C2ST against MCMC references on the exact \
         likelihood, 0.5 is perfect)\n\n| task | simulations | mean C2ST | per observation | \
         epochs | training (s) | simulations/s | draws/s |\n|---|---|---|---|---|---|---|---|\n"
    );
    for c in cells {
        let each: Vec<String> = c.c2st.iter().map(|v| show(*v)).collect();
        s.push_str(&format!(
            "| {} | {} | {} | {} | {} | {:.1} | {:.0} | {:.0} |\n",
            c.task,
            c.simulations,
            show(c.mean_c2st),
            each.join(", "),
            c.epochs,
            c.train_seconds,
            c.simulations_per_second,
            c.draws_per_second
        ));
    }
    s
}
