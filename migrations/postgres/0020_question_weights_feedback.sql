-- What a question bank brings from Moodle and elsewhere: a question's title, its text as HTML
-- (a safe subset, or empty for plain text), the weight of each answer (partial credit) and the
-- feedback on each answer, as JSON lists.
alter table question add column title text not null default '';
alter table question add column html text not null default '';
alter table question add column weights text not null default '[]';
alter table question add column feedback text not null default '[]';

-- Pictures in question texts, cleaned and re-encoded like photos, by the SHA-256 of their JPEG.
create table quiz_image (
    sha256 text primary key,
    width bigint not null,
    height bigint not null,
    jpeg bytea not null,
    created_at timestamptz not null
);
