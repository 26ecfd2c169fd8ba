#pragma once
// The protocol between partad and its paper helper `parta-paper` (one process per job, or per scan
// page: read_page and then its read_boxes): one JSON job per line on the helper's stdin, its files
// written into a folder partad gave it, one JSON result line per job on its stdout. Versioned like
// every other format here (`"v"`, a supported range, a refusal of any other version); described for
// people in printer/README.md. partad links this part of printer/ only: the result is read as
// untrusted input (the helper may have decoded a hostile image).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "printer/boxes.hpp"
#include "printer/cards.hpp"
#include "printer/packet.hpp"
#include "printer/print_queue.hpp"
#include "printer/scan.hpp"

namespace parta::printer {

inline constexpr int kJobVersion = 1;        // what this build writes
inline constexpr int kOldestJobVersion = 1;  // the oldest it still reads
// The largest result partad reads from the helper.
inline constexpr std::size_t kMaxResultBytes = 1 << 20;

enum class JobKind {
  packets,
  count_pages,
  read_page,
  cards,
  printers,
  print,
  job_status,
  travel_copy,
  read_boxes
};
const char* kind_name(JobKind k);

struct Job {
  JobKind kind = JobKind::printers;
  std::string out;   // packets, read_page, cards: the folder the helper writes its files into
  std::string path;  // count_pages, read_page, print: the file to read
  int page = 0;      // read_page: 0-based
  // read_page: pictures above this many pixels go to review as "too large", never decoded (a
  // 400-megapixel PNG is 76 KB on the wire and 1.2 GB in memory; a phone photo is 12 MP).
  std::int64_t max_pixels = kDefaultMaxPixels;
  std::vector<PacketInfo> packets;  // packets
  std::vector<LoginCard> cards;     // cards
  std::string school, wifi;         // cards
  std::string printer, title;       // print, job_status (printer)
  bool two_sided = false;           // print
  int print_job = 0;                // job_status
  // travel_copy (printer/travel.hpp): `path`, `out`, `max_pixels` and these
  int long_side = 1600, quality = 50;
  std::string grey = "auto";  // auto, always, never
  bool check_codes = false;
  // read_boxes: `path`, `page`, `out`, `max_pixels`, the page's map as read_page gave it, and the
  // answer places of that page (packet.hpp)
  std::vector<double> frame;
  std::vector<AnswerBox> boxes;
};

// What went wrong with a job the helper ran to its end. Crashes, kills and timeouts are not
// here: those are the process's fate, seen by partad (server/app/paper_helper).
enum class JobError {
  none,
  version,     // a job version this helper does not read
  bad_job,     // not a job: bad JSON, unknown kind, a missing field
  unreadable,  // the file is not a PDF or an image this helper reads
  too_large,   // the picture has more pixels than the job allows
  printer,     // CUPS refused (detail: what it said)
  failed,      // anything else (disk full, out of memory); detail says what
};
const char* error_name(JobError e);

struct OutFile {
  std::string name;  // a plain file name inside the job's folder: [a-z0-9._-], no slash
  int pages = 0;
  std::vector<AnswerBox> boxes;  // packets: where the packet's quiz answer places were printed
};

struct JobResult {
  JobError error = JobError::none;
  std::string detail;  // for the log, in English (what a library said)
  // packets: one file per packet, in the job's order, and the combined print file; cards: files[0]
  std::vector<OutFile> files;
  OutFile combined;
  int pages = 0;  // count_pages
  // read_page
  std::optional<std::string> payload;  // the code both codes agree on, as read (partad re-checks)
  int codes = 0;
  bool disagree = false;
  bool foreign = false, damaged = false;  // see PageRead
  int marks = 0;                          // read_page: see PageRead (registration)
  bool misplaced = false, unplaced = false;
  std::vector<double> frame;           // read_page: the page's map (PageRead::frame), 9 or none
  BoxesRead read;                      // read_boxes (crops: names in the job's folder)
  std::string jpeg;                    // the page kept as JPEG: a name in the job's folder
  std::int64_t width = 0, height = 0;  // read_page and too_large: the picture's size
  std::vector<Printer> printers;       // printers
  int print_job = 0;                   // print
  std::optional<JobStatus> status;     // job_status: nullopt when CUPS does not know the job
  // travel_copy: `jpeg`, `width`, `height`, and what was done; with check_codes, `codes` (the
  // copy's valid codes), `foreign` (the copy's) and the original's
  bool grey = false, cropped = false, codes_lost = false;
  int codes_original = 0, quality = 0;
  bool foreign_original = false;
  bool ok() const { return error == JobError::none; }
};

std::string job_to_json(const Job& job);
// The helper's side: the job, or a result that refuses it (version or bad_job).
std::variant<Job, JobResult> parse_job(std::string_view text);
std::string result_to_json(JobKind kind, const JobResult& r);
// partad's side: the result of a job of `kind`, checked as untrusted input (sizes, names,
// version). nullopt with `why` set when it is not a valid result.
std::optional<JobResult> parse_result(JobKind kind, std::string_view text, std::string* why);
// A packet's answer places as JSON (partad keeps them with the packet), and back: an empty list
// for text that is not such a list.
std::string boxes_to_json(const std::vector<AnswerBox>& boxes);
std::vector<AnswerBox> boxes_from_json(std::string_view text);
// A file name the helper may answer with: short, [A-Za-z0-9._-], not "." or "..".
bool safe_file_name(std::string_view name);

// partad's side: a fresh folder (in its tmp/) for one job's files, removed with whatever is left
// in it.
class JobFolder {
 public:
  explicit JobFolder(const std::string& parent);  // throws std::runtime_error
  ~JobFolder();
  JobFolder(const JobFolder&) = delete;
  JobFolder& operator=(const JobFolder&) = delete;
  const std::string& path() const { return path_; }
  // The path of a file the helper says it made, if it is one: a safe name, a regular file of its
  // own in this folder — not a symlink, not a hard link to, say, the database.
  std::optional<std::string> output(std::string_view name) const;

 private:
  std::string path_;
};

}  // namespace parta::printer
