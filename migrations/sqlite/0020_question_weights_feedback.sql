-- What a question bank brings from Moodle and elsewhere: a question's title, the weight of each
-- answer (partial credit) and the feedback on each answer, as JSON lists.
alter table question add column title text not null default '';
alter table question add column weights text not null default '[]';
alter table question add column feedback text not null default '[]';
