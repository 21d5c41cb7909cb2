//! What Rails and Ruby make of RMT's data, byte for byte: JSON as Rails renders
//! it, floats as Ruby writes them, times as ActiveRecord stores them, and the
//! values that carry them.

pub mod clock;
pub mod float;
pub mod json;
pub mod value;
