//! What a service module hands the server: its routes, its token check and its error shape.
//! Depends on the route and reply types only, never on the server or the list of services, so
//! every service module can build its definition without a cycle back to the server.

use crate::reply::Reply;
use crate::routes::{Call, Caller, RouteTable};
use crate::service::Service;

/// How one service answers: its routes, its token check and its error shape.
pub struct ServiceDef {
    pub service: Service,
    pub routes: RouteTable,
    /// Runs before routing: checks the bearer token (and what the service checks first, such as
    /// `api-version`). `Ok(None)` = the service takes no token.
    pub admit: fn(&Call) -> Result<Option<Caller>, Reply>,
    /// An error in the service's shape: status, code, message.
    pub error: fn(&Call, u16, &str, &str) -> Reply,
    /// The answer for a path the service has no route for.
    pub not_found: fn(&Call) -> Reply,
    /// Adds the headers the service puts on every answer (request ids).
    pub stamp: fn(&Call, &mut Reply),
}
