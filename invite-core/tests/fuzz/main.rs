//! Fuzzing the parsers and the decisions with arbitrary input (issue 9): no input panics,
//! every accepted value is within its bounds, every refusal is typed.
//!
//! Each property is a function of one generated input that panics when the property breaks
//! and otherwise says what the input came to (accepted, or refused and how). The CI run is
//! `cargo test`: a few thousand cases in all, in seconds. The long run tries 1,000,000 inputs
//! and prints its figures (inputs tried, panics, refusals by kind):
//!
//! ```sh
//! cargo test -p invite-core --all-features --test fuzz -- --ignored --nocapture
//! ```

mod decisions;
mod parsers;
mod strategies;

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, TestRunner};
use std::collections::BTreeMap;
use std::fmt::Debug;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// What one input came to.
pub(crate) enum Outcome {
    /// Accepted (and the property held).
    Accepted,
    /// Refused; the kind of refusal (`OutOfRange(name)`, `InvalidContact(InvalidPhone)`, ...).
    Refused(String),
}

impl Outcome {
    /// The kind of a refusal: its variant, with the field of an `OutOfRange` and the variant of
    /// a wrapped error.
    pub(crate) fn refused(refusal: &invite_core::Refusal) -> Self {
        use invite_core::Refusal::*;
        Self::Refused(match refusal {
            OutOfRange { field, .. } => format!("OutOfRange({field})"),
            InvalidContact(e) => format!("InvalidContact({})", variant(e)),
            InvalidAccess(e) => format!("InvalidAccess({})", variant(e)),
            other => variant(other),
        })
    }
}

/// The name of an enum value's variant, from its `Debug` form.
pub(crate) fn variant(value: &impl Debug) -> String {
    let debug = format!("{value:?}");
    let end = debug.find([' ', '(', '{']).unwrap_or(debug.len());
    debug[..end].to_owned()
}

/// One property: its name and how many of the long run's inputs it gets.
struct Property {
    name: &'static str,
    long_run_cases: u32,
    run: fn(&mut TestRunner, u32, &mut Tally),
}

/// What a run of one property found.
#[derive(Default)]
pub(crate) struct Tally {
    tried: u64,
    accepted: u64,
    panics: u64,
    refusals: BTreeMap<String, u64>,
}

/// Tries `cases` inputs of `strategy` on `property`, catching panics so that a long run counts
/// them instead of stopping at the first.
pub(crate) fn tally<S: Strategy>(
    runner: &mut TestRunner,
    cases: u32,
    strategy: S,
    property: fn(S::Value) -> Outcome,
    into: &mut Tally,
) where
    S::Value: Debug,
{
    for _ in 0..cases {
        let input = strategy
            .new_tree(runner)
            .expect("the strategy generates")
            .current();
        into.tried += 1;
        let shown = format!("{input:?}");
        match catch_unwind(AssertUnwindSafe(|| property(input))) {
            Ok(Outcome::Accepted) => into.accepted += 1,
            Ok(Outcome::Refused(kind)) => *into.refusals.entry(kind).or_default() += 1,
            Err(_) => {
                into.panics += 1;
                eprintln!("PANIC on input {shown:.2000}");
            }
        }
    }
}

fn properties() -> Vec<Property> {
    let mut all = parsers::properties();
    all.extend(decisions::properties());
    all
}

/// Runs every property `cases_of(property)` times and answers the tallies.
fn run_all(cases_of: impl Fn(&Property) -> u32) -> Vec<(&'static str, Tally)> {
    let mut runner = TestRunner::new(Config::default());
    properties()
        .into_iter()
        .map(|p| {
            let mut t = Tally::default();
            (p.run)(&mut runner, cases_of(&p), &mut t);
            (p.name, t)
        })
        .collect()
}

fn report(tallies: &[(&'static str, Tally)]) -> u64 {
    let (mut tried, mut panics) = (0, 0);
    for (name, t) in tallies {
        println!(
            "{name}: {} inputs, {} accepted, {} panics",
            t.tried, t.accepted, t.panics
        );
        for (kind, n) in &t.refusals {
            println!("    refused {kind}: {n}");
        }
        tried += t.tried;
        panics += t.panics;
    }
    println!("TOTAL: {tried} inputs tried, {panics} panics");
    panics
}

/// The CI run: a few hundred inputs per property, a few thousand in all.
#[test]
fn every_parser_and_decision_answers_arbitrary_input_without_panicking() {
    let tallies = run_all(|p| (p.long_run_cases / 1_000).max(200));
    assert_eq!(report(&tallies), 0, "no input panics");
}

/// The long run: 1,000,000 inputs across the properties.
#[test]
#[ignore = "long: cargo test -p invite-core --all-features --test fuzz -- --ignored --nocapture"]
fn one_million_arbitrary_inputs_panic_nothing() {
    let tallies = run_all(|p| p.long_run_cases);
    let tried: u64 = tallies.iter().map(|(_, t)| t.tried).sum();
    assert_eq!(tried, 1_000_000);
    assert_eq!(report(&tallies), 0, "no input panics");
}
