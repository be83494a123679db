# BayesFlow 2 on BayesFlow's quickstart model (Gaussian means, D = 4, N = 50, DeepSet with
# summary_dim 10, 4-layer coupling flow, online training E x 1 000 x 32, 1 000 draws for each
# of 500 fresh data sets), for a same-session comparison with
# `cargo run --release --example gaussian_means -- --epochs E`.
#
#   python3 -m venv target/bf-venv
#   target/bf-venv/bin/pip install "bayesflow==2.0.12" "jax[cpu]"
#   target/bf-venv/bin/python benches/peers/gaussian_means_bayesflow.py E
import os, sys, time
os.environ["KERAS_BACKEND"] = "jax"
import numpy as np
import bayesflow as bf

epochs = int(sys.argv[1]) if len(sys.argv) > 1 else 1
D, N = 4, 50
rng = np.random.default_rng(0)

def prior():
    return dict(mu=rng.normal(size=D))

def likelihood(mu):
    return dict(x=rng.normal(mu, 1.0, size=(N, D)))

simulator = bf.make_simulator([prior, likelihood])
adapter = (
    bf.Adapter()
    .convert_dtype("float64", "float32")
    .rename("mu", "inference_variables")
    .rename("x", "summary_variables")
)
workflow = bf.BasicWorkflow(
    simulator=simulator,
    adapter=adapter,
    inference_network=bf.networks.CouplingFlow(depth=4),
    summary_network=bf.networks.DeepSet(summary_dim=10),
    initial_learning_rate=5e-4,
)
t = time.time()
workflow.fit_online(epochs=epochs, num_batches_per_epoch=1000, batch_size=32, validation_data=200, verbose=0)
train = time.time() - t
test = simulator.sample(500)
t = time.time()
draws = workflow.sample(num_samples=1000, conditions={"x": test["x"]})["mu"]
sample = time.time() - t
n = N
mean = test["x"].sum(axis=1) / (n + 1)
sd = 1.0 / np.sqrt(n + 1)
rmse = np.sqrt(np.mean(((draws.mean(axis=1) - mean) / sd) ** 2))
ratio = np.mean(draws.std(axis=1, ddof=1) / sd)
print(f"bayesflow {bf.__version__}: trained {epochs} x 1000 x 32 in {train:.1f} s; "
      f"500 x 1000 draws in {sample:.2f} s; RMSE {rmse:.3f} sd, sd ratio {ratio:.3f}")
