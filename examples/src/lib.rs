//! Runnable examples of the `invite` library. The quickstart binary
//! (`cargo run -p invite-examples --bin quickstart`) tells the whole story; this library target
//! exists only so that `cargo test` runs the repository README's example as a doctest, so the
//! example in the README cannot rot.
#![doc = include_str!("../../README.md")]
