-- Regions, organisation, accounts, sessions, API tokens, login attempts and the audit log.
create table region (
    code text primary key,
    parent_code text references region (code),
    level integer not null check (level between 0 and 4),
    name text not null,
    kind text not null default 'regular',
    path text not null unique,
    pinyin text not null,
    initials text not null,
    population integer,
    households integer,
    households_estimated boolean not null default false
);
create index region_parent on region (parent_code);
create index region_level_path on region (level, path);

create table unit (
    id integer primary key,
    name text not null unique,
    kind text not null,
    region_code text not null references region (code),
    region_path text not null,
    parent_id integer references unit (id),
    created_at text not null
);
create index unit_region_path on unit (region_path);
create index unit_parent on unit (parent_id);

create table app_user (
    id integer primary key,
    username text not null unique,
    display_name text not null,
    role text not null,
    unit_id integer not null references unit (id),
    password_hash text not null,
    disabled boolean not null default false,
    created_at text not null,
    password_changed_at text not null
);
create index app_user_unit on app_user (unit_id);

create table session (
    token_hash text primary key,
    user_id integer not null references app_user (id) on delete cascade,
    csrf_token text not null,
    created_at text not null,
    last_seen_at text not null,
    ip text not null,
    user_agent text not null
);
create index session_by_user on session (user_id);

create table api_token (
    id integer primary key,
    name text not null,
    token_hash text not null unique,
    user_id integer not null references app_user (id) on delete cascade,
    created_by integer not null references app_user (id),
    created_at text not null,
    last_used_at text,
    revoked_at text
);
create index api_token_user on api_token (user_id);

create table login_attempt (
    id integer primary key,
    username text not null,
    ip text not null,
    at text not null,
    success boolean not null
);
create index login_attempt_username on login_attempt (username, at);
create index login_attempt_ip on login_attempt (ip, at);

create table audit_log (
    id integer primary key,
    at text not null,
    actor_id integer,
    actor text not null,
    ip text not null,
    action text not null,
    object_kind text not null,
    object_id text not null,
    outcome text not null,
    detail text not null,
    region_path text not null
);
create index audit_log_region on audit_log (region_path, id);
create index audit_log_action on audit_log (action, id);

create trigger audit_log_no_update before update on audit_log
begin
    select raise(abort, 'audit records cannot be changed');
end;
create trigger audit_log_no_delete before delete on audit_log
begin
    select raise(abort, 'audit records cannot be deleted');
end;
