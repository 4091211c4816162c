//! Storage of handler groups, their leads and the routing rules kept in the
//! database: an extension of [`Store`](super::Store) implemented for both
//! backends in this file (migration 0007).
//!
//! Membership is `user_groups`; `staff_groups` registers the groups
//! themselves. A lead is always a member: the store refuses a lead who is
//! not one, and removing a membership removes the lead in the same
//! transaction. Written once for both backends.

use uuid::Uuid;

use super::dialect::{for_each_backend, PostgresStore, SqliteStore};
use super::model::groups::{Group, StoredRule};
use super::model::{StoreError, StoreResult};
use super::rows::groups::{
    groups_of, rules_of, ClassificationRow, MembershipRow, RuleGroupRow, RuleRow, StaffGroupRow,
};
use super::rows::parse::join_keys;
use crate::core::domain::{Category, Severity};

/// Queries and updates of groups, leads and stored routing rules.
#[async_trait::async_trait]
pub trait GroupStore: Send + Sync {
    /// Registers a group; `Conflict` if the name is taken.
    async fn create_group(&self, name: &str, description: &str, at: i64) -> StoreResult<()>;
    /// Every registered group, ordered by name, with members and leads.
    async fn groups(&self) -> StoreResult<Vec<Group>>;
    /// Adds `user` to `group`; `NotFound` if either does not exist,
    /// `Conflict` if they are a member already.
    async fn add_group_member(&self, group: &str, user: Uuid) -> StoreResult<()>;
    /// Removes `user` from `group`, and from its leads; `NotFound` if they
    /// are not a member.
    async fn remove_group_member(&self, group: &str, user: Uuid) -> StoreResult<()>;
    /// Makes a member a lead of `group`; `NotFound` if they are not a
    /// member, `Conflict` if they are a lead already.
    async fn add_group_lead(&self, group: &str, user: Uuid) -> StoreResult<()>;
    /// Makes a lead an ordinary member; `NotFound` if they are not a lead.
    async fn remove_group_lead(&self, group: &str, user: Uuid) -> StoreResult<()>;
    /// The stored routing rules in order.
    async fn routing_rules(&self) -> StoreResult<Vec<StoredRule>>;
    /// Stores a rule after the others (its `position` is ignored) and
    /// returns the position given; `NotFound` if a group is not registered,
    /// `Conflict` if the id is taken.
    async fn add_routing_rule(&self, rule: &StoredRule) -> StoreResult<i64>;
    /// Deletes a stored rule; `NotFound` if there is none with that id.
    async fn delete_routing_rule(&self, id: Uuid) -> StoreResult<()>;
    /// A case's current category and severity; `None` if there is no such case.
    async fn case_classification(&self, case_id: Uuid)
        -> StoreResult<Option<(Category, Severity)>>;
}

/// Every membership, ordered by username.
const MEMBERS: &str = "SELECT m.group_name, m.user_id FROM user_groups m \
     JOIN users u ON u.id = m.user_id ORDER BY u.username, m.user_id";
/// Every lead, ordered by username.
const LEADS: &str = "SELECT l.group_name, l.user_id FROM staff_group_leads l \
     JOIN users u ON u.id = l.user_id ORDER BY u.username, l.user_id";

/// The implementation for one backend (see [`for_each_backend!`]).
macro_rules! group_store {
    (store: $store:ident, db: $db:ty, text_order: $text_order:literal,) => {
        impl $store {
            /// The cached stored rules, loaded if not cached.
            pub(super) async fn cached_rules(
                &self,
                version: Option<i64>,
            ) -> StoreResult<std::sync::Arc<Vec<StoredRule>>> {
                if let Some(rules) = self.cache.rules() {
                    return Ok(rules);
                }
                let rules = std::sync::Arc::new(self.load_rules().await?);
                self.cache.keep_rules(version, rules.clone());
                Ok(rules)
            }

            /// Reads the stored routing rules from the database.
            async fn load_rules(&self) -> StoreResult<Vec<StoredRule>> {
                let mut tx = self.pool.begin().await?;
                let rules: Vec<RuleRow> = sqlx::query_as(
                    "SELECT id, position, category, severities, created_at FROM routing_rules \
                     ORDER BY position, created_at, id",
                )
                .fetch_all(&mut *tx)
                .await?;
                let groups: Vec<RuleGroupRow> =
                    sqlx::query_as("SELECT rule_id, group_name FROM routing_rule_groups")
                        .fetch_all(&mut *tx)
                        .await?;
                tx.commit().await?;
                rules_of(rules, groups)
            }
        }

        #[async_trait::async_trait]
        impl GroupStore for $store {
            async fn create_group(
                &self,
                name: &str,
                description: &str,
                at: i64,
            ) -> StoreResult<()> {
                let statement = sqlx::query(
                    "INSERT INTO staff_groups (name, description, created_at) VALUES ($1, $2, $3)",
                )
                .bind(name)
                .bind(description)
                .bind(at);
                self.run(statement).await?;
                self.cache.invalidate();
                Ok(())
            }

            async fn groups(&self) -> StoreResult<Vec<Group>> {
                let mut tx = self.pool.begin().await?;
                let groups: Vec<StaffGroupRow> =
                    sqlx::query_as("SELECT name, description, created_at FROM staff_groups")
                        .fetch_all(&mut *tx)
                        .await?;
                let members: Vec<MembershipRow> =
                    sqlx::query_as(MEMBERS).fetch_all(&mut *tx).await?;
                let leads: Vec<MembershipRow> = sqlx::query_as(LEADS).fetch_all(&mut *tx).await?;
                tx.commit().await?;
                groups_of(groups, members, leads)
            }

            async fn add_group_member(&self, group: &str, user: Uuid) -> StoreResult<()> {
                let mut tx = self.begin_write().await?;
                let user = user.to_string();
                let (found,): (i64,) = sqlx::query_as(
                    "SELECT COUNT(*) FROM staff_groups g, users u WHERE g.name = $1 AND u.id = $2",
                )
                .bind(group)
                .bind(&user)
                .fetch_one(&mut *tx)
                .await?;
                if found == 0 {
                    return Err(StoreError::NotFound);
                }
                let statement =
                    sqlx::query("INSERT INTO user_groups (user_id, group_name) VALUES ($1, $2)")
                        .bind(&user)
                        .bind(group);
                Self::run_in(&mut tx, statement).await?;
                tx.commit().await?;
                self.cache.invalidate();
                Ok(())
            }

            async fn remove_group_member(&self, group: &str, user: Uuid) -> StoreResult<()> {
                let mut tx = self.begin_write().await?;
                let user = user.to_string();
                let statement = sqlx::query(
                    "DELETE FROM staff_group_leads WHERE group_name = $1 AND user_id = $2",
                )
                .bind(group)
                .bind(&user);
                Self::run_in(&mut tx, statement).await?;
                let statement =
                    sqlx::query("DELETE FROM user_groups WHERE group_name = $1 AND user_id = $2")
                        .bind(group)
                        .bind(&user);
                Self::run_found_in(&mut tx, statement).await?;
                tx.commit().await?;
                self.cache.invalidate();
                Ok(())
            }

            async fn add_group_lead(&self, group: &str, user: Uuid) -> StoreResult<()> {
                let mut tx = self.begin_write().await?;
                let user = user.to_string();
                let (member,): (i64,) = sqlx::query_as(
                    "SELECT COUNT(*) FROM user_groups m JOIN staff_groups g \
                     ON g.name = m.group_name WHERE m.group_name = $1 AND m.user_id = $2",
                )
                .bind(group)
                .bind(&user)
                .fetch_one(&mut *tx)
                .await?;
                if member == 0 {
                    return Err(StoreError::NotFound);
                }
                let statement = sqlx::query(
                    "INSERT INTO staff_group_leads (group_name, user_id) VALUES ($1, $2)",
                )
                .bind(group)
                .bind(&user);
                Self::run_in(&mut tx, statement).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn remove_group_lead(&self, group: &str, user: Uuid) -> StoreResult<()> {
                let statement = sqlx::query(
                    "DELETE FROM staff_group_leads WHERE group_name = $1 AND user_id = $2",
                )
                .bind(group)
                .bind(user.to_string());
                self.run_found(statement).await
            }

            async fn routing_rules(&self) -> StoreResult<Vec<StoredRule>> {
                let version = self.fresh_cache().await?;
                Ok(self.cached_rules(version).await?.as_ref().clone())
            }

            async fn add_routing_rule(&self, rule: &StoredRule) -> StoreResult<i64> {
                let mut tx = self.begin_write().await?;
                let (position,): (i64,) =
                    sqlx::query_as("SELECT COALESCE(MAX(position), 0) + 1 FROM routing_rules")
                        .fetch_one(&mut *tx)
                        .await?;
                let id = rule.id.to_string();
                let statement = sqlx::query(
                    "INSERT INTO routing_rules (id, position, category, severities, created_at) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(&id)
                .bind(position)
                .bind(rule.category.key())
                .bind(join_keys(rule.severities.iter().map(|s| s.key())))
                .bind(rule.created_at);
                Self::run_in(&mut tx, statement).await?;
                for group in &rule.groups {
                    let (found,): (i64,) =
                        sqlx::query_as("SELECT COUNT(*) FROM staff_groups WHERE name = $1")
                            .bind(group)
                            .fetch_one(&mut *tx)
                            .await?;
                    if found == 0 {
                        return Err(StoreError::NotFound);
                    }
                    let statement = sqlx::query(
                        "INSERT INTO routing_rule_groups (rule_id, group_name) VALUES ($1, $2)",
                    )
                    .bind(&id)
                    .bind(group);
                    Self::run_in(&mut tx, statement).await?;
                }
                tx.commit().await?;
                self.cache.invalidate();
                Ok(position)
            }

            async fn delete_routing_rule(&self, id: Uuid) -> StoreResult<()> {
                let statement =
                    sqlx::query("DELETE FROM routing_rules WHERE id = $1").bind(id.to_string());
                self.run_found(statement).await?;
                self.cache.invalidate();
                Ok(())
            }

            async fn case_classification(
                &self,
                case_id: Uuid,
            ) -> StoreResult<Option<(Category, Severity)>> {
                let row: Option<ClassificationRow> =
                    sqlx::query_as("SELECT category, severity FROM cases WHERE id = $1")
                        .bind(case_id.to_string())
                        .fetch_optional(&self.pool)
                        .await?;
                row.map(ClassificationRow::into_pair).transpose()
            }
        }
    };
}

for_each_backend!(group_store);
