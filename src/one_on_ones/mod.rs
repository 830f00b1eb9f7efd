//! 1:1 sessions.
