#pragma once
// The access rules of domain/access as SQL conditions. A list asks them inside its one query (a
// page's statements must not grow with its rows); access.cpp asks the very same conditions for a
// single object, so a list and the object's own page cannot disagree. Each takes the SQL
// expressions of the class and subject (a column such as "a.class_id", or a parameter "?1") and
// the number of the parameter that holds the teacher's id.
#include <string>
#include <string_view>

namespace parta::domain::sql {

// The teacher teaches that subject in that class.
inline std::string teaches(std::string_view class_id, std::string_view subject_id, int teacher) {
  std::string t = "?" + std::to_string(teacher);
  return "EXISTS (SELECT 1 FROM teaching t WHERE t.teacher_id = " + t +
         " AND t.class_id = " + std::string(class_id) +
         " AND t.subject_id = " + std::string(subject_id) + ")";
}

// The teacher oversees work of that class and subject: teaches it, or leads the class.
inline std::string oversees(std::string_view class_id, std::string_view subject_id, int teacher) {
  return "(" + teaches(class_id, subject_id, teacher) +
         " OR EXISTS (SELECT 1 FROM classes k WHERE k.id = " + std::string(class_id) +
         " AND k.class_teacher_id = ?" + std::to_string(teacher) + "))";
}

// The teacher may file or discard scanned page `page` (an alias of scan_pages): they uploaded its
// batch, or the batch's other pages are of a class and subject they teach.
inline std::string may_review(std::string_view page, int teacher) {
  std::string p(page), t = "?" + std::to_string(teacher);
  return "(EXISTS (SELECT 1 FROM scan_batches b WHERE b.id = " + p + ".batch_id AND " +
         "b.uploaded_by = " + t + ") OR EXISTS (SELECT 1 FROM scan_pages o JOIN packets op ON " +
         "op.id = o.packet_id JOIN print_runs orr ON orr.id = op.run_id JOIN assignments oa ON " +
         "oa.id = orr.assignment_id WHERE o.batch_id = " + p + ".batch_id AND " +
         teaches("oa.class_id", "oa.subject_id", teacher) + "))";
}

}  // namespace parta::domain::sql
