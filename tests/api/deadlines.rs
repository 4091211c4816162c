//! Deadlines on stored cases: feedback extension, deadline facts from escalation
//! decisions, the inbox and the reporter page.
