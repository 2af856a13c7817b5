//! What a hit says about where the visitor came from and what they browse with.

pub mod agent;
pub mod channel;
pub mod country;
pub mod source;
pub mod utm;
