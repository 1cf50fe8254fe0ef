-- The four-level push: the product library with language variants and tags, pushes down the
-- hierarchy with a sign-off node per unit reached, residents' subscriptions, partner endpoints and
-- the delivery table that one set-based insert fills per push.
create table push_product (
    id integer primary key,
    kind text not null,
    title text not null,
    tags text not null,
    state text not null,
    search text not null,
    unit_id integer not null references unit (id),
    region_path text not null,
    created_by integer not null references app_user (id),
    created_at text not null,
    reviewed_by integer references app_user (id),
    reviewed_at text,
    review_note text not null default ''
);
create index push_product_state on push_product (state, id);

create table push_variant (
    product_id integer not null references push_product (id) on delete cascade,
    lang text not null,
    title text not null,
    body text not null,
    link text not null default '',
    file_name text not null default '',
    file_type text not null default '',
    file_size integer not null default 0,
    file_data blob,
    primary key (product_id, lang)
);

create table push (
    id integer primary key,
    product_id integer not null references push_product (id),
    origin_unit_id integer not null references unit (id),
    origin_path text not null,
    targets text not null,
    audiences text not null,
    places text not null,
    channels text not null,
    note text not null,
    scheduled_at text not null,
    sign_hours text not null,
    state text not null,
    idempotency_key text not null unique,
    created_by integer not null references app_user (id),
    created_at text not null,
    fanned_out_at text,
    direct_count integer not null default 0,
    resent_count integer not null default 0,
    recalled_at text,
    recalled_by integer references app_user (id),
    recall_reason text not null default ''
);
create index push_state on push (state, scheduled_at);
create index push_product_idx on push (product_id);

create table push_target (
    push_id integer not null references push (id) on delete cascade,
    region_code text not null references region (code),
    region_path text not null,
    primary key (push_id, region_code)
);

create table push_node (
    id integer primary key,
    push_id integer not null references push (id) on delete cascade,
    parent_id integer references push_node (id),
    level integer not null,
    region_code text not null references region (code),
    region_path text not null,
    state text not null,
    received_at text not null,
    due_at text not null,
    signed_at text,
    signed_by integer references app_user (id),
    forwarded_at text,
    forwarded_by integer references app_user (id),
    note text not null default '',
    variant text not null default '',
    confirmed_at text,
    confirmed_by integer references app_user (id),
    ways text not null default '',
    reach integer,
    escalation integer not null default 0,
    unique (push_id, region_code)
);
create index push_node_region on push_node (region_code, state);
create index push_node_open on push_node (state, due_at);

create table subscriber (
    id integer primary key,
    token text not null unique,
    region_code text not null references region (code),
    region_path text not null,
    lang text not null,
    interests text not null,
    channel text not null,
    phone_sealed text,
    phone_index text unique,
    phone_masked text,
    consent text not null,
    created_at text not null,
    unsubscribed_at text
);
create index subscriber_region on subscriber (region_path);

create table partner_endpoint (
    id integer primary key,
    name text not null unique,
    url text not null,
    secret text not null,
    region_path text not null,
    active boolean not null default true,
    created_at text not null
);

-- One row per push, recipient (a subscriber, or a partner endpoint for webhooks) and channel. In-app
-- rows are delivered when they exist; SMS and webhook rows wait in the partial index for a worker.
-- No foreign keys: the rows come only from a push's fan-out, and a per-row check would cost the
-- fan-out of nine million households more than the insert itself.
create table delivery (
    push_id integer not null,
    recipient_id integer not null,
    channel text not null,
    state text not null,
    lang text not null,
    attempts integer not null default 0,
    next_at text,
    lease_until text,
    sent_at text,
    read_at text,
    error text,
    primary key (push_id, recipient_id, channel)
) without rowid;
create index delivery_due on delivery (channel, next_at) where state in ('pending', 'sending');

update metric set source = 'push:products' where code = 'products_pushed';
