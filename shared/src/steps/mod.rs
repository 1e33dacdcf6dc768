//! Create-or-adopt steps, one module per phase.

pub mod customer;
pub mod provider;
