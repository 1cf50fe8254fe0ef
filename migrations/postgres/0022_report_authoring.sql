-- What a report's authors add to what the records tell, for one campaign and one region's report:
-- whose deployment the campaign followed, the documents issued (one a line), and the next steps.
create table report_text (
    campaign_id bigint not null references campaign (id),
    region_path text collate "C" not null,
    deployed_by text not null default '',
    documents text not null default '',
    next_steps text not null default '',
    updated_by bigint references app_user (id),
    updated_at timestamptz not null,
    primary key (campaign_id, region_path)
);

-- A record its report's authors pinned into the text (told whatever its salience) or hid from it.
create table report_mark (
    campaign_id bigint not null references campaign (id),
    region_path text collate "C" not null,
    activity_id bigint not null references activity (id),
    mark text not null check (mark in ('pinned', 'hidden')),
    set_by bigint references app_user (id),
    set_at timestamptz not null,
    primary key (campaign_id, region_path, activity_id)
);

-- A paragraph rewritten by hand: its text, and the generated paragraph it was written over (its
-- segments as JSON), so that figures follow the records and a regeneration shows what changed.
create table report_edit (
    campaign_id bigint not null references campaign (id),
    region_path text collate "C" not null,
    paragraph text not null,
    body text not null,
    base text not null,
    edited_by bigint references app_user (id),
    edited_at timestamptz not null,
    primary key (campaign_id, region_path, paragraph)
);

-- The written report now chooses what to tell from all the records (see report_mark); the top
-- record of each metric is no longer kept.
drop table figure_top;
