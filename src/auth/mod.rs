//! Signing the site's owner in: the IndieAuth client, and the outgoing HTTP
//! requests it makes to the owner's profile page and authorization server.

pub mod indieauth;
pub mod outbound;
