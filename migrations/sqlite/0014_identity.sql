-- Reporter identities and handlers' requests to see them (SPEC §4).
--
-- A reporter may give their identity (name, contact, role). It is stored
-- only as an age v1 file sealed to the identity custodians' own staff keys
-- at the time it was given -- never to the case key, so holding a case
-- does not reveal it. added_at is the day only, like every reporter time.
--
-- A handler asks to see it with a written reason (sealed to the custodians
-- and to the handler). A custodian approves or denies with a reason (sealed
-- to the handler and the custodians). On approval the identity is sealed
-- again to that one handler's key (released), readable from readable_from:
-- the reporter is told in the case thread first. One open (pending) request
-- per handler and case.

CREATE TABLE reporter_identities (
    case_id TEXT PRIMARY KEY NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    sealed BLOB NOT NULL,
    added_at BIGINT NOT NULL
);

CREATE TABLE identity_requests (
    id TEXT PRIMARY KEY NOT NULL,
    case_id TEXT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    requested_by TEXT NOT NULL REFERENCES users(id),
    reason BLOB NOT NULL,
    requested_at BIGINT NOT NULL,
    state TEXT NOT NULL,
    decided_by TEXT NULL REFERENCES users(id),
    decided_at BIGINT NULL,
    decision_reason BLOB NULL,
    released BLOB NULL,
    readable_from BIGINT NULL
);
CREATE INDEX identity_requests_case ON identity_requests (case_id);
CREATE INDEX identity_requests_state ON identity_requests (state, requested_at);
CREATE UNIQUE INDEX identity_requests_one_open
    ON identity_requests (case_id, requested_by) WHERE state = 'pending';
