//! Small key-value facts about the installation (demo mode, generated secrets).

use crate::{Store, StoreError, with_pool};

impl Store {
    pub async fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(with_pool!(&self.read, |pool| {
            sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
                .bind(key)
                .fetch_optional(pool)
                .await?
        }))
    }

    /// Sets a value only if the key has none yet, and returns the value that holds afterwards:
    /// two instances starting at once agree on one generated secret.
    pub async fn setting_or_insert(&self, key: &str, value: &str) -> Result<String, StoreError> {
        with_pool!(&self.write, |pool| {
            sqlx::query(
                "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
            )
            .bind(key)
            .bind(value)
            .execute(pool)
            .await?
            .rows_affected()
        });
        self.setting(key)
            .await?
            .ok_or_else(|| StoreError::Data(format!("setting {key} vanished")))
    }

    pub async fn set_setting(&self, key: &str, value: &str) -> Result<(), StoreError> {
        with_pool!(&self.write, |pool| {
            sqlx::query(
                "INSERT INTO settings (key, value) VALUES ($1, $2) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )
            .bind(key)
            .bind(value)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(())
    }
}
