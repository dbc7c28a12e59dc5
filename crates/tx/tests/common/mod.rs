//! Shared fixtures for the integration tests.
#![allow(dead_code, clippy::unwrap_used)]

use mcnode_tx::builder::{SpendableOutput, TransactionBuilder};
use mcnode_tx::testkit::{Fixture, TEST_FEE, UniformDecoys, test_context};
use mcnode_tx::tx::{Tx, TxPrefix};
use mcnode_tx::validation::ValidationContext;
use mcnode_tx::{CompressedCommitment, TokenId};
use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};

/// Height the fixtures validate at; their tombstone is `HEIGHT + 100`.
pub const HEIGHT: u64 = 10;

pub struct Setup {
    pub fx: Fixture,
    pub inputs: Vec<SpendableOutput>,
    pub rng: ChaCha20Rng,
}

/// A ledger of 60 decoys and two sender outputs (10,000 and 20,000).
pub fn setup(seed: u64) -> Setup {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let mut fx = Fixture::new(60, &mut rng);
    let inputs = fx.fund_sender(&[10_000, 20_000], &mut rng);
    Setup { fx, inputs, rng }
}

pub fn ctx() -> ValidationContext {
    test_context(HEIGHT)
}

impl Setup {
    /// A valid two-input transaction paying 1 to the recipient (outputs: payment + change).
    pub fn valid(&mut self) -> Tx {
        let inputs = self.inputs.clone();
        self.fx.build(&inputs, 1, HEIGHT, &mut self.rng).unwrap()
    }

    /// As [`Self::valid`], with `tamper` applied before signing (signatures stay valid).
    pub fn tampered(
        &mut self,
        tamper: impl FnOnce(&mut TxPrefix, &mut Vec<CompressedCommitment>, &mut Vec<u8>),
    ) -> Tx {
        let mut b = TransactionBuilder::new(&self.fx.sender, TokenId(0), TEST_FEE, HEIGHT + 100);
        for i in &self.inputs {
            b.add_input(i.clone());
        }
        b.add_output(1, &self.fx.recipient.default_address(), None);
        let mut decoys = UniformDecoys::new(self.fx.ledger.outputs(), self.rng.next_u64());
        b.build_tampered(&mut decoys, &mut self.rng, tamper).unwrap()
    }
}
