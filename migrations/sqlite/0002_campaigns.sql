-- Campaigns, duties, the metric catalogue, activity records with figures and photos, the media
-- register, and the running totals kept as activities are approved.
create table metric (
    code text primary key,
    name text not null,
    name_en text not null,
    unit text not null,
    source text not null default 'figure',
    max_per_record integer not null,
    sort integer not null,
    builtin boolean not null default false
);

create table campaign (
    id integer primary key,
    name text not null,
    theme text not null,
    starts_on text not null,
    ends_on text not null,
    owner_unit_id integer not null references unit (id),
    owner_path text not null,
    status text not null,
    copied_from integer references campaign (id),
    created_at text not null
);
create index campaign_owner on campaign (owner_path);

create table duty (
    id integer primary key,
    campaign_id integer not null references campaign (id),
    unit_id integer not null references unit (id),
    unit_path text not null,
    title text not null,
    description text not null,
    due_on text not null,
    created_at text not null
);
create index duty_campaign on duty (campaign_id, unit_path);
create index duty_unit on duty (unit_id, due_on);

create table duty_target (
    duty_id integer not null references duty (id),
    metric_code text not null references metric (code),
    target integer not null,
    primary key (duty_id, metric_code)
);

create table activity (
    id integer primary key,
    campaign_id integer not null references campaign (id),
    duty_id integer references duty (id),
    kind text not null,
    title text not null,
    starts_on text not null,
    ends_on text not null,
    region_code text not null references region (code),
    region_path text not null,
    organiser_unit_id integer not null references unit (id),
    organiser_path text not null,
    co_organisers text not null default '',
    venue text not null default '',
    description text not null default '',
    state text not null,
    return_reason text not null default '',
    created_by integer not null references app_user (id),
    created_at text not null,
    submitted_at text,
    reviewed_by integer references app_user (id),
    reviewed_at text
);
create index activity_campaign_path on activity (campaign_id, region_path);
create index activity_state_path on activity (state, organiser_path);
create index activity_duty on activity (duty_id);

create table activity_figure (
    activity_id integer not null references activity (id) on delete cascade,
    metric_code text not null references metric (code),
    value integer not null check (value >= 0),
    primary key (activity_id, metric_code)
);

create table photo (
    id integer primary key,
    activity_id integer not null references activity (id) on delete cascade,
    sha256 text not null,
    width integer not null,
    height integer not null,
    jpeg blob not null,
    uploaded_by integer not null references app_user (id),
    created_at text not null
);
create index photo_activity on photo (activity_id);
create index photo_sha256 on photo (sha256);

create table figure_total (
    campaign_id integer not null references campaign (id),
    region_path text not null,
    metric_code text not null references metric (code),
    value integer not null,
    primary key (campaign_id, region_path, metric_code)
);

create table duty_progress (
    duty_id integer not null references duty (id),
    metric_code text not null references metric (code),
    value integer not null,
    primary key (duty_id, metric_code)
);

create table news_item (
    id integer primary key,
    campaign_id integer not null references campaign (id),
    unit_id integer not null references unit (id),
    region_path text not null,
    level text not null,
    outlet text not null,
    title text not null,
    url text not null default '',
    published_on text not null,
    story_key text not null,
    created_by integer not null references app_user (id),
    created_at text not null
);
create index news_item_campaign on news_item (campaign_id, region_path);

create table airing (
    id integer primary key,
    campaign_id integer not null references campaign (id),
    unit_id integer not null references unit (id),
    region_path text not null,
    kind text not null,
    channel text not null,
    slot text not null default '',
    aired_count integer not null check (aired_count > 0),
    aired_on text not null,
    created_by integer not null references app_user (id),
    created_at text not null
);
create index airing_campaign on airing (campaign_id, region_path);

insert into metric (code, name, name_en, unit, source, max_per_record, sort, builtin) values
    ('participants', '参与人数', 'participants', '人次', 'figure', 1000000, 10, true),
    ('leaders', '党政领导参与', 'leaders taking part', '人', 'figure', 1000, 20, true),
    ('people_trained', '培训人数', 'people trained', '人', 'figure', 100000, 30, true),
    ('units_trained', '培训单位', 'units trained', '家', 'figure', 10000, 40, true),
    ('handouts', '发放宣传资料', 'handouts distributed', '份', 'figure', 2000000, 50, true),
    ('posters', '张贴海报挂图标语', 'posters, charts and banners', '张', 'figure', 1000000, 60, true),
    ('venue_openings', '开放消防场馆', 'venue openings', '场次', 'figure', 1000, 70, true),
    ('vehicle_outings', '出动宣传车', 'publicity-vehicle outings', '场次', 'figure', 1000, 80, true),
    ('visitors', '参观体验', 'visitors', '人次', 'figure', 1000000, 90, true),
    ('livestream_views', '直播观看', 'livestream views', '人次', 'figure', 100000000, 100, true),
    ('registrations', '活动报名', 'registrations', '人', 'figure', 1000000, 110, true),
    ('parcel_stickers', '快递安全提示贴纸', 'parcel stickers', '份', 'figure', 1000000, 120, true),
    ('short_videos', '短视频短剧', 'short videos and dramas', '部', 'figure', 1000, 130, true),
    ('products_pushed', '四级推送宣传产品', 'products pushed', '部', 'figure', 10000, 140, true),
    ('quiz_finalists', '知识竞赛选拔达人', 'quiz finalists', '人', 'figure', 1000, 150, true),
    ('quiz_teams', '知识竞赛代表队', 'quiz teams', '支', 'figure', 1000, 160, true),
    ('challenge_volunteers', '志愿者挑战赛参赛', 'challenge volunteers', '人', 'figure', 10000, 170, true),
    ('challenge_teams', '志愿者挑战赛队伍', 'challenge teams', '支', 'figure', 1000, 180, true),
    ('news_central', '中央级媒体新闻', 'news in central media', '条', 'news:central', 0, 200, true),
    ('news_provincial', '省级媒体新闻', 'news in provincial media', '条', 'news:provincial', 0, 210, true),
    ('news_municipal', '市级媒体新闻', 'news in municipal media', '条', 'news:municipal', 0, 220, true),
    ('news_county', '县级媒体新闻', 'news in county media', '条', 'news:county', 0, 230, true),
    ('news_matrix', '宣传矩阵新闻', 'news on the corps’ own media', '条', 'news:matrix', 0, 240, true),
    ('airings', '公益广告和提示字幕播出', 'PSA and caption airings', '条次', 'airings', 0, 250, true);
