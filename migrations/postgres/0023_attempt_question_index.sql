-- A start writes ten drawn questions for each attempt, in batches of hundreds of rows, and the
-- table is written nowhere else. Two costs of each row served nothing:
-- - the index by question: every read finds an attempt's questions by the attempt, and questions
--   are retired, never deleted;
-- - the two foreign keys: PostgreSQL checks each with a query per row (640 rows took 6.3 ms with
--   them and 1.2 ms without), for ids the same transaction has just inserted (the attempt) or just
--   drawn from the bank (the question); attempts and questions are never deleted. SQLite checks
--   them inside its engine at no such cost and keeps them.
drop index attempt_question_question;
alter table attempt_question
    drop constraint attempt_question_attempt_id_fkey,
    drop constraint attempt_question_question_id_fkey;
