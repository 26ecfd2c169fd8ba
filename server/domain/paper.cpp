#include "domain/paper.hpp"

#include <algorithm>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "content/utf8.hpp"
#include "domain/access_sql.hpp"
#include "domain/quiz_store.hpp"
#include "printer/paper_job.hpp"

namespace parta::domain {

namespace {

constexpr const char* kRunSelect =
    "SELECT r.id, r.assignment_id, r.created_by, r.created_at, r.run, r.ruling, r.status, r.error, "
    "r.printer, COALESCE(r.combined_sha, ''), r.answer_pages, r.done, "
    "(SELECT COUNT(*) FROM packets p WHERE p.run_id = r.id), r.print_job, a.title, k.name, "
    "r.attempts "
    "FROM print_runs r JOIN assignments a ON a.id = r.assignment_id "
    "JOIN classes k ON k.id = a.class_id ";

PrintRun run_from(const storage::Query& q) {
  PrintRun r;
  r.id = q.integer(0);
  r.assignment_id = q.integer(1);
  r.created_by = q.integer(2);
  r.created_at = q.integer(3);
  r.run = q.text(4);
  r.ruling = q.text(5);
  r.status = q.text(6);
  r.error = q.text(7);
  r.printer = q.text(8);
  r.combined_sha = q.text(9);
  r.answer_pages = static_cast<int>(q.integer(10));
  r.done = static_cast<int>(q.integer(11));
  r.total = static_cast<int>(q.integer(12));
  r.print_job = static_cast<int>(q.integer(13));
  r.assignment_title = q.text(14);
  r.class_name = q.text(15);
  r.attempts = static_cast<int>(q.integer(16));
  return r;
}

constexpr const char* kPacketSelect =
    "SELECT p.id, p.run_id, p.student_id, u.last_name || ' ' || u.first_name, k.name, "
    "s.student_no, COALESCE(p.pdf_sha, ''), p.picked_up_by, p.pages, p.printed_at, "
    "p.picked_up_at, p.returned_at FROM packets p JOIN users u ON u.id = p.student_id "
    "JOIN students s ON s.user_id = p.student_id JOIN classes k ON k.id = s.class_id ";

Packet packet_from(const storage::Query& q) {
  Packet p;
  p.id = q.integer(0);
  p.run_id = q.integer(1);
  p.student_id = q.integer(2);
  p.student_name = q.text(3);
  p.class_name = q.text(4);
  p.student_no = q.text(5);
  p.pdf_sha = q.text(6);
  p.picked_up_by = q.text(7);
  p.pages = static_cast<int>(q.integer(8));
  p.printed_at = q.opt_integer(9);
  p.picked_up_at = q.opt_integer(10);
  p.returned_at = q.opt_integer(11);
  return p;
}

constexpr const char* kBatchSelect =
    "SELECT b.id, b.uploaded_by, b.created_at, b.status, b.error, u.last_name || ' ' || "
    "u.first_name, b.pages, b.done, "
    "(SELECT COUNT(*) FROM scan_pages s WHERE s.batch_id = b.id AND s.status = 'filed'), "
    "(SELECT COUNT(*) FROM scan_pages s WHERE s.batch_id = b.id AND s.status = 'review'), "
    "(SELECT COUNT(*) FROM scan_pages s WHERE s.batch_id = b.id AND s.status = 'duplicate'), "
    "b.attempts, b.left_out "
    "FROM scan_batches b JOIN users u ON u.id = b.uploaded_by ";

ScanBatch batch_from(const storage::Query& q) {
  ScanBatch b;
  b.id = q.integer(0);
  b.uploaded_by = q.integer(1);
  b.created_at = q.integer(2);
  b.status = q.text(3);
  b.error = q.text(4);
  b.uploader = q.text(5);
  b.pages = static_cast<int>(q.integer(6));
  b.done = static_cast<int>(q.integer(7));
  b.filed = static_cast<int>(q.integer(8));
  b.review = static_cast<int>(q.integer(9));
  b.duplicates = static_cast<int>(q.integer(10));
  b.attempts = static_cast<int>(q.integer(11));
  auto left_out = nlohmann::json::parse(q.text(12), nullptr, false);
  if (left_out.is_array())
    for (const auto& f : left_out)
      if (f.is_object() && f.value("name", nlohmann::json()).is_string() &&
          f.value("why", nlohmann::json()).is_string())
        b.left_out.emplace_back(f["name"].get<std::string>(), f["why"].get<std::string>());
  return b;
}

constexpr const char* kPageSelect =
    "SELECT sp.id, sp.batch_id, sp.source, sp.image_sha, sp.status, sp.reason, sp.position, "
    "sp.packet_id, sp.submission_id, sp.page, COALESCE(u.last_name || ' ' || u.first_name, ''), "
    "COALESCE(a.title, ''), sp.codes FROM scan_pages sp LEFT JOIN packets p ON p.id = sp.packet_id "
    "LEFT JOIN users u ON u.id = p.student_id LEFT JOIN print_runs r ON r.id = p.run_id "
    "LEFT JOIN assignments a ON a.id = r.assignment_id ";

ScanPage page_from(const storage::Query& q) {
  ScanPage p;
  p.id = q.integer(0);
  p.batch_id = q.integer(1);
  p.source = q.text(2);
  p.image_sha = q.text(3);
  p.status = q.text(4);
  p.reason = q.text(5);
  p.position = static_cast<int>(q.integer(6));
  p.packet_id = q.opt_integer(7);
  p.submission_id = q.opt_integer(8);
  if (auto v = q.opt_integer(9)) p.page = static_cast<int>(*v);
  p.student_name = q.text(10);
  p.assignment_title = q.text(11);
  if (auto v = q.opt_integer(12)) p.codes = static_cast<int>(*v);
  return p;
}

FileRef page_file(storage::Connection& c, const std::string& sha, int page) {
  FileRef f;
  f.sha256 = sha;
  f.filename = "page-" + std::to_string(page) + ".jpg";
  f.content_type = "image/jpeg";
  f.size = static_cast<std::uint64_t>(
      c.scalar("SELECT size FROM blobs WHERE sha256 = ?1", sha).value_or(0));
  return f;
}

}  // namespace

std::vector<Student> paper_students(storage::Connection& c, const Assignment& a) {
  std::vector<Student> out;
  for (auto& s : students_of(c, a))
    if (s.paper) out.push_back(std::move(s));
  return out;
}

std::optional<Message> check_run(storage::Connection& c, const Assignment& a,
                                 const std::vector<std::int64_t>& students, int answer_pages,
                                 const std::string& ruling) {
  if (students.empty()) return Message{"Choose at least one student.", {}};
  if (answer_pages < 0 || answer_pages > kMaxAnswerPages)
    return Message{"Answer pages: from 0 to {max}.", {{"max", std::to_string(kMaxAnswerPages)}}};
  if (ruling != "lined" && ruling != "grid")
    return Message{"The form refers to something that does not exist.", {}};
  for (auto id : students)
    if (!assigned_to(c, a, id))
      return Message{"The form refers to something that does not exist.", {}};
  return std::nullopt;
}

std::int64_t create_run(storage::Connection& c, const Clock& clock, const Assignment& a,
                        std::int64_t by, const std::vector<std::int64_t>& students,
                        int answer_pages, const std::string& ruling) {
  storage::Transaction tx(c);
  std::string run;
  do {
    run = printer::new_run_id();
  } while (c.scalar("SELECT 1 FROM print_runs WHERE run = ?1", run));
  c.run(
      "INSERT INTO print_runs (run, assignment_id, created_by, created_at, answer_pages, ruling) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
      run, a.id, by, clock.now(), answer_pages, ruling);
  std::int64_t id = c.last_insert_id();
  std::set<std::int64_t> once(students.begin(), students.end());
  for (auto s : once) c.run("INSERT INTO packets (run_id, student_id) VALUES (?1, ?2)", id, s);
  tx.commit();
  return id;
}

std::optional<PrintRun> find_run(storage::Connection& c, std::int64_t id) {
  auto q = c.query(std::string(kRunSelect) + "WHERE r.id = ?1", id);
  if (!q.next()) return std::nullopt;
  return run_from(q);
}

std::vector<PrintRun> runs_of_assignment(storage::Connection& c, std::int64_t assignment_id) {
  std::vector<PrintRun> out;
  auto q = c.query(std::string(kRunSelect) + "WHERE r.assignment_id = ?1 ORDER BY r.id DESC",
                   assignment_id);
  while (q.next()) out.push_back(run_from(q));
  return out;
}

std::vector<PrintRun> recent_runs(storage::Connection& c, std::size_t limit, std::int64_t teacher) {
  std::vector<PrintRun> out;
  auto q =
      c.query(std::string(kRunSelect) + "WHERE ?2 = 0 OR " +
                  sql::teaches("a.class_id", "a.subject_id", 2) + " ORDER BY r.id DESC LIMIT ?1",
              static_cast<std::int64_t>(limit), teacher);
  while (q.next()) out.push_back(run_from(q));
  return out;
}

std::vector<Packet> packets_of(storage::Connection& c, std::int64_t run_id) {
  std::vector<Packet> out;
  auto q = c.query(
      std::string(kPacketSelect) + "WHERE p.run_id = ?1 ORDER BY k.name, u.last_name, u.first_name",
      run_id);
  while (q.next()) out.push_back(packet_from(q));
  return out;
}

std::optional<Packet> find_packet(storage::Connection& c, std::int64_t id) {
  auto q = c.query(std::string(kPacketSelect) + "WHERE p.id = ?1", id);
  if (!q.next()) return std::nullopt;
  return packet_from(q);
}

std::vector<std::pair<Packet, PrintRun>> recent_packets(storage::Connection& c, std::size_t limit,
                                                        std::int64_t teacher) {
  std::vector<std::pair<Packet, PrintRun>> out;
  auto runs = recent_runs(c, limit, teacher);
  if (runs.empty()) return out;
  // The packets of all those runs in one query.
  std::map<std::int64_t, const PrintRun*> by_id;
  nlohmann::json ids = nlohmann::json::array();
  for (const auto& r : runs) {
    by_id[r.id] = &r;
    ids.push_back(r.id);
  }
  auto q = c.query(std::string(kPacketSelect) +
                       "WHERE p.run_id IN (SELECT value FROM json_each(?1)) "
                       "ORDER BY p.run_id DESC, k.name, u.last_name, u.first_name",
                   ids.dump());
  while (q.next()) {
    Packet p = packet_from(q);
    if (auto it = by_id.find(p.run_id); it != by_id.end())
      out.emplace_back(std::move(p), *it->second);
  }
  return out;
}

std::optional<std::int64_t> claim_queued_run(storage::Connection& c) {
  storage::Transaction tx(c);
  auto id = c.scalar("SELECT id FROM print_runs WHERE status = 'queued' ORDER BY id LIMIT 1");
  if (id)
    c.run(
        "UPDATE print_runs SET status = 'making', done = 0, attempts = attempts + 1 WHERE id = ?1",
        *id);
  tx.commit();
  return id;
}

void packet_made(storage::Connection& c, std::int64_t packet, int pages, const std::string& sha,
                 const std::string& boxes) {
  storage::Transaction tx(c);
  c.run("UPDATE packets SET pages = ?1, pdf_sha = ?2 WHERE id = ?3", pages, sha, packet);
  if (boxes.empty())
    c.run("DELETE FROM packet_layouts WHERE packet_id = ?1", packet);
  else
    c.run(
        "INSERT INTO packet_layouts (packet_id, boxes) VALUES (?1, ?2) ON CONFLICT (packet_id) DO "
        "UPDATE SET boxes = excluded.boxes",
        packet, boxes);
  c.run(
      "UPDATE print_runs SET done = done + 1 WHERE id = (SELECT run_id FROM packets WHERE id = ?1)",
      packet);
  tx.commit();
}

void run_made(storage::Connection& c, std::int64_t run, const std::string& combined_sha) {
  c.run("UPDATE print_runs SET status = 'ready', combined_sha = ?1, error = '' WHERE id = ?2",
        combined_sha, run);
}

void run_failed(storage::Connection& c, std::int64_t run, const std::string& error) {
  c.run("UPDATE print_runs SET status = 'failed', error = ?1 WHERE id = ?2", error, run);
}

bool run_attempt_failed(storage::Connection& c, std::int64_t run, const std::string& reason) {
  c.run(
      "UPDATE print_runs SET status = CASE WHEN attempts >= ?1 THEN 'failed' ELSE 'queued' END, "
      "error = ?2 WHERE id = ?3 AND status = 'making'",
      kMaxAttempts, reason, run);
  return c.scalar("SELECT 1 FROM print_runs WHERE id = ?1 AND status = 'failed'", run).has_value();
}

void release_run(storage::Connection& c, std::int64_t run) {
  c.run(
      "UPDATE print_runs SET status = 'queued', attempts = MAX(attempts - 1, 0) "
      "WHERE id = ?1 AND status = 'making'",
      run);
}

std::string chosen_printer(storage::Connection& c) {
  auto q = c.query("SELECT value FROM settings WHERE key = 'printer'");
  return q.next() ? q.text(0) : "";
}

void choose_printer(storage::Connection& c, const std::string& name) {
  c.run(
      "INSERT INTO settings (key, value) VALUES ('printer', ?1) "
      "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      name);
}

void run_printed(storage::Connection& c, const Clock& clock, std::int64_t run,
                 const std::string& printer, int job) {
  storage::Transaction tx(c);
  c.run("UPDATE print_runs SET printer = ?1, print_job = ?2 WHERE id = ?3", printer, job, run);
  c.run("UPDATE packets SET printed_at = COALESCE(printed_at, ?1) WHERE run_id = ?2", clock.now(),
        run);
  tx.commit();
}

std::optional<Message> record_pickup(storage::Connection& c, const Clock& clock,
                                     std::int64_t packet, const std::string& by) {
  if (by.empty()) return Message{"Write who picked the packet up.", {}};
  if (text::char_count(by) > 100) return Message{"A field in the form is too long.", {}};
  c.run("UPDATE packets SET picked_up_at = ?1, picked_up_by = ?2 WHERE id = ?3", clock.now(), by,
        packet);
  return std::nullopt;
}

void record_return(storage::Connection& c, const Clock& clock, std::int64_t packet) {
  c.run("UPDATE packets SET returned_at = COALESCE(returned_at, ?1) WHERE id = ?2", clock.now(),
        packet);
}

std::int64_t create_batch(storage::Connection& c, const Clock& clock, std::int64_t by,
                          const std::vector<ScanFile>& files,
                          const std::vector<LeftOutFile>& left_out) {
  auto names = nlohmann::json::array();
  for (const auto& f : left_out) names.push_back({{"name", f.name}, {"why", f.why}});
  storage::Transaction tx(c);
  c.run("INSERT INTO scan_batches (uploaded_by, created_at, left_out) VALUES (?1, ?2, ?3)", by,
        clock.now(), names.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  std::int64_t id = c.last_insert_id();
  int pos = 0;
  for (const auto& f : files)
    c.run("INSERT INTO scan_files (batch_id, position, sha256, filename) VALUES (?1, ?2, ?3, ?4)",
          id, ++pos, f.sha256, f.filename);
  tx.commit();
  return id;
}

std::optional<ScanBatch> find_batch(storage::Connection& c, std::int64_t id) {
  auto q = c.query(std::string(kBatchSelect) + "WHERE b.id = ?1", id);
  if (!q.next()) return std::nullopt;
  return batch_from(q);
}

std::vector<ScanBatch> recent_batches(storage::Connection& c, std::size_t limit) {
  std::vector<ScanBatch> out;
  auto q = c.query(std::string(kBatchSelect) + "ORDER BY b.id DESC LIMIT ?1",
                   static_cast<std::int64_t>(limit));
  while (q.next()) out.push_back(batch_from(q));
  return out;
}

std::vector<ScanFile> batch_files(storage::Connection& c, std::int64_t batch) {
  std::vector<ScanFile> out;
  auto q = c.query("SELECT sha256, filename FROM scan_files WHERE batch_id = ?1 ORDER BY position",
                   batch);
  while (q.next()) out.push_back(ScanFile{q.text(0), q.text(1)});
  return out;
}

std::vector<ScanPage> batch_pages(storage::Connection& c, std::int64_t batch) {
  std::vector<ScanPage> out;
  auto q = c.query(std::string(kPageSelect) + "WHERE sp.batch_id = ?1 ORDER BY sp.position", batch);
  while (q.next()) out.push_back(page_from(q));
  return out;
}

std::vector<ScanPage> review_pages(storage::Connection& c, std::size_t limit,
                                   std::int64_t reviewer) {
  std::vector<ScanPage> out;
  auto q = c.query(std::string(kPageSelect) + "WHERE sp.status = 'review' AND (?2 = 0 OR " +
                       sql::may_review("sp", 2) + ") ORDER BY sp.id LIMIT ?1",
                   static_cast<std::int64_t>(limit), reviewer);
  while (q.next()) out.push_back(page_from(q));
  return out;
}

int review_count(storage::Connection& c) {
  return static_cast<int>(
      c.scalar("SELECT COUNT(*) FROM scan_pages WHERE status = 'review'").value_or(0));
}

std::optional<ScanPage> find_scan_page(storage::Connection& c, std::int64_t id) {
  auto q = c.query(std::string(kPageSelect) + "WHERE sp.id = ?1", id);
  if (!q.next()) return std::nullopt;
  return page_from(q);
}

std::optional<std::int64_t> claim_queued_batch(storage::Connection& c) {
  storage::Transaction tx(c);
  auto id = c.scalar("SELECT id FROM scan_batches WHERE status = 'queued' ORDER BY id LIMIT 1");
  if (id) {
    c.run(
        "UPDATE scan_batches SET status = 'reading', done = 0, attempts = attempts + 1 WHERE id = "
        "?1",
        *id);
    // Pages read before a power cut are read again.
    c.run("DELETE FROM scan_pages WHERE batch_id = ?1 AND status IN ('read', 'review')", *id);
  }
  tx.commit();
  return id;
}

void set_batch_pages(storage::Connection& c, std::int64_t batch, int pages) {
  c.run("UPDATE scan_batches SET pages = ?1 WHERE id = ?2", pages, batch);
}

Match match_payload(storage::Connection& c, const printer::PagePayload& p) {
  auto q = c.query(
      "SELECT p.id, r.assignment_id, p.pages FROM packets p JOIN print_runs r ON r.id = p.run_id "
      "WHERE r.run = ?1 AND p.student_id = ?2",
      p.run, p.student);
  if (!q.next()) return Match{std::nullopt, "The code names a packet this school never printed."};
  std::int64_t packet = q.integer(0);
  if (q.integer(1) != p.assignment)
    return Match{std::nullopt, "The code does not match the packet it names."};
  if (q.integer(2) != 0 && q.integer(2) != p.pages)
    return Match{std::nullopt, "The code does not match the packet it names."};
  return Match{find_packet(c, packet), ""};
}

std::vector<printer::AnswerBox> paper_layout(storage::Connection& c, std::int64_t packet) {
  auto r = c.query("SELECT boxes FROM packet_layouts WHERE packet_id = ?1", packet);
  if (!r.next()) return {};
  return printer::boxes_from_json(r.text(0));
}

void add_scan_page(storage::Connection& c, std::int64_t batch, int position,
                   const std::string& source, const std::string& image_sha, std::uint64_t size,
                   const Clock& clock, std::optional<std::int64_t> packet, std::optional<int> page,
                   const std::string& reason, int codes, const std::string& boxes) {
  storage::Transaction tx(c);
  record_blob(c, clock, image_sha, size);
  c.run(
      "INSERT INTO scan_pages (batch_id, source, position, image_sha, status, reason, packet_id, "
      "page, codes) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
      batch, source, position, image_sha, packet ? "read" : "review", reason, packet, page, codes);
  if (!boxes.empty())
    c.run("INSERT INTO scan_page_boxes (scan_page_id, boxes) VALUES (?1, ?2)", c.last_insert_id(),
          boxes);
  c.run("UPDATE scan_batches SET done = done + 1 WHERE id = ?1", batch);
  tx.commit();
}

void finish_batch(storage::Connection& c, const Clock& clock, std::int64_t batch) {
  storage::Transaction tx(c);
  std::int64_t by =
      c.scalar("SELECT uploaded_by FROM scan_batches WHERE id = ?1", batch).value_or(0);
  // packet → page → scan page id, image
  std::map<std::int64_t, std::map<int, std::pair<std::int64_t, std::string>>> by_packet;
  auto q = c.query(
      "SELECT id, packet_id, page, image_sha FROM scan_pages WHERE batch_id = ?1 AND status = "
      "'read' ORDER BY position",
      batch);
  std::vector<std::int64_t> duplicates;
  while (q.next()) {
    std::int64_t id = q.integer(0), packet = q.integer(1);
    int page = static_cast<int>(q.integer(2));
    bool filed_before =
        c.scalar("SELECT 1 FROM scan_pages WHERE packet_id = ?1 AND page = ?2 AND status = 'filed'",
                 packet, page)
            .has_value();
    if (filed_before || by_packet[packet].count(page)) {
      duplicates.push_back(id);
      continue;
    }
    by_packet[packet][page] = {id, q.text(3)};
  }
  for (auto id : duplicates)
    c.run(
        "UPDATE scan_pages SET status = 'duplicate', reason = 'This page was already filed.' "
        "WHERE id = ?1",
        id);
  for (const auto& [packet_id, pages] : by_packet) {
    if (pages.empty()) continue;
    auto packet = find_packet(c, packet_id);
    auto run = packet ? find_run(c, packet->run_id) : std::nullopt;
    auto a = run ? find_assignment(c, run->assignment_id) : std::nullopt;
    if (!a) continue;
    std::vector<FileRef> files;
    for (const auto& [page, entry] : pages) files.push_back(page_file(c, entry.second, page));
    std::int64_t sub = submit(c, clock, *a, packet->student_id, by, "", files, "paper", "scan");
    for (const auto& [page, entry] : pages)
      c.run("UPDATE scan_pages SET status = 'filed', submission_id = ?1 WHERE id = ?2", sub,
            entry.first);
    record_return(c, clock, packet_id);
    // A quiz's answers read from the pages become (or complete) the packet's attempt.
    record_paper_attempt(c, clock, *a, packet_id);
  }
  c.run("UPDATE scan_batches SET status = 'done', error = '' WHERE id = ?1", batch);
  tx.commit();
}

void release_batch(storage::Connection& c, std::int64_t batch) {
  c.run(
      "UPDATE scan_batches SET status = 'queued', attempts = MAX(attempts - 1, 0) "
      "WHERE id = ?1 AND status = 'reading'",
      batch);
}

void batch_failed(storage::Connection& c, std::int64_t batch, const std::string& error) {
  c.run("UPDATE scan_batches SET status = 'failed', error = ?1 WHERE id = ?2", error, batch);
}

bool batch_attempt_failed(storage::Connection& c, std::int64_t batch, const std::string& reason) {
  c.run(
      "UPDATE scan_batches SET status = CASE WHEN attempts >= ?1 THEN 'failed' ELSE 'queued' END, "
      "error = ?2 WHERE id = ?3 AND status = 'reading'",
      kMaxAttempts, reason, batch);
  return c.scalar("SELECT 1 FROM scan_batches WHERE id = ?1 AND status = 'failed'", batch)
      .has_value();
}

void requeue_interrupted(storage::Connection& c) {
  // The interrupted try counts (the claim counted it): a job that takes partad down with it is
  // given up after kMaxAttempts starts, never retried in a loop.
  storage::Transaction tx(c);
  c.run(
      "UPDATE print_runs SET status = CASE WHEN attempts >= ?1 THEN 'failed' ELSE 'queued' END, "
      "error = ?2 WHERE status = 'making'",
      kMaxAttempts, kInterrupted);
  c.run(
      "UPDATE scan_batches SET status = CASE WHEN attempts >= ?1 THEN 'failed' ELSE 'queued' END, "
      "error = ?2 WHERE status = 'reading'",
      kMaxAttempts, kInterrupted);
  tx.commit();
}

std::optional<Message> file_by_hand(storage::Connection& c, const Clock& clock,
                                    std::int64_t page_id, std::int64_t packet_id, int page,
                                    std::int64_t by) {
  // Checked and filed in one transaction, and the page leaves the queue only if it is still in
  // it: of two taps at once, the second finds it filed and makes no second submission.
  storage::Transaction tx(c);
  auto sp = find_scan_page(c, page_id);
  if (!sp || sp->status != "review")
    return Message{"This page is no longer waiting for review.", {}};
  auto packet = find_packet(c, packet_id);
  auto run = packet ? find_run(c, packet->run_id) : std::nullopt;
  auto a = run ? find_assignment(c, run->assignment_id) : std::nullopt;
  if (!a) return Message{"The form refers to something that does not exist.", {}};
  if (page < 1 || (packet->pages && page > packet->pages))
    return Message{"The packet has pages 1 to {pages}.",
                   {{"pages", std::to_string(packet->pages)}}};
  if (c.scalar("SELECT 1 FROM scan_pages WHERE packet_id = ?1 AND page = ?2 AND status = 'filed'",
               packet_id, page))
    return Message{"This page of the packet is already filed.", {}};
  std::int64_t sub = submit(c, clock, *a, packet->student_id, by, "",
                            {page_file(c, sp->image_sha, page)}, "paper", "review");
  c.run(
      "UPDATE scan_pages SET status = 'filed', packet_id = ?1, page = ?2, submission_id = ?3 "
      "WHERE id = ?4 AND status = 'review'",
      packet_id, page, sub, page_id);
  if (c.changes() != 1) return Message{"This page is no longer waiting for review.", {}};
  record_return(c, clock, packet_id);
  // A quiz page filed by hand was not read box by box: its questions wait for the teacher.
  record_paper_attempt(c, clock, *a, packet_id);
  tx.commit();
  return std::nullopt;
}

void discard_page(storage::Connection& c, std::int64_t page_id) {
  c.run("UPDATE scan_pages SET status = 'discarded' WHERE id = ?1 AND status = 'review'", page_id);
}

}  // namespace parta::domain
