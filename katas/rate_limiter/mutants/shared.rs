//! Flawed shared (Redis) limiters (stage 5).

use super::*;

/// One bug of a hand-rolled Redis client, switched on by overriding one constant.
pub trait RedisFlaw: Send + Sync + 'static {
    /// Read the bucket, decide in the client, write it back: no script.
    const CLIENT_SIDE_UPDATE: bool = false;
    /// Read time from the client's clock instead of the server's (implies a client-side update).
    const CLIENT_CLOCK: bool = false;
    /// Never set a TTL on the bucket's key.
    const NO_EXPIRY: bool = false;
    /// Call the script by hash without ever loading it again.
    const NEVER_RELOADED: bool = false;
    /// Expire a key after the time the tokens just taken need to come back, forgetting what
    /// the bucket already lacked.
    const TTL_OF_TAKE: bool = false;
}

macro_rules! redis_flaws {
    ($($name:ident => $knob:ident),+ $(,)?) => {$(
        #[doc = concat!("Switches on `", stringify!($knob), "`.")]
        pub struct $name;
        impl RedisFlaw for $name {
            const $knob: bool = true;
        }
    )+};
}

redis_flaws! {
    ClientSideUpdate => CLIENT_SIDE_UPDATE,
    ClientClock => CLIENT_CLOCK,
    NoExpiry => NO_EXPIRY,
    NeverReloaded => NEVER_RELOADED,
    TtlOfTake => TTL_OF_TAKE,
}

/// A Redis-backed bucket written the way a first attempt often is, with one [`RedisFlaw`].
///
/// Without the client-side flaws it runs the reference's script (minus the expiry, for
/// [`NoExpiry`]), so each mutant differs from a correct solution in exactly one way.
pub struct NaiveRedis<F> {
    bucket: BucketConfig,
    prefix: String,
    timeout: Duration,
    on_failure: FailurePolicy,
    clock: Arc<dyn Clock>,
    client: redis::Client,
    script: redis::Script,
    /// Whether the script was loaded, for [`NeverReloaded`].
    loaded: std::sync::atomic::AtomicBool,
    idle: Mutex<Vec<redis::Connection>>,
    flaw: PhantomData<F>,
}

impl<F: RedisFlaw> NaiveRedis<F> {
    fn grains(&self) -> (u64, u64, u64) {
        let per_token = self.bucket.refill_period.as_nanos() as u64;
        let per_ns = self.bucket.refill_tokens;
        let max = self.bucket.capacity * per_token;
        (max, per_ns, per_token)
    }

    /// One decision: `Ok(None)` granted, `Ok(Some(grains short))` denied.
    fn decide(
        &self,
        conn: &mut redis::Connection,
        key: &str,
        tokens: u64,
    ) -> redis::RedisResult<Option<u64>> {
        let (max, per_ns, per_token) = self.grains();
        let cost = tokens * per_token;
        let fill_ns = max.div_ceil(per_ns);
        if !(F::CLIENT_SIDE_UPDATE || F::CLIENT_CLOCK) {
            let mut call = redis::cmd("EVALSHA");
            call.arg(self.script.get_hash())
                .arg(1)
                .arg(key)
                .arg(max)
                .arg(per_ns)
                .arg(cost)
                .arg(fill_ns);
            if !self.loaded.swap(true, std::sync::atomic::Ordering::Relaxed) {
                self.script.load(conn)?;
            }
            let reply: (u8, u64) = match call.query(conn) {
                Err(e)
                    if !F::NEVER_RELOADED
                        && e.kind()
                            == redis::ErrorKind::Server(redis::ServerErrorKind::NoScript) =>
                {
                    self.script.load(conn)?;
                    call.query(conn)?
                }
                other => other?,
            };
            return Ok((reply.0 == 0).then_some(reply.1));
        }
        // The bug: three round trips with other clients free to act in between.
        let now_us: u64 = if F::CLIENT_CLOCK {
            self.clock.now().as_micros() as u64
        } else {
            let (s, us): (u64, u64) = redis::cmd("TIME").query(conn)?;
            s * 1_000_000 + us
        };
        let (grains, at): (Option<u64>, Option<u64>) = redis::cmd("HMGET")
            .arg(key)
            .arg("grains")
            .arg("at")
            .query(conn)?;
        let (mut grains, mut at) = (grains.unwrap_or(max), at.unwrap_or(now_us));
        if now_us > at {
            let elapsed_ns = u128::from(now_us - at) * 1_000;
            grains =
                (u128::from(grains) + elapsed_ns * u128::from(per_ns)).min(u128::from(max)) as u64;
            at = now_us;
        }
        if grains < cost {
            return Ok(Some(cost - grains));
        }
        grains -= cost;
        let full_in_ms = (max - grains).div_ceil(per_ns).div_ceil(1_000_000) + 1;
        redis::pipe()
            .cmd("HSET")
            .arg(key)
            .arg("grains")
            .arg(grains)
            .arg("at")
            .arg(at)
            .ignore()
            .cmd("PEXPIRE")
            .arg(key)
            .arg(full_in_ms)
            .ignore()
            .query::<()>(conn)?;
        Ok(None)
    }
}

impl<F: RedisFlaw> SharedRateLimiter for NaiveRedis<F> {
    fn connect(
        bucket: BucketConfig,
        store: StoreConfig,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, SharedConfigError> {
        // Validation is not what these mutants get wrong: borrow the reference's.
        reference::RedisTokenBucket::connect(bucket, store.clone(), clock.clone())?;
        let client =
            redis::Client::open(store.url.as_str()).map_err(|e| SharedConfigError::InvalidUrl {
                url: store.url.clone(),
                reason: e.to_string(),
            })?;
        let source = if F::NO_EXPIRY {
            let expiry = "redis.call('PEXPIRE', KEYS[1], full_in_ms)";
            assert!(
                reference::BUCKET_SCRIPT.contains(expiry),
                "the reference script sets a TTL"
            );
            reference::BUCKET_SCRIPT.replace(expiry, "")
        } else if F::TTL_OF_TAKE {
            let until_full = "math.ceil((max_grains - grains) / per_ns";
            assert!(
                reference::BUCKET_SCRIPT.contains(until_full),
                "the reference script expires a key when its bucket is full"
            );
            reference::BUCKET_SCRIPT.replace(until_full, "math.ceil(cost / per_ns")
        } else {
            reference::BUCKET_SCRIPT.to_string()
        };
        Ok(Self {
            bucket,
            prefix: store.prefix,
            timeout: store.timeout,
            on_failure: store.on_failure,
            clock,
            client,
            script: redis::Script::new(&source),
            loaded: std::sync::atomic::AtomicBool::new(false),
            idle: Mutex::new(Vec::new()),
            flaw: PhantomData,
        })
    }

    fn try_acquire(&self, key: &str, tokens: u64) -> Result<Admission, SharedError> {
        if tokens > self.bucket.capacity {
            return Err(AcquireError::ExceedsCapacity {
                requested: tokens,
                capacity: self.bucket.capacity,
            }
            .into());
        }
        if tokens == 0 {
            return Ok(Admission::Counted);
        }
        let key = format!("{}{key}", self.prefix);
        // A pooled connection first, then one fresh one: the same recovery as the reference.
        let mut last = None;
        for attempt in 0..2 {
            let conn = match (attempt, self.idle.lock().pop()) {
                (0, Some(conn)) => Ok(conn),
                _ => self.client.get_connection_with_timeout(self.timeout),
            };
            let mut conn = match conn {
                Ok(c) => c,
                Err(e) => {
                    last = Some(e);
                    continue;
                }
            };
            let _ = conn.set_read_timeout(Some(self.timeout));
            let _ = conn.set_write_timeout(Some(self.timeout));
            match self.decide(&mut conn, &key, tokens) {
                Ok(short) => {
                    self.idle.lock().push(conn);
                    return match short {
                        None => Ok(Admission::Counted),
                        Some(grains) => {
                            let ns = grains.div_ceil(self.bucket.refill_tokens);
                            Err(AcquireError::RateLimited {
                                retry_after: Duration::from_micros(ns.div_ceil(1_000)),
                            }
                            .into())
                        }
                    };
                }
                Err(e) => last = Some(e),
            }
        }
        let reason = last.map_or_else(String::new, |e| e.to_string());
        match self.on_failure {
            FailurePolicy::Open => Ok(Admission::FailedOpen { reason }),
            FailurePolicy::Closed => Err(SharedError::Unavailable { reason }),
        }
    }
}

/// One bug in how a correct Redis bucket is used, switched on by overriding one constant.
pub trait UsageFlaw: Send + Sync + 'static {
    /// Leave the tenant out of the Redis key.
    const KEY_IGNORED: bool = false;
    /// Fail closed whatever the policy says.
    const FAIL_OPEN_IGNORED: bool = false;
    /// No timeout on the connection.
    const NO_TIMEOUT: bool = false;
    /// Send `n > capacity` to the store, which says "wait".
    const OVERSIZE_WAITS: bool = false;
    /// Check the store's settings before the bucket's.
    const STORE_CHECKED_FIRST: bool = false;
    /// Report every denial with `retry_after` zero, as if the store only said yes or no.
    const RETRY_UNKNOWN: bool = false;
}

macro_rules! usage_flaws {
    ($($name:ident => $knob:ident),+ $(,)?) => {$(
        #[doc = concat!("Switches on `", stringify!($knob), "`.")]
        pub struct $name;
        impl UsageFlaw for $name {
            const $knob: bool = true;
        }
    )+};
}

usage_flaws! {
    KeyIgnored => KEY_IGNORED,
    FailOpenIgnored => FAIL_OPEN_IGNORED,
    NoTimeout => NO_TIMEOUT,
    OversizeWaits => OVERSIZE_WAITS,
    StoreCheckedFirst => STORE_CHECKED_FIRST,
    RetryUnknown => RETRY_UNKNOWN,
}

/// The reference shared bucket, misused in one way.
pub struct Misconfigured<F> {
    inner: reference::RedisTokenBucket,
    capacity: u64,
    refill_period: Duration,
    flaw: PhantomData<F>,
}

impl<F: UsageFlaw> SharedRateLimiter for Misconfigured<F> {
    fn connect(
        bucket: BucketConfig,
        mut store: StoreConfig,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, SharedConfigError> {
        if F::STORE_CHECKED_FIRST {
            // The bug: the store's settings are looked at before the bucket's.
            if !store.url.starts_with("redis://") {
                return Err(SharedConfigError::InvalidUrl {
                    url: store.url,
                    reason: "not a redis:// URL".into(),
                });
            }
            if store.prefix.is_empty() {
                return Err(SharedConfigError::EmptyPrefix);
            }
            if store.timeout < Duration::from_millis(1) {
                return Err(SharedConfigError::TimeoutTooShort(store.timeout));
            }
        }
        if F::FAIL_OPEN_IGNORED {
            store.on_failure = FailurePolicy::Closed;
        }
        if F::NO_TIMEOUT && store.timeout >= Duration::from_millis(1) {
            // As good as none: the socket's own defaults wait for hours.
            store.timeout = Duration::from_secs(24 * 3_600);
        }
        let inner = reference::RedisTokenBucket::connect(bucket, store, clock)?;
        Ok(Self {
            inner,
            capacity: bucket.capacity,
            refill_period: bucket.refill_period,
            flaw: PhantomData,
        })
    }

    fn try_acquire(&self, key: &str, tokens: u64) -> Result<Admission, SharedError> {
        if F::OVERSIZE_WAITS && tokens > self.capacity {
            return Err(AcquireError::RateLimited {
                retry_after: self.refill_period,
            }
            .into());
        }
        let key = if F::KEY_IGNORED { "" } else { key };
        match self.inner.try_acquire(key, tokens) {
            // The bug: the wait the store computed is dropped.
            Err(SharedError::Limited(AcquireError::RateLimited { .. })) if F::RETRY_UNKNOWN => {
                Err(AcquireError::RateLimited {
                    retry_after: Duration::ZERO,
                }
                .into())
            }
            other => other,
        }
    }
}
