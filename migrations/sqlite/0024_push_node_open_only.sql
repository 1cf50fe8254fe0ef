-- The nodes still to sign or forward, and only those, in the index the push sweep and the
-- overdue counts read (`state in ('pending', 'signed') and due_at < …`). A signed-off node is
-- most of the tree and is never looked up by its deadline again; it no longer takes an entry
-- (the 2024 month's 46,000 finished nodes, and every push's once it is done).
drop index push_node_open;
create index push_node_open on push_node (due_at) where state in ('pending', 'signed');
