//! Test support shared by the integration tests: a fake upstream forge, validators built from
//! the official API descriptions, and the example payloads of the seed docs.
#![allow(dead_code)]

pub mod fake;
pub mod fixtures;
pub mod gateway;
pub mod schema;
pub mod tmp;
