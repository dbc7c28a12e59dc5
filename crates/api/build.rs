//! Compiles `proto/` with protox (pure Rust, no `protoc`) and generates the prost messages and
//! tonic services; also writes the encoded file descriptor set that the gRPC reflection
//! services serve, so clients can discover every service from the `.proto` files alone.

use std::path::PathBuf;

const PROTOS: &[&str] = &[
    "proto/mcnode/common/v1/common.proto",
    "proto/mcnode/client/v1/client.proto",
    "proto/mcnode/peer/v1/peer.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    for p in PROTOS {
        println!("cargo:rerun-if-changed={p}");
    }
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    let mut compiler = protox::Compiler::new(["proto"])?;
    compiler.include_source_info(true).include_imports(true);
    compiler.open_files(PROTOS)?;
    std::fs::write(out.join("mcnode_descriptor.bin"), compiler.encode_file_descriptor_set())?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .compile_fds(compiler.file_descriptor_set())?;
    Ok(())
}
