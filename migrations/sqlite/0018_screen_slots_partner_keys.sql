-- A screen schedule: captions that staff put on the screens of a region at a time of day over a
-- run of days (rush hours at stations, the evening on outdoor screens), optionally for one kind of
-- screen and one campaign. Minutes count from midnight, Beijing time; `to_minute` is not included.
create table screen_slot (
    id integer primary key,
    unit_id integer not null references unit (id),
    unit_path text not null,
    region_code text not null references region (code),
    region_path text not null,
    kind text,
    campaign_id integer references campaign (id),
    text text not null,
    starts_on text not null,
    ends_on text not null,
    from_minute integer not null check (from_minute >= 0 and from_minute < 1440),
    to_minute integer not null check (to_minute > from_minute and to_minute <= 1440),
    created_by integer not null references app_user (id),
    created_at text not null
);
create index screen_slot_days on screen_slot (ends_on, starts_on);
create index screen_slot_unit on screen_slot (unit_path);

-- Keys a partner platform (美团, a shared-bike operator, 大众点评) uses to read products and feeds
-- and to post its reach figures back; only the key's hash is kept. Scopes are stored `,a,b,`.
create table partner_key (
    id integer primary key,
    unit_id integer not null references unit (id),
    unit_path text not null,
    name text not null,
    scopes text not null,
    key_hash text not null unique,
    key_hint text not null,
    used_at text,
    uses integer not null default 0,
    revoked_at text,
    created_by integer not null references app_user (id),
    created_at text not null
);
create index partner_key_unit on partner_key (unit_path);

insert into metric (code, name, name_en, unit, source, max_per_record, sort, builtin) values
    ('partner_reach', '合作平台展示', 'partner platform reach', '人次', 'figure', 1000000000, 125, true);
