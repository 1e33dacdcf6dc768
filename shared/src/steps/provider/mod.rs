//! Phase 1's create-or-adopt steps, in the order [`crate::ops::setup`] runs them: [`app`],
//! [`identity`], [`credential`] and [`invitation`]; [`rights`] says who may make the writes.

pub mod app;
pub mod cosmos_account;
pub mod credential;
pub mod identity;
pub mod invitation;
pub mod links;
pub mod rights;
