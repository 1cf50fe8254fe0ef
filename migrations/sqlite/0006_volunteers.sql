-- Volunteer teams (units of kind volunteer_team) and their members, trainings and certificates;
-- service events with sign-ups, check-in and check-out; the append-only hours ledger; service
-- periods; the orienteering and skills challenge; and the metrics volunteers add to campaigns.
create table volunteer_team (
    unit_id integer primary key references unit (id),
    sponsor text not null default '',
    leader_member_id integer references volunteer_member (id),
    founded_on text,
    description text not null default '',
    updated_at text not null
);

create table volunteer_member (
    id integer primary key,
    team_id integer not null references unit (id),
    team_path text not null,
    name text not null,
    phone_sealed text not null,
    phone_index text not null,
    phone_masked text not null,
    gender text,
    birth_year integer,
    skills text not null default '',
    consent_version text not null,
    consent_at text not null,
    joined_on text not null,
    active boolean not null default true,
    created_at text not null,
    unique (team_id, phone_index)
);
create index volunteer_member_path on volunteer_member (team_path);

create table volunteer_credential (
    id integer primary key,
    member_id integer not null references volunteer_member (id),
    kind text not null check (kind in ('training', 'certificate')),
    name text not null,
    issuer text not null default '',
    issued_on text not null,
    expires_on text,
    created_at text not null
);
create index volunteer_credential_member on volunteer_credential (member_id);

create table service_event (
    id integer primary key,
    team_id integer not null references unit (id),
    team_path text not null,
    kind text not null,
    title text not null,
    region_code text not null references region (code),
    region_path text not null,
    address text not null default '',
    starts_at text not null,
    ends_at text not null,
    capacity integer not null check (capacity > 0),
    token text not null unique,
    state text not null default 'open',
    activity_id integer references activity (id),
    created_by integer not null references app_user (id),
    created_at text not null,
    completed_at text
);
create index service_event_path on service_event (team_path, starts_at);

create table event_signup (
    id integer primary key,
    event_id integer not null references service_event (id),
    member_id integer not null references volunteer_member (id),
    status text not null check (status in ('confirmed', 'waitlisted', 'cancelled')),
    signed_up_at text not null,
    checked_in_at text,
    checked_out_at text,
    unique (event_id, member_id)
);
create index event_signup_member on event_signup (member_id);

create table volunteer_hours (
    id integer primary key,
    member_id integer not null references volunteer_member (id),
    team_id integer not null references unit (id),
    team_path text not null,
    event_id integer references service_event (id),
    day text not null,
    minutes integer not null,
    reason text not null default '',
    credited_by integer references app_user (id),
    created_at text not null
);
create index volunteer_hours_member on volunteer_hours (member_id, day);
create index volunteer_hours_path on volunteer_hours (team_path, day);
create unique index volunteer_hours_once on volunteer_hours (member_id, event_id) where event_id is not null and minutes > 0;
create trigger volunteer_hours_no_update before update on volunteer_hours
begin
    select raise(abort, 'the hours ledger is append-only: add a correction');
end;
create trigger volunteer_hours_no_delete before delete on volunteer_hours
begin
    select raise(abort, 'the hours ledger is append-only: add a correction');
end;

create table service_period (
    id integer primary key,
    name text not null unique,
    starts_on text not null,
    ends_on text not null,
    created_at text not null
);

create table challenge (
    id integer primary key,
    name text not null,
    held_on text not null,
    region_code text not null references region (code),
    region_path text not null,
    created_at text not null
);
create index challenge_path on challenge (region_path);

create table challenge_checkpoint (
    id integer primary key,
    challenge_id integer not null references challenge (id),
    code text not null,
    name text not null,
    sort integer not null,
    penalty_seconds integer not null check (penalty_seconds >= 0),
    unique (challenge_id, code)
);

create table challenge_station (
    id integer primary key,
    challenge_id integer not null references challenge (id),
    code text not null,
    name text not null,
    max_score integer not null check (max_score > 0),
    unique (challenge_id, code)
);

create table challenge_entry (
    id integer primary key,
    challenge_id integer not null references challenge (id),
    member_id integer not null references volunteer_member (id),
    team_id integer not null references unit (id),
    started_at text,
    finished_at text,
    unique (challenge_id, member_id)
);

create table challenge_punch (
    entry_id integer not null references challenge_entry (id),
    checkpoint_id integer not null references challenge_checkpoint (id),
    punched_at text not null,
    primary key (entry_id, checkpoint_id)
);

create table challenge_score (
    entry_id integer not null references challenge_entry (id),
    station_id integer not null references challenge_station (id),
    score integer not null check (score >= 0),
    primary key (entry_id, station_id)
);

insert into metric (code, name, name_en, unit, source, max_per_record, sort, builtin) values
    ('homes_checked', '入户检查', 'homes checked', '户', 'figure', 100000, 185, true),
    ('volunteer_services', '志愿服务活动', 'volunteer service activities', '场次', 'figure', 1000, 186, true),
    ('volunteer_hours', '志愿服务时长', 'volunteer service hours', '小时', 'volunteer:hours', 0, 190, true);
