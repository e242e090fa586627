//! End-to-end benchmarks live in `benches/operations.rs`:
//! `cargo bench -p kyc-benches` runs every API operation through
//! `Engine::handle` on the bundled samples (see `kyc_engine::samples`).
