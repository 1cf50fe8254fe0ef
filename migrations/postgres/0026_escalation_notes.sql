-- Escalations by the deadline sweep carried an English note; the timeline now says who and what in
-- the reader's language, so the note is left empty.
update hazard_event set note = '' where action = 'escalate' and actor_user_id is null and note like 'overdue since %';
