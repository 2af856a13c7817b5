//! Who is asking: passwords, sessions, CSRF tokens, login throttling, secret tokens.

pub mod csrf;
pub mod password;
pub mod secret;
pub mod throttle;
