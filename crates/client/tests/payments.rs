//! Payments through a fake node with real signed blocks: fund, pay, pay back, subaddress, two
//! tokens, exact balances with fees, pending balances, expiry, and every user-facing refusal.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{FEE0, FEE1, FakeNode, block_on, out, rng, wallet};
use mcnode_client::{
    Balance, ClientError, Inclusion, NodeError, Payment, ProposeRefusal, StateFile, Wallet,
};
use mcnode_tx::address::{AddressError, AddressString, Network};
use mcnode_tx::{AccountKey, PublicAddress, TokenId};

const T0: TokenId = TokenId(0);
const T1: TokenId = TokenId(1);

struct World {
    node: FakeNode,
    alice: AccountKey,
    bob: AccountKey,
    dir: tempfile::TempDir,
}

/// Alice holds 1_000_000 + 500_000 of token 0 and 2_000 of token 1 in the origin block.
fn world(seed: u64) -> World {
    let mut r = rng(seed);
    let alice = AccountKey::random(&mut r);
    let bob = AccountKey::random(&mut r);
    let a = alice.default_address();
    let outputs = vec![
        out(&a, 1_000_000, T0, &mut r),
        out(&a, 500_000, T0, &mut r),
        out(&a, 2_000, T1, &mut r),
    ];
    World { node: FakeNode::new(outputs, seed), alice, bob, dir: tempfile::tempdir().unwrap() }
}

fn pay(to: PublicAddress, amount: u64, token: TokenId) -> Payment {
    Payment { to, amount, token, fee: None, tombstone: None, memo: None }
}

fn spendable(v: u128) -> Balance {
    Balance { spendable: v, pending: 0 }
}

#[test]
fn fund_pay_pay_back_with_exact_balances() {
    let mut w = world(1);
    let mut alice = wallet(&w.alice, &w.node, w.dir.path(), "alice");
    let mut bob = wallet(&w.bob, &w.node, w.dir.path(), "bob");
    block_on(alice.sync(&mut w.node)).unwrap();
    assert_eq!(alice.balance(T0), spendable(1_500_000));
    assert_eq!(alice.balance(T1), spendable(2_000));

    let mut r = rng(10);
    let p = pay(w.bob.default_address(), 300_000, T0);
    let sent = block_on(alice.pay(&mut w.node, &p, &mut r)).unwrap();
    assert_eq!(sent.fee, FEE0, "no fee given: the node's minimum");
    let inc = block_on(alice.await_inclusion(&mut w.node, &sent, || async {})).unwrap();
    assert_eq!(inc, Inclusion::Included { block: 1 });
    assert_eq!(alice.balance(T0), spendable(1_500_000 - 300_000 - FEE0 as u128));
    block_on(bob.sync(&mut w.node)).unwrap();
    assert_eq!(bob.balance(T0), spendable(300_000));

    let back = pay(w.alice.default_address(), 100_000, T0);
    let sent = block_on(bob.pay(&mut w.node, &back, &mut r)).unwrap();
    assert_eq!(
        block_on(bob.await_inclusion(&mut w.node, &sent, || async {})).unwrap(),
        Inclusion::Included { block: 2 }
    );
    block_on(alice.sync(&mut w.node)).unwrap();
    assert_eq!(alice.balance(T0), spendable(1_500_000 - 300_000 - FEE0 as u128 + 100_000));
    assert_eq!(bob.balance(T0), spendable(300_000 - 100_000 - FEE0 as u128));
    // Token 1 untouched by token-0 payments.
    assert_eq!(alice.balance(T1), spendable(2_000));
}

#[test]
fn payment_to_a_subaddress_is_found_within_the_configured_range_only() {
    let mut w = world(2);
    let mut alice = wallet(&w.alice, &w.node, w.dir.path(), "alice");
    let p = pay(w.bob.subaddress(5), 7_000, T0);
    block_on(alice.pay(&mut w.node, &p, &mut rng(20))).unwrap();

    let mut bob = wallet(&w.bob, &w.node, w.dir.path(), "bob");
    let report = block_on(bob.sync(&mut w.node)).unwrap();
    assert_eq!(report.received, vec![(1, 5, 7_000, T0)]);
    assert_eq!(bob.balance(T0), spendable(7_000));

    // A wallet watching only subaddresses 0..2 does not see it.
    let mut narrow = Wallet::open(
        w.bob.clone(),
        Network::Devnet,
        w.node.policy(),
        0..2,
        StateFile::new(w.dir.path().join("bob-narrow")),
    )
    .unwrap();
    block_on(narrow.sync(&mut w.node)).unwrap();
    assert_eq!(narrow.balance(T0), spendable(0));
}

#[test]
fn two_tokens_pay_their_own_fees() {
    let mut w = world(3);
    let mut alice = wallet(&w.alice, &w.node, w.dir.path(), "alice");
    let mut r = rng(30);
    block_on(alice.pay(&mut w.node, &pay(w.bob.default_address(), 500, T1), &mut r)).unwrap();
    block_on(alice.pay(&mut w.node, &pay(w.bob.default_address(), 9_000, T0), &mut r)).unwrap();
    block_on(alice.sync(&mut w.node)).unwrap();
    assert_eq!(alice.balance(T1), spendable(2_000 - 500 - FEE1 as u128));
    assert_eq!(alice.balance(T0), spendable(1_500_000 - 9_000 - FEE0 as u128));
    let mut bob = wallet(&w.bob, &w.node, w.dir.path(), "bob");
    block_on(bob.sync(&mut w.node)).unwrap();
    assert_eq!((bob.balance(T0), bob.balance(T1)), (spendable(9_000), spendable(500)));
}

#[test]
fn pending_until_included_then_spendable_change() {
    let mut w = world(4);
    w.node.auto_block = false;
    let mut alice = wallet(&w.alice, &w.node, w.dir.path(), "alice");
    let sent =
        block_on(alice.pay(&mut w.node, &pay(w.bob.default_address(), 600_000, T0), &mut rng(40)))
            .unwrap();
    // Largest-first selection spent the 1_000_000 output: it is pending, the 500_000 is not.
    assert_eq!(alice.balance(T0), Balance { spendable: 500_000, pending: 1_000_000 });
    assert_eq!(alice.inclusion(&sent), Inclusion::Pending);
    w.node.form_block();
    block_on(alice.sync(&mut w.node)).unwrap();
    assert_eq!(alice.inclusion(&sent), Inclusion::Included { block: 1 });
    assert_eq!(alice.balance(T0), spendable(1_500_000 - 600_000 - FEE0 as u128));
}

#[test]
fn an_expired_transaction_releases_its_inputs() {
    let mut w = world(5);
    w.node.auto_block = false;
    let mut alice = wallet(&w.alice, &w.node, w.dir.path(), "alice");
    block_on(alice.sync(&mut w.node)).unwrap();
    let mut p = pay(w.bob.default_address(), 10, T0);
    p.tombstone = Some(alice.height() + 1);
    let sent = block_on(alice.pay(&mut w.node, &p, &mut rng(50))).unwrap();
    assert_eq!(alice.balance(T0).pending, 1_000_000);
    w.node.pool.clear(); // the network never includes it
    w.node.filler_block(51);
    let inc = block_on(alice.await_inclusion(&mut w.node, &sent, || async {})).unwrap();
    assert_eq!(inc, Inclusion::Expired);
    assert_eq!(alice.balance(T0), spendable(1_500_000));
}

#[test]
fn insufficient_funds_names_the_spendable_balance() {
    let mut w = world(6);
    let mut alice = wallet(&w.alice, &w.node, w.dir.path(), "alice");
    let e = block_on(alice.pay(
        &mut w.node,
        &pay(w.bob.default_address(), 1_500_000, T0),
        &mut rng(60),
    ))
    .unwrap_err();
    match e {
        ClientError::InsufficientFunds { token, spendable, needed } => {
            assert_eq!((token, spendable, needed), (T0, 1_500_000, 1_500_000 + FEE0 as u128));
        }
        other => panic!("expected InsufficientFunds, got {other:?}"),
    }
    assert_eq!(w.node.proposals, 0);
}

#[test]
fn fee_below_minimum_is_refused_before_sending() {
    let mut w = world(7);
    let mut alice = wallet(&w.alice, &w.node, w.dir.path(), "alice");
    let mut p = pay(w.bob.default_address(), 1_000, T0);
    p.fee = Some(FEE0 - 1);
    let e = block_on(alice.pay(&mut w.node, &p, &mut rng(70))).unwrap_err();
    assert!(
        matches!(e, ClientError::FeeBelowMinimum { token: T0, fee, minimum: FEE0 } if fee == FEE0 - 1),
        "{e:?}"
    );
    assert_eq!(w.node.proposals, 0, "the wallet refused it itself");
}

#[test]
fn passed_tombstone_is_refused_before_sending() {
    let mut w = world(8);
    let mut alice = wallet(&w.alice, &w.node, w.dir.path(), "alice");
    block_on(alice.sync(&mut w.node)).unwrap();
    let mut p = pay(w.bob.default_address(), 1_000, T0);
    p.tombstone = Some(alice.height());
    let e = block_on(alice.pay(&mut w.node, &p, &mut rng(80))).unwrap_err();
    assert!(matches!(e, ClientError::TombstonePassed { tombstone: 1, height: 1 }), "{e:?}");
    assert_eq!(w.node.proposals, 0);
}

#[test]
fn unknown_token_is_refused() {
    let mut w = world(9);
    let mut alice = wallet(&w.alice, &w.node, w.dir.path(), "alice");
    let e = block_on(alice.pay(
        &mut w.node,
        &pay(w.bob.default_address(), 1, TokenId(7)),
        &mut rng(90),
    ))
    .unwrap_err();
    assert!(matches!(e, ClientError::UnknownToken { token: TokenId(7) }), "{e:?}");
}

#[test]
fn a_node_refusal_is_reported_by_its_code_name() {
    let mut w = world(10);
    w.node.faults.refuse = Some(ProposeRefusal::OverCapacity);
    let mut alice = wallet(&w.alice, &w.node, w.dir.path(), "alice");
    let e = block_on(alice.pay(&mut w.node, &pay(w.bob.default_address(), 1, T0), &mut rng(100)))
        .unwrap_err();
    assert!(
        matches!(e, ClientError::Node(NodeError::Refused(ProposeRefusal::OverCapacity))),
        "{e:?}"
    );
    assert!(e.to_string().contains("OverCapacity"), "{e}");
    assert!(alice.state().pending.is_empty(), "a refused transaction is not pending");
    assert_eq!(alice.balance(T0), spendable(1_500_000));
}

#[test]
fn a_decoy_without_a_valid_membership_proof_is_refused() {
    let mut w = world(11);
    w.node.faults.forged_decoy = true;
    let mut alice = wallet(&w.alice, &w.node, w.dir.path(), "alice");
    let e = block_on(alice.pay(&mut w.node, &pay(w.bob.default_address(), 1, T0), &mut rng(110)))
        .unwrap_err();
    assert!(matches!(e, ClientError::BadOutputProof { .. }), "{e:?}");
    assert_eq!(w.node.proposals, 0);
}

#[test]
fn addresses_with_a_typo_or_for_another_network_are_refused() {
    let w = world(12);
    let alice = wallet(&w.alice, &w.node, w.dir.path(), "alice");
    let good = AddressString { network: Network::Devnet, address: w.bob.default_address() };
    let text = good.to_string();
    assert_eq!(alice.parse_address(&text).unwrap(), w.bob.default_address());
    // One character changed (to another valid Base58 character).
    let mut typo: Vec<char> = text.chars().collect();
    let i = typo.len() - 5;
    typo[i] = if typo[i] == 'A' { 'B' } else { 'A' };
    let typo: String = typo.into_iter().collect();
    assert!(
        matches!(
            alice.parse_address(&typo),
            Err(ClientError::InvalidAddress(AddressError::Checksum))
        ),
        "{:?}",
        alice.parse_address(&typo)
    );
    let testnet = AddressString { network: Network::Testnet, address: w.bob.default_address() };
    assert!(matches!(
        alice.parse_address(&testnet.to_string()),
        Err(ClientError::WrongNetwork { expected: Network::Devnet, got: Network::Testnet })
    ));
}
