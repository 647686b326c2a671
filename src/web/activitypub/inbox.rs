//! `POST /activitypub/inbox`: the one inbox, also the shared inbox.
//! Every request must carry a valid HTTP Signature of the activity's
//! actor; the cheap checks come first, then the JSON, then the key.

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::Value;

use super::federation;
use crate::activitypub::inbox::{InboxError, receive};
use crate::activitypub::signature::SignatureError;
use crate::activitypub::verify::{Signed, VerifyError, verify};
use crate::web::error::ApiError;
use crate::web::session::client_ip;
use crate::web::{AppState, WebError};

pub async fn inbox(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let federation = federation(&state)?;
    if let Some(ip) = client_ip(&req, &state.settings)
        && !federation.admit(ip)
    {
        log::warn!("activitypub: too many requests to the inbox from {ip}");
        return Err(WebError::TooManyRequests.into());
    }
    let signed = Signed::new(&req, &body, state.settings.site.url.path());
    signed.precheck(state.store.now()).map_err(WebError::from)?;
    let activity: Value = serde_json::from_slice(&body)
        .ok()
        .filter(Value::is_object)
        .ok_or_else(|| WebError::bad_request("the body is not a JSON object"))?;
    let sender = verify(&state, federation, &signed)
        .await
        .map_err(|e| match e {
            VerifyError::Signature(e) => WebError::from(e),
            VerifyError::Blocked(host) => {
                WebError::Forbidden(format!("{host} is blocked by this site"))
            }
            VerifyError::Store(e) => WebError::from(e),
        })?;
    if let Some(host) = crate::activitypub::inbox::host_of(&sender.id)
        && state.store.is_blocked(&host).await?
    {
        return Err(WebError::Forbidden(format!("{host} is blocked by this site")).into());
    }
    receive(&state, federation, &sender, &activity)
        .await
        .map_err(|e| match e {
            InboxError::Malformed(message) => WebError::BadRequest(message),
            InboxError::NotSigner { actor, signer } => {
                WebError::Signature(SignatureError::NotOwner {
                    actor,
                    owner: signer,
                })
            }
            InboxError::Store(e) => WebError::from(e),
        })?;
    Ok(HttpResponse::Accepted().finish())
}
