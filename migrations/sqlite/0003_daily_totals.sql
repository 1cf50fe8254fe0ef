-- Approved figures per day for the province, each prefecture-level region and each county: the
-- daily trend of the dashboard without scanning the records.
create table figure_daily (
    campaign_id integer not null references campaign (id),
    region_path text not null,
    day text not null,
    metric_code text not null references metric (code),
    value integer not null,
    primary key (campaign_id, region_path, day, metric_code)
);
