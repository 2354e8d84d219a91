//! Running the properties: one scenario on one store ([`run_scenario`]), and a property's
//! cases through proptest's runner, a fresh store each ([`check_invariants`]).

use super::model::{World, fail};
use super::scenario::{Cmd, Mix, Scenario, scenarios};
use crate::store::Store;
use proptest::test_runner::{Config, FileFailurePersistence, TestCaseError, TestRunner};
use std::cell::RefCell;
use std::future::Future;

/// What the scenarios of a run exercised, summed, so a property cannot pass by testing
/// nothing: the properties check their own figures after their cases.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Coverage {
    /// Scenarios run to the end.
    pub scenarios: u32,
    /// Signups that made a member.
    pub signups: u32,
    /// Signups refused for seats, their invitation failed (R3.2).
    pub seat_exhausted_signups: u32,
    /// Steps after which the seats used exceeded a limit the vendor lowered (R3.6).
    pub over_limit: u32,
    /// Messages the notifier accepted.
    pub deliveries: u32,
    /// Deliveries that failed for good.
    pub failed_deliveries: u32,
    /// Reminders delivered (R8).
    pub reminders: u32,
    /// Disallowed actions probed and refused (R5.1).
    pub rejected_actions: u32,
    /// Invites that replaced an expired or failed invitation (R2.7).
    pub replaced: u32,
}

impl Coverage {
    fn add(&mut self, o: &Coverage) {
        self.scenarios += o.scenarios;
        self.signups += o.signups;
        self.seat_exhausted_signups += o.seat_exhausted_signups;
        self.over_limit += o.over_limit;
        self.deliveries += o.deliveries;
        self.failed_deliveries += o.failed_deliveries;
        self.reminders += o.reminders;
        self.rejected_actions += o.rejected_actions;
        self.replaced += o.replaced;
    }
}

/// Runs `scenario` on `store`, which must hold nothing yet, checking every invariant after
/// every step; answers what it exercised, or the first broken invariant with the step.
pub async fn run_scenario<S: Store + 'static>(
    store: S,
    scenario: &Scenario,
) -> Result<Coverage, TestCaseError> {
    let mut world = World::new(store, &scenario.setup).await?;
    world.check(&Cmd::Dispatch).await?;
    for (i, step) in scenario.steps.iter().enumerate() {
        let at = world.now();
        let ctx = |e: TestCaseError| fail(format!("step {i} ({step:?}) at {at}: {e}"));
        world.apply(&step.cmd).await.map_err(ctx)?;
        world.check(&step.cmd).await.map_err(ctx)?;
        world.probe(step.probe).await.map_err(ctx)?;
    }
    let mut coverage = world.coverage;
    coverage.scenarios = 1;
    Ok(coverage)
}

/// `cases`, or `PROPTEST_CASES` if set (for a deeper run, or a quick one).
pub(super) fn cases_to_run(cases: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(cases)
}

/// `cases` cases (see [`cases_to_run`]). Failures are saved where proptest saves those of
/// this file (`invite-core/proptest-regressions/testkit/properties/runner.txt`) and replayed
/// first on every store.
fn config(cases: u32) -> Config {
    Config {
        cases: cases_to_run(cases),
        max_shrink_iters: 4096,
        source_file: Some(file!()),
        failure_persistence: Some(Box::new(FileFailurePersistence::SourceParallel(
            "proptest-regressions",
        ))),
        ..Config::default()
    }
}

/// Runs `cases` scenarios of `mix` (shrinking a failing one to a minimal one), each on a
/// store fresh from `new_store`, and answers what they exercised; panics with the minimal
/// failing scenario if an invariant breaks.
///
/// `new_store` is called once per case, shrinking runs included, and must hand out an empty
/// store: `MemoryStore::new()`, or a PostgreSQL store on a database emptied for the case.
/// Call it on a Tokio runtime, either flavour: the cases run one after another on a blocking
/// thread, each driven to its end there, while the runtime keeps driving the I/O of stores
/// whose connections live on it.
pub async fn check_invariants<S, F, Fut>(new_store: F, mix: Mix, cases: u32) -> Coverage
where
    S: Store + 'static,
    F: Fn() -> Fut + Send + 'static,
    Fut: Future<Output = S>,
{
    let runtime = tokio::runtime::Handle::current();
    let config = config(cases);
    let run = tokio::task::spawn_blocking(move || {
        let total = RefCell::new(Coverage::default());
        let mut runner = TestRunner::new(config);
        runner
            .run(&scenarios(mix), |scenario| {
                let coverage = runtime.block_on(async {
                    let store = new_store().await;
                    run_scenario(store, &scenario).await
                })?;
                total.borrow_mut().add(&coverage);
                Ok(())
            })
            .map(|()| total.into_inner())
            .map_err(|e| e.to_string())
    });
    match run.await {
        Ok(Ok(coverage)) => coverage,
        Ok(Err(failure)) => panic!("{failure}"),
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}
