// parta-paper: partad's paper helper, one process per job (printer/paper_job.hpp,
// printer/README.md). Reads one JSON job from stdin, writes its files into the folder the job names
// and one JSON result to stdout. No database, no sockets of its own (CUPS aside); partad gives it a
// memory limit, a wall-clock limit and a low priority, and counts its crashes.
#include <clocale>
#include <cstdio>
#include <iostream>
#include <iterator>
#include <string>

#include "printer/job_runner.hpp"

int main() {
  // pango and poppler need a UTF-8 locale for Cyrillic.
  std::setlocale(LC_CTYPE, "C.UTF-8");
  // A job is at most a class's packets (Markdown and names): far below this.
  constexpr std::size_t kMaxJob = 64u << 20;
  std::string job;
  char buf[65536];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, stdin)) > 0;) {
    job.append(buf, n);
    if (job.size() > kMaxJob) {
      std::fputs("parta-paper: the job is too large\n", stderr);
      return 2;
    }
  }
  std::string result;
  int code = parta::printer::run_job_text(job, result);
  std::cout << result << "\n" << std::flush;
  return std::cout ? code : 1;
}
