//! Planning: when a post goes out. Pure: "now" is always a parameter.

pub mod calendar;
pub mod ics;
pub mod import;
pub mod repeat;
pub mod slots;
pub mod time;
