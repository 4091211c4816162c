//! The OpenID Connect adapter: the core's [`IdentityProvider`] port over
//! HTTP with the `openidconnect` crate (rustls, no OpenSSL).
//!
//! Discovery (`{issuer}/.well-known/openid-configuration`) and the
//! provider's keys (JWKS) are fetched on first use and kept for an hour;
//! an ID token whose signature does not verify with them makes one fresh
//! fetch (the provider may have rotated its keys). The crate checks the
//! token's signature, `iss` (the configured issuer, which discovery must
//! confirm), `aud` (our client id), `exp` and `nonce`; the access-token hash
//! is checked when the token carries one. The HTTP client follows no
//! redirects, so a provider's answer cannot send the server elsewhere.

use std::time::{Duration, Instant};

use anyhow::anyhow;
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    reqwest, AccessTokenHash, AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret,
    CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier,
    RedirectUrl, RequestTokenError, Scope, TokenResponse,
};
use tokio::sync::RwLock;
use zeroize::Zeroizing;

use crate::core::settings::OidcSettings;
use crate::core::sso::{Authorization, IdentityProvider, ProviderError};

/// How long discovered metadata and keys are used before they are fetched again.
const METADATA_TTL: Duration = Duration::from_secs(3600);

/// One configured provider.
pub struct OidcProvider {
    issuer: String,
    client_id: ClientId,
    client_secret: ClientSecret,
    redirect: RedirectUrl,
    scopes: Vec<String>,
    http: reqwest::Client,
    metadata: RwLock<Option<(Instant, CoreProviderMetadata)>>,
}

impl OidcProvider {
    /// The provider `settings` configure (nothing is fetched yet).
    pub fn new(settings: &OidcSettings) -> anyhow::Result<Self> {
        let secret = settings.secret()?;
        let http = reqwest::ClientBuilder::new()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(settings.timeout_seconds))
            .build()
            .map_err(|e| anyhow!("cannot build the HTTP client: {e}"))?;
        Ok(OidcProvider {
            issuer: settings.issuer_url.trim().to_owned(),
            client_id: ClientId::new(settings.client_id.trim().to_owned()),
            client_secret: ClientSecret::new(secret.as_str().to_owned()),
            redirect: RedirectUrl::new(settings.redirect_url.trim().to_owned())
                .map_err(|e| anyhow!("oidc.redirect_url: {e}"))?,
            scopes: settings
                .scopes
                .iter()
                .filter(|s| s.as_str() != "openid")
                .cloned()
                .collect(),
            http,
            metadata: RwLock::new(None),
        })
    }

    /// The provider's metadata and keys: kept ones unless `refresh` or stale.
    async fn metadata(&self, refresh: bool) -> Result<CoreProviderMetadata, ProviderError> {
        if !refresh {
            if let Some((at, metadata)) = &*self.metadata.read().await {
                if at.elapsed() < METADATA_TTL {
                    return Ok(metadata.clone());
                }
            }
        }
        let issuer = IssuerUrl::new(self.issuer.clone())
            .map_err(|e| ProviderError::Unavailable(anyhow!("oidc.issuer_url: {e}")))?;
        let metadata = CoreProviderMetadata::discover_async(issuer, &self.http)
            .await
            .map_err(|e| ProviderError::Unavailable(anyhow!("discovery failed: {e}")))?;
        *self.metadata.write().await = Some((Instant::now(), metadata.clone()));
        Ok(metadata)
    }

    fn client(
        &self,
        metadata: CoreProviderMetadata,
    ) -> CoreClient<
        openidconnect::EndpointSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointMaybeSet,
        openidconnect::EndpointMaybeSet,
    > {
        CoreClient::from_provider_metadata(
            metadata,
            self.client_id.clone(),
            Some(self.client_secret.clone()),
        )
        .set_redirect_uri(self.redirect.clone())
    }
}

/// The `sub` of `token`'s ID token, verified by `client` against `nonce`.
fn verified_sub(
    client: &CoreClient<
        openidconnect::EndpointSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointMaybeSet,
        openidconnect::EndpointMaybeSet,
    >,
    token: &openidconnect::core::CoreTokenResponse,
    nonce: &Nonce,
) -> Result<String, VerifyError> {
    let id_token = token
        .id_token()
        .ok_or_else(|| VerifyError::Other("no ID token".into()))?;
    let verifier = client.id_token_verifier();
    let claims = id_token.claims(&verifier, nonce).map_err(|e| match e {
        ClaimsVerificationError::SignatureVerification(e) => VerifyError::Signature(e.to_string()),
        other => VerifyError::Other(other.to_string()),
    })?;
    if let Some(expected) = claims.access_token_hash() {
        let alg = id_token
            .signing_alg()
            .map_err(|e| VerifyError::Other(e.to_string()))?;
        let key = id_token
            .signing_key(&verifier)
            .map_err(|e| VerifyError::Other(e.to_string()))?;
        let actual = AccessTokenHash::from_token(token.access_token(), alg, key)
            .map_err(|e| VerifyError::Other(e.to_string()))?;
        if actual != *expected {
            return Err(VerifyError::Other("the access-token hash differs".into()));
        }
    }
    Ok(claims.subject().as_str().to_owned())
}

/// Why an ID token did not verify.
enum VerifyError {
    /// Its signature (perhaps by a key fetched before a rotation).
    Signature(String),
    /// Anything else.
    Other(String),
}

#[async_trait::async_trait]
impl IdentityProvider for OidcProvider {
    fn issuer(&self) -> &str {
        &self.issuer
    }

    async fn authorization(&self) -> Result<Authorization, ProviderError> {
        let client = self.client(self.metadata(false).await?);
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .set_pkce_challenge(challenge);
        for scope in &self.scopes {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        let (url, state, nonce) = request.url();
        Ok(Authorization {
            url: url.to_string(),
            state: Zeroizing::new(state.secret().clone()),
            nonce: Zeroizing::new(nonce.secret().clone()),
            pkce_verifier: Zeroizing::new(verifier.secret().clone()),
        })
    }

    async fn verified_subject(
        &self,
        code: &str,
        nonce: &str,
        pkce_verifier: &str,
    ) -> Result<String, ProviderError> {
        let client = self.client(self.metadata(false).await?);
        let token = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| ProviderError::Unavailable(anyhow!("no token endpoint: {e}")))?
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_owned()))
            .request_async(&self.http)
            .await
            .map_err(|e| match e {
                RequestTokenError::ServerResponse(r) => {
                    ProviderError::Rejected(format!("the code was refused: {r}"))
                }
                RequestTokenError::Request(e) => {
                    ProviderError::Unavailable(anyhow!("token request failed: {e}"))
                }
                other => ProviderError::Rejected(format!("bad token response: {other}")),
            })?;
        let nonce = Nonce::new(nonce.to_owned());
        match verified_sub(&client, &token, &nonce) {
            Ok(sub) => Ok(sub),
            Err(VerifyError::Signature(_)) => {
                // Perhaps a key rotated since discovery: fetch once more.
                let client = self.client(self.metadata(true).await?);
                verified_sub(&client, &token, &nonce).map_err(|e| match e {
                    VerifyError::Signature(why) | VerifyError::Other(why) => {
                        ProviderError::Rejected(why)
                    }
                })
            }
            Err(VerifyError::Other(why)) => Err(ProviderError::Rejected(why)),
        }
    }
}
