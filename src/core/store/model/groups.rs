//! Handler groups and the routing rules kept in the database.

use uuid::Uuid;

use crate::core::domain::{Category, Severity};

/// A handler group with its members and leads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// The name routing rules and accounts refer to.
    pub name: String,
    /// What the group is for (may be empty).
    pub description: String,
    /// UNIX seconds.
    pub created_at: i64,
    /// Members, by user id, ordered by username.
    pub members: Vec<Uuid>,
    /// Leads (a subset of the members), ordered by username.
    pub leads: Vec<Uuid>,
}

impl Group {
    /// Whether `user` is a member.
    pub fn has_member(&self, user: Uuid) -> bool {
        self.members.contains(&user)
    }

    /// Whether `user` is a lead.
    pub fn has_lead(&self, user: Uuid) -> bool {
        self.leads.contains(&user)
    }
}

/// A routing rule an administrator added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRule {
    /// Id.
    pub id: Uuid,
    /// Order among the stored rules (assigned by the store on insert).
    pub position: i64,
    /// Category.
    pub category: Category,
    /// Severities.
    pub severities: Vec<Severity>,
    /// Group names, each a registered group.
    pub groups: Vec<String>,
    /// UNIX seconds.
    pub created_at: i64,
}
