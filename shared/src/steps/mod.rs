//! Create-or-adopt steps, one module per resource, grouped by phase. A step reads first; absent →
//! create; present and right → keep (or adopt); present and wrong → a [`crate::Refusal`] naming
//! the fix, fixed only when asked (`--fix`, `--recover`).

pub mod customer;
pub mod provider;
