-- The knowledge quiz: the question bank, quizzes with their blueprint, participants (by device or
-- phone), attempts with the questions drawn for each, and the running leaderboard.
create table question (
    id integer primary key,
    kind text not null,
    category text not null,
    difficulty integer not null check (difficulty between 1 and 3),
    stem text not null,
    options text not null,
    option_count integer not null,
    answer text not null,
    explanation text not null default '',
    source text not null default '',
    status text not null,
    owner_unit_id integer not null references unit (id),
    owner_path text not null,
    created_by integer references app_user (id),
    created_at text not null
);
create unique index question_stem on question (owner_path, stem);
create index question_draw on question (status, category, difficulty);

create table quiz (
    id integer primary key,
    slug text not null unique,
    title text not null,
    description text not null default '',
    campaign_id integer references campaign (id),
    opens_at text not null,
    closes_at text not null,
    blueprint text not null,
    time_limit_seconds integer not null,
    attempts_per_day integer not null,
    audience_path text not null,
    scoring text not null,
    prize_min_score integer not null default 0,
    owner_unit_id integer not null references unit (id),
    owner_path text not null,
    created_by integer not null references app_user (id),
    created_at text not null
);
create index quiz_owner on quiz (owner_path);

create table participant (
    id integer primary key,
    device_hash text unique,
    phone_index text unique,
    phone_sealed text,
    phone_masked text not null default '',
    nickname text not null,
    region_code text not null references region (code),
    region_path text not null,
    school text not null default '',
    created_at text not null
);

create table attempt (
    id integer primary key,
    token text not null unique,
    quiz_id integer not null references quiz (id),
    participant_id integer not null references participant (id),
    day text not null,
    started_at text not null,
    deadline_at text not null,
    submitted_at text,
    score integer not null default 0,
    correct integer not null default 0,
    duration_ms integer,
    flags text not null default '',
    region_path text not null,
    school text not null default '',
    ip text not null default ''
);
create index attempt_participant on attempt (quiz_id, participant_id, day);
create index attempt_ip on attempt (ip, started_at);
create index attempt_flagged on attempt (quiz_id, flags) where flags <> '';

create table attempt_question (
    attempt_id integer not null references attempt (id),
    position integer not null,
    question_id integer not null references question (id),
    option_order text not null,
    shown_at text,
    answered_at text,
    given text,
    correct boolean,
    points integer not null default 0,
    primary key (attempt_id, position)
);
create index attempt_question_question on attempt_question (question_id);

create table quiz_best (
    quiz_id integer not null references quiz (id),
    participant_id integer not null references participant (id),
    attempt_id integer not null references attempt (id),
    score integer not null,
    duration_ms integer not null,
    region_path text not null,
    school text not null,
    primary key (quiz_id, participant_id)
);
create index quiz_best_rank on quiz_best (quiz_id, score desc, duration_ms, participant_id);
create index quiz_best_school on quiz_best (quiz_id, school, score desc, duration_ms);

create table quiz_score_count (
    quiz_id integer not null references quiz (id),
    score integer not null,
    n integer not null,
    primary key (quiz_id, score)
);

create table quiz_region_count (
    quiz_id integer not null references quiz (id),
    region_path text not null,
    participants integer not null,
    primary key (quiz_id, region_path)
);
