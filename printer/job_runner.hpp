#pragma once
// What the parta-paper helper does with one job (printer/paper_job.hpp): render packets or login
// cards into the job's folder, read one scan page, count a file's pages, or ask CUPS. Anything a
// library throws becomes a result that says what went wrong; only a crash or a kill escapes,
// and partad counts those.
#include <cstdint>
#include <string>
#include <string_view>

#include "printer/paper_job.hpp"
#include "printer/scan.hpp"

namespace parta::printer {

// What one helper run keeps between its jobs: the last page it decoded, so that a read_boxes job
// after read_page on the same page reads the picture already in memory instead of decoding it
// again. Known by the file's path, page, inode, size and modification time.
class Session {
 public:
  const PageImage* page(const std::string& path, int index) const;
  void keep(const std::string& path, int index, PageImage image);

 private:
  struct Key {
    std::string path;
    int index = -1;
    std::uint64_t inode = 0, size = 0;
    std::int64_t mtime_ns = 0;
    bool operator==(const Key&) const = default;
  };
  static Key key_of(const std::string& path, int index);
  Key key_;
  PageImage image_;
};

JobResult run_job(const Job& job, Session* session = nullptr);
// The exchange for one job for parta-paper's main: the job's text in, the result's text into
// `out`. Returns the exit code: 0 when the job ran (even if it failed), 2 when it was refused.
int run_job_text(std::string_view job_text, std::string& out, Session* session = nullptr);

}  // namespace parta::printer
