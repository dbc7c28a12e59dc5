//! An in-process tonic server on 127.0.0.1, built with the crate's helpers around trivial
//! service implementations: reflection lists both services; an oversized request gets
//! `RESOURCE_EXHAUSTED`, is reported to the refusal hook, and the server keeps serving; bytes
//! that are not protobuf are reported too; a request over an item cap gets `INVALID_ARGUMENT`
//! from the conversion; answers convert back to domain values.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers outside #[test] fns

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use mcnode_api::convert::requests::{blocks_from_response, blocks_within_budget};
use mcnode_api::limits::{
    CLIENT_MAX_DECODING_MESSAGE_SIZE, MAX_BLOCKS_PER_REQUEST, Refusal, RefusalHook,
    client_api_client, client_routes, peer_api_client, peer_routes, server_builder,
};
use mcnode_api::pb::client::v1 as client;
use mcnode_api::pb::client::v1::consensus_client_api_server::ConsensusClientApi;
use mcnode_api::pb::common::v1 as common;
use mcnode_api::pb::peer::v1 as peer;
use mcnode_api::pb::peer::v1::peer_api_server::PeerApi;
use mcnode_api::result::propose_response;
use mcnode_api::{BlockRange, ProposeTxResult, SERVICE_NAMES};
use mcnode_ledger::{Ledger, MemoryLedger, testkit};
use tonic::{Code, Request, Response, Status};
use tonic_reflection::pb::v1::ServerReflectionRequest;
use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;

type R<T> = Result<Response<T>, Status>;

/// A client API that serves a small ledger and accepts nothing.
struct Trivial {
    ledger: MemoryLedger,
}

fn ledger() -> MemoryLedger {
    let mut l = MemoryLedger::new();
    for n in 0..3 {
        testkit::append_synthetic(&mut l, n, 2, 1).unwrap();
    }
    l
}

impl Trivial {
    fn blocks(&self, req: &common::GetBlocksRequest) -> R<common::GetBlocksResponse> {
        let range = BlockRange::try_from(req)?;
        let blocks = self
            .ledger
            .blocks(range.from, u64::from(range.limit))
            .map_err(|e| Status::internal(e.to_string()))?;
        Ok(Response::new(blocks_within_budget(&blocks)))
    }
}

#[tonic::async_trait]
impl ConsensusClientApi for Trivial {
    async fn auth(&self, r: Request<client::AuthRequest>) -> R<client::AuthResponse> {
        let msg1 = mcnode_api::convert::requests::client_handshake(r.get_ref())?;
        Ok(Response::new(client::AuthResponse { handshake: msg1.to_vec() }))
    }
    async fn propose_tx(
        &self,
        r: Request<client::ProposeTxRequest>,
    ) -> R<common::ProposeTxResponse> {
        mcnode_api::convert::requests::propose_tx(r.get_ref())?;
        Ok(Response::new(propose_response(ProposeTxResult::NotServing, 3)))
    }
    async fn get_last_block_info(
        &self,
        _: Request<client::GetLastBlockInfoRequest>,
    ) -> R<client::GetLastBlockInfoResponse> {
        Ok(Response::new(client::GetLastBlockInfoResponse::default()))
    }
    async fn get_blocks(
        &self,
        r: Request<common::GetBlocksRequest>,
    ) -> R<common::GetBlocksResponse> {
        self.blocks(r.get_ref())
    }
    async fn get_outputs(
        &self,
        _: Request<client::GetOutputsRequest>,
    ) -> R<client::GetOutputsResponse> {
        Err(Status::unimplemented("trivial"))
    }
}

struct TrivialPeer;

#[tonic::async_trait]
impl PeerApi for TrivialPeer {
    async fn peer_auth(&self, _: Request<peer::PeerAuthRequest>) -> R<peer::PeerAuthResponse> {
        Err(Status::unimplemented("trivial"))
    }
    async fn peer_auth_finish(
        &self,
        _: Request<peer::PeerAuthFinishRequest>,
    ) -> R<peer::PeerAuthFinishResponse> {
        Err(Status::unimplemented("trivial"))
    }
    async fn peer_tx_propose(
        &self,
        _: Request<peer::PeerTxProposeRequest>,
    ) -> R<common::ProposeTxResponse> {
        Err(Status::unimplemented("trivial"))
    }
    async fn send_consensus_msg(
        &self,
        r: Request<peer::SendConsensusMsgRequest>,
    ) -> R<peer::SendConsensusMsgResponse> {
        mcnode_api::convert::requests::consensus_envelope(r.get_ref())?;
        Ok(Response::new(peer::SendConsensusMsgResponse {}))
    }
    async fn get_latest_msg(
        &self,
        _: Request<peer::GetLatestMsgRequest>,
    ) -> R<peer::GetLatestMsgResponse> {
        Ok(Response::new(peer::GetLatestMsgResponse::default()))
    }
    async fn get_quorum_set(
        &self,
        _: Request<peer::GetQuorumSetRequest>,
    ) -> R<peer::GetQuorumSetResponse> {
        Ok(Response::new(peer::GetQuorumSetResponse::default()))
    }
    async fn get_txs(&self, _: Request<peer::GetTxsRequest>) -> R<peer::GetTxsResponse> {
        Err(Status::unimplemented("trivial"))
    }
    async fn get_blocks(
        &self,
        _: Request<common::GetBlocksRequest>,
    ) -> R<common::GetBlocksResponse> {
        Err(Status::unimplemented("trivial"))
    }
}

/// A hook that records refusals.
fn recorder() -> (RefusalHook, Arc<Mutex<Vec<Refusal>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    (Arc::new(move |r| s.lock().unwrap().push(r)), seen)
}

fn ignore() -> RefusalHook {
    Arc::new(|_| {})
}

async fn serve(routes: tonic::service::Routes) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let incoming = tokio_stream::wrappers::TcpListenerStream::new(listener);
    tokio::spawn(server_builder().add_routes(routes).serve_with_incoming(incoming));
    addr
}

async fn channel(addr: SocketAddr) -> tonic::transport::Channel {
    tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap()
}

async fn listed_services(addr: SocketAddr) -> Vec<String> {
    let mut refl = ServerReflectionClient::new(channel(addr).await);
    let req = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut answers =
        refl.server_reflection_info(tokio_stream::iter([req])).await.unwrap().into_inner();
    let answer = answers.message().await.unwrap().unwrap();
    match answer.message_response {
        Some(MessageResponse::ListServicesResponse(l)) => {
            l.service.into_iter().map(|s| s.name).collect()
        }
        other => panic!("unexpected reflection answer {other:?}"),
    }
}

#[tokio::test]
async fn reflection_lists_the_services_on_both_ports() {
    let client_addr = serve(client_routes(Trivial { ledger: ledger() }, ignore()).unwrap()).await;
    let peer_addr = serve(peer_routes(TrivialPeer, ignore()).unwrap()).await;
    let on_client = listed_services(client_addr).await;
    let on_peer = listed_services(peer_addr).await;
    assert!(on_client.iter().any(|s| s == SERVICE_NAMES[0]), "{on_client:?}");
    assert!(on_peer.iter().any(|s| s == SERVICE_NAMES[1]), "{on_peer:?}");
    assert!(on_client.iter().any(|s| s == "grpc.reflection.v1.ServerReflection"), "{on_client:?}");
}

#[tokio::test]
async fn an_oversized_request_is_refused_counted_and_the_server_keeps_serving() {
    let (hook, seen) = recorder();
    let addr = serve(client_routes(Trivial { ledger: ledger() }, hook).unwrap()).await;
    // The client side allows the size, so only the server's limit can refuse it.
    let mut c = client_api_client(channel(addr).await).max_encoding_message_size(usize::MAX);
    let req = client::ProposeTxRequest {
        payload: Some(common::EncryptedPayload {
            session_id: vec![0; 32],
            chunks: vec![common::ChannelChunk {
                counter: 0,
                ciphertext: vec![7; CLIENT_MAX_DECODING_MESSAGE_SIZE],
            }],
        }),
    };
    let err = c.propose_tx(req).await.unwrap_err();
    assert_eq!(err.code(), Code::ResourceExhausted, "{err:?}");
    assert_eq!(*seen.lock().unwrap(), vec![Refusal::Oversized]);
    // Still serving after the refusal.
    let blocks =
        c.get_blocks(common::GetBlocksRequest { from: 0, limit: 10 }).await.unwrap().into_inner();
    assert_eq!(blocks_from_response(&blocks).unwrap(), ledger().blocks(0, 10).unwrap());
}

#[tokio::test]
async fn over_an_item_cap_or_malformed_is_invalid_argument() {
    let addr = serve(client_routes(Trivial { ledger: ledger() }, ignore()).unwrap()).await;
    let mut c = client_api_client(channel(addr).await);
    let too_many = common::GetBlocksRequest { from: 0, limit: MAX_BLOCKS_PER_REQUEST + 1 };
    let err = c.get_blocks(too_many).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert!(err.message().contains("GetBlocksRequest.limit"), "{}", err.message());
    let bad_session = client::ProposeTxRequest {
        payload: Some(common::EncryptedPayload {
            session_id: vec![0; 31],
            chunks: vec![common::ChannelChunk { counter: 0, ciphertext: vec![1; 32] }],
        }),
    };
    let err = c.propose_tx(bad_session).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert!(err.message().contains("EncryptedPayload.session_id"), "{}", err.message());
}

#[tokio::test]
async fn a_peer_envelope_over_the_cap_is_refused() {
    let addr = serve(peer_routes(TrivialPeer, ignore()).unwrap()).await;
    let mut c = peer_api_client(channel(addr).await);
    let ok = c.send_consensus_msg(peer::SendConsensusMsgRequest { envelope: vec![1; 100] }).await;
    assert!(ok.is_ok(), "{ok:?}");
    let big = vec![1; mcnode_api::limits::MAX_ENVELOPE_LEN + 1];
    let err =
        c.send_consensus_msg(peer::SendConsensusMsgRequest { envelope: big }).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument, "{err:?}");
}

#[tokio::test]
async fn a_request_that_is_not_protobuf_is_refused_and_counted() {
    let (hook, seen) = recorder();
    let addr = serve(client_routes(Trivial { ledger: ledger() }, hook).unwrap()).await;
    // A raw unary call whose body is not a GetBlocksRequest (field 1 with a truncated varint).
    let mut grpc = tonic::client::Grpc::new(channel(addr).await);
    grpc.ready().await.unwrap();
    let path = tonic::codegen::http::uri::PathAndQuery::from_static(
        "/mcnode.client.v1.ConsensusClientApi/GetBlocks",
    );
    let err = grpc
        .unary::<Vec<u8>, Vec<u8>, _>(Request::new(vec![0x08, 0xff]), path, RawCodec)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Internal, "{err:?}");
    assert_eq!(*seen.lock().unwrap(), vec![Refusal::Malformed]);
    // A well-formed request is not reported.
    let mut c = client_api_client(channel(addr).await);
    c.get_blocks(common::GetBlocksRequest { from: 0, limit: 1 }).await.unwrap();
    assert_eq!(seen.lock().unwrap().len(), 1);
}

/// Sends and receives raw bytes (to put invalid protobuf on the wire).
#[derive(Clone, Copy)]
struct RawCodec;

impl tonic::codec::Codec for RawCodec {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = RawCodec;
    type Decoder = RawCodec;
    fn encoder(&mut self) -> Self::Encoder {
        RawCodec
    }
    fn decoder(&mut self) -> Self::Decoder {
        RawCodec
    }
}

impl tonic::codec::Encoder for RawCodec {
    type Item = Vec<u8>;
    type Error = Status;
    fn encode(
        &mut self,
        item: Vec<u8>,
        dst: &mut tonic::codec::EncodeBuf<'_>,
    ) -> Result<(), Status> {
        use prost::bytes::BufMut;
        dst.put_slice(&item);
        Ok(())
    }
}

impl tonic::codec::Decoder for RawCodec {
    type Item = Vec<u8>;
    type Error = Status;
    fn decode(&mut self, src: &mut tonic::codec::DecodeBuf<'_>) -> Result<Option<Vec<u8>>, Status> {
        use prost::bytes::Buf;
        let mut out = vec![0; src.remaining()];
        src.copy_to_slice(&mut out);
        Ok(Some(out))
    }
}

/// The serialized file descriptors reflection answers for `req`.
async fn reflected_files(addr: SocketAddr, req: MessageRequest) -> Vec<Vec<u8>> {
    let mut refl = ServerReflectionClient::new(channel(addr).await);
    let req = ServerReflectionRequest { host: String::new(), message_request: Some(req) };
    let mut answers =
        refl.server_reflection_info(tokio_stream::iter([req])).await.unwrap().into_inner();
    match answers.message().await.unwrap().unwrap().message_response {
        Some(MessageResponse::FileDescriptorResponse(f)) => f.file_descriptor_proto,
        other => panic!("unexpected reflection answer {other:?}"),
    }
}

fn mentions(files: &[Vec<u8>], name: &[u8]) -> bool {
    files.iter().any(|f| f.windows(name.len()).any(|w| w == name))
}

#[tokio::test]
async fn reflection_serves_the_proto_files_and_their_imports() {
    let addr = serve(client_routes(Trivial { ledger: ledger() }, ignore()).unwrap()).await;
    // What grpcurl does: the file defining the service, then each file it imports.
    let service = SERVICE_NAMES[0].to_owned();
    let files = reflected_files(addr, MessageRequest::FileContainingSymbol(service)).await;
    assert!(mentions(&files, b"mcnode/client/v1/client.proto"));
    assert!(mentions(&files, b"GetOutputsRequest"));
    let common = "mcnode/common/v1/common.proto".to_owned();
    let files = reflected_files(addr, MessageRequest::FileByFilename(common)).await;
    assert!(mentions(&files, b"PROPOSE_TX_RESULT_FEE_TOO_LOW"));
}
