//! The reads a decision asks for at once ([`RecordStore::invite_reads`],
//! [`RecordStore::signup_reads`]): a store may answer them in one statement (issue 8.4), and
//! must answer exactly what the single reads answer.

use super::fixtures::Harness;
use crate::ids::OrgId;
use crate::store::{RecordStore, Store};
use crate::token::LinkToken;

/// The folded reads answer what the single reads answer: organizations looked up as clients,
/// an open invitation, a signed-up member, keys asked twice or matching nothing, an unknown
/// organization and an unknown link.
pub async fn invite_and_signup_reads_answer_what_the_single_reads_answer<S: Store + 'static>(
    store: S,
) {
    let h = Harness::new(store);
    // Organizations to look up as clients (any that exist will do for the reads).
    let (_, clients) = h.msp_with_clients(10, 2).await;
    let msp = h.standalone(10).await;
    let (ann, ann_token) = h.invite_delivered(&msp, "ann@example.com").await;
    let (bob, bob_token) = h.invite_delivered(&msp, "bob@example.com").await;
    h.sign_up(&bob_token).await;
    h.invite(&msp, "cat@example.com").await;
    let now = h.now();

    let address_keys: Vec<String> = ["cat@example.com", "ann@example.com", "nobody@example.com"]
        .into_iter()
        .chain(["ann@example.com", "bob@example.com"])
        .map(str::to_owned)
        .collect();
    let contact_keys: Vec<String> = ["bob@example.com", "ann@example.com", "bob@example.com"]
        .into_iter()
        .map(str::to_owned)
        .collect();
    let mut client_ids: Vec<OrgId> = clients.iter().map(|c| c.id()).collect();
    client_ids.push(OrgId::new()); // one that does not exist
    let reads = h
        .store
        .invite_reads(msp.id(), &client_ids, &address_keys, &contact_keys, now)
        .await
        .expect("the reads run");
    assert_eq!(reads.org, h.store.organization(msp.id()).await.unwrap());
    let mut got = reads.clients.clone();
    let mut want = h.store.organizations(&client_ids).await.unwrap();
    got.sort_by_key(|o| o.id);
    want.sort_by_key(|o| o.id);
    assert_eq!(got, want);
    assert_eq!(got.len(), 2, "the clients that exist");
    assert_eq!(
        reads.open,
        h.store
            .open_invitations(msp.id(), &address_keys)
            .await
            .unwrap()
    );
    assert_eq!(reads.open.len(), 2, "cat's and ann's, in key order");
    assert_eq!(
        reads.members,
        h.store
            .active_members(msp.id(), &contact_keys)
            .await
            .unwrap()
    );
    assert_eq!(reads.members.len(), 1, "bob, once");
    assert_eq!(reads.seats, h.store.seats(msp.id(), now).await.unwrap());

    let unknown = h
        .store
        .invite_reads(OrgId::new(), &[], &address_keys, &contact_keys, now)
        .await
        .expect("the reads run");
    assert_eq!(unknown.org, None);

    for (token, id) in [(&ann_token, ann.id), (&bob_token, bob.id)] {
        let hash = LinkToken::from_link(token.as_str()).hash();
        let reads = h
            .store
            .signup_reads(&hash, now)
            .await
            .expect("the reads run")
            .expect("a known link");
        assert_eq!(Some(reads.link.clone()), h.store.link(&hash).await.unwrap());
        let stored = h.store.invitation(id).await.unwrap();
        assert_eq!(reads.invitation, stored);
        let stored = stored.expect("the invitation exists");
        assert_eq!(reads.org, h.store.organization(stored.org).await.unwrap());
        assert_eq!(
            reads.members,
            h.store
                .active_members(stored.org, &stored.contact.keys())
                .await
                .unwrap()
        );
        assert_eq!(reads.seats, h.store.seats(stored.org, now).await.unwrap());
    }
    let bob_reads = h
        .store
        .signup_reads(&LinkToken::from_link(bob_token.as_str()).hash(), now)
        .await
        .unwrap()
        .expect("a known link");
    assert_eq!(bob_reads.members.len(), 1, "the member bob's link made");
    assert!(
        bob_reads
            .invitation
            .is_some_and(|i| i.signed_up_at().is_some())
    );

    let nobody = LinkToken::from_link("no-such-link").hash();
    assert_eq!(h.store.signup_reads(&nobody, now).await.unwrap(), None);
}
