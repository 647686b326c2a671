//! The site's own IndieAuth server, for apps (Quill, Indigenous, scripts):
//! the owner approves an app's request on the consent page
//! ([`authorize`]), the app redeems the code for a token
//! ([`token_endpoint`]: also introspection and revocation), and every API
//! checks the tokens presented to it ([`bearer`]). [`metadata`] says where
//! each endpoint is; [`app_page`] reads what an app says about itself.
//!
//! Not to be confused with the owner's own sign-in to the admin, where the
//! site is the *client* of the owner's IndieAuth server
//! ([`crate::indieauth_client`], [`super::sign_in`]).

mod app_page;
pub mod authorize;
pub mod bearer;
pub mod metadata;
pub mod token_endpoint;
