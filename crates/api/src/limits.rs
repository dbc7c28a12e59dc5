//! Size and item limits of every service, as constants, and the one place servers and clients
//! are built with them ([`client_routes`], [`peer_routes`], [`server_builder`],
//! [`client_api_client`], [`peer_api_client`]), so a runtime cannot forget a limit.
//!
//! - Message size: a request larger than the service's decoding limit is refused with
//!   `RESOURCE_EXHAUSTED` before any handler runs, and reported to the runtime's
//!   [`RefusalHook`] ([`Refusals`]), as is a request that is not valid protobuf; a response
//!   larger than the encoding limit is not sent. The client limit fits one maximal
//!   transaction ([`MAX_CHUNKS`] channel messages of [`MAX_MESSAGE_LEN`] bytes); the peer
//!   limit fits one maximal SCP envelope or relay.
//! - Items: each list a request may carry has a cap, enforced by the request conversions in
//!   [`crate::convert`] (`INVALID_ARGUMENT` past it).
//! - Responses: [`MAX_RESPONSE_BYTES`] bounds what a server should put in one `GetBlocks`
//!   answer ([`crate::convert::requests::blocks_within_budget`]); one block alone may exceed it
//!   and is still sent, so [`MAX_ENCODING_MESSAGE_SIZE`] fits the largest possible block.
//! - Rate: [`crate::rate`] is the per-peer / per-client token bucket the runtime applies.

use std::time::Duration;

use mcnode_enclave::channel::MAX_MESSAGE_LEN;
use mcnode_enclave::chunks::MAX_CHUNKS;
use tonic::service::Routes;
use tonic::transport::Server;

pub use crate::oversize::{Refusal, RefusalHook, Refusals};
use crate::pb::client::v1::consensus_client_api_client::ConsensusClientApiClient;
use crate::pb::client::v1::consensus_client_api_server::{
    ConsensusClientApi, ConsensusClientApiServer,
};
use crate::pb::peer::v1::peer_api_client::PeerApiClient;
use crate::pb::peer::v1::peer_api_server::{PeerApi, PeerApiServer};

const MIB: usize = 1 << 20;

/// Largest client request (one transaction: up to `MAX_CHUNKS` channel messages) in bytes.
pub const CLIENT_MAX_DECODING_MESSAGE_SIZE: usize = MAX_CHUNKS as usize * MAX_MESSAGE_LEN + MIB;
/// Largest peer request (a relay of the same size, or one SCP envelope) in bytes.
pub const PEER_MAX_DECODING_MESSAGE_SIZE: usize = MAX_CHUNKS as usize * MAX_MESSAGE_LEN + MIB;
/// Largest response in bytes (fits the largest block the ledger accepts: 2^17 outputs of
/// about 194 protobuf bytes each with a memo, 2^16 key images and 1000 signatures: ~28 MiB).
pub const MAX_ENCODING_MESSAGE_SIZE: usize = 40 * MIB;
/// Size budget of one `GetBlocks` answer: a server stops adding blocks past it.
pub const MAX_RESPONSE_BYTES: usize = 8 * MIB;
/// Most blocks one `GetBlocks` request may ask for.
pub const MAX_BLOCKS_PER_REQUEST: u32 = 100;
/// Most outputs one `GetOutputs` request may ask for (16 inputs x 11 ring members is 176).
pub const MAX_OUTPUTS_PER_REQUEST: usize = 1000;
/// Most transaction hashes one `GetTxs` request may ask for (MobileCoin's pool holds 500).
pub const MAX_TX_HASHES_PER_REQUEST: usize = 500;
/// Longest handshake message (a Noise message).
pub const MAX_HANDSHAKE_LEN: usize = MAX_MESSAGE_LEN;
/// Longest signed SCP envelope.
pub const MAX_ENVELOPE_LEN: usize = 4 * MIB;
/// Most envelopes in one `GetLatestMsg` answer (one per node of a maximal network, twice).
pub const MAX_LATEST_ENVELOPES: usize = 2000;
/// Longest quorum set in a `GetQuorumSet` answer (canonical encoding; a maximal set of
/// 1000 validators is about 32 KiB).
pub const MAX_QUORUM_SET_LEN: usize = 64 * 1024;
/// A request not answered within this is cancelled (`DEADLINE_EXCEEDED`/`CANCELLED`).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Most requests one connection may have in flight.
pub const CONCURRENCY_PER_CONNECTION: usize = 32;
/// Most concurrent HTTP/2 streams per connection.
pub const MAX_CONCURRENT_STREAMS: u32 = 64;

/// The gRPC server builder with the timeouts and concurrency limits above.
pub fn server_builder() -> Server {
    Server::builder()
        .timeout(REQUEST_TIMEOUT)
        .concurrency_limit_per_connection(CONCURRENCY_PER_CONNECTION)
        .max_concurrent_streams(MAX_CONCURRENT_STREAMS)
        .http2_keepalive_interval(Some(Duration::from_secs(30)))
        .http2_keepalive_timeout(Some(Duration::from_secs(10)))
}

/// The client API service with its size limits.
/// Oversized and malformed requests are reported to `hook` ([`Refusals`]).
pub fn client_api_server<S: ConsensusClientApi>(
    svc: S,
    hook: RefusalHook,
) -> Refusals<ConsensusClientApiServer<S>> {
    Refusals::new(
        ConsensusClientApiServer::new(svc)
            .max_decoding_message_size(CLIENT_MAX_DECODING_MESSAGE_SIZE)
            .max_encoding_message_size(MAX_ENCODING_MESSAGE_SIZE),
        hook,
    )
}

/// The peer API service with its size limits.
/// Oversized and malformed requests are reported to `hook` ([`Refusals`]).
pub fn peer_api_server<S: PeerApi>(svc: S, hook: RefusalHook) -> Refusals<PeerApiServer<S>> {
    Refusals::new(
        PeerApiServer::new(svc)
            .max_decoding_message_size(PEER_MAX_DECODING_MESSAGE_SIZE)
            .max_encoding_message_size(MAX_ENCODING_MESSAGE_SIZE),
        hook,
    )
}

/// Everything the client port serves: the client API with its limits and refusal reporting,
/// plus gRPC reflection (v1 and v1alpha). Serve it with `server_builder().add_routes(routes)`.
pub fn client_routes<S: ConsensusClientApi>(
    svc: S,
    hook: RefusalHook,
) -> Result<Routes, ReflectionError> {
    with_reflection(Routes::new(client_api_server(svc, hook)))
}

/// Everything the peer port serves: the peer API with its limits plus gRPC reflection.
pub fn peer_routes<S: PeerApi>(svc: S, hook: RefusalHook) -> Result<Routes, ReflectionError> {
    with_reflection(Routes::new(peer_api_server(svc, hook)))
}

/// The reflection services could not be built from the embedded descriptors (a build defect).
#[derive(Debug, thiserror::Error)]
#[error("gRPC reflection: {0}")]
pub struct ReflectionError(#[from] tonic_reflection::server::Error);

fn with_reflection(routes: Routes) -> Result<Routes, ReflectionError> {
    let v1 = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(crate::FILE_DESCRIPTOR_SET)
        .build_v1()?;
    let v1alpha = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(crate::FILE_DESCRIPTOR_SET)
        .build_v1alpha()?;
    Ok(routes.add_service(v1).add_service(v1alpha))
}

/// A client-API client over `channel` that accepts the largest responses a node sends.
pub fn client_api_client<T>(channel: T) -> ConsensusClientApiClient<T>
where
    T: tonic::client::GrpcService<tonic::body::Body>,
    T::Error: Into<tonic::codegen::StdError>,
    T::ResponseBody: tonic::codegen::Body<Data = tonic::codegen::Bytes> + Send + 'static,
    <T::ResponseBody as tonic::codegen::Body>::Error: Into<tonic::codegen::StdError> + Send,
{
    ConsensusClientApiClient::new(channel)
        .max_decoding_message_size(MAX_ENCODING_MESSAGE_SIZE)
        .max_encoding_message_size(CLIENT_MAX_DECODING_MESSAGE_SIZE)
}

/// A peer-API client over `channel` with the same limits as the server it talks to.
pub fn peer_api_client<T>(channel: T) -> PeerApiClient<T>
where
    T: tonic::client::GrpcService<tonic::body::Body>,
    T::Error: Into<tonic::codegen::StdError>,
    T::ResponseBody: tonic::codegen::Body<Data = tonic::codegen::Bytes> + Send + 'static,
    <T::ResponseBody as tonic::codegen::Body>::Error: Into<tonic::codegen::StdError> + Send,
{
    PeerApiClient::new(channel)
        .max_decoding_message_size(MAX_ENCODING_MESSAGE_SIZE)
        .max_encoding_message_size(PEER_MAX_DECODING_MESSAGE_SIZE)
}
