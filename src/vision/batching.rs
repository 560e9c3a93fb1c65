//! One device, many callers: what threads ask of a network at about the same time runs as one
//! batch.
//!
//! No thread is set aside for the device. A caller that finds it idle becomes the runner: it takes
//! every request waiting, its own among them, runs them together and hands each caller its answer
//! (flat combining). While it runs, new requests queue up and become the next batch, so batches
//! widen with the load and nobody waits on a timer. A GPU needs those wide batches to be busy,
//! while each scanning thread keeps handling one photo at a time.

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
    pub fn call(&self, input: I, run: impl Fn(Vec<I>) -> Vec<O>) -> O {
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
            let answers = run(inputs);
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
