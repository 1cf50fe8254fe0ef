-- Screens that pull their playlist with a key of their own (only its hash is kept): LED caption
-- boards, community e-stations, outdoor screens. The last pull is kept, so a silent screen shows.
create table screen (
    id integer primary key,
    unit_id integer not null references unit (id),
    unit_path text not null,
    region_code text not null references region (code),
    region_path text not null,
    name text not null,
    kind text not null,
    chars integer not null check (chars > 0),
    key_hash text not null unique,
    key_hint text not null,
    pulled_at text,
    pulls integer not null default 0,
    revoked_at text,
    created_by integer not null references app_user (id),
    created_at text not null
);
create index screen_unit on screen (unit_path);
