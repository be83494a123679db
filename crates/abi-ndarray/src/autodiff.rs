//! The reverse sweep over the recorded graph.

use crate::tensor::NdTensor;
use crate::{NdArray, NdFloat};
use abi_tensor::{Gradients, Result, TensorId};
use ndarray::ArrayD;
use std::collections::{HashMap, HashSet};

/// Nodes reachable from `output` through tracked inputs, parents after children (post-order).
fn topological_order<F: NdFloat>(output: &NdTensor<F>) -> Vec<NdTensor<F>> {
    let mut order = Vec::new();
    let mut visited = HashSet::new();
    // iterative DFS: (node, children pushed?)
    let mut stack = vec![(output.clone(), false)];
    while let Some((t, expanded)) = stack.pop() {
        if expanded {
            order.push(t);
            continue;
        }
        if !visited.insert(t.node.id) {
            continue;
        }
        stack.push((t.clone(), true));
        if let Some(gf) = &t.node.grad_fn {
            for input in &gf.inputs {
                if input.tracked() && !visited.contains(&input.node.id) {
                    stack.push((input.clone(), false));
                }
            }
        }
    }
    order
}

fn accumulate<F: NdFloat>(grads: &mut HashMap<u64, ArrayD<F>>, id: u64, g: ArrayD<F>) {
    match grads.get_mut(&id) {
        Some(acc) => {
            if acc.shape() == g.shape() {
                *acc += &g;
            } else {
                // shapes always agree for a consistent rule; keep the sum well defined anyway
                let sum = &*acc + &g;
                *acc = sum;
            }
        }
        None => {
            grads.insert(id, g);
        }
    }
}

pub(crate) fn backward<F: NdFloat>(
    output: &NdTensor<F>,
    seed: &NdTensor<F>,
) -> Result<Gradients<NdArray<F>>> {
    let order = topological_order(output);
    let mut grads: HashMap<u64, ArrayD<F>> = HashMap::new();
    grads.insert(output.node.id, seed.array().clone());
    let mut result = Gradients::new();
    for t in order.iter().rev() {
        let Some(g) = grads.remove(&t.node.id) else {
            continue;
        };
        match &t.node.grad_fn {
            Some(gf) => {
                let input_grads = (gf.backward)(g, &t.node.value, &gf.inputs);
                for (input, ig) in gf.inputs.iter().zip(input_grads) {
                    if let (true, Some(ig)) = (input.tracked(), ig) {
                        accumulate(&mut grads, input.node.id, ig);
                    }
                }
            }
            None => result.insert_raw(TensorId(t.node.id), NdTensor::constant(g)),
        }
    }
    Ok(result)
}
