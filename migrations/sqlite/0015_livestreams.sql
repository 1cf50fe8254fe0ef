-- Livestreams: a page per broadcast with the player for the stream the staff enter, its viewers
-- counted once a day by a keyed hash of their device cookie (no personal data), a comment box
-- that staff moderate before anything shows, and the views outside platforms report, entered with
-- their evidence and kept apart from the page's own count.
create table livestream (
    id integer primary key,
    unit_id integer not null references unit (id),
    unit_path text not null,
    title text not null,
    summary text not null default '',
    region_code text not null references region (code),
    region_path text not null,
    stream_url text not null default '',
    quiz_slug text not null default '',
    starts_at text not null,
    ends_at text not null,
    state text not null default 'open' check (state in ('open', 'finished')),
    activity_id integer references activity (id),
    created_by integer not null references app_user (id),
    created_at text not null
);
create index livestream_region on livestream (region_path, starts_at);

create table livestream_viewer (
    livestream_id integer not null references livestream (id),
    day text not null,
    viewer text not null,
    primary key (livestream_id, day, viewer)
);

create table livestream_reported (
    id integer primary key,
    livestream_id integer not null references livestream (id),
    platform text not null,
    views integer not null check (views > 0),
    evidence text not null,
    entered_by integer not null references app_user (id),
    entered_at text not null
);
create index livestream_reported_stream on livestream_reported (livestream_id);

create table livestream_comment (
    id integer primary key,
    livestream_id integer not null references livestream (id),
    nickname text not null,
    body text not null,
    state text not null default 'waiting' check (state in ('waiting', 'shown', 'hidden')),
    posted_at text not null,
    moderated_by integer references app_user (id)
);
create index livestream_comment_stream on livestream_comment (livestream_id, state, id);
