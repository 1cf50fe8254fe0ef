-- The index of drawn questions by question served no read: every read finds an attempt's
-- questions by the attempt, and questions are retired, never deleted. Each start wrote ten of its
-- entries for nothing.
drop index attempt_question_question;
