//! The cache rubric, one `#[test]` per criterion.
//!
//! Runs against the reference by default; against your `exercise.rs` with
//! `cargo test --features exercise --test cache` (add `stage1` to run one stage).

#[cfg(not(feature = "exercise"))]
use lld_katas::cache::reference::{
    LoadingLru as Loading, LruCache as Lru, S3FifoCache as Smart, ShardedCache as Shared,
};

#[cfg(feature = "exercise")]
use lld_katas::cache::exercise::{Loading, Lru, Shared, Smart};

lld_katas::conformance_tests! {
    suite: lld_katas::cache::conformance::suite::<Lru, Shared, Loading, Smart>,
    stage1_model => "cache/stage1/model",
    stage1_zero_capacity => "cache/stage1/zero-capacity",
    stage1_capacity_exact => "cache/stage1/capacity-exact",
    stage1_eviction_order => "cache/stage1/eviction-order",
    stage1_put_existing => "cache/stage1/put-existing",
    stage1_peek_no_touch => "cache/stage1/peek-no-touch",
    stage1_remove_frees => "cache/stage1/remove-frees",
    stage2_ttl_boundary => "cache/stage2/ttl-boundary",
    stage2_ttl_saturates => "cache/stage2/ttl-saturates",
    stage2_zero_ttl => "cache/stage2/zero-ttl",
    stage2_expired_absent => "cache/stage2/expired-absent",
    stage2_expired_reclaimed => "cache/stage2/expired-reclaimed",
    stage2_expiry_set_by_put => "cache/stage2/expiry-set-by-put",
    stage2_model_with_expiry => "cache/stage2/model-with-expiry",
    stage3_shared_basics => "cache/stage3/shared-basics",
    stage3_threads_model => "cache/stage3/threads-model",
    stage3_racing_puts_kept => "cache/stage3/racing-puts-kept",
    stage3_capacity_race => "cache/stage3/capacity-race",
    stage3_one_entry_per_key => "cache/stage3/one-entry-per-key",
    stage3_keys_in_parallel => "cache/stage3/keys-in-parallel",
    stage4_single_flight => "cache/stage4/single-flight",
    stage4_load_error => "cache/stage4/load-error",
    stage4_loader_panic => "cache/stage4/loader-panic",
    stage4_load_deadline => "cache/stage4/load-deadline",
    stage5_scan_resistant => "cache/stage5/scan-resistant",
    stage5_smart_basics => "cache/stage5/smart-basics",
}
