//! What Rails and Ruby make of RMT's data, byte for byte: JSON as Rails renders
//! it, parameters as Rails parses them, `inspect` as Ruby writes it, RMT's URLs,
//! times as ActiveRecord stores them, and the values that carry them.

pub mod clock;
pub mod float;
pub mod inspect;
pub mod json;
pub mod params;
pub mod value;
