//! Runnable examples of the `invite` library. The quickstart binary
//! (`cargo run -p invite-examples --bin quickstart`) tells the whole story; the
//! `webhook_relay` binary relays the event feed to a URL with [`webhook`], the module a
//! real application can copy. This library target also runs the repository README's example
//! as a doctest, so the example in the README cannot rot.
#![doc = include_str!("../../README.md")]
#![forbid(unsafe_code)]

pub mod webhook;
