//! SQLite implementation of [`Store`](super::Store).
