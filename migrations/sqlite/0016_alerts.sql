-- Urgent fire-safety warnings published as CAP 1.2 through the national profile (GB/T 35965.1):
-- a draft is signed off by someone other than its author, which gives it its identifier
-- (ZZZZZZDDDUUUXX_YYYYMMDDhhmmss_N) and publishes it; calling it off gives its Cancel message an
-- identifier of its own. The area is a list of region codes (GB/T 2260) with their names.
create table alert (
    id integer primary key,
    unit_id integer not null references unit (id),
    unit_path text not null,
    sender_code text not null,
    kind text not null,
    severity text not null,
    urgency text not null,
    certainty text not null,
    headline text not null,
    description text not null,
    instruction text not null default '',
    headline_ko text not null default '',
    description_ko text not null default '',
    instruction_ko text not null default '',
    area_codes text not null,
    area_desc text not null,
    effective_at text not null,
    expires_at text not null,
    state text not null default 'draft' check (state in ('draft', 'published', 'cancelled')),
    identifier text unique,
    sent_at text,
    signed_by integer references app_user (id),
    cancel_identifier text unique,
    cancelled_at text,
    cancelled_by integer references app_user (id),
    created_by integer not null references app_user (id),
    created_at text not null
);
create index alert_unit on alert (unit_path, id);
create index alert_current on alert (state, expires_at);
