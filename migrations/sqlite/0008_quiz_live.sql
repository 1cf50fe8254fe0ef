-- Live team competitions: a match with its teams (each with a secret link for its phone), its
-- rounds in order (compulsory, buzzer, risk), the questions of each round, the teams' buzzes,
-- wagers and answers, and the judges' corrections. The scoreboard is the sum of the answers'
-- points and the corrections.
create table live_match (
    id integer primary key,
    title text not null,
    state text not null,
    round_no integer not null default 0,
    item_id integer,
    owner_unit_id integer not null references unit (id),
    owner_path text not null,
    created_by integer not null references app_user (id),
    created_at text not null
);
create index live_match_owner on live_match (owner_path);

create table live_team (
    id integer primary key,
    match_id integer not null references live_match (id),
    position integer not null,
    name text not null,
    region text not null default '',
    members text not null,
    token text not null unique,
    unique (match_id, position)
);

create table live_round (
    match_id integer not null references live_match (id),
    position integer not null,
    kind text not null,
    mode text not null default 'each',
    points integer not null,
    penalty integer not null default 0,
    rebound boolean not null default false,
    seconds integer not null,
    primary key (match_id, position)
);

create table live_item (
    id integer primary key,
    match_id integer not null references live_match (id),
    round_no integer not null,
    position integer not null,
    question_id integer not null references question (id),
    team_id integer references live_team (id),
    state text not null default 'pending',
    opened_at text,
    closes_at text,
    buzz_team_id integer references live_team (id),
    unique (match_id, round_no, position)
);

create table live_wager (
    item_id integer not null references live_item (id),
    team_id integer not null references live_team (id),
    amount integer not null,
    primary key (item_id, team_id)
);

create table live_answer (
    item_id integer not null references live_item (id),
    team_id integer not null references live_team (id),
    given text not null,
    correct boolean not null,
    points integer not null,
    answered_at text not null,
    primary key (item_id, team_id)
);

create table live_correction (
    id integer primary key,
    match_id integer not null references live_match (id),
    team_id integer not null references live_team (id),
    points integer not null,
    reason text not null,
    by_user integer not null references app_user (id),
    created_at text not null
);
create index live_correction_match on live_correction (match_id);
