-- A phone number gets text messages only once its owner has proved it: a code goes to the number,
-- the subscription stays on the in-app inbox until the code comes back. Only the code's keyed hash
-- is kept, with when it was sent, when it expires, how often it was sent and tried.
create table phone_check (
    subscriber_id integer primary key references subscriber (id),
    phone_index text not null,
    code_hash text not null,
    sent_at text not null,
    expires_at text not null,
    sends integer not null default 1,
    tries integer not null default 0,
    confirmed_at text
);
create index phone_check_number on phone_check (phone_index, sent_at);

-- What an address (or a number) has spent of an hourly budget: failed look-ups on the public event
-- pages, new quiz players. Only keyed hashes are kept.
create table address_use (
    id integer primary key,
    kind text not null,
    key_hash text not null,
    at text not null
);
create index address_use_key on address_use (kind, key_hash, at);

-- A public hazard report's phone number has an hourly budget of its own, counted by its blind index.
create index hazard_phone on hazard (reporter_phone_index, created_at) where reporter_phone_index is not null;
