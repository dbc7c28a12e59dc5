//! Canonical encoding of record/replay logs (and of the outputs and driver answers they
//! contain), so a log written by one process replays in another.

use mcnode_types::{Decode, DecodeError, Encode, Hash32, NodeId, Reader};

use super::{Entry, Input, Log};
use crate::context::{Output, TimerId, TimerKind};
use crate::quorum_set::QuorumSet;
use crate::{ScpConfig, Statement, Time, Validity};

impl Encode for Validity {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(match self {
            Validity::Invalid => 0,
            Validity::MaybeValidLater => 1,
            Validity::Valid => 2,
        });
    }
}

impl Decode for Validity {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        match u8::decode(r)? {
            0 => Ok(Validity::Invalid),
            1 => Ok(Validity::MaybeValidLater),
            2 => Ok(Validity::Valid),
            tag => Err(DecodeError::InvalidTag { what: "validity", tag }),
        }
    }
}

impl Encode for TimerId {
    fn encode(&self, out: &mut Vec<u8>) {
        self.slot.encode(out);
        out.push(match self.kind {
            TimerKind::Nomination => 0,
            TimerKind::Ballot => 1,
        });
    }
}

impl Decode for TimerId {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let slot = u64::decode(r)?;
        let kind = match u8::decode(r)? {
            0 => TimerKind::Nomination,
            1 => TimerKind::Ballot,
            tag => return Err(DecodeError::InvalidTag { what: "timer kind", tag }),
        };
        Ok(TimerId { slot, kind })
    }
}

impl<V: Encode> Encode for Output<V> {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Output::Emit(st) => {
                out.push(0);
                st.encode(out);
            }
            Output::Externalized { slot, value } => {
                out.push(1);
                slot.encode(out);
                value.encode(out);
            }
            Output::SetTimer { timer, deadline } => {
                out.push(2);
                timer.encode(out);
                deadline.encode(out);
            }
            Output::CancelTimer { timer } => {
                out.push(3);
                timer.encode(out);
            }
        }
    }
}

impl<V: Decode> Decode for Output<V> {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(match u8::decode(r)? {
            0 => Output::Emit(Statement::decode(r)?),
            1 => Output::Externalized { slot: u64::decode(r)?, value: V::decode(r)? },
            2 => Output::SetTimer { timer: TimerId::decode(r)?, deadline: Time::decode(r)? },
            3 => Output::CancelTimer { timer: TimerId::decode(r)? },
            tag => return Err(DecodeError::InvalidTag { what: "output", tag }),
        })
    }
}

impl<V: Encode> Encode for Input<V> {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Input::Nominate { now, slot, value, previous } => {
                out.push(0);
                now.encode(out);
                slot.encode(out);
                value.encode(out);
                previous.encode(out);
            }
            Input::Statement { now, statement } => {
                out.push(1);
                now.encode(out);
                statement.encode(out);
            }
            Input::Timeouts { now } => {
                out.push(2);
                now.encode(out);
            }
            Input::AddQuorumSet { quorum_set } => {
                out.push(3);
                quorum_set.encode(out);
            }
            Input::Restore { statement } => {
                out.push(4);
                statement.encode(out);
            }
            Input::StopNomination { slot } => {
                out.push(5);
                slot.encode(out);
            }
            Input::PurgeBelow { slot } => {
                out.push(6);
                slot.encode(out);
            }
            Input::BumpBallot { now, slot, value } => {
                out.push(7);
                now.encode(out);
                slot.encode(out);
                value.encode(out);
            }
        }
    }
}

impl<V: Decode> Decode for Input<V> {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(match u8::decode(r)? {
            0 => Input::Nominate {
                now: Time::decode(r)?,
                slot: u64::decode(r)?,
                value: V::decode(r)?,
                previous: Hash32::decode(r)?,
            },
            1 => Input::Statement { now: Time::decode(r)?, statement: Statement::decode(r)? },
            2 => Input::Timeouts { now: Time::decode(r)? },
            3 => Input::AddQuorumSet { quorum_set: QuorumSet::decode(r)? },
            4 => Input::Restore { statement: Statement::decode(r)? },
            5 => Input::StopNomination { slot: u64::decode(r)? },
            6 => Input::PurgeBelow { slot: u64::decode(r)? },
            7 => Input::BumpBallot {
                now: Time::decode(r)?,
                slot: u64::decode(r)?,
                value: V::decode(r)?,
            },
            tag => return Err(DecodeError::InvalidTag { what: "input", tag }),
        })
    }
}

impl<V: Encode> Encode for Entry<V> {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Entry::Input(i) => {
                out.push(0);
                i.encode(out);
            }
            Entry::Validate { slot, value, answer } => {
                out.push(1);
                slot.encode(out);
                value.encode(out);
                answer.encode(out);
            }
            Entry::Combine { slot, candidates, answer } => {
                out.push(2);
                slot.encode(out);
                candidates.encode(out);
                answer.encode(out);
            }
            Entry::ExtractValid { slot, value, answer } => {
                out.push(3);
                slot.encode(out);
                value.encode(out);
                answer.encode(out);
            }
            Entry::Result(code) => {
                out.push(4);
                code.encode(out);
            }
            Entry::Output(o) => {
                out.push(5);
                o.encode(out);
            }
        }
    }
}

impl<V: Decode> Decode for Entry<V> {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(match u8::decode(r)? {
            0 => Entry::Input(Input::decode(r)?),
            1 => Entry::Validate {
                slot: u64::decode(r)?,
                value: V::decode(r)?,
                answer: Validity::decode(r)?,
            },
            2 => Entry::Combine {
                slot: u64::decode(r)?,
                candidates: Vec::decode(r)?,
                answer: Option::decode(r)?,
            },
            3 => Entry::ExtractValid {
                slot: u64::decode(r)?,
                value: V::decode(r)?,
                answer: Option::decode(r)?,
            },
            4 => Entry::Result(u16::decode(r)?),
            5 => Entry::Output(Output::decode(r)?),
            tag => return Err(DecodeError::InvalidTag { what: "log entry", tag }),
        })
    }
}

impl<V: Encode> Encode for Log<V> {
    fn encode(&self, out: &mut Vec<u8>) {
        self.local_id.encode(out);
        self.quorum_set.encode(out);
        self.config.encode(out);
        self.entries.encode(out);
    }
}

impl<V: Decode> Decode for Log<V> {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Log {
            local_id: NodeId::decode(r)?,
            quorum_set: QuorumSet::decode(r)?,
            config: ScpConfig::decode(r)?,
            entries: Vec::decode(r)?,
        })
    }
}
