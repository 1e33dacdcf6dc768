//! [`Memo`]: what one run has read already, so no object is read twice in a run. A batch shares
//! one between its customers: the provider's identity, app and federated credentials are read
//! once for all of them, however many run at once (the first read is awaited by the others).

use std::any::Any;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use tokio::sync::OnceCell;

type Cell = Arc<dyn Any + Send + Sync>;

/// One value per key, read at most once (a failed read is not kept: the next caller reads).
#[derive(Default)]
pub struct Memo {
    cells: Mutex<HashMap<String, Cell>>,
}

impl std::fmt::Debug for Memo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Memo").finish_non_exhaustive()
    }
}

impl Memo {
    /// The value of `key`, from `read` the first time.
    pub async fn once<T, F, Fut>(&self, key: String, read: F) -> anyhow::Result<T>
    where
        T: Clone + Send + Sync + 'static,
        F: FnOnce() -> Fut,
        Fut: Future<Output = anyhow::Result<T>>,
    {
        let cell = {
            let mut cells = self.cells.lock().unwrap_or_else(|e| e.into_inner());
            let cell = cells
                .entry(key)
                .or_insert_with(|| Arc::new(OnceCell::<T>::new()))
                .clone();
            cell.downcast::<OnceCell<T>>()
                .map_err(|_| anyhow::anyhow!("a memo key was used for two types"))?
        };
        cell.get_or_try_init(read).await.cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[tokio::test]
    async fn reads_once_and_retries_a_failure() {
        let memo = Memo::default();
        let reads = AtomicU32::new(0);
        let read = || async {
            reads.fetch_add(1, Ordering::SeqCst);
            Ok::<_, anyhow::Error>(7)
        };
        assert_eq!(memo.once("k".into(), read).await.unwrap(), 7);
        assert_eq!(memo.once("k".into(), read).await.unwrap(), 7);
        assert_eq!(reads.load(Ordering::SeqCst), 1);
        let failed: anyhow::Result<u8> = memo
            .once("f".into(), || async { anyhow::bail!("down") })
            .await;
        assert!(failed.is_err());
        assert_eq!(
            memo.once("f".into(), || async { Ok(1u8) }).await.unwrap(),
            1
        );
    }
}
