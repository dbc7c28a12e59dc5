//! Requests that tonic refuses before any handler runs, made visible:
//! - an oversized request is answered `RESOURCE_EXHAUSTED`, the code gRPC's specification and
//!   its other implementations (grpc-core, grpc-go, grpc-java) use for a message above the
//!   receiver's limit (tonic itself answers `OUT_OF_RANGE`);
//! - an oversized or malformed (undecodable protobuf, answered `INTERNAL` as the gRPC status
//!   code guide says) request is reported to a [`RefusalHook`], so the runtime counts it.
//!
//! [`Refusals`] wraps a service and inspects only tonic's own answers for these two cases,
//! which tonic sends as trailers-only responses (status in the headers).

use std::sync::Arc;
use std::task::{Context, Poll};

use tonic::codegen::http::{HeaderValue, Request, Response};
use tonic::codegen::{BoxFuture, Service};
use tonic::server::NamedService;

/// tonic's message when a request exceeds the service's limit, as tonic percent-encodes it
/// into `grpc-message` (spaces become `%20`).
const TOO_LARGE: &[u8] = b"Error,%20decoded%20message%20length%20too%20large";
/// tonic-prost's message when a request is not valid protobuf.
const UNDECODABLE: &[u8] = b"failed%20to%20decode%20Protobuf%20message";

/// A request refused before reaching a handler.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Refusal {
    /// Larger than the service's limit.
    Oversized,
    /// Not valid protobuf for the method's request type.
    Malformed,
}

impl Refusal {
    /// A metrics label: `oversized` or `malformed`.
    pub fn name(&self) -> &'static str {
        match self {
            Refusal::Oversized => "oversized",
            Refusal::Malformed => "malformed",
        }
    }
}

/// Told of every [`Refusal`] (e.g. increments `messages_dropped{cause}`). Must be quick.
pub type RefusalHook = Arc<dyn Fn(Refusal) + Send + Sync>;

/// A service whose refused requests are reported and whose oversized-request answers carry
/// `RESOURCE_EXHAUSTED`.
#[derive(Clone)]
pub struct Refusals<S> {
    inner: S,
    hook: RefusalHook,
}

impl<S> Refusals<S> {
    /// Wraps `inner`, reporting to `hook`.
    pub fn new(inner: S, hook: RefusalHook) -> Self {
        Refusals { inner, hook }
    }
}

impl<S> std::fmt::Debug for Refusals<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Refusals").finish_non_exhaustive()
    }
}

impl<S: NamedService> NamedService for Refusals<S> {
    const NAME: &'static str = S::NAME;
}

fn classify<B>(resp: &Response<B>) -> Option<Refusal> {
    let h = resp.headers();
    let status = h.get("grpc-status")?.as_bytes();
    let message = h.get("grpc-message")?.as_bytes();
    match status {
        b"11" if message.starts_with(TOO_LARGE) => Some(Refusal::Oversized),
        b"13" if message.starts_with(UNDECODABLE) => Some(Refusal::Malformed),
        _ => None,
    }
}

impl<S, B, RB> Service<Request<B>> for Refusals<S>
where
    S: Service<Request<B>, Response = Response<RB>>,
    S::Future: Send + 'static,
{
    type Response = Response<RB>;
    type Error = S::Error;
    type Future = BoxFuture<Response<RB>, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let fut = self.inner.call(req);
        let hook = self.hook.clone();
        Box::pin(async move {
            let mut resp = fut.await?;
            if let Some(r) = classify(&resp) {
                if r == Refusal::Oversized {
                    resp.headers_mut().insert("grpc-status", HeaderValue::from_static("8"));
                }
                hook(r);
            }
            Ok(resp)
        })
    }
}
