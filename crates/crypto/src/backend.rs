//! Which curve25519-dalek arithmetic backend this process runs, so that benchmarks and
//! operators can say which one produced a figure.
//!
//! curve25519-dalek 5 compiles its vector backends in by configuration and picks one at run
//! time (its `backend.rs`, `get_selected_backend`): the AVX-512 IFMA backend when it was
//! compiled in (`--cfg curve25519_dalek_backend="avx512"`, or a target that already has
//! `avx512ifma` and `avx512vl`) and the CPU reports both features; otherwise the AVX2 backend
//! (compiled in by default on x86-64) when the CPU has AVX2; otherwise the serial backend.
//! dalek does not export its choice, so [`curve_backend`] applies the same rule to the same
//! configuration (rustflags reach every crate of the build, so this crate sees the `--cfg`
//! dalek sees) and the same CPU feature bits. A CPU without IFMA therefore runs the AVX2 code
//! even in a build that contains the AVX-512 code; `scripts/test-cpu-fallback.sh` runs the
//! test suites on such a CPU (emulated) to show that path works.

/// A curve25519-dalek arithmetic backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CurveBackend {
    /// AVX-512 IFMA vector backend (`avx512ifma` + `avx512vl`).
    Avx512Ifma,
    /// AVX2 vector backend.
    Avx2,
    /// Portable 64-bit (or 32-bit / fiat) serial backend.
    Serial,
}

impl CurveBackend {
    /// Short stable name (`avx512ifma`, `avx2`, `serial`) for reports and JSON.
    pub fn name(self) -> &'static str {
        match self {
            CurveBackend::Avx512Ifma => "avx512ifma",
            CurveBackend::Avx2 => "avx2",
            CurveBackend::Serial => "serial",
        }
    }
}

/// Whether this build contains dalek's AVX-512 IFMA backend (it then still needs a CPU with
/// the features to run it).
pub const AVX512_COMPILED: bool = cfg!(all(
    target_arch = "x86_64",
    target_pointer_width = "64",
    not(curve25519_dalek_bits = "32"),
    any(
        curve25519_dalek_backend = "avx512",
        all(
            not(any(
                curve25519_dalek_backend = "simd",
                curve25519_dalek_backend = "serial",
                curve25519_dalek_backend = "fiat"
            )),
            target_feature = "avx512ifma",
            target_feature = "avx512vl"
        )
    )
));

/// Whether this build contains dalek's AVX2 backend (the default on 64-bit x86-64 unless the
/// serial or fiat backend was forced).
pub const AVX2_COMPILED: bool = cfg!(all(
    target_arch = "x86_64",
    target_pointer_width = "64",
    not(curve25519_dalek_bits = "32"),
    not(curve25519_dalek_backend = "serial"),
    not(curve25519_dalek_backend = "fiat")
));

/// The backend curve25519-dalek selects in this process on this CPU.
pub fn curve_backend() -> CurveBackend {
    #[cfg(target_arch = "x86_64")]
    {
        if AVX512_COMPILED
            && std::arch::is_x86_feature_detected!("avx512ifma")
            && std::arch::is_x86_feature_detected!("avx512vl")
        {
            return CurveBackend::Avx512Ifma;
        }
        if AVX2_COMPILED && std::arch::is_x86_feature_detected!("avx2") {
            return CurveBackend::Avx2;
        }
    }
    CurveBackend::Serial
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `MCNODE_EXPECT_CURVE_BACKEND` (set by `scripts/test-cpu-fallback.sh` when it runs this
    /// suite on an emulated CPU, and by anyone who wants to pin a run) names the backend the
    /// run must select: this is what shows an AVX-512 build falling back on a CPU without IFMA.
    #[test]
    fn selects_the_expected_backend() {
        let got = curve_backend();
        assert!(["avx512ifma", "avx2", "serial"].contains(&got.name()));
        if !AVX512_COMPILED {
            assert_ne!(got, CurveBackend::Avx512Ifma, "AVX-512 selected but not compiled in");
        }
        if let Ok(expected) = std::env::var("MCNODE_EXPECT_CURVE_BACKEND") {
            assert_eq!(got.name(), expected, "the run selected another curve backend");
        }
    }
}
