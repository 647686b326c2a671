//! IndieAuth both ways: the client that signs the site's owner in, what the
//! site's own authorization server learns about the apps that ask for
//! access, and the outgoing HTTP requests both make.

pub mod client_info;
pub mod indieauth;
pub mod outbound;
