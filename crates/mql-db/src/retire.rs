//! Freeing the large results of an old revision (a whole model's prepared
//! form, its check) on a thread of their own. Salsa frees a revision's
//! stale results when the next edit comes in, on the thread that is about
//! to answer it; for a 20,000-line model that is several milliseconds the
//! author would wait for nothing.

use std::sync::mpsc::{sync_channel, SyncSender, TrySendError};
use std::sync::{Arc, OnceLock};

type Garbage = Box<dyn Send>;

/// At most this many results wait to be freed; past that they are freed
/// where they are, so memory stays bounded however fast edits come.
const WAITING: usize = 16;

static BIN: OnceLock<Option<SyncSender<Garbage>>> = OnceLock::new();

/// Hand `value` to the freeing thread when this is its last holder (it is
/// about to be dropped), so that its contents are freed there.
pub(crate) fn retire_last<T: Send + Sync + 'static>(value: &Arc<T>) {
    if Arc::strong_count(value) == 1 {
        retire(value.clone());
    }
}

/// Free `value` on the freeing thread (started on first use), or here if
/// that thread cannot be started or is behind.
pub(crate) fn retire<T: Send + 'static>(value: T) {
    let bin = BIN.get_or_init(|| {
        let (tx, rx) = sync_channel::<Garbage>(WAITING);
        std::thread::Builder::new()
            .name("mql-free".into())
            .spawn(move || rx.into_iter().for_each(drop))
            .ok()?;
        Some(tx)
    });
    match bin {
        Some(tx) => match tx.try_send(Box::new(value)) {
            Ok(()) => {}
            Err(TrySendError::Full(g) | TrySendError::Disconnected(g)) => drop(g),
        },
        None => drop(value),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    struct Counted(Arc<AtomicUsize>);

    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn everything_retired_is_freed() {
        let freed = Arc::new(AtomicUsize::new(0));
        for _ in 0..100 {
            super::retire(Counted(freed.clone()));
        }
        let start = Instant::now();
        while freed.load(Ordering::SeqCst) < 100 && start.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(freed.load(Ordering::SeqCst), 100);
    }
}
