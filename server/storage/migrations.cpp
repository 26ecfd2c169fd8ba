#include "storage/migrations.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <regex>
#include <set>

#include "storage/postgres.hpp"

namespace parta::storage {

namespace {

// For migration 12's triggers. The users of conversation `cv` (an SQL expression): the two people
// of a direct one, a class's students and class teacher, a group's members and owner — the same
// lines as domain::conversations' membership.
#define PARTA_MEMBERS_OF(cv)                                                                     \
  "SELECT user_a FROM conversations WHERE id = " cv                                              \
  " AND user_a IS NOT NULL "                                                                     \
  "UNION SELECT user_b FROM conversations WHERE id = " cv                                        \
  " AND user_b IS NOT NULL "                                                                     \
  "UNION SELECT s.user_id FROM conversations x JOIN students s ON s.class_id = x.class_id "      \
  "WHERE x.id = " cv                                                                             \
  " UNION SELECT k.class_teacher_id FROM conversations x JOIN classes k "                        \
  "ON k.id = x.class_id WHERE x.id = " cv                                                        \
  " AND k.class_teacher_id IS NOT NULL "                                                         \
  "UNION SELECT m.user_id FROM conversations x JOIN group_members m ON m.group_id = x.group_id " \
  "WHERE x.id = " cv                                                                             \
  " UNION SELECT g.owner_id FROM conversations x JOIN groups g "                                 \
  "ON g.id = x.group_id WHERE x.id = " cv
// Counts the unread messages of the users in `set` (an SQL query of user ids) from scratch and
// stores the counts: for the rare changes of who belongs where (messages and reads move a count by
// one step instead). The count is domain::unread_recount's definition, per user. No conflict
// clause: a trigger takes the one of the statement that fired it (INSERT OR IGNORE INTO
// group_members would turn OR REPLACE into OR IGNORE), so rows are updated, then the missing ones
// inserted.
#define PARTA_UNREAD_OF_U                                                                          \
  "(SELECT COUNT(*) FROM messages m JOIN conversations cv ON cv.id = m.conversation_id LEFT JOIN " \
  "conversation_reads r ON r.conversation_id = cv.id AND r.user_id = u.id WHERE m.removed = 0 "    \
  "AND m.author_id != u.id AND m.id > COALESCE(r.last_read, 0) AND (cv.user_a = u.id OR "          \
  "cv.user_b = u.id OR cv.class_id IN (SELECT class_id FROM students WHERE user_id = u.id) "       \
  "OR cv.class_id IN (SELECT id FROM classes WHERE class_teacher_id = u.id) "                      \
  "OR cv.group_id IN (SELECT group_id FROM group_members WHERE user_id = u.id) "                   \
  "OR cv.group_id IN (SELECT id FROM groups WHERE owner_id = u.id)))"
#define PARTA_RECOUNT_IN(set)                                              \
  "UPDATE unread_counts SET n = (SELECT " PARTA_UNREAD_OF_U                \
  " FROM users u WHERE u.id = "                                            \
  "unread_counts.user_id) WHERE user_id IN (" set                          \
  ");"                                                                     \
  "INSERT INTO unread_counts (user_id, n) SELECT u.id, " PARTA_UNREAD_OF_U \
  " FROM users u "                                                         \
  "WHERE u.id IN (" set ") AND u.id NOT IN (SELECT user_id FROM unread_counts);"
#define PARTA_RECOUNT(u) PARTA_RECOUNT_IN("SELECT " u)
// A new or removed message moves the unread count of every member but its author who has not read
// that far yet.
#define PARTA_UNREAD_STEP(msg, delta)                                                    \
  "UPDATE unread_counts SET n = n + (" delta ") WHERE user_id IN (" PARTA_MEMBERS_OF(    \
      msg ".conversation_id") ") AND user_id != " msg                                    \
                              ".author_id AND COALESCE((SELECT last_read "               \
                              "FROM conversation_reads r WHERE r.conversation_id = " msg \
                              ".conversation_id AND r.user_id = "                        \
                              "unread_counts.user_id), 0) < " msg ".id;"
// Reading a conversation up to NEW.last_read (from `from`) takes what was read off the count, when
// the reader is a member (the admin reading a class conversation is not).
#define PARTA_UNREAD_READ(from)                                                                    \
  "UPDATE unread_counts SET n = n - (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = "   \
  "NEW.conversation_id AND m.id > " from                                                           \
  " AND m.id <= NEW.last_read AND m.removed = 0 AND "                                              \
  "m.author_id != NEW.user_id) WHERE user_id = NEW.user_id AND NEW.user_id IN (" PARTA_MEMBERS_OF( \
      "NEW.conversation_id") ");"
// One more change to the class's data, for figures cached per class (domain::RiskCache). Update,
// then insert when missing: no conflict clause, which the firing statement's would replace (the
// visit is INSERT OR IGNORE).
#define PARTA_BUMP(cls)                                                  \
  "UPDATE class_changes SET n = n + 1 WHERE class_id = " cls             \
  ";"                                                                    \
  "INSERT INTO class_changes (class_id, n) SELECT " cls ", 1 WHERE " cls \
  " IS NOT NULL AND NOT "                                                \
  "EXISTS (SELECT 1 FROM class_changes WHERE class_id = " cls ");"
#define PARTA_BUMP_STUDENT(student) \
  PARTA_BUMP("(SELECT class_id FROM students WHERE user_id = " student ")")

// Never edit a migration that has shipped: add a new one.
constexpr std::array<const char*, kSchemaVersion> kMigrations = {
    // 1: school structure, accounts, sessions
    R"sql(
CREATE TABLE school (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  name TEXT NOT NULL,
  short_name TEXT NOT NULL DEFAULT '',
  address TEXT NOT NULL DEFAULT '',
  hotline TEXT NOT NULL DEFAULT '',
  email TEXT NOT NULL DEFAULT '',
  director TEXT NOT NULL DEFAULT '',
  wifi_name TEXT NOT NULL DEFAULT '',
  how_to_connect TEXT NOT NULL DEFAULT ''
);
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  login TEXT NOT NULL UNIQUE,
  last_name TEXT NOT NULL,
  first_name TEXT NOT NULL,
  middle_name TEXT NOT NULL DEFAULT '',
  role TEXT NOT NULL CHECK (role IN ('admin', 'teacher', 'student', 'parent')),
  secret_hash TEXT NOT NULL,
  secret_kind TEXT NOT NULL DEFAULT 'password' CHECK (secret_kind IN ('password', 'pin')),
  phone TEXT NOT NULL DEFAULT '',
  active INTEGER NOT NULL DEFAULT 1,
  created_at INTEGER NOT NULL
);
CREATE INDEX users_role ON users(role, last_name, first_name);
CREATE TABLE classes (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  grade INTEGER NOT NULL CHECK (grade BETWEEN 1 AND 11),
  class_teacher_id INTEGER REFERENCES users(id) ON DELETE SET NULL
);
CREATE TABLE subjects (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE
);
CREATE TABLE students (
  user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
  student_no TEXT NOT NULL UNIQUE,
  class_id INTEGER NOT NULL REFERENCES classes(id),
  paper INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX students_class ON students(class_id);
CREATE TABLE parent_child (
  parent_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  student_id INTEGER NOT NULL REFERENCES students(user_id) ON DELETE CASCADE,
  PRIMARY KEY (parent_id, student_id)
);
CREATE INDEX parent_child_student ON parent_child(student_id);
CREATE TABLE teaching (
  teacher_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  class_id INTEGER NOT NULL REFERENCES classes(id) ON DELETE CASCADE,
  subject_id INTEGER NOT NULL REFERENCES subjects(id) ON DELETE CASCADE,
  PRIMARY KEY (class_id, subject_id, teacher_id)
);
CREATE INDEX teaching_teacher ON teaching(teacher_id);
CREATE TABLE sessions (
  token_hash TEXT PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  csrf TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_seen INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);
CREATE TABLE api_tokens (
  token_hash TEXT PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  label TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL
);
CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
)sql",
    // 2: coursework — assignments, attachments, submissions, threads, grades; blobs they point to
    R"sql(
CREATE TABLE blobs (
  sha256 TEXT PRIMARY KEY CHECK (length(sha256) = 64),
  size INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE assignments (
  id INTEGER PRIMARY KEY,
  class_id INTEGER NOT NULL REFERENCES classes(id),
  subject_id INTEGER NOT NULL REFERENCES subjects(id),
  teacher_id INTEGER NOT NULL REFERENCES users(id),
  topic TEXT NOT NULL DEFAULT '',
  title TEXT NOT NULL,
  body TEXT NOT NULL DEFAULT '',
  grading TEXT NOT NULL CHECK (grading IN ('mark', 'pass', 'none')),
  whole_class INTEGER NOT NULL DEFAULT 1,
  publish_at INTEGER NOT NULL,
  due_at INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX assignments_class ON assignments(class_id, subject_id, due_at);
-- Who an assignment is for when it is not the whole class, and their individual variant.
CREATE TABLE assignment_students (
  assignment_id INTEGER NOT NULL REFERENCES assignments(id) ON DELETE CASCADE,
  student_id INTEGER NOT NULL REFERENCES students(user_id) ON DELETE CASCADE,
  variant TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (assignment_id, student_id)
);
CREATE TABLE attachments (
  id INTEGER PRIMARY KEY,
  assignment_id INTEGER NOT NULL REFERENCES assignments(id) ON DELETE CASCADE,
  student_id INTEGER REFERENCES students(user_id),  -- set: only this student's variant
  sha256 TEXT NOT NULL REFERENCES blobs(sha256),
  filename TEXT NOT NULL,
  content_type TEXT NOT NULL,
  size INTEGER NOT NULL
);
CREATE INDEX attachments_assignment ON attachments(assignment_id);
-- Immutable: a resubmission is a new row.
CREATE TABLE submissions (
  id INTEGER PRIMARY KEY,
  assignment_id INTEGER NOT NULL REFERENCES assignments(id),
  student_id INTEGER NOT NULL REFERENCES students(user_id),
  submitted_by INTEGER NOT NULL REFERENCES users(id),
  body TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  late INTEGER NOT NULL DEFAULT 0,
  via TEXT NOT NULL DEFAULT 'web' CHECK (via IN ('web', 'paper')),
  client TEXT NOT NULL DEFAULT ''
);
CREATE INDEX submissions_thread ON submissions(assignment_id, student_id, id);
CREATE TABLE submission_files (
  id INTEGER PRIMARY KEY,
  submission_id INTEGER NOT NULL REFERENCES submissions(id),
  position INTEGER NOT NULL,
  sha256 TEXT NOT NULL REFERENCES blobs(sha256),
  filename TEXT NOT NULL,
  content_type TEXT NOT NULL,
  size INTEGER NOT NULL
);
CREATE INDEX submission_files_submission ON submission_files(submission_id);
CREATE TABLE comments (
  id INTEGER PRIMARY KEY,
  assignment_id INTEGER NOT NULL REFERENCES assignments(id),
  student_id INTEGER NOT NULL REFERENCES students(user_id),
  author_id INTEGER NOT NULL REFERENCES users(id),
  kind TEXT NOT NULL DEFAULT 'comment' CHECK (kind IN ('comment', 'returned')),
  -- The latest submission when the comment was written: "returned" means that one, whatever
  -- the clock said (a Pi's clock can jump).
  submission_id INTEGER REFERENCES submissions(id),
  body TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX comments_thread ON comments(assignment_id, student_id, id);
CREATE TABLE grades (
  assignment_id INTEGER NOT NULL REFERENCES assignments(id),
  student_id INTEGER NOT NULL REFERENCES students(user_id),
  mark TEXT NOT NULL,
  comment TEXT NOT NULL DEFAULT '',
  teacher_id INTEGER NOT NULL REFERENCES users(id),
  graded_at INTEGER NOT NULL,
  PRIMARY KEY (assignment_id, student_id)
);
)sql",
    // 3: materials library — content packs from the district and teachers' own files
    R"sql(
CREATE TABLE packs (
  id TEXT PRIMARY KEY,
  version INTEGER NOT NULL,
  title TEXT NOT NULL,
  subjects TEXT NOT NULL DEFAULT '',
  grades TEXT NOT NULL DEFAULT '',
  items INTEGER NOT NULL DEFAULT 0,
  bytes INTEGER NOT NULL DEFAULT 0,
  imported_at INTEGER NOT NULL,
  imported_by INTEGER REFERENCES users(id)
);
-- Items of older pack versions stay (listed = 0) so assignments that link them keep working.
CREATE TABLE library_items (
  id INTEGER PRIMARY KEY,
  pack_id TEXT REFERENCES packs(id),
  pack_version INTEGER,
  path TEXT NOT NULL DEFAULT '',
  title TEXT NOT NULL,
  type TEXT NOT NULL,
  size INTEGER NOT NULL,
  sha256 TEXT NOT NULL REFERENCES blobs(sha256),
  subject TEXT NOT NULL DEFAULT '',
  grade INTEGER,
  uploaded_by INTEGER REFERENCES users(id),
  created_at INTEGER NOT NULL,
  listed INTEGER NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX library_pack_path ON library_items(pack_id, pack_version, path)
  WHERE pack_id IS NOT NULL;
CREATE INDEX library_listed ON library_items(listed, subject, grade);
CREATE TABLE assignment_materials (
  assignment_id INTEGER NOT NULL REFERENCES assignments(id) ON DELETE CASCADE,
  item_id INTEGER NOT NULL REFERENCES library_items(id),
  PRIMARY KEY (assignment_id, item_id)
);
)sql",
    // 4: school life — announcements and the distance-learning switch
    R"sql(
CREATE TABLE announcements (
  id INTEGER PRIMARY KEY,
  author_id INTEGER NOT NULL REFERENCES users(id),
  class_id INTEGER REFERENCES classes(id) ON DELETE CASCADE,  -- NULL: the whole school
  title TEXT NOT NULL,
  body TEXT NOT NULL DEFAULT '',
  pinned INTEGER NOT NULL DEFAULT 0,
  distance INTEGER NOT NULL DEFAULT 0,  -- posted by the distance-mode switch
  created_at INTEGER NOT NULL
);
CREATE INDEX announcements_class ON announcements(class_id, id);
ALTER TABLE classes ADD COLUMN distance INTEGER NOT NULL DEFAULT 0;
ALTER TABLE school ADD COLUMN distance INTEGER NOT NULL DEFAULT 0;
)sql",
    // 5: the timetable, per class per school day, published day by day
    R"sql(
CREATE TABLE lessons (
  id INTEGER PRIMARY KEY,
  class_id INTEGER NOT NULL REFERENCES classes(id) ON DELETE CASCADE,
  day TEXT NOT NULL,
  number INTEGER NOT NULL CHECK (number BETWEEN 0 AND 12),
  starts TEXT NOT NULL,
  ends TEXT NOT NULL,
  subject_id INTEGER NOT NULL REFERENCES subjects(id),
  teacher_id INTEGER REFERENCES users(id),
  mode TEXT NOT NULL DEFAULT 'school' CHECK (mode IN ('school', 'online', 'materials')),
  link TEXT NOT NULL DEFAULT '',
  UNIQUE (class_id, day, number)
);
CREATE INDEX lessons_teacher ON lessons(teacher_id, day);
CREATE TABLE schedule_days (
  class_id INTEGER NOT NULL REFERENCES classes(id) ON DELETE CASCADE,
  day TEXT NOT NULL,
  published INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (class_id, day)
);
)sql",
    // 6: the register of school devices lent to students
    R"sql(
CREATE TABLE devices (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  model TEXT NOT NULL DEFAULT '',
  serial TEXT NOT NULL UNIQUE,
  note TEXT NOT NULL DEFAULT ''
);
CREATE TABLE loans (
  id INTEGER PRIMARY KEY,
  device_id INTEGER NOT NULL REFERENCES devices(id),
  student_id INTEGER NOT NULL REFERENCES students(user_id),
  lent_by INTEGER NOT NULL REFERENCES users(id),
  lent_at INTEGER NOT NULL,
  returned_at INTEGER
);
-- A device is with at most one student at a time.
CREATE UNIQUE INDEX loans_open ON loans(device_id) WHERE returned_at IS NULL;
)sql",
    // 7: messages (personal, class and group conversations), groups, and events on the calendar
    R"sql(
CREATE TABLE groups (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  owner_id INTEGER NOT NULL REFERENCES users(id),
  created_at INTEGER NOT NULL
);
CREATE TABLE group_members (
  group_id INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user ON group_members(user_id);
-- A conversation is between two people (direct), of a class (its students and class teacher), or
-- of a group (its members and owner). Who is in it follows the roster, not a copy of it.
CREATE TABLE conversations (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('direct', 'class', 'group')),
  user_a INTEGER REFERENCES users(id) ON DELETE CASCADE,  -- direct: user_a < user_b
  user_b INTEGER REFERENCES users(id) ON DELETE CASCADE,
  class_id INTEGER UNIQUE REFERENCES classes(id) ON DELETE CASCADE,
  group_id INTEGER UNIQUE REFERENCES groups(id) ON DELETE CASCADE,
  closed INTEGER NOT NULL DEFAULT 0,  -- only its moderator may write
  UNIQUE (user_a, user_b)
);
CREATE INDEX conversations_b ON conversations(user_b);
CREATE TABLE messages (
  id INTEGER PRIMARY KEY,
  conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
  author_id INTEGER NOT NULL REFERENCES users(id),
  body TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  removed INTEGER NOT NULL DEFAULT 0  -- hidden by the moderator; kept for the record
);
CREATE INDEX messages_conversation ON messages(conversation_id, id);
CREATE TABLE conversation_reads (
  conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  last_read INTEGER NOT NULL,
  PRIMARY KEY (conversation_id, user_id)
);
CREATE TABLE events (
  id INTEGER PRIMARY KEY,
  title TEXT NOT NULL,
  day TEXT NOT NULL,
  starts TEXT NOT NULL,
  ends TEXT NOT NULL DEFAULT '',
  place TEXT NOT NULL DEFAULT '',
  link TEXT NOT NULL DEFAULT '',
  note TEXT NOT NULL DEFAULT '',
  author_id INTEGER NOT NULL REFERENCES users(id),
  class_id INTEGER REFERENCES classes(id) ON DELETE CASCADE,  -- both NULL: the whole school
  group_id INTEGER REFERENCES groups(id) ON DELETE CASCADE,
  CHECK (class_id IS NULL OR group_id IS NULL)
);
CREATE INDEX events_day ON events(day);
)sql",
    // 8: surveys of a class's students or parents (or the whole school's)
    R"sql(
CREATE TABLE surveys (
  id INTEGER PRIMARY KEY,
  title TEXT NOT NULL,
  intro TEXT NOT NULL DEFAULT '',
  author_id INTEGER NOT NULL REFERENCES users(id),
  class_id INTEGER REFERENCES classes(id) ON DELETE CASCADE,  -- NULL: every class
  audience TEXT NOT NULL CHECK (audience IN ('students', 'parents')),
  open INTEGER NOT NULL DEFAULT 1,
  created_at INTEGER NOT NULL
);
CREATE TABLE survey_questions (
  id INTEGER PRIMARY KEY,
  survey_id INTEGER NOT NULL REFERENCES surveys(id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('single', 'multi', 'text')),
  text TEXT NOT NULL
);
CREATE TABLE survey_options (
  id INTEGER PRIMARY KEY,
  question_id INTEGER NOT NULL REFERENCES survey_questions(id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  text TEXT NOT NULL
);
CREATE TABLE survey_responses (
  id INTEGER PRIMARY KEY,
  survey_id INTEGER NOT NULL REFERENCES surveys(id) ON DELETE CASCADE,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  UNIQUE (survey_id, user_id)
);
CREATE TABLE survey_answers (
  response_id INTEGER NOT NULL REFERENCES survey_responses(id) ON DELETE CASCADE,
  question_id INTEGER NOT NULL REFERENCES survey_questions(id) ON DELETE CASCADE,
  option_id INTEGER REFERENCES survey_options(id) ON DELETE CASCADE,
  text TEXT NOT NULL DEFAULT ''
);
CREATE INDEX survey_answers_question ON survey_answers(question_id);
)sql",
    // 9: monitoring — who opened the portal on which day, and absences recorded by the class
    // teacher
    R"sql(
CREATE TABLE visits (
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  day TEXT NOT NULL,
  first_at INTEGER NOT NULL,
  PRIMARY KEY (user_id, day)
) WITHOUT ROWID;
CREATE INDEX visits_day ON visits(day);
CREATE TABLE absences (
  student_id INTEGER NOT NULL REFERENCES students(user_id) ON DELETE CASCADE,
  day TEXT NOT NULL,
  reason TEXT NOT NULL CHECK (reason IN ('ill', 'family', 'other')),
  note TEXT NOT NULL DEFAULT '',
  recorded_by INTEGER NOT NULL REFERENCES users(id),
  recorded_at INTEGER NOT NULL,
  PRIMARY KEY (student_id, day)
);
CREATE INDEX submissions_created ON submissions(created_at);
)sql",
    // 10: the paper track — print runs of packets, the pickup/return log, scan batches and pages
    R"sql(
CREATE TABLE print_runs (
  id INTEGER PRIMARY KEY,
  run TEXT NOT NULL UNIQUE,  -- the 6-character id printed in every page's code
  assignment_id INTEGER NOT NULL REFERENCES assignments(id),
  created_by INTEGER NOT NULL REFERENCES users(id),
  created_at INTEGER NOT NULL,
  answer_pages INTEGER NOT NULL,
  ruling TEXT NOT NULL CHECK (ruling IN ('lined', 'grid')),
  status TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'making', 'ready', 'failed')),
  done INTEGER NOT NULL DEFAULT 0,
  combined_sha TEXT,
  error TEXT NOT NULL DEFAULT '',
  printer TEXT NOT NULL DEFAULT '',
  print_job INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE packets (
  id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL REFERENCES print_runs(id) ON DELETE CASCADE,
  student_id INTEGER NOT NULL REFERENCES students(user_id),
  pages INTEGER NOT NULL DEFAULT 0,
  pdf_sha TEXT,
  printed_at INTEGER,
  picked_up_at INTEGER,
  picked_up_by TEXT NOT NULL DEFAULT '',
  returned_at INTEGER,
  UNIQUE (run_id, student_id)
);
CREATE TABLE scan_batches (
  id INTEGER PRIMARY KEY,
  uploaded_by INTEGER NOT NULL REFERENCES users(id),
  created_at INTEGER NOT NULL,
  status TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'reading', 'done', 'failed')),
  pages INTEGER NOT NULL DEFAULT 0,
  done INTEGER NOT NULL DEFAULT 0,
  error TEXT NOT NULL DEFAULT ''
);
CREATE TABLE scan_files (
  batch_id INTEGER NOT NULL REFERENCES scan_batches(id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  sha256 TEXT NOT NULL REFERENCES blobs(sha256),
  filename TEXT NOT NULL,
  PRIMARY KEY (batch_id, position)
);
CREATE TABLE scan_pages (
  id INTEGER PRIMARY KEY,
  batch_id INTEGER NOT NULL REFERENCES scan_batches(id),
  source TEXT NOT NULL,  -- which file and page it came from
  position INTEGER NOT NULL,
  image_sha TEXT NOT NULL REFERENCES blobs(sha256),
  status TEXT NOT NULL CHECK (status IN ('read', 'filed', 'review', 'duplicate', 'discarded')),
  reason TEXT NOT NULL DEFAULT '',
  packet_id INTEGER REFERENCES packets(id),
  page INTEGER,
  submission_id INTEGER REFERENCES submissions(id),
  UNIQUE (batch_id, position)
);
CREATE INDEX scan_pages_status ON scan_pages(status);
CREATE UNIQUE INDEX scan_pages_filed_once ON scan_pages(packet_id, page) WHERE status = 'filed';
)sql",
    // 11: sync with the district — this box's identity and epoch, the outbox of travelling
    // changes (filled by triggers in the same transaction as the change), what peers sent and
    // acknowledged, alarms, the district's copy of each school's records, and grade versions.
    R"sql(
CREATE TABLE sync_self (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  device_id TEXT NOT NULL,
  epoch TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('school', 'district')),
  hw_marker TEXT NOT NULL DEFAULT ''
);
-- seq is this box's sequence number; peer '' is "to the district" (a school's only peer), on the
-- district it names the school the entry is for. payload is frozen at first export, so one
-- (epoch, seq) always carries the same content.
CREATE TABLE sync_outbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  epoch TEXT NOT NULL,
  peer TEXT NOT NULL DEFAULT '',
  kind TEXT NOT NULL,
  ref TEXT NOT NULL,
  payload TEXT
);
CREATE INDEX sync_outbox_peer ON sync_outbox(peer, seq);
CREATE TABLE sync_peers (
  device_id TEXT PRIMARY KEY,
  role TEXT NOT NULL CHECK (role IN ('school', 'district')),
  name TEXT NOT NULL DEFAULT '',
  sign_pk TEXT NOT NULL,
  box_pk TEXT NOT NULL,
  certificate TEXT NOT NULL DEFAULT '',
  revoked INTEGER NOT NULL DEFAULT 0,
  enrolled_at INTEGER NOT NULL,
  last_in_at INTEGER,
  last_in_bundle TEXT NOT NULL DEFAULT '',
  last_out_at INTEGER,
  reported_backlog INTEGER NOT NULL DEFAULT 0
);
-- What each peer's stream (device, epoch) has been applied here up to, and the highest sequence
-- it ever announced (a new bundle below that means its database went back in time).
CREATE TABLE sync_streams (
  device TEXT NOT NULL,
  epoch TEXT NOT NULL,
  upto INTEGER NOT NULL DEFAULT 0,
  announced INTEGER NOT NULL DEFAULT 0,
  broken INTEGER NOT NULL DEFAULT 0,  -- reused numbers seen: the sender must start a new epoch
  PRIMARY KEY (device, epoch)
);
-- A hash of every entry applied, so the same (device, epoch, seq) with other content is caught.
CREATE TABLE sync_seen (
  device TEXT NOT NULL,
  epoch TEXT NOT NULL,
  seq INTEGER NOT NULL,
  hash TEXT NOT NULL,
  PRIMARY KEY (device, epoch, seq)
) WITHOUT ROWID;
-- What a peer has acknowledged of this box's stream: the outbox is pruned only up to here.
CREATE TABLE sync_acks (
  peer TEXT NOT NULL,
  epoch TEXT NOT NULL,
  upto INTEGER NOT NULL,
  PRIMARY KEY (peer, epoch)
);
CREATE TABLE sync_bundles (
  bundle_id TEXT NOT NULL,
  direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
  peer TEXT NOT NULL,
  at INTEGER NOT NULL,
  records INTEGER NOT NULL DEFAULT 0,
  bytes INTEGER NOT NULL DEFAULT 0,
  carrier TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (bundle_id, direction)
);
CREATE TABLE sync_alarms (
  id INTEGER PRIMARY KEY,
  peer TEXT NOT NULL,
  kind TEXT NOT NULL,
  detail TEXT NOT NULL,
  at INTEGER NOT NULL,
  resolved INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE sync_revoked (
  device_id TEXT PRIMARY KEY,
  at INTEGER NOT NULL
);
-- The district's copy of every record a school sent (and of its own corrections), by record id.
CREATE TABLE sync_records (
  peer TEXT NOT NULL,
  kind TEXT NOT NULL,
  rid TEXT NOT NULL,
  version INTEGER NOT NULL,
  origin TEXT NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0,
  data TEXT NOT NULL,
  PRIMARY KEY (peer, kind, rid)
);
-- A grade edited on both sides: the losing value, kept for the teacher to see.
CREATE TABLE grade_conflicts (
  id INTEGER PRIMARY KEY,
  assignment_id INTEGER NOT NULL REFERENCES assignments(id) ON DELETE CASCADE,
  student_id INTEGER NOT NULL REFERENCES students(user_id) ON DELETE CASCADE,
  mark TEXT NOT NULL,
  comment TEXT NOT NULL,
  version INTEGER NOT NULL,
  origin TEXT NOT NULL,
  by_name TEXT NOT NULL DEFAULT '',
  noticed_at INTEGER NOT NULL
);
ALTER TABLE grades ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE grades ADD COLUMN origin TEXT NOT NULL DEFAULT '';
ALTER TABLE grades ADD COLUMN by_name TEXT NOT NULL DEFAULT '';
ALTER TABLE assignments ADD COLUMN uid TEXT;
ALTER TABLE submissions ADD COLUMN uid TEXT;
ALTER TABLE comments ADD COLUMN uid TEXT;
ALTER TABLE announcements ADD COLUMN uid TEXT;
UPDATE assignments SET uid = lower(hex(randomblob(16)));
UPDATE submissions SET uid = lower(hex(randomblob(16)));
UPDATE comments SET uid = lower(hex(randomblob(16)));
CREATE UNIQUE INDEX assignments_uid ON assignments(uid);
CREATE UNIQUE INDEX submissions_uid ON submissions(uid);
CREATE UNIQUE INDEX comments_uid ON comments(uid);
CREATE UNIQUE INDEX announcements_uid ON announcements(uid);

-- The triggers record a travelling change in the same transaction as the change. They only fire
-- on a school box with an identity (sync_self), and never for changes an import makes: those
-- set uid/version themselves.
CREATE TRIGGER sync_assignment_new AFTER INSERT ON assignments WHEN NEW.uid IS NULL BEGIN
  UPDATE assignments SET uid = lower(hex(randomblob(16))) WHERE id = NEW.id;
  INSERT INTO sync_outbox (epoch, kind, ref)
    SELECT epoch, 'assignment', NEW.id FROM sync_self WHERE role = 'school';
END;
CREATE TRIGGER sync_assignment_edit AFTER UPDATE ON assignments
  WHEN OLD.uid IS NOT NULL AND NEW.uid IS OLD.uid BEGIN
  INSERT INTO sync_outbox (epoch, kind, ref)
    SELECT epoch, 'assignment', NEW.id FROM sync_self WHERE role = 'school';
END;
CREATE TRIGGER sync_submission_new AFTER INSERT ON submissions WHEN NEW.uid IS NULL BEGIN
  UPDATE submissions SET uid = lower(hex(randomblob(16))) WHERE id = NEW.id;
  INSERT INTO sync_outbox (epoch, kind, ref)
    SELECT epoch, 'submission', NEW.id FROM sync_self WHERE role = 'school';
END;
CREATE TRIGGER sync_comment_new AFTER INSERT ON comments WHEN NEW.uid IS NULL BEGIN
  UPDATE comments SET uid = lower(hex(randomblob(16))) WHERE id = NEW.id;
  INSERT INTO sync_outbox (epoch, kind, ref)
    SELECT epoch, 'comment', NEW.id FROM sync_self WHERE role = 'school';
END;
CREATE TRIGGER sync_grade_new AFTER INSERT ON grades WHEN NEW.version = 0 BEGIN
  UPDATE grades SET version = 1, origin = coalesce((SELECT device_id FROM sync_self), '')
    WHERE assignment_id = NEW.assignment_id AND student_id = NEW.student_id;
  INSERT INTO sync_outbox (epoch, kind, ref)
    SELECT epoch, 'grade', NEW.assignment_id || '/' || NEW.student_id FROM sync_self
    WHERE role = 'school';
END;
CREATE TRIGGER sync_grade_edit AFTER UPDATE OF mark, comment, teacher_id ON grades
  WHEN NEW.version = OLD.version AND NEW.origin IS OLD.origin BEGIN
  UPDATE grades SET version = OLD.version + 1,
    origin = coalesce((SELECT device_id FROM sync_self), ''), by_name = ''
    WHERE assignment_id = NEW.assignment_id AND student_id = NEW.student_id;
  INSERT INTO sync_outbox (epoch, kind, ref)
    SELECT epoch, 'grade', NEW.assignment_id || '/' || NEW.student_id FROM sync_self
    WHERE role = 'school';
END;
CREATE TRIGGER sync_absence_new AFTER INSERT ON absences BEGIN
  INSERT INTO sync_outbox (epoch, kind, ref)
    SELECT epoch, 'absence', NEW.student_id || '/' || NEW.day FROM sync_self WHERE role = 'school';
END;
CREATE TRIGGER sync_absence_edit AFTER UPDATE ON absences BEGIN
  INSERT INTO sync_outbox (epoch, kind, ref)
    SELECT epoch, 'absence', NEW.student_id || '/' || NEW.day FROM sync_self WHERE role = 'school';
END;
CREATE TRIGGER sync_absence_gone AFTER DELETE ON absences BEGIN
  INSERT INTO sync_outbox (epoch, kind, ref, payload)
    SELECT epoch, 'absence', OLD.student_id || '/' || OLD.day, NULL FROM sync_self
    WHERE role = 'school';
END;
CREATE TRIGGER sync_visit_new AFTER INSERT ON visits BEGIN
  INSERT INTO sync_outbox (epoch, kind, ref)
    SELECT epoch, 'visit', NEW.user_id || '/' || NEW.day FROM sync_self WHERE role = 'school';
END;
)sql",
    // 12 (lead, single writer): who signed each content pack (a pack id belongs to its signer:
    // the district's key, or '' for a pack an administrator imported unsigned); the account that
    // district announcements and packs are posted under gets a login no person can have; a
    // student's date of birth, and whether the import made up the student's ID (the file had
    // none; a real one found later replaces it).
    R"sql(
ALTER TABLE packs ADD COLUMN signer TEXT NOT NULL DEFAULT '';
ALTER TABLE students ADD COLUMN birth_date TEXT NOT NULL DEFAULT '';
ALTER TABLE students ADD COLUMN id_generated INTEGER NOT NULL DEFAULT 0;
UPDATE users SET login = '@district'
  WHERE login = 'district' AND secret_hash = '!' AND active = 0
    AND NOT EXISTS (SELECT 1 FROM users WHERE login = '@district');
)sql",
    // 13 (paper helper): tries at a print run or scan batch, so a job that crashes the paper helper
    // (or partad) is given up after three instead of retried in a loop.
    R"sql(
ALTER TABLE print_runs ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE scan_batches ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
)sql",
    // 14 (no GET changes state): a class's and a group's
    // conversation come with the class or the group, made by a trigger in the same transaction
    // whatever makes one (the admin, a roster import, a sync), so opening a page never has to
    // create one; the ones missing are made here.
    R"sql(
CREATE TRIGGER class_conversation AFTER INSERT ON classes BEGIN
  INSERT OR IGNORE INTO conversations (kind, class_id) VALUES ('class', NEW.id);
END;
CREATE TRIGGER group_conversation AFTER INSERT ON groups BEGIN
  INSERT OR IGNORE INTO conversations (kind, group_id) VALUES ('group', NEW.id);
END;
INSERT OR IGNORE INTO conversations (kind, class_id) SELECT 'class', id FROM classes;
INSERT OR IGNORE INTO conversations (kind, group_id) SELECT 'group', id FROM groups;
)sql",
    // 15 (issue 22): a school year on the box. Indexes for every lookup a page makes
    // (checked with EXPLAIN QUERY PLAN on a generated year); each user's unread count kept as
    // messages and reads come, so the badge on every page is one lookup; a change counter per
    // class that cached per-class figures (the at-risk list) are checked against.
    "CREATE INDEX grades_student ON grades(student_id, graded_at);"
    "CREATE INDEX assignment_students_student ON assignment_students(student_id);"
    "CREATE INDEX assignments_due ON assignments(class_id, due_at);"
    "CREATE INDEX assignments_teacher ON assignments(teacher_id, due_at);"
    "CREATE INDEX assignments_created ON assignments(class_id, created_at);"
    "CREATE INDEX submissions_student ON submissions(student_id, created_at);"
    "CREATE INDEX classes_teacher ON classes(class_teacher_id);"
    "CREATE INDEX groups_owner ON groups(owner_id);"
    "DROP INDEX announcements_class;"
    "CREATE INDEX announcements_board ON announcements(class_id, pinned, id);"
    "CREATE INDEX announcements_pinned ON announcements(pinned, id);"
    "CREATE INDEX print_runs_assignment ON print_runs(assignment_id);"
    "CREATE INDEX survey_questions_survey ON survey_questions(survey_id, position);"
    "CREATE INDEX survey_options_question ON survey_options(question_id, position);"
    "CREATE INDEX survey_answers_response ON survey_answers(response_id);"
    // Unread messages per user (what the menu's badge shows), one row per user.
    "CREATE TABLE unread_counts ("
    "  user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,"
    "  n INTEGER NOT NULL);"
    PARTA_RECOUNT_IN("SELECT id FROM users")
    "CREATE TRIGGER unread_user AFTER INSERT ON users BEGIN "
    "  INSERT INTO unread_counts (user_id, n) SELECT NEW.id, 0 WHERE NOT EXISTS (SELECT 1 FROM "
    "  unread_counts WHERE user_id = NEW.id); END;"
    "CREATE TRIGGER unread_message AFTER INSERT ON messages WHEN NEW.removed = 0 BEGIN " PARTA_UNREAD_STEP("NEW", "1") " END;"
    "CREATE TRIGGER unread_message_hidden AFTER UPDATE OF removed ON messages "
    "  WHEN OLD.removed != NEW.removed BEGIN "
    PARTA_UNREAD_STEP("NEW", "CASE WHEN NEW.removed THEN -1 ELSE 1 END") " END;"
    // A message deleted from a conversation that still exists (a conversation's own deletion
    // recounts its members below).
    "CREATE TRIGGER unread_message_gone AFTER DELETE ON messages WHEN OLD.removed = 0 BEGIN "
    PARTA_UNREAD_STEP("OLD", "-1") " END;"
    "CREATE TRIGGER unread_message_moved AFTER UPDATE OF conversation_id, author_id ON messages "
    "  BEGIN " PARTA_RECOUNT_IN("SELECT id FROM users") " END;"
    "CREATE TRIGGER unread_read_new AFTER INSERT ON conversation_reads BEGIN "
    PARTA_UNREAD_READ("0") " END;"
    "CREATE TRIGGER unread_read AFTER UPDATE OF last_read ON conversation_reads "
    "  WHEN NEW.last_read >= OLD.last_read BEGIN " PARTA_UNREAD_READ("OLD.last_read") " END;"
    "CREATE TRIGGER unread_read_back AFTER UPDATE ON conversation_reads "
    "  WHEN NEW.last_read < OLD.last_read OR NEW.user_id != OLD.user_id OR "
    "  NEW.conversation_id != OLD.conversation_id BEGIN " PARTA_RECOUNT("OLD.user_id")
    PARTA_RECOUNT("NEW.user_id") " END;"
    "CREATE TRIGGER unread_read_gone AFTER DELETE ON conversation_reads BEGIN "
    PARTA_RECOUNT("OLD.user_id") " END;"
    // Who belongs where changed: those people are counted again.
    "CREATE TRIGGER unread_student AFTER INSERT ON students BEGIN " PARTA_RECOUNT("NEW.user_id") " END;"
    "CREATE TRIGGER unread_student_moved AFTER UPDATE OF class_id ON students BEGIN "
    PARTA_RECOUNT("NEW.user_id") " END;"
    "CREATE TRIGGER unread_student_gone AFTER DELETE ON students BEGIN " PARTA_RECOUNT("OLD.user_id") " END;"
    "CREATE TRIGGER unread_class_teacher AFTER UPDATE OF class_teacher_id ON classes BEGIN "
    PARTA_RECOUNT("OLD.class_teacher_id") PARTA_RECOUNT("NEW.class_teacher_id") " END;"
    "CREATE TRIGGER unread_member AFTER INSERT ON group_members BEGIN " PARTA_RECOUNT("NEW.user_id") " END;"
    "CREATE TRIGGER unread_member_gone AFTER DELETE ON group_members BEGIN "
    PARTA_RECOUNT("OLD.user_id") " END;"
    "CREATE TRIGGER unread_owner AFTER UPDATE OF owner_id ON groups BEGIN "
    PARTA_RECOUNT("OLD.owner_id") PARTA_RECOUNT("NEW.owner_id") " END;"
    "CREATE TRIGGER unread_group_gone AFTER DELETE ON groups BEGIN " PARTA_RECOUNT("OLD.owner_id") " END;"
    "CREATE TRIGGER unread_conversation_gone AFTER DELETE ON conversations BEGIN "
    PARTA_RECOUNT_IN("SELECT OLD.user_a UNION SELECT OLD.user_b UNION SELECT user_id FROM "
                     "students WHERE class_id = OLD.class_id UNION SELECT class_teacher_id FROM "
                     "classes WHERE id = OLD.class_id UNION SELECT user_id FROM group_members "
                     "WHERE group_id = OLD.group_id UNION SELECT owner_id FROM groups WHERE id = "
                     "OLD.group_id") " END;"
    "CREATE TRIGGER unread_conversation_moved AFTER UPDATE OF user_a, user_b, class_id, group_id "
    "  ON conversations BEGIN " PARTA_RECOUNT_IN("SELECT id FROM users") " END;"
    // Changes per class: what the cached at-risk figures of a class depend on.
    "CREATE TABLE class_changes ("
    "  class_id INTEGER PRIMARY KEY,"
    "  n INTEGER NOT NULL);"
    "CREATE TRIGGER changes_submission AFTER INSERT ON submissions BEGIN "
    PARTA_BUMP_STUDENT("NEW.student_id") " END;"
    "CREATE TRIGGER changes_submission_gone AFTER DELETE ON submissions BEGIN "
    PARTA_BUMP_STUDENT("OLD.student_id") " END;"
    "CREATE TRIGGER changes_grade AFTER INSERT ON grades BEGIN " PARTA_BUMP_STUDENT("NEW.student_id") " END;"
    "CREATE TRIGGER changes_grade_edit AFTER UPDATE OF mark, graded_at, student_id ON grades BEGIN "
    PARTA_BUMP_STUDENT("NEW.student_id") PARTA_BUMP_STUDENT("OLD.student_id") " END;"
    "CREATE TRIGGER changes_grade_gone AFTER DELETE ON grades BEGIN "
    PARTA_BUMP_STUDENT("OLD.student_id") " END;"
    "CREATE TRIGGER changes_assignment AFTER INSERT ON assignments BEGIN " PARTA_BUMP("NEW.class_id") " END;"
    "CREATE TRIGGER changes_assignment_edit AFTER UPDATE OF class_id, whole_class, publish_at, "
    "  due_at ON assignments BEGIN " PARTA_BUMP("NEW.class_id") PARTA_BUMP("OLD.class_id") " END;"
    "CREATE TRIGGER changes_assignment_gone AFTER DELETE ON assignments BEGIN "
    PARTA_BUMP("OLD.class_id") " END;"
    "CREATE TRIGGER changes_assigned AFTER INSERT ON assignment_students BEGIN "
    PARTA_BUMP_STUDENT("NEW.student_id") " END;"
    "CREATE TRIGGER changes_assigned_gone AFTER DELETE ON assignment_students BEGIN "
    PARTA_BUMP_STUDENT("OLD.student_id") " END;"
    "CREATE TRIGGER changes_visit AFTER INSERT ON visits BEGIN " PARTA_BUMP_STUDENT("NEW.user_id") " END;"
    "CREATE TRIGGER changes_visit_gone AFTER DELETE ON visits BEGIN " PARTA_BUMP_STUDENT("OLD.user_id") " END;"
    "CREATE TRIGGER changes_student AFTER INSERT ON students BEGIN " PARTA_BUMP("NEW.class_id") " END;"
    "CREATE TRIGGER changes_student_edit AFTER UPDATE OF class_id, paper ON students BEGIN "
    PARTA_BUMP("NEW.class_id") PARTA_BUMP("OLD.class_id") " END;"
    "CREATE TRIGGER changes_student_gone AFTER DELETE ON students BEGIN " PARTA_BUMP("OLD.class_id") " END;"
    // The district hub: each school's records counted as they arrive, not on every view.
    "CREATE TABLE sync_record_counts ("
    "  peer TEXT PRIMARY KEY,"
    "  n INTEGER NOT NULL) WITHOUT ROWID;"
    "INSERT INTO sync_record_counts (peer, n) SELECT peer, COUNT(*) FROM sync_records "
    "  WHERE deleted = 0 AND kind != 'grade-lost' GROUP BY peer;"
    // (Update, then insert when missing: see PARTA_BUMP.)
    "CREATE TRIGGER records_count AFTER INSERT ON sync_records "
    "  WHEN NEW.deleted = 0 AND NEW.kind != 'grade-lost' BEGIN "
    "  UPDATE sync_record_counts SET n = n + 1 WHERE peer = NEW.peer;"
    "  INSERT INTO sync_record_counts (peer, n) SELECT NEW.peer, 1 WHERE NOT EXISTS "
    "  (SELECT 1 FROM sync_record_counts WHERE peer = NEW.peer); END;"
    "CREATE TRIGGER records_count_gone AFTER DELETE ON sync_records "
    "  WHEN OLD.deleted = 0 AND OLD.kind != 'grade-lost' BEGIN "
    "  UPDATE sync_record_counts SET n = n - 1 WHERE peer = OLD.peer; END;"
    "CREATE TRIGGER records_count_edit AFTER UPDATE OF deleted, kind, peer ON sync_records BEGIN "
    "  UPDATE sync_record_counts SET n = n - 1 WHERE peer = OLD.peer AND OLD.deleted = 0 AND "
    "  OLD.kind != 'grade-lost';"
    "  UPDATE sync_record_counts SET n = n + 1 WHERE peer = NEW.peer AND NEW.deleted = 0 AND "
    "  NEW.kind != 'grade-lost';"
    "  INSERT INTO sync_record_counts (peer, n) SELECT NEW.peer, 1 WHERE NEW.deleted = 0 AND "
    "  NEW.kind != 'grade-lost' AND NOT EXISTS (SELECT 1 FROM sync_record_counts WHERE peer = "
    "  NEW.peer); END;"
    // What waits in the outbox per peer (the sync pages' backlog; a box that has not synced all
    // year has the whole year there).
    "CREATE TABLE sync_outbox_counts ("
    "  peer TEXT PRIMARY KEY,"
    "  n INTEGER NOT NULL) WITHOUT ROWID;"
    "INSERT INTO sync_outbox_counts (peer, n) SELECT peer, COUNT(*) FROM sync_outbox GROUP BY peer;"
    "CREATE TRIGGER outbox_count AFTER INSERT ON sync_outbox BEGIN "
    "  UPDATE sync_outbox_counts SET n = n + 1 WHERE peer = NEW.peer;"
    "  INSERT INTO sync_outbox_counts (peer, n) SELECT NEW.peer, 1 WHERE NOT EXISTS "
    "  (SELECT 1 FROM sync_outbox_counts WHERE peer = NEW.peer); END;"
    "CREATE TRIGGER outbox_count_gone AFTER DELETE ON sync_outbox BEGIN "
    "  UPDATE sync_outbox_counts SET n = n - 1 WHERE peer = OLD.peer; END;"
    "CREATE TRIGGER outbox_count_moved AFTER UPDATE OF peer ON sync_outbox BEGIN "
    "  UPDATE sync_outbox_counts SET n = n - 1 WHERE peer = OLD.peer;"
    "  UPDATE sync_outbox_counts SET n = n + 1 WHERE peer = NEW.peer;"
    "  INSERT INTO sync_outbox_counts (peer, n) SELECT NEW.peer, 1 WHERE NOT EXISTS "
    "  (SELECT 1 FROM sync_outbox_counts WHERE peer = NEW.peer); END;",
    // 16 (wip/ui2, issue 16 item 8): read marks, so a teacher sees new hand-ins and both sides
    // see new comments and marks. A reader's mark per assignment thread: the last submission and
    // comment they were shown (ids, not times: a Pi's clock can jump) and the time of the mark
    // they saw; and when a student last looked at their marks. Threads and marks already on the
    // box count as seen by their teacher and their student, so nothing old turns up as new.
    R"sql(
CREATE TABLE thread_reads (
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  assignment_id INTEGER NOT NULL REFERENCES assignments(id) ON DELETE CASCADE,
  student_id INTEGER NOT NULL,
  submission_seen INTEGER NOT NULL DEFAULT 0,
  comment_seen INTEGER NOT NULL DEFAULT 0,
  grade_seen INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (user_id, assignment_id, student_id)
) WITHOUT ROWID;
CREATE TABLE marks_seen (
  user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
  seen_at INTEGER NOT NULL
);
INSERT OR IGNORE INTO thread_reads (user_id, assignment_id, student_id, submission_seen,
                                    comment_seen, grade_seen)
  SELECT r.id, t.assignment_id, t.student_id,
    COALESCE((SELECT MAX(id) FROM submissions s WHERE s.assignment_id = t.assignment_id AND
              s.student_id = t.student_id), 0),
    COALESCE((SELECT MAX(id) FROM comments m WHERE m.assignment_id = t.assignment_id AND
              m.student_id = t.student_id), 0),
    COALESCE((SELECT graded_at FROM grades g WHERE g.assignment_id = t.assignment_id AND
              g.student_id = t.student_id), 0)
  FROM (SELECT assignment_id, student_id FROM submissions UNION
        SELECT assignment_id, student_id FROM comments UNION
        SELECT assignment_id, student_id FROM grades) t
  JOIN assignments a ON a.id = t.assignment_id
  JOIN (SELECT 0 AS who UNION ALL SELECT 1) w
  JOIN users r ON r.id = CASE w.who WHEN 0 THEN a.teacher_id ELSE t.student_id END;
INSERT INTO marks_seen (user_id, seen_at) SELECT user_id, COALESCE(MAX(graded_at), 0)
  FROM students LEFT JOIN grades ON grades.student_id = students.user_id GROUP BY user_id;
)sql",
    // 17 (wip/ui, issue 16): distance learning ordered from a date ("from Monday"): the banner
    // shows from that day on (NULL: from when it was switched on).
    "ALTER TABLE school ADD COLUMN distance_from TEXT;"
    "ALTER TABLE classes ADD COLUMN distance_from TEXT;",
    // 18 (issue 19): ZIM archives in the library (the file is DATA/zim/<uuid>.zim), and articles
    // of them attached to assignments. An attached article names its archive by uuid, so it comes
    // back when the same archive is added again after a removal.
    R"sql(
CREATE TABLE zim_archives (
  id INTEGER PRIMARY KEY,
  uuid TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL DEFAULT '',
  title TEXT NOT NULL,
  language TEXT NOT NULL DEFAULT '',
  description TEXT NOT NULL DEFAULT '',
  date TEXT NOT NULL DEFAULT '',
  size INTEGER NOT NULL,
  articles INTEGER NOT NULL DEFAULT 0,
  media INTEGER NOT NULL DEFAULT 0,
  fulltext INTEGER NOT NULL DEFAULT 0,
  main_path TEXT NOT NULL DEFAULT '',
  added_at INTEGER NOT NULL,
  added_by INTEGER REFERENCES users(id)
);
CREATE TABLE assignment_articles (
  assignment_id INTEGER NOT NULL REFERENCES assignments(id) ON DELETE CASCADE,
  archive_uuid TEXT NOT NULL,
  path TEXT NOT NULL,
  title TEXT NOT NULL,
  PRIMARY KEY (assignment_id, archive_uuid, path)
);
)sql",
    // 19 (issue 18): how many valid codes were read on each scanned page (NULL: read before).
    "ALTER TABLE scan_pages ADD COLUMN codes INTEGER;",
    // 20: each conversation keeps the id of its latest message (0: none yet), kept by triggers,
    // so a teacher's message list is read newest first from an index a page at a time instead of
    // looking up the latest message of every conversation they ever had.
    R"sql(
ALTER TABLE conversations ADD COLUMN last_message INTEGER NOT NULL DEFAULT 0;
UPDATE conversations SET last_message =
  COALESCE((SELECT MAX(id) FROM messages m WHERE m.conversation_id = conversations.id), 0);
DROP INDEX conversations_b;
CREATE INDEX conversations_a_last ON conversations(user_a, last_message);
CREATE INDEX conversations_b_last ON conversations(user_b, last_message);
CREATE TRIGGER conversation_last_new AFTER INSERT ON messages BEGIN
  UPDATE conversations SET last_message = NEW.id
    WHERE id = NEW.conversation_id AND last_message < NEW.id;
END;
CREATE TRIGGER conversation_last_gone AFTER DELETE ON messages BEGIN
  UPDATE conversations SET last_message = COALESCE((SELECT MAX(id) FROM messages m
    WHERE m.conversation_id = OLD.conversation_id), 0)
    WHERE id = OLD.conversation_id AND last_message = OLD.id;
END;
)sql",
    // 21 (issue 20): the travel copy of a photo or scan handed in (what goes to the district in
    // its place; copy NULL: the original travels, `why` says why), the files each peer is known
    // to hold (sent and acknowledged, or received from it), which never travel to it again, those
    // a peer left out believing this box held them (asked for again), the packs a district sent
    // as manifest and items (kept, so an item a school lost can be sent again), the link budget
    // as last counted, and the originals the district asked for.
    R"sql(
CREATE TABLE travel_copies (
  original TEXT PRIMARY KEY,
  copy TEXT,
  bytes INTEGER NOT NULL,
  original_bytes INTEGER NOT NULL,
  width INTEGER NOT NULL DEFAULT 0,
  height INTEGER NOT NULL DEFAULT 0,
  grey INTEGER NOT NULL DEFAULT 0,
  cropped INTEGER NOT NULL DEFAULT 0,
  made_at INTEGER NOT NULL,
  why TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
CREATE INDEX sync_outbox_unfrozen ON sync_outbox(kind) WHERE payload IS NULL;
CREATE INDEX submission_files_sha ON submission_files(sha256);
CREATE TABLE sync_peer_blobs (
  peer TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  PRIMARY KEY (peer, sha256)
) WITHOUT ROWID;
CREATE TABLE sync_wanted_blobs (
  peer TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  PRIMARY KEY (peer, sha256)
) WITHOUT ROWID;
CREATE TABLE district_packs (
  manifest TEXT PRIMARY KEY,
  pack_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  title TEXT NOT NULL DEFAULT '',
  items TEXT NOT NULL,
  sent_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE sync_link_budget (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  records INTEGER NOT NULL,
  files INTEGER NOT NULL,
  record_bytes INTEGER NOT NULL,
  file_bytes INTEGER NOT NULL,
  saved_bytes INTEGER NOT NULL,
  copies_waiting INTEGER NOT NULL,
  at INTEGER NOT NULL
);
CREATE TABLE original_requests (
  peer TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  submission TEXT NOT NULL,
  asked_at INTEGER NOT NULL,
  PRIMARY KEY (peer, sha256)
) WITHOUT ROWID;
)sql",
    // 22 (issue 17): a record this box could not apply is refused alone (the rest of its bundle
    // applies); the refusal, with its reason, goes back to the sender as a record of its own and
    // shows on both admin pages. `side`: 'here' this box refused a record of `peer`'s, 'there'
    // `peer` refused one of this box's. The sender may withdraw a record (`withdrawn_at`): a
    // refused one no longer counts as a problem, an applied announcement is taken down. And the
    // district's time offered to the admin when it is far ahead of a confirmed clock.
    R"sql(
CREATE TABLE sync_refusals (
  id INTEGER PRIMARY KEY,
  side TEXT NOT NULL CHECK (side IN ('here', 'there')),
  peer TEXT NOT NULL,
  epoch TEXT NOT NULL,
  seq INTEGER NOT NULL,
  kind TEXT NOT NULL,
  rid TEXT NOT NULL,
  what TEXT NOT NULL DEFAULT '',
  reason TEXT NOT NULL,
  at INTEGER NOT NULL,
  withdrawn_at INTEGER,
  UNIQUE (side, peer, epoch, seq)
);
CREATE INDEX sync_refusals_open ON sync_refusals (peer, side) WHERE withdrawn_at IS NULL;
CREATE INDEX sync_outbox_kind_ref ON sync_outbox (peer, kind, ref);
-- `what`: the record as people know it (an announcement's title, a roster's or pack's file).
-- A district time too far ahead of a box clock that is confirmed: offered to the admin, not taken
-- (a hub with a wrong clock would move every school forward for good).
CREATE TABLE clock_offers (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  offered INTEGER NOT NULL,
  box_time INTEGER NOT NULL,
  source TEXT NOT NULL
);
)sql",
    // 23 (issue 18): a scan batch keeps the files it could read and names those it left out (a
    // HEIC photo, an empty file, a document that is not a scan), each with its reason: one bad
    // file no longer refuses the whole upload. JSON: [{"name": "IMG_1.HEIC", "why": msgid}].
    R"sql(
ALTER TABLE scan_batches ADD COLUMN left_out TEXT NOT NULL DEFAULT '[]';
)sql",
    // 24 (issue 18): a quiz belongs to an assignment: its questions (JSON, domain/quiz_store.cpp),
    // how many attempts a student has and the teacher's scale; attempts and their answers saved
    // page by page (`share`: the part of the question's points earned, NULL while the teacher has
    // not marked an open answer; `marked_by` set when the teacher did).
    R"sql(
CREATE TABLE quizzes (
  assignment_id INTEGER PRIMARY KEY REFERENCES assignments(id) ON DELETE CASCADE,
  attempts INTEGER NOT NULL DEFAULT 1 CHECK (attempts BETWEEN 1 AND 10),
  per_page INTEGER NOT NULL DEFAULT 5 CHECK (per_page BETWEEN 1 AND 50),
  five INTEGER NOT NULL DEFAULT 85,
  four INTEGER NOT NULL DEFAULT 65,
  three INTEGER NOT NULL DEFAULT 45,
  updated_at INTEGER NOT NULL
);
CREATE TABLE quiz_questions (
  assignment_id INTEGER NOT NULL REFERENCES quizzes(assignment_id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  data TEXT NOT NULL,
  PRIMARY KEY (assignment_id, position)
);
CREATE TABLE quiz_attempts (
  id INTEGER PRIMARY KEY,
  assignment_id INTEGER NOT NULL REFERENCES quizzes(assignment_id) ON DELETE CASCADE,
  student_id INTEGER NOT NULL REFERENCES students(user_id),
  number INTEGER NOT NULL,
  started_at INTEGER NOT NULL,
  finished_at INTEGER,
  late INTEGER NOT NULL DEFAULT 0,
  score REAL NOT NULL DEFAULT 0,
  max REAL NOT NULL DEFAULT 0,
  waiting INTEGER NOT NULL DEFAULT 0,
  UNIQUE (assignment_id, student_id, number)
);
CREATE INDEX quiz_attempts_student ON quiz_attempts (student_id);
CREATE TABLE quiz_answers (
  attempt_id INTEGER NOT NULL REFERENCES quiz_attempts(id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  answer TEXT NOT NULL,
  share REAL,
  marked_by INTEGER REFERENCES users(id),
  saved_at INTEGER NOT NULL,
  PRIMARY KEY (attempt_id, position)
);
)sql",
    // 25 (issue 18): the quiz on paper. Where a packet's quiz answer places were printed (JSON,
    // printer/packet.hpp AnswerBox) and what was read in them on a scanned page (JSON: rows
    // decided or not, frames written in, crops as blob hashes), each in a table of its own: a
    // wider packets or scan_pages row changes SQLite's estimates, and with them the plans of the
    // paper pages' counts. An attempt made from a packet names it. An answer read from paper may
    // carry a crop for the teacher (a handwritten answer, or a row the page does not say plainly)
    // and why it waits (`doubt`: "faint", "full", "beside", "two", "lost"; "missing": its page
    // has not come back).
    R"sql(
CREATE TABLE packet_layouts (
  packet_id INTEGER PRIMARY KEY REFERENCES packets(id) ON DELETE CASCADE,
  boxes TEXT NOT NULL
);
CREATE TABLE scan_page_boxes (
  scan_page_id INTEGER PRIMARY KEY REFERENCES scan_pages(id) ON DELETE CASCADE,
  boxes TEXT NOT NULL
);
ALTER TABLE quiz_attempts ADD COLUMN packet_id INTEGER REFERENCES packets(id);
CREATE UNIQUE INDEX quiz_attempts_packet ON quiz_attempts (packet_id) WHERE packet_id IS NOT NULL;
ALTER TABLE quiz_answers ADD COLUMN crop TEXT NOT NULL DEFAULT '';
ALTER TABLE quiz_answers ADD COLUMN doubt TEXT NOT NULL DEFAULT '';
)sql",
    // 26 (issue 17, district reports and shared content): a school sends its week's monitoring figures as a record
    // ('week', ref: the Monday); what it sent last for each week is kept, so a week travels again
    // only when its figures changed. The hub keeps every school's figures by week, class and
    // subject as they arrive, with each school's and the district's sums beside them (moved by
    // the difference when a school's week comes again), so a report never adds up records.
    R"sql(
CREATE TABLE sync_week_sent (
  monday TEXT PRIMARY KEY,
  data TEXT NOT NULL
);
CREATE TABLE district_week_classes (
  monday TEXT NOT NULL, peer TEXT NOT NULL, class TEXT NOT NULL,
  students INTEGER NOT NULL, active INTEGER NOT NULL, at_risk INTEGER NOT NULL,
  submitted INTEGER NOT NULL, on_paper INTEGER NOT NULL, paper_students INTEGER NOT NULL,
  absences INTEGER NOT NULL,
  PRIMARY KEY (monday, peer, class)
) WITHOUT ROWID;
CREATE TABLE district_week_subjects (
  monday TEXT NOT NULL, peer TEXT NOT NULL, class TEXT NOT NULL, subject TEXT NOT NULL,
  assignments INTEGER NOT NULL, submitted INTEGER NOT NULL, marks INTEGER NOT NULL,
  PRIMARY KEY (monday, peer, class, subject)
) WITHOUT ROWID;
CREATE TABLE district_week_schools (
  monday TEXT NOT NULL, peer TEXT NOT NULL,
  students INTEGER NOT NULL, active INTEGER NOT NULL, at_risk INTEGER NOT NULL,
  submitted INTEGER NOT NULL, on_paper INTEGER NOT NULL, paper_students INTEGER NOT NULL,
  absences INTEGER NOT NULL,
  PRIMARY KEY (monday, peer)
) WITHOUT ROWID;
CREATE TABLE district_week_totals (
  monday TEXT PRIMARY KEY, schools INTEGER NOT NULL,
  students INTEGER NOT NULL, active INTEGER NOT NULL, at_risk INTEGER NOT NULL,
  submitted INTEGER NOT NULL, on_paper INTEGER NOT NULL, paper_students INTEGER NOT NULL,
  absences INTEGER NOT NULL
) WITHOUT ROWID;
-- The hub: files that go to many schools (a content pack's items) compressed once as a bundle frame
-- (content/bundle write_blob_frame) under data/sync/frames, recorded after it is durable; every
-- school's return bundle takes the frame as it is.
-- Named by the SHA-256 of the files' SHA-256s in order (`key`).
CREATE TABLE sync_blob_frames (
  key TEXT NOT NULL, level INTEGER NOT NULL,
  bytes INTEGER NOT NULL, plain INTEGER NOT NULL, count INTEGER NOT NULL, hash TEXT NOT NULL,
  PRIMARY KEY (key, level)
) WITHOUT ROWID;
CREATE TABLE district_week_subject_totals (
  monday TEXT NOT NULL, subject TEXT NOT NULL,
  assignments INTEGER NOT NULL, submitted INTEGER NOT NULL, marks INTEGER NOT NULL,
  PRIMARY KEY (monday, subject)
) WITHOUT ROWID;
)sql",
    // 27 (issue 17): a frame of shared files remembers when a bundle last took it; one no bundle
    // took for kFrameKeepDays is removed (made again if a school still needs it).
    R"sql(
ALTER TABLE sync_blob_frames ADD COLUMN used_at INTEGER NOT NULL DEFAULT 0;
UPDATE sync_blob_frames SET used_at = CAST(strftime('%s', 'now') AS INTEGER);
)sql",
};

}  // namespace

namespace {

// A district hub's PostgreSQL database made from the schema the migrations make on SQLite (tables
// in the order their references need, indexes, the rows the migrations put in, then triggers), in
// one transaction under an advisory lock: the first of several hub processes starting together
// creates it, the others find it made.
void migrate_postgres(Connection& pg) {
  pg.exec("BEGIN");
  try {
    pg.run("SELECT pg_advisory_xact_lock(hashtext('parta schema'))");
    pg.exec_native(
        "CREATE TABLE IF NOT EXISTS parta_schema (id INTEGER PRIMARY KEY CHECK (id = 1), "
        "version INTEGER NOT NULL)");
    const int version = static_cast<int>(pg.scalar("SELECT version FROM parta_schema").value_or(0));
    if (version == kSchemaVersion) {
      pg.exec("COMMIT");
      return;
    }
    if (version != 0)
      throw DbError(SQLITE_ERROR, "the hub's PostgreSQL database has schema version " +
                                      std::to_string(version) + ", this partad knows " +
                                      std::to_string(kSchemaVersion) +
                                      ": install the matching Parta on every hub process");
    Connection lite(":memory:");
    migrate(lite);
    struct Object {
      std::string type, name, sql;
    };
    std::vector<Object> tables, rest;
    auto q = lite.query(
        "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE "
        "'sqlite_%' ORDER BY rowid");
    while (q.next()) {
      Object o{q.text(0), q.text(1), q.text(2)};
      (o.type == "table" ? tables : rest).push_back(std::move(o));
    }
    pg.exec_native(pg::compat_sql());
    // Tables after the tables they reference.
    std::set<std::string> made;
    static const std::regex kRef(R"(REFERENCES\s+(\w+))", std::regex::icase);
    std::vector<std::string> order;
    while (made.size() < tables.size()) {
      bool progress = false;
      for (const auto& t : tables) {
        if (made.count(t.name)) continue;
        bool ready = true;
        for (std::sregex_iterator it(t.sql.begin(), t.sql.end(), kRef), end; it != end; ++it) {
          const std::string ref = (*it)[1];
          if (ref != t.name && !made.count(ref)) ready = false;
        }
        if (!ready) continue;
        for (const auto& s : pg::schema_object(t.type, t.name, t.sql)) pg.exec_native(s);
        made.insert(t.name);
        order.push_back(t.name);
        progress = true;
      }
      if (!progress) throw DbError(SQLITE_ERROR, "tables reference each other in a cycle");
    }
    for (const auto& o : rest)
      if (o.type == "index")
        for (const auto& s : pg::schema_object(o.type, o.name, o.sql)) pg.exec_native(s);
    // The rows the migrations wrote (settings, the district's own account), as they are.
    for (const auto& t : order) {
      std::vector<std::string> cols;
      auto info = lite.query("SELECT name FROM pragma_table_info(?1) ORDER BY cid", t);
      while (info.next()) cols.push_back(info.text(0));
      std::string list, params;
      for (std::size_t i = 0; i < cols.size(); ++i) {
        list += (i ? ", " : "") + cols[i];
        params += (i ? ", ?" : "?") + std::to_string(i + 1);
      }
      const std::string insert = "INSERT INTO " + t + " (" + list + ") VALUES (" + params + ")";
      auto rows = lite.query("SELECT " + list + " FROM " + t);
      while (rows.next()) {
        auto ins = pg.prepare(insert);
        for (std::size_t i = 0; i < cols.size(); ++i) {
          const int col = static_cast<int>(i);
          if (rows.is_null(col))
            ins.bind(col + 1, nullptr);
          else
            ins.bind(col + 1, rows.text(col));
        }
        ins.run();
      }
    }
    // Identities start after the rows copied in with their ids.
    for (const auto& t : order) {
      auto id = pg.query(
          "SELECT column_name FROM information_schema.columns WHERE is_identity = 'YES' AND "
          "table_schema = current_schema() AND table_name = ?1",
          t);
      if (!id.next()) continue;
      const std::string col = id.text(0);
      pg.run("SELECT setval(pg_get_serial_sequence(?1, ?2), max(" + col + ")) FROM " + t +
                 " HAVING max(" + col + ") IS NOT NULL",
             t, col);
    }
    for (const auto& o : rest)
      if (o.type == "trigger")
        for (const auto& s : pg::schema_object(o.type, o.name, o.sql)) pg.exec_native(s);
    pg.run("INSERT INTO parta_schema (id, version) VALUES (1, ?1)", kSchemaVersion);
    pg.exec("COMMIT");
  } catch (...) {
    try {
      pg.exec("ROLLBACK");
    } catch (...) {
    }
    throw;
  }
}

}  // namespace

void migrate(Connection& c, int target) {
  if (c.postgres()) return migrate_postgres(c);
  int version = static_cast<int>(c.scalar("PRAGMA user_version").value_or(0));
  if (version > kSchemaVersion) {
    throw DbError(SQLITE_ERROR, "database schema version " + std::to_string(version) +
                                    " is newer than this partad knows (" +
                                    std::to_string(kSchemaVersion) +
                                    "): install the newer Parta or restore a matching backup");
  }
  for (int v = version; v < std::min(target, kSchemaVersion); ++v) {
    Transaction tx(c);
    c.exec(kMigrations[static_cast<std::size_t>(v)]);
    c.exec("PRAGMA user_version = " + std::to_string(v + 1));
    tx.commit();
  }
}

}  // namespace parta::storage
