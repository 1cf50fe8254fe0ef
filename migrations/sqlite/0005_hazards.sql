-- Hazard reports: the category catalogue, the reports with their timeline and photos, the running
-- counters per region and state, and the two campaign metrics counted from them.
create table hazard_category (
    code text primary key,
    name text not null,
    name_en text not null,
    verify_hours integer not null,
    sort integer not null
);
insert into hazard_category (code, name, name_en, verify_hours, sort) values
    ('fire_lane', '生命通道/消防车通道堵塞', 'blocked fire lane', 24, 10),
    ('exit', '安全出口、疏散通道堵塞或锁闭', 'blocked or locked exit or evacuation route', 24, 20),
    ('ebike', '电动自行车入户或飞线充电', 'e-bike charged indoors or by a flying lead', 72, 30),
    ('extinguisher', '灭火器缺失或过期', 'missing or expired extinguisher', 72, 40),
    ('wiring', '电气线路老化或私拉乱接', 'faulty wiring', 72, 50),
    ('gas', '燃气泄漏、软管老化或未装报警器', 'gas: leak, old hose or no alarm', 72, 60),
    ('three_in_one', '“三合一”场所（住人与生产经营混合）', 'premises where people live and work', 72, 70),
    ('flammable', '违规存放易燃易爆物品', 'flammable storage', 72, 80),
    ('facilities', '消防设施损坏或停用（消火栓、报警、喷淋）', 'disabled fire facilities (hydrants, alarms, sprinklers)', 72, 90),
    ('other', '其他火灾隐患', 'other hazard', 72, 100);

create table hazard (
    id integer primary key,
    tracking_code text not null unique,
    category text not null references hazard_category (code),
    region_code text not null references region (code),
    region_path text not null,
    address text not null,
    latitude real,
    longitude real,
    description text not null,
    state text not null,
    reporter_kind text not null,
    reporter_user_id integer references app_user (id),
    reporter_name text not null,
    reporter_phone_sealed text,
    reporter_phone_index text,
    reporter_phone_masked text,
    reporter_ip_hash text,
    responsible_unit_id integer not null references unit (id),
    responsible_path text not null,
    handling_path text not null,
    assigned_unit_id integer references unit (id),
    referred_unit_id integer references unit (id),
    duplicate_of integer references hazard (id),
    verify_due_at text not null,
    answer_due_at text not null,
    rectify_due_on text,
    due_at text,
    escalation_level integer not null default 0,
    created_at text not null,
    verified_at text,
    answered_at text,
    rectified_at text,
    closed_at text
);
create index hazard_region on hazard (region_path, id);
create index hazard_state_region on hazard (state, region_path, id);
create index hazard_category_region on hazard (category, region_path, id);
create index hazard_state_category_region on hazard (state, category, region_path, id);
create index hazard_open_due on hazard (due_at, region_path) where closed_at is null;
create index hazard_open_handling on hazard (handling_path, escalation_level) where closed_at is null;
create index hazard_ip on hazard (reporter_ip_hash, created_at) where reporter_ip_hash is not null;
create index hazard_created on hazard (created_at, region_path);
create index hazard_rectified on hazard (rectified_at, region_path) where rectified_at is not null;
create index hazard_reporter on hazard (reporter_user_id, id) where reporter_user_id is not null;

create table hazard_event (
    id integer primary key,
    hazard_id integer not null references hazard (id) on delete cascade,
    at text not null,
    actor_user_id integer references app_user (id),
    actor_name text not null,
    action text not null,
    from_state text,
    to_state text not null,
    note text not null default '',
    public boolean not null default true
);
create index hazard_event_hazard on hazard_event (hazard_id, id);

create table hazard_photo (
    id integer primary key,
    hazard_id integer not null references hazard (id) on delete cascade,
    sha256 text not null,
    width integer not null,
    height integer not null,
    jpeg blob not null,
    uploaded_by integer references app_user (id),
    created_at text not null
);
create index hazard_photo_hazard on hazard_photo (hazard_id);

-- Hazards per region (every ancestor down to township level) and state, kept in the same
-- transaction as every insert and transition.
create table hazard_count (
    region_path text not null,
    state text not null,
    n integer not null,
    primary key (region_path, state)
);

-- How many hazards took how many days from report to rectification, per region down to township
-- level: the median without reading the hazards.
create table hazard_rectify_days (
    region_path text not null,
    days integer not null,
    n integer not null,
    primary key (region_path, days)
);

insert into metric (code, name, name_en, unit, source, max_per_record, sort, builtin) values
    ('hazards_found', '排查发现火灾隐患', 'hazards found', '处', 'hazards:found', 0, 300, true),
    ('hazards_rectified', '督促整改火灾隐患', 'hazards rectified', '处', 'hazards:rectified', 0, 310, true);
