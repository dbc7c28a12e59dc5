//! The enclave behind a dedicated thread. Enclave calls block (a pipe round trip to the
//! enclave process, or the trusted core's CPU work in process), so they never run on the
//! tokio workers: one OS thread owns the [`Enclave`] and serves calls in order, and async code
//! awaits the answer.
//!
//! Guarantees:
//! - Calls run one at a time, in the order they were submitted (the enclave is a single
//!   sequential state machine, as a hardware enclave's ECALL interface is).
//! - A transport failure (the enclave process died, its pipe broke) is FATAL: the worker
//!   records why, answers that call and every later one with [`EnclaveCallError::Dead`], and
//!   publishes the reason on the channel [`EnclaveWorker::dead`] returns, which the runtime
//!   watches to stop the node with a message saying the enclave died. A refusal by a live
//!   enclave is an ordinary error ([`EnclaveCallError::Call`]).

use std::sync::mpsc;

use mcnode_enclave::{BoundaryError, Enclave};
use tokio::sync::{oneshot, watch};

type Job = Box<dyn FnOnce(&mut dyn Enclave) -> Option<String> + Send>;

/// Why an enclave call failed.
#[derive(Debug, thiserror::Error)]
pub enum EnclaveCallError {
    /// The enclave is gone (its process died or its pipe broke); the node cannot continue.
    #[error("the enclave is dead: {reason}")]
    Dead {
        /// What killed it, as first observed.
        reason: String,
    },
    /// The call failed with a live enclave (a refusal, an unexpected reply).
    #[error(transparent)]
    Call(BoundaryError),
}

/// A handle to the enclave thread; cheap to clone.
#[derive(Clone, Debug)]
pub struct EnclaveWorker {
    jobs: mpsc::Sender<Job>,
    dead: watch::Receiver<Option<String>>,
}

impl EnclaveWorker {
    /// Starts the thread that owns `enclave`. It ends when every handle is dropped.
    pub fn start(enclave: Box<dyn Enclave + Send>) -> std::io::Result<EnclaveWorker> {
        let (jobs, rx) = mpsc::channel::<Job>();
        let (dead_tx, dead) = watch::channel(None);
        std::thread::Builder::new().name("enclave".into()).spawn(move || {
            let mut enclave = enclave;
            while let Ok(job) = rx.recv() {
                if let Some(reason) = job(enclave.as_mut()) {
                    dead_tx.send_replace(Some(reason.clone()));
                    // Every later call fails at once with the first reason.
                    while let Ok(job) = rx.recv() {
                        drop(job);
                    }
                    break;
                }
            }
        })?;
        Ok(EnclaveWorker { jobs, dead })
    }

    /// A channel that turns `Some(reason)` when the enclave dies.
    pub fn dead(&self) -> watch::Receiver<Option<String>> {
        self.dead.clone()
    }

    /// Runs `f` on the enclave thread and waits for its answer.
    pub async fn call<R, F>(&self, f: F) -> Result<R, EnclaveCallError>
    where
        R: Send + 'static,
        F: FnOnce(&mut dyn Enclave) -> Result<R, BoundaryError> + Send + 'static,
    {
        if let Some(reason) = self.dead.borrow().clone() {
            return Err(EnclaveCallError::Dead { reason });
        }
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move |e: &mut dyn Enclave| {
            let out = f(e);
            let fatal = match &out {
                Err(BoundaryError::Transport(io)) => Some(format!("enclave transport: {io}")),
                _ => None,
            };
            let _ = tx.send(out);
            fatal
        });
        let gone = || EnclaveCallError::Dead {
            reason: self.dead.borrow().clone().unwrap_or_else(|| "enclave thread ended".into()),
        };
        self.jobs.send(job).map_err(|_| gone())?;
        match rx.await {
            Ok(Ok(r)) => Ok(r),
            Ok(Err(BoundaryError::Transport(io))) => {
                Err(EnclaveCallError::Dead { reason: format!("enclave transport: {io}") })
            }
            Ok(Err(e)) => Err(EnclaveCallError::Call(e)),
            Err(_) => Err(gone()),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use mcnode_enclave::ProcessEnclave;

    /// An "enclave process" that exits at once: the first call finds its pipe closed.
    fn dying_enclave() -> ProcessEnclave {
        ProcessEnclave::spawn(std::path::Path::new("/bin/sh"), &["-c", "exit 3"]).unwrap()
    }

    #[tokio::test]
    async fn a_dead_enclave_process_is_fatal_for_this_and_every_later_call() {
        let w = EnclaveWorker::start(Box::new(dying_enclave())).unwrap();
        let mut dead = w.dead();
        assert!(dead.borrow().is_none());
        let e = w.call(|e| e.identity()).await.unwrap_err();
        assert!(matches!(e, EnclaveCallError::Dead { .. }), "{e:?}");
        tokio::time::timeout(std::time::Duration::from_secs(5), dead.wait_for(|d| d.is_some()))
            .await
            .expect("the death is published")
            .unwrap();
        let e = w.call(|e| e.identity()).await.unwrap_err();
        assert!(matches!(e, EnclaveCallError::Dead { ref reason } if reason.contains("transport")));
    }

    #[tokio::test]
    async fn a_refusal_by_a_live_enclave_is_not_fatal() {
        let core = mcnode_enclave::TrustedEnclave::new(
            mcnode_attest::sim::SimPlatform::devnet([1; 32]),
            mcnode_enclave::measurement::release_program(),
        );
        let w =
            EnclaveWorker::start(Box::new(mcnode_enclave::InProcessEnclave::new(core, [2; 32])))
                .unwrap();
        // Not initialised yet: the enclave refuses, and stays usable.
        let e = w.call(|e| e.client_accept(vec![1, 2, 3])).await.unwrap_err();
        assert!(matches!(e, EnclaveCallError::Call(BoundaryError::Refused(_))), "{e:?}");
        assert!(w.dead().borrow().is_none());
        let e = w.call(|e| e.client_accept(vec![1, 2, 3])).await.unwrap_err();
        assert!(matches!(e, EnclaveCallError::Call(_)), "{e:?}");
    }
}
