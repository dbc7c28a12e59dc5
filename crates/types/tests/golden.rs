//! Golden fixtures: these bytes ARE the canonical encoding. If one of these tests fails, the
//! encoding changed, which breaks signatures and hashes across the network: change the fixture
//! only together with a protocol version bump.

use mcnode_types::{Decode, Encode, Hash32, NodeId};

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn integers_are_big_endian_fixed_width() {
    assert_eq!(hex(&0x0102u16.to_canonical_bytes()), "0102");
    assert_eq!(hex(&7u32.to_canonical_bytes()), "00000007");
    assert_eq!(hex(&0x0102030405060708u64.to_canonical_bytes()), "0102030405060708");
    assert_eq!(hex(&true.to_canonical_bytes()), "01");
}

#[test]
fn sequences_and_options() {
    let v: Vec<u16> = vec![1, 2];
    assert_eq!(hex(&v.to_canonical_bytes()), "0000000200010002");
    assert_eq!(hex(&None::<u8>.to_canonical_bytes()), "00");
    assert_eq!(hex(&Some(5u8).to_canonical_bytes()), "0105");
    assert_eq!(Vec::<u16>::from_canonical_bytes(&v.to_canonical_bytes()).unwrap(), v);
}

#[test]
fn ids_and_hashes_are_raw_bytes() {
    let id = NodeId([0xab; 32]);
    assert_eq!(hex(&id.to_canonical_bytes()), "ab".repeat(32));
    let pair = (Hash32([1; 32]), 9u64);
    let mut out = Vec::new();
    pair.0.encode(&mut out);
    pair.1.encode(&mut out);
    assert_eq!(hex(&out), format!("{}{}", "01".repeat(32), "0000000000000009"));
}

#[test]
fn domain_hash_is_pinned() {
    // SHA-256(0x04 || "test" || "abc").
    assert_eq!(
        Hash32::digest(b"test", b"abc").to_hex(),
        "edd6177d67587e7581b10fbb2ce6b099e87c003c8c2621574d55f5d8fe7d86d4"
    );
}
