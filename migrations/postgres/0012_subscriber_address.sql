-- Subscriptions remember a keyed hash of the address they came from (never the address), so that
-- one connection cannot subscribe without limit.
alter table subscriber add column ip_hash text not null default '';
create index subscriber_ip on subscriber (ip_hash, created_at);
