//! forgebridge: a gateway that lets clients of one forge's release API work
//! against another forge, driven by declarative mapping files.
//!
//! ```text
//! client ─▶ proxy::server (HTTP/1.1 + h2, optional TLS)
//!             │ translate::match_route        raw path → route + params
//!             ▼
//!           translate::decode_body            client JSON → canonical record
//!             │ identity (id ↔ tag), config (project names), credentials
//!             ▼
//!           translate::encode_request         canonical → upstream request
//!             │ proxy::client (pooled, timeouts, no retry of writes)
//!             ▼
//!           translate::translate_success      upstream JSON → canonical → client JSON
//!           error::encode_error               any failure → the client's error shape
//! ```
//!
//! Forges are data: `mapping` compiles one TOML file per dialect into an
//! immutable runtime at start-up; `translate` is pure; `proxy` does the I/O.

pub mod canonical;
pub mod config;
pub mod error;
pub mod identity;
pub mod mapping;
pub mod proxy;
pub mod sim;
pub mod translate;
