#pragma once
// The paper track's records: print runs of packets for an assignment (made in the background,
// progress kept), the pickup and return log of each packet, scan batches and the pages read from
// them, filing pages into paper submissions, and the review queue for pages no code identifies.
// The PDF and image work itself is in printer/; the background worker is server/app/paper_worker.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "domain/coursework.hpp"
#include "domain/message.hpp"
#include "domain/school.hpp"
#include "printer/packet.hpp"
#include "printer/qr_payload.hpp"

namespace parta::domain {

struct PrintRun {
  std::int64_t id = 0, assignment_id = 0, created_by = 0, created_at = 0;
  std::string run, ruling, status, error, printer, combined_sha;
  int answer_pages = 0, done = 0, total = 0, print_job = 0;
  int attempts = 0;  // tries at making it (each claim counts one)
  std::string assignment_title, class_name;
};

struct Packet {
  std::int64_t id = 0, run_id = 0, student_id = 0;
  std::string student_name, class_name, student_no, pdf_sha, picked_up_by;
  int pages = 0;
  std::optional<std::int64_t> printed_at, picked_up_at, returned_at;
};

inline constexpr int kMaxAnswerPages = 10;
// A run or batch whose try crashed the paper helper (or partad) this often is given up.
inline constexpr int kMaxAttempts = 3;
// The reason kept when partad stopped in the middle of a try.
inline constexpr const char* kInterrupted = "The work was interrupted by a restart.";

// The assignment's students on the paper track (flagged "paper" in their profile).
std::vector<Student> paper_students(storage::Connection& c, const Assignment& a);
std::optional<Message> check_run(storage::Connection& c, const Assignment& a,
                                 const std::vector<std::int64_t>& students, int answer_pages,
                                 const std::string& ruling);
// Queues a run (the worker makes the PDFs); returns its id.
std::int64_t create_run(storage::Connection& c, const Clock& clock, const Assignment& a,
                        std::int64_t by, const std::vector<std::int64_t>& students,
                        int answer_pages, const std::string& ruling);
std::optional<PrintRun> find_run(storage::Connection& c, std::int64_t id);
std::vector<PrintRun> runs_of_assignment(storage::Connection& c, std::int64_t assignment_id);
// The latest runs; for a teacher (`teacher` != 0) of the subjects and classes they teach.
std::vector<PrintRun> recent_runs(storage::Connection& c, std::size_t limit,
                                  std::int64_t teacher = 0);
std::vector<Packet> packets_of(storage::Connection& c, std::int64_t run_id);
std::optional<Packet> find_packet(storage::Connection& c, std::int64_t id);
// Packets of recent runs, for filing a page by hand.
// The packets of the latest `limit` runs (those of `teacher`'s subjects only, unless 0).
std::vector<std::pair<Packet, PrintRun>> recent_packets(storage::Connection& c, std::size_t limit,
                                                        std::int64_t teacher = 0);

// Worker side of a run. A claim counts a try.
std::optional<std::int64_t> claim_queued_run(storage::Connection& c);
// `boxes`: where the packet's quiz answer places were printed (printer::boxes_to_json), or "".
void packet_made(storage::Connection& c, std::int64_t packet, int pages, const std::string& sha,
                 const std::string& boxes = "");
// Where a packet's quiz answer places were printed; empty for a packet without a quiz.
std::vector<printer::AnswerBox> paper_layout(storage::Connection& c, std::int64_t packet);
void run_made(storage::Connection& c, std::int64_t run, const std::string& combined_sha);
// Failed for good: the helper said the job cannot be done.
void run_failed(storage::Connection& c, std::int64_t run, const std::string& error);
// A try failed (the helper crashed, was killed or ran out of time; or saving its work failed):
// queued again, or after kMaxAttempts tries failed with `reason` (an msgid). True when failed.
bool run_attempt_failed(storage::Connection& c, std::int64_t run, const std::string& reason);
// partad is stopping in the middle of a try: queued again, the try not counted.
void release_run(storage::Connection& c, std::int64_t run);

// The printer packets go to (admin settings); "" = the CUPS default.
std::string chosen_printer(storage::Connection& c);
void choose_printer(storage::Connection& c, const std::string& name);

// The log.
void run_printed(storage::Connection& c, const Clock& clock, std::int64_t run,
                 const std::string& printer, int job);
std::optional<Message> record_pickup(storage::Connection& c, const Clock& clock,
                                     std::int64_t packet, const std::string& by);
void record_return(storage::Connection& c, const Clock& clock, std::int64_t packet);

// Scans.
struct ScanBatch {
  std::int64_t id = 0, uploaded_by = 0, created_at = 0;
  std::string status, error, uploader;
  int pages = 0, done = 0, filed = 0, review = 0, duplicates = 0;
  int attempts = 0;  // tries at reading it (each claim counts one)
  // Files of the upload that were not taken, each with why (an msgid).
  std::vector<std::pair<std::string, std::string>> left_out;
};
struct ScanFile {
  std::string sha256, filename;
};
// A file of a scan upload that is not taken into its batch, and why (an msgid).
struct LeftOutFile {
  std::string name, why;
};
struct ScanPage {
  std::int64_t id = 0, batch_id = 0;
  std::string source, image_sha, status, reason;
  int position = 0;
  std::optional<std::int64_t> packet_id, submission_id;
  std::optional<int> page;
  std::string student_name, assignment_title;  // when it names a packet
  int codes = -1;  // valid codes read on the page (-1: not recorded, pages read before)
};

std::int64_t create_batch(storage::Connection& c, const Clock& clock, std::int64_t by,
                          const std::vector<ScanFile>& files,
                          const std::vector<LeftOutFile>& left_out = {});
std::optional<ScanBatch> find_batch(storage::Connection& c, std::int64_t id);
std::vector<ScanBatch> recent_batches(storage::Connection& c, std::size_t limit);
std::vector<ScanFile> batch_files(storage::Connection& c, std::int64_t batch);
std::vector<ScanPage> batch_pages(storage::Connection& c, std::int64_t batch);
// Pages waiting for a person, oldest first. With `reviewer` (a teacher's id; 0 = everyone's, the
// admin's view) only those can_review() lets that teacher file: of a batch they uploaded, or one
// whose other pages are of a class and subject they teach. One query whatever the queue holds.
std::vector<ScanPage> review_pages(storage::Connection& c, std::size_t limit,
                                   std::int64_t reviewer = 0);
int review_count(storage::Connection& c);
std::optional<ScanPage> find_scan_page(storage::Connection& c, std::int64_t id);

std::optional<std::int64_t> claim_queued_batch(storage::Connection& c);
void set_batch_pages(storage::Connection& c, std::int64_t batch, int pages);
// What a page's code names, checked against the database: the packet, or why it cannot be filed.
struct Match {
  std::optional<Packet> packet;
  std::string reason;  // an msgid when there is no packet
};
Match match_payload(storage::Connection& c, const printer::PagePayload& p);
// Records one page the worker read (status "read" with a packet, or "review" with a reason).
void add_scan_page(storage::Connection& c, std::int64_t batch, int position,
                   const std::string& source, const std::string& image_sha, std::uint64_t size,
                   const Clock& clock, std::optional<std::int64_t> packet, std::optional<int> page,
                   const std::string& reason, int codes = 0, const std::string& boxes = "");
// Files the batch's read pages in one transaction: per packet one paper submission with its
// pages in page order; a page already filed before (or twice in the batch) is a duplicate.
void finish_batch(storage::Connection& c, const Clock& clock, std::int64_t batch);
void batch_failed(storage::Connection& c, std::int64_t batch, const std::string& error);
// As run_attempt_failed, for a batch.
bool batch_attempt_failed(storage::Connection& c, std::int64_t batch, const std::string& reason);
void release_batch(storage::Connection& c, std::int64_t batch);
// At start, after a power cut or a crash: runs and batches that were being worked on are queued
// again, or failed (kInterrupted) if that was their last try.
void requeue_interrupted(storage::Connection& c);

// The review queue: file a page by hand (a new paper submission with that page), or discard it.
// Filing checks and writes in one transaction: a double tap files the page once.
std::optional<Message> file_by_hand(storage::Connection& c, const Clock& clock,
                                    std::int64_t page_id, std::int64_t packet_id, int page,
                                    std::int64_t by);
void discard_page(storage::Connection& c, std::int64_t page_id);

}  // namespace parta::domain
