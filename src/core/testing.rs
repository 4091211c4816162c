//! Fixtures for the core's unit tests.

use uuid::Uuid;

use crate::core::domain::Role;
use crate::core::store::User;

/// An active staff account named `name` with `roles` (role keys) in
/// `groups`, with no key, no address and a fresh id.
pub fn user(name: &str, roles: &[&str], groups: &[&str]) -> User {
    User {
        id: Uuid::new_v4(),
        username: name.to_owned(),
        display_name: name.to_owned(),
        roles: roles
            .iter()
            .map(|r| Role::parse(r).unwrap_or_else(|| unreachable!("a role key: {r}")))
            .collect(),
        recipient: String::new(),
        wrapped_identity: Vec::new(),
        email: None,
        active: true,
        groups: groups.iter().map(|g| (*g).to_owned()).collect(),
        created_at: 0,
    }
}
