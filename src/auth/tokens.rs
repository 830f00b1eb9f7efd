//! Signed session tokens (HS256 JWTs). The secret is `JWT_SECRET`, or one generated once and
//! kept in the database so that every node verifies every other node's tokens.

use base64::Engine;
use chrono::{DateTime, Utc};
use entity::server_secret;
use hmac::{Hmac, Mac};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use sea_orm::{ActiveValue::Set, DatabaseConnection, EntityTrait, sea_query::OnConflict};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use uuid::Uuid;

const SECRET_NAME: &str = "jwt_secret";

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    /// The user.
    pub sub: Uuid,
    /// The user's company.
    pub cid: Uuid,
    /// The auth session row, which logout revokes.
    pub jti: Uuid,
    pub iat: i64,
    pub exp: i64,
}

pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    /// Signs short-lived links (attachment downloads); derived from the JWT secret so every
    /// node shares it, yet never equal to it.
    link_key: [u8; 32],
}

type HmacSha256 = Hmac<Sha256>;

fn hmac(key: &[u8]) -> HmacSha256 {
    <HmacSha256 as Mac>::new_from_slice(key).expect("HMAC takes keys of any length")
}

impl TokenKeys {
    pub fn from_secret(secret: &[u8]) -> Self {
        let mut derive = hmac(secret);
        derive.update(b"coach signed links v1");
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            link_key: derive.finalize().into_bytes().into(),
        }
    }

    /// HMAC-SHA256 of `message` with the link key, base64url without padding.
    pub fn sign_link(&self, message: &str) -> String {
        let mut mac = hmac(&self.link_key);
        mac.update(message.as_bytes());
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    /// Whether `signature` is `sign_link(message)` (compared in constant time).
    pub fn verify_link(&self, message: &str, signature: &str) -> bool {
        let Ok(signature) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(signature)
        else {
            return false;
        };
        let mut mac = hmac(&self.link_key);
        mac.update(message.as_bytes());
        mac.verify_slice(&signature).is_ok()
    }

    /// `JWT_SECRET` when given; otherwise the database's shared secret, created by whichever
    /// node gets there first (insert-if-absent, then read back what won).
    pub async fn load(configured: Option<&str>, db: &DatabaseConnection) -> anyhow::Result<Self> {
        if let Some(secret) = configured {
            return Ok(Self::from_secret(secret.as_bytes()));
        }
        let mut bytes = [0u8; 48];
        rand::rng().fill_bytes(&mut bytes);
        let candidate = base64::engine::general_purpose::STANDARD.encode(bytes);
        server_secret::Entity::insert(server_secret::ActiveModel {
            name: Set(SECRET_NAME.into()),
            value: Set(candidate),
        })
        .on_conflict(
            OnConflict::column(server_secret::Column::Name)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
        let stored = server_secret::Entity::find_by_id(SECRET_NAME.to_owned())
            .one(db)
            .await?
            .ok_or_else(|| anyhow::anyhow!("JWT secret missing after insert"))?;
        Ok(Self::from_secret(stored.value.as_bytes()))
    }

    pub fn sign(
        &self,
        user_id: Uuid,
        company_id: Uuid,
        session_id: Uuid,
        issued_at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> anyhow::Result<String> {
        let claims = Claims {
            sub: user_id,
            cid: company_id,
            jti: session_id,
            iat: issued_at.timestamp(),
            exp: expires_at.timestamp(),
        };
        Ok(jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &self.encoding,
        )?)
    }

    /// The claims of a token with a valid signature that has not expired.
    pub fn verify(&self, token: &str) -> Option<Claims> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "sub"]);
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
            .ok()
            .map(|data| data.claims)
    }
}
