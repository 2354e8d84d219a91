//! The store conformance suite (`invite_core::testkit`) run against [`MemoryStore`]: the same
//! cases every store passes. Races are real tasks, so the runtime has several worker threads.
//!
//! [`MemoryStore`]: invite_core::MemoryStore

invite_core::store_conformance_tests! {
    attr: #[tokio::test(flavor = "multi_thread", worker_threads = 4)],
    args: (),
    store: invite_core::MemoryStore::new(),
}
