-- The audit log is hash-chained: each record holds the SHA-256 of the record before it and of its
-- own content, so that a record edited or removed behind the triggers' back is found by
-- `firecast audit verify`. Records written before this migration keep an empty hash.
alter table audit_log add column hash text not null default '';
