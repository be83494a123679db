use super::{Dataset, DatasetKind, check_batch_size, stream_rng};
use crate::error::{ApproxError, Result};
use abi_sim::{Batch, Simulator};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, sync_channel};
use std::thread::JoinHandle;

/// A fresh simulated batch for every training step.
///
/// With `prefetch > 0` (the default 2) a background thread simulates up to `prefetch`
/// batches ahead through a bounded channel, so simulation overlaps with the training step;
/// with `prefetch = 0` each batch is simulated when asked for. Batch `i` of epoch `e` is drawn
/// from a stream seeded by `(seed, e · batches_per_epoch + i)` either way.
pub struct OnlineDataset {
    simulator: Arc<dyn Simulator>,
    batch_size: usize,
    batches_per_epoch: usize,
    seed: u64,
    prefetch: usize,
    epoch: usize,
    next: usize,
    producer: Option<(Receiver<Result<Batch>>, JoinHandle<()>)>,
}

impl std::fmt::Debug for OnlineDataset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OnlineDataset")
            .field("batch_size", &self.batch_size)
            .field("batches_per_epoch", &self.batches_per_epoch)
            .field("seed", &self.seed)
            .field("prefetch", &self.prefetch)
            .finish()
    }
}

impl OnlineDataset {
    /// `batches_per_epoch` batches of `batch_size` fresh simulations per epoch.
    pub fn new(
        simulator: Arc<dyn Simulator>,
        batch_size: usize,
        batches_per_epoch: usize,
        seed: u64,
    ) -> Result<Self> {
        check_batch_size(batch_size, "OnlineDataset")?;
        if batches_per_epoch == 0 {
            return Err(ApproxError::Config(
                "OnlineDataset: batches per epoch must be positive".into(),
            ));
        }
        Ok(Self {
            simulator,
            batch_size,
            batches_per_epoch,
            seed,
            prefetch: 2,
            epoch: 0,
            next: 0,
            producer: None,
        })
    }

    /// How many batches the background thread may simulate ahead (0: simulate on demand).
    pub fn prefetch(mut self, batches: usize) -> Self {
        self.prefetch = batches;
        self
    }

    fn simulate(sim: &dyn Simulator, batch_size: usize, seed: u64, index: u64) -> Result<Batch> {
        let mut rng = stream_rng(seed, 2, index);
        // a simulator of one's own that panics (on this thread or the producer's) is an error
        // with its message, not a lost thread
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            sim.sample(batch_size, &mut rng)
        })) {
            Ok(batch) => Ok(batch?),
            Err(payload) => Err(abi_sim::SimError::Function {
                function: "simulator".into(),
                draw: 0,
                reason: format!(
                    "panicked in batch {index}: {}",
                    abi_sim::panic_message(payload.as_ref())
                ),
            }
            .into()),
        }
    }

    fn stop_producer(&mut self) {
        if let Some((rx, handle)) = self.producer.take() {
            drop(rx); // the producer's next send fails and it returns
            let _ = handle.join();
        }
    }
}

impl Drop for OnlineDataset {
    fn drop(&mut self) {
        self.stop_producer();
    }
}

impl Dataset for OnlineDataset {
    fn batches_per_epoch(&self) -> usize {
        self.batches_per_epoch
    }

    fn start_epoch(&mut self, epoch: usize) -> Result<()> {
        self.stop_producer();
        self.epoch = epoch;
        self.next = 0;
        if self.prefetch > 0 {
            let (tx, rx) = sync_channel(self.prefetch);
            let sim = Arc::clone(&self.simulator);
            let (bs, seed) = (self.batch_size, self.seed);
            let first = (epoch * self.batches_per_epoch) as u64;
            let count = self.batches_per_epoch as u64;
            let handle = std::thread::Builder::new()
                .name("abi-online-simulation".into())
                .spawn(move || {
                    for i in first..first + count {
                        if tx.send(Self::simulate(sim.as_ref(), bs, seed, i)).is_err() {
                            return;
                        }
                    }
                })
                .map_err(|e| ApproxError::Config(format!("cannot start a thread: {e}")))?;
            self.producer = Some((rx, handle));
        }
        Ok(())
    }

    fn next_batch(&mut self) -> Result<Batch> {
        let index = (self.epoch * self.batches_per_epoch + self.next) as u64;
        self.next += 1;
        match &self.producer {
            Some((rx, _)) if self.next <= self.batches_per_epoch => {
                rx.recv().map_err(|_| ApproxError::ProducerGone("online"))?
            }
            _ => Self::simulate(self.simulator.as_ref(), self.batch_size, self.seed, index),
        }
    }

    fn kind(&self) -> DatasetKind {
        DatasetKind::Online
    }
}
