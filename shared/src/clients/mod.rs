//! API clients (being written)
