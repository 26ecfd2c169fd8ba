-- What the demo school lacks for every page to show something: yesterday's and tomorrow's
-- assignment in 5А with a submission, a mark and a comment, the class conversation with a message,
-- a group, a survey, a paper run with a page waiting for review. Run on a fresh demo database
-- (ids start at 1) with :now replaced by the time; used by tests/bench/year.py and the
-- statement-ceiling test (tests/integration/statements_test.cpp).
INSERT INTO assignments (class_id, subject_id, teacher_id, title, body, grading, publish_at,
  due_at, created_at) SELECT 1, 1, id, 'Упражнение 12', 'Выполните упражнение 12.', 'mark',
  :now - 172800, :now - 86400, :now - 172800 FROM users WHERE login = 'smirnova';
INSERT INTO assignments (class_id, subject_id, teacher_id, title, body, grading, publish_at,
  due_at, created_at) SELECT 1, 1, id, 'Упражнение 13', 'Выполните упражнение 13.', 'mark',
  :now - 3600, :now + 86400, :now - 3600 FROM users WHERE login = 'smirnova';
INSERT INTO assignments (class_id, subject_id, teacher_id, title, body, grading, publish_at,
  due_at, created_at) SELECT 1, 3, id, 'Задачи 1–5', 'Решите задачи 1–5.', 'mark',
  :now - 172800, :now - 86400, :now - 172800 FROM users WHERE login = 'kuznetsov';
INSERT INTO submissions (assignment_id, student_id, submitted_by, body, created_at)
  SELECT 1, id, id, 'Готово', :now - 100000 FROM users WHERE login = 'ivanov.a';
INSERT INTO grades (assignment_id, student_id, mark, teacher_id, graded_at)
  SELECT 1, s.id, '5', t.id, :now - 50000 FROM users s, users t
  WHERE s.login = 'ivanov.a' AND t.login = 'smirnova';
INSERT INTO comments (assignment_id, student_id, author_id, body, created_at)
  SELECT 1, s.id, t.id, 'Молодец', :now - 50000 FROM users s, users t
  WHERE s.login = 'ivanov.a' AND t.login = 'smirnova';
INSERT OR IGNORE INTO conversations (kind, class_id) VALUES ('class', 1);
INSERT INTO messages (conversation_id, author_id, body, created_at)
  SELECT (SELECT id FROM conversations WHERE class_id = 1), id, 'Завтра классный час.', :now - 7200 FROM users WHERE login = 'smirnova';
INSERT INTO groups (name, owner_id, created_at) SELECT 'Кружок', id, :now FROM users
  WHERE login = 'smirnova';
INSERT INTO group_members (group_id, user_id) SELECT 1, user_id FROM students WHERE class_id = 1;
INSERT INTO surveys (title, author_id, class_id, audience, created_at) SELECT 'Опрос', id, 1,
  'students', :now FROM users WHERE login = 'smirnova';
INSERT INTO survey_questions (survey_id, position, kind, text) VALUES (1, 0, 'single', 'Как дела?');
INSERT INTO survey_options (question_id, position, text) VALUES (1, 0, 'Хорошо'), (1, 1, 'Плохо');
INSERT INTO print_runs (run, assignment_id, created_by, created_at, answer_pages, ruling, status)
  SELECT 'DEMO01', 1, id, :now - 170000, 4, 'lined', 'ready' FROM users WHERE login = 'smirnova';
INSERT INTO packets (run_id, student_id, pages) SELECT 1, user_id, 6 FROM students
  WHERE class_id = 1 AND paper = 1;
INSERT INTO blobs (sha256, size, created_at) VALUES (printf('%064d', 1), 1000, :now);
INSERT INTO scan_batches (uploaded_by, created_at, status, pages, done) SELECT id, :now, 'done',
  1, 1 FROM users WHERE login = 'admin';
INSERT INTO scan_pages (batch_id, source, position, image_sha, status, reason) VALUES
  (1, 'scan.pdf, стр. 1', 1, printf('%064d', 1), 'review', 'No code could be read on this page.');
