-- Selections of a quiz: finalists (top N under eligibility rules), seeded prize draws and teams
-- formed from finalists, each stored with its rules so it can be published and repeated; and the
-- reviewers' clearances of flagged attempts.
create table quiz_selection (
    id integer primary key,
    quiz_id integer not null references quiz (id),
    kind text not null,
    source_id integer references quiz_selection (id),
    rules text not null,
    seed text not null default '',
    algorithm text not null default '',
    eligible integer not null default 0,
    created_by integer not null references app_user (id),
    created_at text not null
);
create index quiz_selection_quiz on quiz_selection (quiz_id, kind, id);

create table quiz_selection_entry (
    selection_id integer not null references quiz_selection (id),
    position integer not null,
    participant_id integer not null references participant (id),
    attempt_id integer not null references attempt (id),
    score integer not null,
    duration_ms integer not null,
    region_path text not null,
    chosen integer,
    team integer,
    primary key (selection_id, position)
);

create table quiz_flag_clearance (
    attempt_id integer primary key references attempt (id),
    reason text not null,
    cleared_by integer not null references app_user (id),
    cleared_at text not null
);
