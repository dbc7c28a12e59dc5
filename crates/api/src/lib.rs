//! `mcnode-api`: the wire protocol of mcnode (protobuf messages and gRPC services for peers and
//! clients). Being built; see the project's issues.
