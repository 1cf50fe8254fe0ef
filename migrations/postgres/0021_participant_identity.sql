-- Who a quiz participant is. A keyed fingerprint: the traits and network of the browser they
-- joined from, hashed with the data key (never the traits themselves), and why their attempts are
-- held back for staff (`shared_device`: one fingerprint registered many participants in a day).
alter table participant add column fingerprint text not null default '';
alter table participant add column flags text not null default '';
create index participant_fingerprint on participant (fingerprint, created_at);

-- A quiz may take only participants who proved a phone by a code sent to it: a phone is one
-- person, whichever device they play on.
alter table quiz add column phone_required boolean not null default false;

-- The code a device's participant was sent, until it comes back (one a device; the number kept
-- sealed, with its blind index).
create table participant_check (
    device_hash text primary key,
    phone_index text not null,
    phone_sealed text not null,
    phone_masked text not null,
    code_hash text not null,
    sent_at timestamptz not null,
    expires_at timestamptz not null,
    tries bigint not null default 0
);
