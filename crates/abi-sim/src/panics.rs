//! A user function's panic as a typed error: simulators call closures written by users, and a
//! panic in one (an `unwrap`, an index out of range) must reach the caller as an error naming
//! the function and the draw, not unwind through the library or a background thread.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Runs `f`; a panic becomes `Err` with its message.
pub(crate) fn catching<T, E: std::fmt::Display>(
    f: impl FnOnce() -> std::result::Result<T, E>,
) -> std::result::Result<T, String> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result.map_err(|e| e.to_string()),
        Err(payload) => Err(format!("panicked: {}", panic_message(payload.as_ref()))),
    }
}

/// The message of a panic payload (as `catch_unwind` returns it) (a `&str` or `String`; anything else is named as such).
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic without a message".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panics_and_errors_become_messages() {
        assert_eq!(catching(|| Ok::<_, String>(3)), Ok(3));
        assert_eq!(catching(|| Err::<u8, _>("bad")), Err("bad".to_string()));
        let caught = catching(|| -> Result<u8, String> { panic!("index {} out of range", 7) });
        assert_eq!(caught, Err("panicked: index 7 out of range".to_string()));
    }
}
