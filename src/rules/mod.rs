//! Local alert rules evaluated over state. No IO: inputs in, alerts out.

pub mod backup;
