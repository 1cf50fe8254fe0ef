-- Public events residents register for (a science carnival, open days, contests, garden parties):
-- places, a registration deadline, a waiting list that moves up when someone cancels, and a ticket
-- with a short code checked at the door. Each channel the event is advertised on (微博, 微信, 抖音, a
-- partner, a poster) has its own link, so that registrations are counted by where they came from.
-- A registrant's name and phone are sealed; the phone's blind index keeps one registration a number.
create table public_event (
    id integer primary key,
    unit_id integer not null references unit (id),
    unit_path text not null,
    kind text not null,
    title text not null,
    summary text not null default '',
    region_code text not null references region (code),
    region_path text not null,
    venue text not null default '',
    starts_at text not null,
    ends_at text not null,
    closes_at text not null,
    capacity integer not null check (capacity > 0),
    state text not null default 'open' check (state in ('open', 'finished', 'cancelled')),
    activity_id integer references activity (id),
    created_by integer not null references app_user (id),
    created_at text not null
);
create index public_event_region on public_event (region_path, starts_at);
create index public_event_unit on public_event (unit_path, starts_at);

create table event_channel (
    id integer primary key,
    event_id integer not null references public_event (id),
    channel text not null,
    label text not null default '',
    token text not null unique,
    unique (event_id, channel, label)
);

create table registration (
    id integer primary key,
    event_id integer not null references public_event (id),
    channel_id integer references event_channel (id),
    name_sealed text not null,
    phone_sealed text not null,
    phone_index text not null,
    phone_masked text not null,
    status text not null check (status in ('confirmed', 'waitlisted', 'cancelled')),
    code text not null unique,
    ticket text not null unique,
    registered_at text not null,
    moved_up_at text,
    cancelled_at text,
    checked_in_at text,
    checked_in_by integer references app_user (id)
);
create unique index registration_once on registration (event_id, phone_index) where status <> 'cancelled';
create index registration_event on registration (event_id, status, id);
