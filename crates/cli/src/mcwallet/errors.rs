//! mcwallet's errors: a stable `code` per cause (the `--json` interface), the exit code, a
//! message that says what to do, and the numbers that explain it.
//!
//! Exit codes: 0 ok; 1 refused by the network or insufficient funds (the payment was not
//! made); 2 bad input (flags, amounts, addresses, files); 3 cannot reach or trust the node.

use mcnode_client::{ClientError, NodeError};
use serde_json::{Value, json};

/// A failed command.
#[derive(Debug)]
pub struct Failed {
    /// Stable machine-readable cause.
    pub code: &'static str,
    /// Process exit code.
    pub exit: u8,
    /// What happened and what to do.
    pub message: String,
    /// Structured details (numbers, names).
    pub details: Value,
}

impl Failed {
    /// A bad-input failure (exit 2).
    pub fn input(code: &'static str, message: impl Into<String>) -> Failed {
        Failed { code, exit: 2, message: message.into(), details: Value::Null }
    }

    /// Prints the failure on stderr (JSON when asked).
    pub fn print(&self, as_json: bool) {
        if as_json {
            let mut e = json!({"code": self.code, "exit": self.exit, "message": self.message});
            if let Value::Object(d) = &self.details {
                for (k, v) in d {
                    e[k] = v.clone();
                }
            }
            eprintln!("{}", json!({ "error": e }));
        } else {
            eprintln!("mcwallet: error [{}]: {}", self.code, self.message);
        }
    }
}

fn node_failure(e: &NodeError) -> (&'static str, u8, Value) {
    match e {
        NodeError::Unreachable { node, .. } => ("unreachable", 3, json!({"node": node})),
        NodeError::NotServing { node } => ("not_serving", 3, json!({"node": node})),
        NodeError::NotAttested { node, .. } => ("not_attested", 3, json!({"node": node})),
        NodeError::SimulatedNotAllowed { node } => {
            ("simulated_not_allowed", 3, json!({"node": node}))
        }
        NodeError::Refused(r) => ("refused", 1, json!({"result": r.name()})),
        NodeError::Protocol { .. } => ("protocol", 3, Value::Null),
    }
}

impl From<ClientError> for Failed {
    fn from(e: ClientError) -> Failed {
        let message = e.to_string();
        let (code, exit, details) = match &e {
            ClientError::Node(n) => node_failure(n),
            ClientError::Block(b) => ("bad_block", 3, json!({"reason": b.to_string()})),
            ClientError::Store(_) => ("store", 2, Value::Null),
            ClientError::InsufficientFunds { token, spendable, needed } => (
                "insufficient_funds",
                1,
                json!({"token": token.0, "spendable": spendable.to_string(),
                       "needed": needed.to_string()}),
            ),
            ClientError::TooManyInputs { token, .. } => {
                ("too_many_inputs", 1, json!({"token": token.0}))
            }
            ClientError::FeeBelowMinimum { token, fee, minimum } => {
                ("fee_too_low", 1, json!({"token": token.0, "fee": fee, "minimum": minimum}))
            }
            ClientError::UnknownToken { token } => ("unknown_token", 2, json!({"token": token.0})),
            ClientError::TombstonePassed { tombstone, height } => {
                ("tombstone_passed", 1, json!({"tombstone": tombstone, "height": height}))
            }
            ClientError::InvalidAddress(_) => ("invalid_address", 2, Value::Null),
            ClientError::WrongNetwork { expected, got } => (
                "wrong_network",
                2,
                json!({"expected": format!("{expected:?}").to_lowercase(),
                       "got": format!("{got:?}").to_lowercase()}),
            ),
            ClientError::LedgerTooSmall { have, needed } => {
                ("ledger_too_small", 1, json!({"have": have, "needed": needed}))
            }
            ClientError::BadOutputProof { index } => {
                ("bad_output_proof", 3, json!({"index": index}))
            }
            ClientError::MissingRingProof | ClientError::Build(_) => ("build", 1, Value::Null),
            ClientError::NotSynced => ("not_synced", 3, Value::Null),
        };
        Failed { code, exit, message, details }
    }
}

impl From<NodeError> for Failed {
    fn from(e: NodeError) -> Failed {
        Failed::from(ClientError::Node(e))
    }
}
