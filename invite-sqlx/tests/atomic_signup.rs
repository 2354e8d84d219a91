//! A signup and the application's own account row commit together or not at all (issue 10):
//! the application's statements run in the library's transaction through a `CommitHook`.

use invite_core::store::RecordStore;
use invite_core::testkit::Harness;
use invite_core::{Error, InvitationService, Refusal, UserRef};
use invite_sqlx::{HookFailed, HookFuture, PgStore, SignupHook};
use sqlx::PgPool;

async fn store(pool: PgPool) -> PgStore {
    let store = PgStore::new(pool.clone());
    store.migrate().await.expect("the migrations apply");
    // The application's own table, in its own schema (public), beside the library's.
    sqlx::query("CREATE TABLE app_users (id text PRIMARY KEY, email text NOT NULL UNIQUE)")
        .execute(&pool)
        .await
        .expect("the application's table");
    store
}

fn account_hook() -> SignupHook<
    impl for<'a> Fn(&'a mut sqlx::PgConnection, &'a invite_core::Member) -> HookFuture<'a> + Send + Sync,
> {
    SignupHook::new(|tx, member| {
        Box::pin(async move {
            sqlx::query("INSERT INTO app_users (id, email) VALUES ($1, $2)")
                .bind(member.user_ref.as_ref().map(|u| u.as_str().to_owned()))
                .bind(member.contact.email_address().map(|e| e.key().to_owned()))
                .execute(tx)
                .await?;
            Ok(())
        })
    })
}

async fn app_users(pool: &PgPool) -> Vec<String> {
    sqlx::query_scalar("SELECT id FROM app_users ORDER BY id")
        .fetch_all(pool)
        .await
        .expect("the application's rows")
}

/// R6.3: with the hook, a signup writes the member and the application's account in one
/// transaction; when the application's insert fails, neither is stored and the link still
/// works; a retry after fixing the cause signs up.
#[sqlx::test(migrations = false)]
async fn r6_3_a_signup_and_the_applications_account_commit_together_or_not_at_all(pool: PgPool) {
    let pg = store(pool.clone()).await;
    let h = Harness::new(pg.clone());
    let acme = h.standalone(5).await;
    let (ann, ann_token) = h.invite_delivered(&acme, "ann@example.com").await;
    let (bob, bob_token) = h.invite_delivered(&acme, "bob@example.com").await;

    let atomic = pg.with_commit_hook(account_hook());
    let service = InvitationService::new(&atomic, h.clock.clone());
    let signup = service
        .sign_up(&ann_token, Some(UserRef::new("app-ann")))
        .await
        .expect("both commit");
    assert_eq!(signup.invitation.id, ann.id);
    assert_eq!(app_users(&pool).await, vec!["app-ann".to_owned()]);

    // The application's insert fails (its user id is taken): nothing of the signup stays.
    sqlx::query("INSERT INTO app_users (id, email) VALUES ('app-bob', 'someone@else.example')")
        .execute(&pool)
        .await
        .unwrap();
    let failed = service
        .sign_up(&bob_token, Some(UserRef::new("app-bob")))
        .await;
    match failed {
        Err(Error::Store(source)) => {
            let hook = source
                .downcast_ref::<HookFailed>()
                .expect("the hook's own failure");
            assert!(hook.to_string().contains("app_users"), "{hook}");
        }
        other => panic!("the application's failure must fail the signup, got {other:?}"),
    }
    let stored = pg.invitation(bob.id).await.unwrap().unwrap();
    assert_eq!(stored.signed_up_at(), None, "no signup was stored");
    assert_eq!(stored.member(), None);
    assert_eq!(h.store.seats(acme.id(), h.now()).await.unwrap().used, 1);
    // The link still works once the application sorted its side out.
    sqlx::query("DELETE FROM app_users WHERE id = 'app-bob'")
        .execute(&pool)
        .await
        .unwrap();
    let retried = service
        .sign_up(&bob_token, Some(UserRef::new("app-bob")))
        .await
        .expect("the retry signs up");
    assert_eq!(retried.invitation.id, bob.id);
    assert_eq!(
        app_users(&pool).await,
        vec!["app-ann".to_owned(), "app-bob".to_owned()]
    );
    // And submitted once more with the same user id, it answers the same signup, with no
    // second account row attempted (nothing is committed).
    let again = service
        .sign_up(&bob_token, Some(UserRef::new("app-bob")))
        .await
        .unwrap();
    assert_eq!(again.member.id, retried.member.id);
    let other = service
        .sign_up(&bob_token, Some(UserRef::new("app-eve")))
        .await;
    assert!(matches!(
        other,
        Err(Error::Refused(Refusal::LinkAlreadyUsed))
    ));
}
