-- A finished push's deliveries leave the live table once they are older than the inbox shows
-- (`firecast archive`); what the figures need stays as a tally per community, channel and state.
-- Webhook deliveries are tallied under the region path ''.
create table delivery_tally (
    push_id bigint not null,
    region_path text collate "C" not null,
    channel text not null,
    state text not null,
    n bigint not null,
    ko bigint not null,
    read bigint not null,
    primary key (push_id, region_path, channel, state)
);
alter table push add column archived_at timestamptz;
-- Whether a push has text messages or webhooks still to send: workers claim only from these
-- pushes' deliveries (on PostgreSQL, only their partitions).
alter table push add column direct_open boolean not null default false;
update push set direct_open = true where id in (select push_id from delivery where state in ('pending', 'sending'));

-- Deliveries are partitioned by push: each push's fan-out attaches a partition of its own
-- (`delivery_p<push id>`), so that archiving a push's deliveries detaches (and drops) one table
-- instead of deleting millions of rows, and a province push writes into a table with no other
-- push's rows. There is no default partition: a row of a push without its partition is refused
-- rather than scattered. The rows of pushes made before this migration move into partitions of
-- their own.
alter table delivery rename to delivery_before_partitions;
alter table delivery_before_partitions rename constraint delivery_pkey to delivery_before_partitions_pkey;
alter index delivery_due rename to delivery_before_partitions_due;
create table delivery (
    push_id bigint not null,
    recipient_id bigint not null,
    channel text not null,
    state text not null,
    lang text not null,
    attempts bigint not null default 0,
    next_at timestamptz,
    lease_until timestamptz,
    sent_at timestamptz,
    read_at timestamptz,
    error text,
    primary key (push_id, recipient_id, channel)
) partition by list (push_id);
create index delivery_due on delivery (channel, next_at) where state in ('pending', 'sending');
do $$
declare
    p bigint;
begin
    for p in select distinct push_id from delivery_before_partitions loop
        execute format('create table delivery_p%s partition of delivery for values in (%s)', p, p);
    end loop;
end
$$;
insert into delivery select * from delivery_before_partitions;
drop table delivery_before_partitions;
