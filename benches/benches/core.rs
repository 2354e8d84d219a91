//! Benches of invite-core's hot paths, each beside a hand-written baseline in the same
//! criterion group, so the report shows the ratio (see `benches/README.md`):
//!
//! - `status_and_actions`: `Invitation::status_at` + `Status::actions` for one invitation in
//!   a few representative states, vs a match over a plain struct of the same fields.
//! - `dashboard_100k`: `Store::dashboard` of a `MemoryStore` holding 100,000 invitations of
//!   one organization, vs one loop over a `Vec` of plain structs counting the same figures
//!   (and the same loop over a `Vec` of the full `Invitation` records).
//! - `list_first_page_100k`: `Store::list`, first page (50 rows) of the All tab on the same
//!   store, vs a top-50 selection over the same `Vec`.

use criterion::{BenchmarkId, Criterion, SamplingMode, Throughput, criterion_main};
use invite_benches::{
    Kind, PlainInvitation, bench_now, invitation, invitations, organization, plain_actions,
    plain_dashboard, plain_first_page, plain_status, populate, records_dashboard,
};
use invite_core::{ListQuery, OrgId, Tab, ViewStore};
use std::hint::black_box;

/// Invitations in the store of the large benches.
const ROWS: usize = 100_000;

/// Rows on the first page of a list.
const PAGE: u32 = 50;

fn status_and_actions(c: &mut Criterion) {
    let org = OrgId::new();
    let now = bench_now();
    let mut group = c.benchmark_group("status_and_actions");
    for kind in [
        Kind::Queued,
        Kind::Pending,
        Kind::Expired,
        Kind::NeverUsed,
        Kind::Cancelled,
    ] {
        let (inv, _) = invitation(org, 12, kind);
        let plain = PlainInvitation::of(&inv);
        assert_eq!(inv.status_at(now), kind.status());
        assert_eq!(plain_status(&plain, now), kind.status());
        assert_eq!(plain_actions(kind.status()), kind.status().actions());
        let name = format!("{kind:?}");
        group.bench_with_input(BenchmarkId::new("invite_core", &name), &inv, |b, inv| {
            b.iter(|| black_box(black_box(inv).status_at(black_box(now)).actions()))
        });
        group.bench_with_input(BenchmarkId::new("baseline", &name), &plain, |b, p| {
            b.iter(|| black_box(plain_actions(plain_status(black_box(p), black_box(now)))))
        });
    }
    group.finish();
}

fn store_benches(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a tokio runtime");
    let org = organization(ROWS as u32);
    let (records, members) = invitations(org.id, ROWS);
    let store = rt.block_on(populate(&org, &records, &members, 10_000));
    let plain: Vec<PlainInvitation> = records.iter().map(PlainInvitation::of).collect();
    let now = bench_now();

    // Both sides compute the same figures.
    let dashboard = rt
        .block_on(store.dashboard(org.id, now))
        .expect("the memory store does not fail")
        .expect("the organization exists");
    let figures = plain_dashboard(&plain, now);
    assert_eq!(records_dashboard(&records, now), figures);
    let c_ = dashboard.counts;
    assert_eq!(
        [
            c_.all,
            c_.pending,
            c_.never_used,
            c_.expired_or_failed,
            c_.completed,
            c_.invited_by_email,
            c_.invited_by_sms,
            u64::from(dashboard.seats.used),
        ],
        [
            figures.all,
            figures.pending,
            figures.never_used,
            figures.expired_or_failed,
            figures.completed,
            figures.by_email,
            figures.by_sms,
            figures.seats_used,
        ]
    );
    let query = ListQuery::tab(Tab::All);
    let page = rt
        .block_on(store.list(org.id, &query, now))
        .expect("the memory store does not fail");
    let baseline_page = plain_first_page(&plain, now, PAGE as usize);
    assert_eq!(
        page.rows
            .iter()
            .map(|r| r.invitation.id)
            .collect::<Vec<_>>(),
        baseline_page
            .iter()
            .map(|(p, _, _)| p.id)
            .collect::<Vec<_>>()
    );

    let mut group = c.benchmark_group("dashboard_100k");
    // Milliseconds per iteration: flat sampling fits 20 samples in a short measurement.
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(20);
    group.throughput(Throughput::Elements(ROWS as u64));
    group.bench_function("invite_core_memory_store", |b| {
        b.to_async(&rt).iter(|| async {
            black_box(
                store
                    .dashboard(org.id, black_box(now))
                    .await
                    .expect("no failure"),
            )
        })
    });
    group.bench_function("baseline_vec_of_plain_structs", |b| {
        b.iter(|| black_box(plain_dashboard(black_box(&plain), black_box(now))))
    });
    // The same loop over full records: how much of the gap is the records' size.
    group.bench_function("baseline_vec_of_full_records", |b| {
        b.iter(|| black_box(records_dashboard(black_box(&records), black_box(now))))
    });
    group.finish();

    let mut group = c.benchmark_group("list_first_page_100k");
    // Milliseconds per iteration: flat sampling fits 20 samples in a short measurement.
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(20);
    group.throughput(Throughput::Elements(ROWS as u64));
    group.bench_function("invite_core_memory_store", |b| {
        b.to_async(&rt).iter(|| async {
            black_box(
                store
                    .list(org.id, black_box(&query), black_box(now))
                    .await
                    .expect("no failure"),
            )
        })
    });
    group.bench_function("baseline_vec_of_plain_structs", |b| {
        b.iter(|| {
            black_box(plain_first_page(
                black_box(&plain),
                black_box(now),
                PAGE as usize,
            ))
        })
    });
    group.finish();
}

/// `criterion_group!` makes an undocumented `pub fn`; keep it out of the crate's public items.
mod group {
    use criterion::criterion_group;
    criterion_group!(benches, super::status_and_actions, super::store_benches);
}

criterion_main!(group::benches);
