//! Phase 2's create-or-adopt steps, in the order [`crate::ops::onboard`] runs them:
//! [`service_principal`], [`vault`], the signed-in admin's key access and the [`key`], the
//! provider's [`grant`] (with the Atlas custom role), [`verify`] and the [`handoff`]. Each step
//! plans from what the plan read (a [`crate::output::PlannedStep`]) and applies that decision.

pub mod grant;
pub mod grants;
pub mod handoff;
pub mod key;
pub mod service_principal;
pub mod vault;
pub mod verify;
