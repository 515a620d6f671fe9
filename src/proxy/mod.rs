//! I/O: the listener, the request lifecycle and the pooled upstream client.

pub mod client;
pub mod h1;
pub mod handler;
pub mod server;

pub use handler::Gateway;
