-- A finished push's deliveries leave the live table once they are older than the inbox shows
-- (`firecast archive`); what the figures need stays as a tally per community, channel and state.
-- Webhook deliveries are tallied under the region path ''.
create table delivery_tally (
    push_id integer not null,
    region_path text not null,
    channel text not null,
    state text not null,
    n integer not null,
    ko integer not null,
    read integer not null,
    primary key (push_id, region_path, channel, state)
) without rowid;
alter table push add column archived_at text;
-- Whether a push has text messages or webhooks still to send: workers claim only from these
-- pushes' deliveries (on PostgreSQL, only their partitions).
alter table push add column direct_open integer not null default 0;
update push set direct_open = 1 where id in (select push_id from delivery where state in ('pending', 'sending'));
