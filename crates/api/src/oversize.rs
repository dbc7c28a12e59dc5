//! Reports an oversized request as `RESOURCE_EXHAUSTED`, the code gRPC's specification and
//! its other implementations (grpc-core, grpc-go, grpc-java) use for a message above the
//! receiver's limit; tonic itself answers `OUT_OF_RANGE`. [`OversizeStatus`] wraps a service
//! and rewrites only tonic's own "decoded message length too large" answer, which tonic sends
//! as a trailers-only response (status in the headers) before any handler runs.

use std::task::{Context, Poll};

use tonic::codegen::http::{HeaderValue, Request, Response};
use tonic::codegen::{BoxFuture, Service};
use tonic::server::NamedService;

/// The message prefix of tonic's decoder when a request exceeds the service's limit, as tonic
/// percent-encodes it into `grpc-message` (spaces become `%20`).
const TONIC_TOO_LARGE: &[u8] = b"Error,%20decoded%20message%20length%20too%20large";

/// A service whose oversized-request answers carry `RESOURCE_EXHAUSTED`.
#[derive(Clone, Debug)]
pub struct OversizeStatus<S>(pub S);

impl<S: NamedService> NamedService for OversizeStatus<S> {
    const NAME: &'static str = S::NAME;
}

impl<S, B, RB> Service<Request<B>> for OversizeStatus<S>
where
    S: Service<Request<B>, Response = Response<RB>>,
    S::Future: Send + 'static,
{
    type Response = Response<RB>;
    type Error = S::Error;
    type Future = BoxFuture<Response<RB>, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let fut = self.0.call(req);
        Box::pin(async move {
            let mut resp = fut.await?;
            let h = resp.headers();
            let out_of_range = h.get("grpc-status").is_some_and(|v| v.as_bytes() == b"11");
            let too_large =
                h.get("grpc-message").is_some_and(|v| v.as_bytes().starts_with(TONIC_TOO_LARGE));
            if out_of_range && too_large {
                resp.headers_mut().insert("grpc-status", HeaderValue::from_static("8"));
            }
            Ok(resp)
        })
    }
}
