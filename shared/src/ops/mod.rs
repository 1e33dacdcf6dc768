//! One library operation per command. A mutating command is `plan` (reads only, decides every
//! action, refuses before any write) then `apply` (carries the plan out, reporting each step to
//! the run's [`Reporter`](crate::report::Reporter)); `--dry-run` renders the plan and never
//! calls `apply`. Read-only commands are one `run`. Operations never touch stdout, stderr or
//! stdin: the binaries parse, prompt and render.

pub mod atlas;
pub mod batch;
pub mod cosmos_deploy;
pub mod cosmos_status;
pub mod doctor;
pub mod identities;
pub mod onboard;
pub mod private_endpoints;
pub mod revoke;
pub mod setup;
pub mod status;
