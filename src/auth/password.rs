//! Argon2id password hashing, run off the async runtime because it is deliberately slow.

use argon2::{
    Argon2, PasswordHash, PasswordHasher, PasswordVerifier,
    password_hash::{SaltString, rand_core::OsRng},
};

use crate::error::{AppError, AppResult};

pub const MIN_PASSWORD_CHARS: usize = 10;
pub const MAX_PASSWORD_CHARS: usize = 256;

pub fn validate_new_password(field: &str, password: &str) -> AppResult<()> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(AppError::bad_input(
            field,
            format!("must be at least {MIN_PASSWORD_CHARS} characters"),
        ));
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(AppError::bad_input(
            field,
            format!("must be at most {MAX_PASSWORD_CHARS} characters"),
        ));
    }
    Ok(())
}

pub async fn hash(password: &str) -> AppResult<String> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|e| AppError::internal(anyhow::anyhow!("hashing password: {e}")))
    })
    .await
    .map_err(AppError::internal)?
}

/// `false` for a wrong password and for a stored hash that cannot be parsed.
pub async fn verify(password: &str, stored_hash: &str) -> AppResult<bool> {
    let password = password.to_owned();
    let stored_hash = stored_hash.to_owned();
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&stored_hash)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .map_err(AppError::internal)
}

/// A hash to verify against when the account does not exist, so that a login for an unknown
/// email takes as long as one for a known email with a wrong password.
pub async fn dummy_hash() -> &'static str {
    static DUMMY: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    DUMMY
        .get_or_init(|| async {
            hash("not-a-real-password")
                .await
                .unwrap_or_else(|_| String::new())
        })
        .await
}
