//! One device, many callers: what threads ask of a network at about the same time runs as one
//! batch.
//!
//! No thread is set aside for the device. A caller that finds it idle becomes the runner: it takes
//! every request waiting, its own among them, has them run together on a thread started for the
//! batch (see `run_apart`) and hands each caller its answer (flat combining). While it runs, new
//! requests queue up and become the next batch, so batches widen with the load and nobody waits
//! on a timer. A GPU needs those wide batches to be busy, while each scanning thread keeps
//! handling one photo at a time.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

pub struct Batcher<I, O> {
    state: Mutex<State<I, O>>,
    answered: Condvar,
    batches: AtomicUsize,
    requests: AtomicUsize,
}

struct State<I, O> {
    next_ticket: u64,
    waiting: Vec<(u64, I)>,
    answers: HashMap<u64, O>,
    running: bool,
    /// Tickets of a batch whose runner panicked: their callers panic too instead of waiting for
    /// ever.
    lost: HashSet<u64>,
}

/// How many batches ran and how many requests they held.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct BatchCount {
    pub batches: usize,
    pub requests: usize,
}

impl BatchCount {
    pub fn mean_size(&self) -> f64 {
        self.requests as f64 / self.batches.max(1) as f64
    }
}

impl<I, O> Default for Batcher<I, O> {
    fn default() -> Self {
        Self {
            state: Mutex::new(State {
                next_ticket: 0,
                waiting: Vec::new(),
                answers: HashMap::new(),
                running: false,
                lost: HashSet::new(),
            }),
            answered: Condvar::new(),
            batches: AtomicUsize::new(0),
            requests: AtomicUsize::new(0),
        }
    }
}

impl<I, O> Batcher<I, O> {
    /// The answer to `input`. `run` takes a batch of inputs and returns one answer per input, in
    /// order; this thread may run it for other threads' inputs too, and more than once.
    pub fn call(&self, input: I, run: impl Fn(Vec<I>) -> Vec<O> + Sync) -> O
    where
        I: Send,
        O: Send,
    {
        let mut state = self.lock();
        let ticket = state.next_ticket;
        state.next_ticket += 1;
        state.waiting.push((ticket, input));
        loop {
            if let Some(answer) = state.answers.remove(&ticket) {
                return answer;
            }
            if state.lost.remove(&ticket) {
                panic!("the batch holding this request panicked on another thread");
            }
            if state.running {
                state = self
                    .answered
                    .wait(state)
                    .unwrap_or_else(PoisonError::into_inner);
                continue;
            }
            state.running = true;
            let (tickets, inputs): (Vec<u64>, Vec<I>) =
                std::mem::take(&mut state.waiting).into_iter().unzip();
            drop(state);
            let mut running = Running {
                batcher: self,
                tickets,
            };
            self.batches.fetch_add(1, Ordering::Relaxed);
            self.requests.fetch_add(inputs.len(), Ordering::Relaxed);
            let answers = run_apart(&run, inputs);
            assert_eq!(
                answers.len(),
                running.tickets.len(),
                "a batch must answer each of its requests"
            );
            let tickets = std::mem::take(&mut running.tickets);
            state = self.lock();
            state.answers.extend(tickets.into_iter().zip(answers));
            state.running = false;
            self.answered.notify_all();
        }
    }

    pub fn count(&self) -> BatchCount {
        BatchCount {
            batches: self.batches.load(Ordering::Relaxed),
            requests: self.requests.load(Ordering::Relaxed),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State<I, O>> {
        // The state is consistent between statements; a panicking runner is handled by `Running`.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Runs a batch on a thread of its own while the calling thread blocks without taking up other
/// work.
///
/// Callers are usually workers of a rayon pool, and a rayon worker that waits for parallel work
/// (the networks' own, on the CPU) runs other jobs of its pool meanwhile. Had the runner done so,
/// a scan job picked up under it, or under a worker it waits for, could ask this batcher for an
/// answer that only the runner gives: a deadlock. On a thread outside the pool the batch's
/// parallel work goes to rayon's global pool, whose workers never wait on a batcher.
fn run_apart<I: Send, O: Send>(run: &(impl Fn(Vec<I>) -> Vec<O> + Sync), inputs: Vec<I>) -> Vec<O> {
    // Where the thread cannot start, the inputs are still here and run on this thread.
    let inputs = Mutex::new(Some(inputs));
    let take = || {
        inputs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
            .unwrap_or_default()
    };
    std::thread::scope(|scope| {
        let apart = std::thread::Builder::new()
            .name("kith-batch".into())
            .spawn_scoped(scope, || run(take()));
        match apart {
            Ok(thread) => thread
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            Err(error) => {
                tracing::warn!(%error, "cannot start a thread for a batch; running it here");
                run(take())
            }
        }
    })
}

/// The tickets of the batch being run. They are taken out when it answers; any still here when
/// this drops belong to a batch that panicked, and the device is freed for the others.
struct Running<'a, I, O> {
    batcher: &'a Batcher<I, O>,
    tickets: Vec<u64>,
}

impl<I, O> Drop for Running<'_, I, O> {
    fn drop(&mut self) {
        if self.tickets.is_empty() {
            return;
        }
        let mut state = self.batcher.lock();
        state.running = false;
        state.lost.extend(self.tickets.drain(..));
        self.batcher.answered.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Barrier;

    #[test]
    fn each_caller_gets_its_own_answer() {
        let batcher = Batcher::<u32, u32>::default();
        let sizes = Mutex::new(Vec::new());
        let run = |inputs: Vec<u32>| {
            sizes.lock().expect("sizes").push(inputs.len());
            // Slow enough that callers queue up behind a running batch.
            std::thread::sleep(std::time::Duration::from_millis(5));
            inputs.into_iter().map(|x| x * 10).collect()
        };
        let start = Barrier::new(8);
        std::thread::scope(|scope| {
            for t in 0..8u32 {
                let (batcher, start, run) = (&batcher, &start, &run);
                scope.spawn(move || {
                    start.wait();
                    for i in 0..20 {
                        let x = t * 100 + i;
                        assert_eq!(batcher.call(x, run), x * 10);
                    }
                });
            }
        });
        let count = batcher.count();
        assert_eq!(count.requests, 160);
        let sizes = sizes.into_inner().expect("sizes");
        assert_eq!(sizes.iter().sum::<usize>(), 160);
        assert_eq!(count.batches, sizes.len());
        // Eight threads asking at once share batches.
        assert!(count.mean_size() > 1.5, "{sizes:?}");
    }

    #[test]
    fn batches_with_parallel_work_of_their_own_finish_inside_a_rayon_pool() {
        // As in a scan on the CPU: callers are workers of a rayon pool and the batch itself runs
        // in parallel with rayon. Run on a pool worker, a batch's parallel work let the workers
        // pick up callers' jobs while they waited for it, and 8 runs in 10 of this test hung.
        use rayon::prelude::*;
        let (finished, done) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(8)
                .build()
                .expect("pool");
            let batcher = Batcher::<u64, u64>::default();
            let work = |x: u64| {
                (0..64u32)
                    .into_par_iter()
                    .with_max_len(1)
                    .map(|k| (0..2_000u64).map(|j| j ^ u64::from(k) ^ x).sum::<u64>())
                    .sum::<u64>()
            };
            let run = |inputs: Vec<u64>| inputs.into_par_iter().with_max_len(1).map(work).collect();
            let all_right = pool.install(|| {
                (0..2_000u32)
                    .into_par_iter()
                    .with_max_len(1)
                    .all(|x| batcher.call(u64::from(x), run) == work(u64::from(x)))
            });
            let _ = finished.send((all_right, batcher.count()));
        });
        // Generous: the work takes well under a second; only a deadlock takes this long.
        let (all_right, count) = done
            .recv_timeout(std::time::Duration::from_secs(120))
            .expect("every caller was answered");
        assert!(all_right);
        assert_eq!(count.requests, 2_000);
    }

    #[test]
    fn a_lone_caller_runs_its_own_batch() {
        let batcher = Batcher::<&str, usize>::default();
        let run = |inputs: Vec<&str>| inputs.iter().map(|s| s.len()).collect();
        assert_eq!(batcher.call("four", run), 4);
        assert_eq!(batcher.call("", run), 0);
        assert_eq!(
            batcher.count(),
            BatchCount {
                batches: 2,
                requests: 2
            }
        );
    }

    #[test]
    fn a_panicking_batch_does_not_leave_others_waiting() {
        let batcher = Batcher::<u32, u32>::default();
        let first = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            batcher.call(1, |_| panic!("network failed"))
        }));
        assert!(first.is_err());
        // The device is free again and later requests are answered.
        assert_eq!(batcher.call(2, |xs| xs), 2);
    }
}
