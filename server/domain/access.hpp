#pragma once
// One access rule per object: who may read an assignment, a student's thread on it and its files,
// a packet and a scanned page. Every page and file route about them asks here, so a file route
// cannot drift from its page again (issue 14: a parent fetched the attachments of an assignment
// not yet published, and a class teacher saw links that answered 403). The rules are made of four
// questions: published? taught (the subject's teacher)? the class teacher's? own child?
#include <cstdint>
#include <optional>
#include <string>

#include "domain/accounts.hpp"
#include "domain/coursework.hpp"
#include "domain/paper.hpp"
#include "domain/school.hpp"
#include "storage/database.hpp"

namespace parta::domain {

// A file of an assignment: for the whole class, or for one student's variant.
struct Attachment {
  std::int64_t id = 0, assignment_id = 0;
  std::optional<std::int64_t> student_id;
  std::string sha256, filename, content_type;
};
std::optional<Attachment> find_attachment(storage::Connection& c, std::int64_t id);

// A file a student handed in (or a scanned page filed as one).
struct SubmissionFile {
  std::int64_t id = 0, assignment_id = 0, student_id = 0;
  std::string sha256, filename, content_type;
};
std::optional<SubmissionFile> find_submission_file(storage::Connection& c, std::int64_t id);

// The questions (with teaches() in coursework, leads_class() and is_parent_of() in school).
bool is_published(const Assignment& a, std::int64_t now);

// The assignment itself (its task and general files): the admin, the subject's teachers and the
// class teacher at any time; once published, the students it is for and their parents.
bool can_read(storage::Connection& c, const User& u, const Assignment& a, std::int64_t now);
// Its page with every student's status: the admin, the subject's teachers, the class teacher.
bool can_oversee(storage::Connection& c, const User& u, const Assignment& a);
// One student's work on it (submissions, comments, the mark), only for a student it is for: the
// admin, the subject's teachers and the class teacher; once published, the student and parents.
bool can_read_thread(storage::Connection& c, const User& u, const Assignment& a,
                     std::int64_t student_id, std::int64_t now);
// A general attachment as the assignment; a variant's file as that student's thread.
bool can_read(storage::Connection& c, const User& u, const Attachment& f, std::int64_t now);
bool can_read(storage::Connection& c, const User& u, const SubmissionFile& f, std::int64_t now);

// The paper track is the subject teacher's tool: packets of an assignment, and reading them.
bool can_manage_paper(storage::Connection& c, const User& u, const Assignment& a);
bool can_read(storage::Connection& c, const User& u, const Packet& p);
// A scan batch's results name students: the one who uploaded it and the admin.
bool can_read(storage::Connection& c, const User& u, const ScanBatch& b);
// A page no code identified, in the review queue: the admin, whoever uploaded its batch, and the
// teachers of the assignments the batch's other pages belong to (the page's class and subject).
bool can_review(storage::Connection& c, const User& u, const ScanPage& p);
// A scanned page: once filed to a packet it is that student's work (their thread's readers);
// until then, its reviewers.
bool can_read(storage::Connection& c, const User& u, const ScanPage& p, std::int64_t now);

// A class's own arrangements: its distance mode, its timetable, its login cards. The admin and
// the class's class teacher (issue 16: the seeds make her the one who does exactly these).
bool can_manage_class(storage::Connection& c, const User& u, std::int64_t class_id);
// Lending a school device to a student and taking it back: the admin, and the class teacher of
// the student's class.
bool can_lend_to(storage::Connection& c, const User& u, std::int64_t student_id);

}  // namespace parta::domain
