//! PostgreSQL implementation of [`Store`](super::Store).
