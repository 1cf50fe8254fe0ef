-- A participant's keyed fingerprint: the traits and network of the browser they joined from,
-- hashed with the data key (never the traits themselves), and why their attempts are held back
-- for staff (`shared_device`: one fingerprint registered many participants in a day).
alter table participant add column fingerprint text not null default '';
alter table participant add column flags text not null default '';
create index participant_fingerprint on participant (fingerprint, created_at);
