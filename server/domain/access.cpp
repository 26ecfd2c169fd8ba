#include "domain/access.hpp"

#include "domain/access_sql.hpp"
#include "domain/school.hpp"

namespace parta::domain {

std::optional<Attachment> find_attachment(storage::Connection& c, std::int64_t id) {
  auto q = c.query(
      "SELECT id, assignment_id, student_id, sha256, filename, content_type FROM attachments "
      "WHERE id = ?1",
      id);
  if (!q.next()) return std::nullopt;
  return Attachment{q.integer(0), q.integer(1), q.opt_integer(2), q.text(3), q.text(4), q.text(5)};
}

std::optional<SubmissionFile> find_submission_file(storage::Connection& c, std::int64_t id) {
  auto q = c.query(
      "SELECT f.id, s.assignment_id, s.student_id, f.sha256, f.filename, f.content_type "
      "FROM submission_files f JOIN submissions s ON s.id = f.submission_id WHERE f.id = ?1",
      id);
  if (!q.next()) return std::nullopt;
  return SubmissionFile{q.integer(0), q.integer(1), q.integer(2), q.text(3), q.text(4), q.text(5)};
}

bool is_published(const Assignment& a, std::int64_t now) { return a.publish_at <= now; }

bool can_oversee(storage::Connection& c, const User& u, const Assignment& a) {
  // The admin; a teacher who teaches it or leads the class (sql::oversees, as the lists ask it).
  return can_view_gradebook(c, u, a.class_id, a.subject_id);
}

bool can_read(storage::Connection& c, const User& u, const Assignment& a, std::int64_t now) {
  if (can_oversee(c, u, a)) return true;
  if (!is_published(a, now)) return false;
  if (u.role == Role::student) return assigned_to(c, a, u.id);
  if (u.role == Role::parent) {
    for (const auto& child : children_of(c, u.id))
      if (assigned_to(c, a, child.user.id)) return true;
  }
  return false;
}

bool can_read_thread(storage::Connection& c, const User& u, const Assignment& a,
                     std::int64_t student_id, std::int64_t now) {
  if (!assigned_to(c, a, student_id)) return u.role == Role::admin;
  if (can_oversee(c, u, a)) return true;
  if (!is_published(a, now)) return false;
  if (u.role == Role::student) return u.id == student_id;
  return is_parent_of(c, u, student_id);
}

bool can_read(storage::Connection& c, const User& u, const Attachment& f, std::int64_t now) {
  auto a = find_assignment(c, f.assignment_id);
  if (!a) return false;
  return f.student_id ? can_read_thread(c, u, *a, *f.student_id, now) : can_read(c, u, *a, now);
}

bool can_read(storage::Connection& c, const User& u, const SubmissionFile& f, std::int64_t now) {
  auto a = find_assignment(c, f.assignment_id);
  return a && can_read_thread(c, u, *a, f.student_id, now);
}

bool can_manage_paper(storage::Connection& c, const User& u, const Assignment& a) {
  return teaches(c, u, a.class_id, a.subject_id);  // the admin too
}

bool can_read(storage::Connection& c, const User& u, const Packet& p) {
  auto run = find_run(c, p.run_id);
  auto a = run ? find_assignment(c, run->assignment_id) : std::nullopt;
  return a && can_manage_paper(c, u, *a);
}

bool can_read(storage::Connection&, const User& u, const ScanBatch& b) {
  return u.role == Role::admin || u.id == b.uploaded_by;
}

bool can_review(storage::Connection& c, const User& u, const ScanPage& p) {
  if (u.role == Role::admin) return true;
  if (u.role != Role::teacher) return false;
  // The batch's uploader, or a teacher of what the rest of the batch was (the class and subject
  // this page most likely belongs to): the condition the review queue lists pages by.
  return c
      .scalar("SELECT 1 FROM scan_pages sp WHERE sp.id = ?1 AND " + sql::may_review("sp", 2), p.id,
              u.id)
      .has_value();
}

bool can_read(storage::Connection& c, const User& u, const ScanPage& p, std::int64_t now) {
  if (!p.packet_id) return can_review(c, u, p);
  auto packet = find_packet(c, *p.packet_id);
  auto run = packet ? find_run(c, packet->run_id) : std::nullopt;
  auto a = run ? find_assignment(c, run->assignment_id) : std::nullopt;
  return a && can_read_thread(c, u, *a, packet->student_id, now);
}

bool can_manage_class(storage::Connection& c, const User& u, std::int64_t class_id) {
  return u.role == Role::admin || leads_class(c, u, class_id);
}

bool can_lend_to(storage::Connection& c, const User& u, std::int64_t student_id) {
  if (u.role == Role::admin) return true;
  auto s = find_student(c, student_id);
  return s && leads_class(c, u, s->class_id);
}

}  // namespace parta::domain
