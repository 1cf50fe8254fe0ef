-- The running totals, daily totals and duty progress are sums of approved records: they are
-- written only from records whose campaign, duty and metrics their own keys have checked, and
-- campaigns, duties and metrics are never deleted. Each is now one B-tree on its key (without a
-- rowid table beside it) and checks no keys again: summing a year of records writes every index
-- once instead of twice and looks nothing up.
create table figure_total_new (
    campaign_id integer not null,
    region_path text not null,
    metric_code text not null,
    value integer not null,
    primary key (campaign_id, region_path, metric_code)
) without rowid;
insert into figure_total_new select campaign_id, region_path, metric_code, value from figure_total;
drop table figure_total;
alter table figure_total_new rename to figure_total;

create table figure_daily_new (
    campaign_id integer not null,
    region_path text not null,
    day text not null,
    metric_code text not null,
    value integer not null,
    primary key (campaign_id, region_path, day, metric_code)
) without rowid;
insert into figure_daily_new select campaign_id, region_path, day, metric_code, value from figure_daily;
drop table figure_daily;
alter table figure_daily_new rename to figure_daily;

create table duty_progress_new (
    duty_id integer not null,
    metric_code text not null,
    value integer not null,
    primary key (duty_id, metric_code)
) without rowid;
insert into duty_progress_new select duty_id, metric_code, value from duty_progress;
drop table duty_progress;
alter table duty_progress_new rename to duty_progress;

-- A record's figures, likewise one B-tree on (record, metric): storing a year of records writes
-- each figure once instead of into a rowid table and its key's index.
create table activity_figure_new (
    activity_id integer not null references activity (id) on delete cascade,
    metric_code text not null references metric (code),
    value integer not null check (value >= 0),
    primary key (activity_id, metric_code)
) without rowid;
insert into activity_figure_new select activity_id, metric_code, value from activity_figure;
drop table activity_figure;
alter table activity_figure_new rename to activity_figure;

-- Records are looked up by their duty only when a duty's own key is checked; most answer none, and
-- those no longer take an entry.
drop index activity_duty;
create index activity_duty on activity (duty_id) where duty_id is not null;
