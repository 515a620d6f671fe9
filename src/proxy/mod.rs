//! I/O: the listener, the request lifecycle and the pooled upstream client.

pub mod client;
pub mod graphql;
pub mod h1;
pub mod handler;
pub mod held;
pub mod server;

pub use handler::Gateway;

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The lowercase hex digits of `n`, at least `min` of them (zeros in front).
fn hex_digits(n: u64, min: usize) -> impl Iterator<Item = u8> {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let width = (16 - n.leading_zeros() as usize / 4).max(min);
    (0..width).rev().map(move |i| {
        let d = n.checked_shr(i as u32 * 4).unwrap_or(0) & 0xf;
        DIGITS[d as usize]
    })
}
