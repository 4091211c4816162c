-- The inbox as an index (issue 9, item 4): each case's nearest open deadline
-- stored with the case, and one row per (case, staff member it is routed to)
-- carrying what the inbox orders and filters by.
--
-- cases.next_deadline_at / next_deadline_kind: the nearest open deadline as
-- the core's deadline rules compute it (NULL: none, e.g. closed). They are
-- written by the core after every change of a deadline fact;
-- deadline_rules is a fingerprint of the rules (deadline settings and
-- taxonomy) they were computed under. NULL, or a fingerprint other than the
-- running configuration's, is recomputed at startup (existing rows included).
--
-- inbox_entries is kept by the triggers below from case_key_wraps (a user's
-- wrap is their routing) and from cases; nothing else writes it.
-- deadline_sort is next_deadline_at, or the largest BIGINT when there is
-- none, so "no deadline" sorts last with a plain index. case_id keeps the
-- collation of cases.id, so the page's join uses the primary key. Ties are
-- broken by seq, the case's order of arrival.

ALTER TABLE cases ADD COLUMN next_deadline_at BIGINT NULL;
ALTER TABLE cases ADD COLUMN next_deadline_kind TEXT NULL;
ALTER TABLE cases ADD COLUMN deadline_rules TEXT NULL;
-- The order of arrival, the inbox's tie-break (see inbox_entries.seq).
ALTER TABLE cases ADD COLUMN seq BIGSERIAL;
CREATE INDEX cases_deadline_rules ON cases (deadline_rules);

CREATE TABLE inbox_entries (
    case_id TEXT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    open BOOLEAN NOT NULL,
    status TEXT NOT NULL,
    category TEXT NOT NULL,
    severity TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    deadline_sort BIGINT NOT NULL,
    -- The case's order of arrival (cases.seq), the last key of every index: new
    -- cases append at the end of an index range rather than at the random
    -- place of a UUID, which keeps a submission's index writes to a few pages.
    seq BIGINT NOT NULL,
    PRIMARY KEY (case_id, user_id)
);
-- The orders (nearest deadline, newest) and the filters, each a range of one
-- index; the filter indexes also cover the counts.
CREATE INDEX inbox_by_deadline
    ON inbox_entries (user_id, open, deadline_sort, received_at DESC, seq);
CREATE INDEX inbox_by_received
    ON inbox_entries (user_id, open, received_at DESC, seq);
CREATE INDEX inbox_by_status
    ON inbox_entries (user_id, status, deadline_sort, received_at DESC, seq);
CREATE INDEX inbox_by_category
    ON inbox_entries (user_id, open, category, deadline_sort, received_at DESC, seq);
CREATE INDEX inbox_by_severity
    ON inbox_entries (user_id, open, severity, deadline_sort, received_at DESC, seq);

INSERT INTO inbox_entries
    (case_id, user_id, open, status, category, severity, received_at, deadline_sort, seq)
SELECT c.id, w.user_id, c.status <> 'closed', c.status, c.category, c.severity,
       c.received_at, 9223372036854775807, c.seq
FROM case_key_wraps w JOIN cases c ON c.id = w.case_id
WHERE w.user_id IS NOT NULL;

CREATE FUNCTION inbox_wrap_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.user_id IS NOT NULL THEN
        INSERT INTO inbox_entries
            (case_id, user_id, open, status, category, severity, received_at, deadline_sort, seq)
        SELECT c.id, NEW.user_id, c.status <> 'closed', c.status, c.category, c.severity,
               c.received_at, COALESCE(c.next_deadline_at, 9223372036854775807), c.seq
        FROM cases c WHERE c.id = NEW.case_id
        ON CONFLICT (case_id, user_id) DO NOTHING;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER inbox_wrap_added AFTER INSERT ON case_key_wraps
    FOR EACH ROW EXECUTE FUNCTION inbox_wrap_added();

CREATE FUNCTION inbox_wrap_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.user_id IS NOT NULL THEN
        DELETE FROM inbox_entries WHERE case_id = OLD.case_id AND user_id = OLD.user_id;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER inbox_wrap_removed AFTER DELETE ON case_key_wraps
    FOR EACH ROW EXECUTE FUNCTION inbox_wrap_removed();

CREATE FUNCTION inbox_case_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE inbox_entries SET
        open = NEW.status <> 'closed',
        status = NEW.status,
        category = NEW.category,
        severity = NEW.severity,
        received_at = NEW.received_at,
        deadline_sort = COALESCE(NEW.next_deadline_at, 9223372036854775807)
    WHERE case_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER inbox_case_changed
    AFTER UPDATE OF status, category, severity, received_at, next_deadline_at ON cases
    FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status
          OR OLD.category IS DISTINCT FROM NEW.category
          OR OLD.severity IS DISTINCT FROM NEW.severity
          OR OLD.received_at IS DISTINCT FROM NEW.received_at
          OR OLD.next_deadline_at IS DISTINCT FROM NEW.next_deadline_at)
    EXECUTE FUNCTION inbox_case_changed();

-- How many closed cases each user holds: the history, counted as it grows
-- (closing, reopening, routing) instead of on every inbox view. Submissions
-- add open cases and never touch it.
CREATE TABLE inbox_tallies (
    user_id TEXT PRIMARY KEY NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    closed BIGINT NOT NULL
);
INSERT INTO inbox_tallies (user_id, closed)
SELECT user_id, COUNT(*) FROM inbox_entries WHERE NOT open GROUP BY user_id;

CREATE FUNCTION inbox_tally() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    delta BIGINT := 0;
    who TEXT;
BEGIN
    IF TG_OP = 'INSERT' THEN
        who := NEW.user_id;
        IF NOT NEW.open THEN delta := 1; END IF;
    ELSIF TG_OP = 'DELETE' THEN
        who := OLD.user_id;
        IF NOT OLD.open THEN delta := -1; END IF;
    ELSE
        who := NEW.user_id;
        IF OLD.open AND NOT NEW.open THEN delta := 1;
        ELSIF NEW.open AND NOT OLD.open THEN delta := -1;
        END IF;
    END IF;
    IF delta > 0 THEN
        INSERT INTO inbox_tallies (user_id, closed) VALUES (who, delta)
        ON CONFLICT (user_id) DO UPDATE SET closed = inbox_tallies.closed + delta;
    ELSIF delta < 0 THEN
        UPDATE inbox_tallies SET closed = closed + delta WHERE user_id = who;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER inbox_tally AFTER INSERT OR DELETE OR UPDATE OF open ON inbox_entries
    FOR EACH ROW EXECUTE FUNCTION inbox_tally();

-- A change of a deadline fact marks the stored deadline stale in the same
-- transaction; the core recomputes it right after (and the housekeeping
-- pass, every minute, catches one whose recomputation did not happen).
CREATE FUNCTION cases_deadline_facts_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.deadline_rules := NULL;
    RETURN NEW;
END $$;
CREATE TRIGGER cases_deadline_facts_changed
    BEFORE UPDATE OF status, category, subtype, severity, received_at, acknowledged_at,
        feedback_given_at, feedback_extended_at ON cases
    FOR EACH ROW EXECUTE FUNCTION cases_deadline_facts_changed();

CREATE FUNCTION escalation_decision_recorded() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE cases SET deadline_rules = NULL WHERE id = NEW.case_id;
    RETURN NULL;
END $$;
CREATE TRIGGER escalation_decision_recorded AFTER INSERT ON escalation_decisions
    FOR EACH ROW EXECUTE FUNCTION escalation_decision_recorded();
