//! The SQL twin of the seat verdict (R3.3 to R3.6): `seat_verdict_ok` (migration
//! `seat_verdict_in_the_commit`), which lets a seat-checked commit go through in one
//! statement, against the core's `SeatCheck::verdict` over every combination of a limit,
//! members, reserved seats, seats required and members added from 0 to 7: 32,768 cases in
//! one query. (The core saturates its sums at `u32::MAX`, the SQL sums are `bigint`: they
//! differ only past four billion seats, beyond the largest limit the core accepts.)

use invite_core::store::SeatCheck;
use invite_sqlx::PgStore;
use sqlx::PgPool;

#[sqlx::test(migrations = false)]
async fn r3_3_r3_4_r3_5_r3_6_the_sql_seat_verdict_agrees_with_the_core_on_every_case(pool: PgPool) {
    PgStore::new(pool.clone())
        .migrate()
        .await
        .expect("the migrations apply");
    let mut cases: Vec<[i64; 5]> = Vec::new();
    for limit in 0..8 {
        for members in 0..8 {
            for reserved in 0..8 {
                for required in 0..8 {
                    for new_members in 0..8 {
                        cases.push([limit, members, reserved, required, new_members]);
                    }
                }
            }
        }
    }
    let column = |k: usize| cases.iter().map(|c| c[k]).collect::<Vec<i64>>();
    let answers: Vec<bool> = sqlx::query_scalar(
        "SELECT invite.seat_verdict_ok(l, m, r, q, n) \
         FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[]) \
              WITH ORDINALITY AS c(l, m, r, q, n, k) ORDER BY k",
    )
    .bind(column(0))
    .bind(column(1))
    .bind(column(2))
    .bind(column(3))
    .bind(column(4))
    .fetch_all(&pool)
    .await
    .expect("the twin answers");
    assert_eq!(answers.len(), cases.len());
    let mut admitted = 0;
    for (case, sql) in cases.iter().zip(answers) {
        let [limit, members, reserved, required, new_members] = case.map(|v| v as u32);
        let check = SeatCheck {
            required,
            new_members,
            live_hold_seats: false,
        };
        let core = check.verdict(limit, members, reserved).is_ok();
        assert_eq!(
            sql, core,
            "limit, members, reserved, required, new members: {case:?}"
        );
        admitted += usize::from(core);
    }
    // Both answers occur, so the comparison means something.
    assert!(
        admitted > 0 && admitted < cases.len(),
        "{admitted} of {}",
        cases.len()
    );
}

/// A refused seat check still comes back as the core's conflict, named, with nothing
/// written: the one-statement commit raises and the step-by-step commit explains.
#[sqlx::test(migrations = false)]
async fn r3_4_a_signup_refused_for_seats_in_one_statement_writes_nothing_and_says_why(
    pool: PgPool,
) {
    use invite_core::testkit::Harness;
    use invite_core::{Error, Refusal};
    let store = PgStore::new(pool.clone());
    store.migrate().await.expect("the migrations apply");
    let h = Harness::new(store);
    let acme = h.standalone(1).await;
    let (_, first) = h.invite_delivered(&acme, "first@example.com").await;
    let (_, second) = h.invite_delivered(&acme, "second@example.com").await;
    h.service
        .sign_up(&first, None)
        .await
        .expect("one seat, one member");
    let members = stored_members(&pool).await;
    let refused = h.service.sign_up(&second, None).await;
    assert!(
        matches!(
            refused,
            Err(Error::Refused(
                Refusal::NoSeatsAvailable | Refusal::SeatsExhausted
            ))
        ),
        "{refused:?}"
    );
    let after = stored_members(&pool).await;
    assert_eq!(after, members, "nothing written");
}

/// The members stored, in every organization.
async fn stored_members(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM invite.members")
        .fetch_one(pool)
        .await
        .expect("counted")
}
