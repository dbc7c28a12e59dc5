//! Well-formedness checks in batches. Every admission ends with the enclave's full check of one
//! transaction; alone, a range proof costs about four times its share of a batch
//! (`BENCHMARKS.md`, `mcnode bench tx`), and the enclave serves one call at a time. So
//! admissions hand their check to one task that takes every check waiting when it is free
//! (up to [`MAX_BATCH`]) and asks the enclave for all of them in one `TxsAreWellFormed` call.
//!
//! By default nothing waits to fill a batch: a check arriving at an idle enclave goes alone at
//! once, so batching adds no latency at low load and grows with the queue under load. With
//! `pool.check_linger_ms` a batch waits that long after its first check for more: a few
//! milliseconds of latency against a block interval of a second, for fewer, larger batches
//! when the enclave is not yet saturated. Checks of
//! different heights go in separate calls (the height is part of each verdict). A batch's
//! verdicts are each transaction's own (the enclave judges each as if alone).

use std::collections::BTreeMap;
use std::time::Duration;

use mcnode_enclave::BoundaryError;
use mcnode_enclave::host_types::{
    HighestProof, LocallyEncryptedTx, WellFormedEncryptedTx, WellFormedQuery, WellFormedTxContext,
    WellFormedVerdict,
};
use prometheus_client::metrics::counter::Counter;
use tokio::sync::{mpsc, oneshot};

use super::enclave_worker::{EnclaveCallError, EnclaveWorker};

/// Most checks in one enclave call (about 100 ms of enclave time for 1-input transactions on
/// this project's reference machine: other calls, block formation among them, wait no longer).
pub const MAX_BATCH: usize = 64;

/// A check's outcome: the context and the pool ciphertext, or why not.
pub type Verdict = Result<(WellFormedTxContext, WellFormedEncryptedTx), EnclaveCallError>;

struct Job {
    height: u64,
    query: WellFormedQuery,
    reply: oneshot::Sender<Verdict>,
}

/// A handle to the batching task; cheap to clone. The task ends when every handle is dropped.
#[derive(Clone, Debug)]
pub struct WellFormedBatcher {
    jobs: mpsc::UnboundedSender<Job>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job").field("height", &self.height).finish_non_exhaustive()
    }
}

impl WellFormedBatcher {
    /// Starts the task (inside a tokio runtime) in front of `enclave`; each enclave call
    /// counts in `calls`. A batch waits up to `linger` after its first check for more (zero:
    /// it takes only what is already waiting).
    pub fn start(enclave: EnclaveWorker, calls: Counter, linger: Duration) -> WellFormedBatcher {
        let (jobs, rx) = mpsc::unbounded_channel();
        tokio::spawn(serve(enclave, rx, calls, linger));
        WellFormedBatcher { jobs }
    }

    /// The enclave's check of the cached transaction `tx` at `height`.
    pub async fn check(
        &self,
        tx: LocallyEncryptedTx,
        height: u64,
        highest: HighestProof,
    ) -> Verdict {
        let (reply, rx) = oneshot::channel();
        let job = Job { height, query: WellFormedQuery { tx, highest }, reply };
        let gone = || EnclaveCallError::Dead { reason: "the batching task ended".into() };
        self.jobs.send(job).map_err(|_| gone())?;
        rx.await.unwrap_or_else(|_| Err(gone()))
    }
}

async fn serve(
    enclave: EnclaveWorker,
    mut rx: mpsc::UnboundedReceiver<Job>,
    calls: Counter,
    linger: Duration,
) {
    while let Some(first) = rx.recv().await {
        let mut by_height: BTreeMap<u64, Vec<Job>> = BTreeMap::new();
        by_height.entry(first.height).or_default().push(first);
        let mut n = 1;
        let until = tokio::time::Instant::now() + linger;
        while n < MAX_BATCH {
            let job = match rx.try_recv() {
                Ok(job) => job,
                Err(_) if linger.is_zero() => break,
                Err(_) => match tokio::time::timeout_at(until, rx.recv()).await {
                    Ok(Some(job)) => job,
                    Ok(None) | Err(_) => break,
                },
            };
            by_height.entry(job.height).or_default().push(job);
            n += 1;
        }
        for (height, jobs) in by_height {
            let (queries, replies): (Vec<_>, Vec<_>) =
                jobs.into_iter().map(|j| (j.query, j.reply)).unzip();
            calls.inc();
            match enclave.call(move |e| e.txs_are_well_formed(height, queries)).await {
                Ok(verdicts) => {
                    for (v, reply) in verdicts.into_iter().zip(replies) {
                        let _ = reply.send(match v {
                            WellFormedVerdict::WellFormed { context, tx } => Ok((context, tx)),
                            WellFormedVerdict::Refused(e) => {
                                Err(EnclaveCallError::Call(BoundaryError::Refused(e)))
                            }
                        });
                    }
                }
                Err(e) => {
                    for reply in replies {
                        let _ = reply.send(Err(copy(&e)));
                    }
                }
            }
        }
    }
}

/// The same failure for each check of a failed call.
fn copy(e: &EnclaveCallError) -> EnclaveCallError {
    match e {
        EnclaveCallError::Dead { reason } => EnclaveCallError::Dead { reason: reason.clone() },
        EnclaveCallError::Call(b) => EnclaveCallError::Call(match b {
            BoundaryError::Refused(r) => BoundaryError::Refused(*r),
            BoundaryError::FrameTooLarge { len, max } => {
                BoundaryError::FrameTooLarge { len: *len, max: *max }
            }
            BoundaryError::BadReply(f) => BoundaryError::BadReply(f.clone()),
            BoundaryError::UnexpectedReply { call, got } => {
                BoundaryError::UnexpectedReply { call, got }
            }
            // The worker turns transport failures into `Dead`; keep the text if one gets here.
            BoundaryError::Transport(io) => {
                BoundaryError::Transport(std::io::Error::new(io.kind(), io.to_string()))
            }
        }),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    use mcnode_enclave::call::{EnclaveCall, EnclaveReply, decode_frame, encode_frame};
    use mcnode_enclave::refusal::EnclaveError;
    use mcnode_enclave::{BoundaryError, Enclave};
    use mcnode_types::Hash32;

    /// Answers `TxsAreWellFormed` itself: a transaction whose first byte is 0 is refused, any
    /// other is well formed under the hash `[first byte; 32]`. The first call takes 200 ms
    /// (so checks queue behind it); every call's size is recorded.
    struct Fake {
        sizes: Arc<Mutex<Vec<usize>>>,
    }

    impl Enclave for Fake {
        fn call_bytes(&mut self, request: &[u8]) -> Result<Vec<u8>, BoundaryError> {
            let EnclaveCall::TxsAreWellFormed { txs, .. } = decode_frame(request).unwrap() else {
                panic!("another call");
            };
            let first = self.sizes.lock().unwrap().is_empty();
            self.sizes.lock().unwrap().push(txs.len());
            if first {
                std::thread::sleep(Duration::from_millis(200));
            }
            let verdicts = txs
                .iter()
                .map(|q| match q.tx.0[0] {
                    0 => WellFormedVerdict::Refused(EnclaveError::BadCiphertext),
                    b => WellFormedVerdict::WellFormed {
                        context: WellFormedTxContext {
                            tx_hash: Hash32([b; 32]),
                            key_images: vec![],
                            output_public_keys: vec![],
                            tombstone: 10,
                            priority: 128,
                            highest_index: 0,
                            leaf_count: 1,
                            size: 1,
                        },
                        tx: WellFormedEncryptedTx(q.tx.0.clone()),
                    },
                })
                .collect();
            Ok(encode_frame(&EnclaveReply::WellFormed(verdicts)))
        }
    }

    fn highest() -> HighestProof {
        HighestProof {
            output: mcnode_ledger::testkit::synthetic_output(1),
            proof: mcnode_tx::MembershipProof { index: 0, leaf_count: 1, siblings: vec![] },
        }
    }

    #[tokio::test]
    async fn checks_waiting_behind_a_call_go_together_and_each_gets_its_own_verdict() {
        let sizes = Arc::new(Mutex::new(Vec::new()));
        let worker = EnclaveWorker::start(Box::new(Fake { sizes: sizes.clone() })).unwrap();
        let calls = Counter::default();
        let b = WellFormedBatcher::start(worker, calls.clone(), Duration::ZERO);
        let first = {
            let b = b.clone();
            tokio::spawn(async move { b.check(LocallyEncryptedTx(vec![9]), 1, highest()).await })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        let mut rest = Vec::new();
        for k in 0..10u8 {
            let b = b.clone();
            rest.push(tokio::spawn(async move {
                (k, b.check(LocallyEncryptedTx(vec![k]), 1, highest()).await)
            }));
        }
        assert_eq!(first.await.unwrap().unwrap().0.tx_hash, Hash32([9; 32]));
        for r in rest {
            let (k, v) = r.await.unwrap();
            match (k, v) {
                (0, Err(EnclaveCallError::Call(BoundaryError::Refused(e)))) => {
                    assert_eq!(e, EnclaveError::BadCiphertext)
                }
                (k, Ok((context, _))) if k > 0 => assert_eq!(context.tx_hash, Hash32([k; 32])),
                (k, v) => panic!("check {k}: {v:?}"),
            }
        }
        assert_eq!(*sizes.lock().unwrap(), vec![1, 10], "the ten waiting checks were not batched");
        assert_eq!(calls.get(), 2);
    }

    #[tokio::test]
    async fn with_a_linger_checks_arriving_apart_go_together() {
        let sizes = Arc::new(Mutex::new(Vec::new()));
        // The fake's first call sleeps; a first dummy call takes that delay out of the way.
        let worker = EnclaveWorker::start(Box::new(Fake { sizes: sizes.clone() })).unwrap();
        let b = WellFormedBatcher::start(worker, Counter::default(), Duration::from_millis(300));
        b.check(LocallyEncryptedTx(vec![1]), 1, highest()).await.unwrap();
        let mut checks = Vec::new();
        for k in 2..6u8 {
            let b = b.clone();
            checks.push(tokio::spawn(async move {
                b.check(LocallyEncryptedTx(vec![k]), 1, highest()).await
            }));
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        for c in checks {
            c.await.unwrap().unwrap();
        }
        assert_eq!(*sizes.lock().unwrap(), vec![1, 4], "checks 20 ms apart were not batched");
    }
}
