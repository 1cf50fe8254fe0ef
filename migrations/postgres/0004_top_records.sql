-- The approved record with the largest value of each metric, per campaign and region down to
-- county level: the written report's highlights without scanning the records.
create table figure_top (
    campaign_id bigint not null references campaign (id),
    region_path text collate "C" not null,
    metric_code text not null references metric (code),
    activity_id bigint not null references activity (id),
    value bigint not null,
    primary key (campaign_id, region_path, metric_code)
);
