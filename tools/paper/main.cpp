// parta-paper: partad's paper helper (printer/paper_job.hpp, printer/README.md). Reads JSON jobs
// from stdin, one per line (the last may end at the end of the input instead), writes each job's
// files into the folder it names and one JSON result line to stdout per job, in order, until its
// stdin ends. partad sends one job, or one read_page and then, having read its answer, the
// read_boxes job of the same page (read from the picture still in memory). No database, no
// sockets of its own (CUPS aside); partad gives it a memory limit, a wall-clock limit and a low
// priority, and counts its crashes.
#include <unistd.h>

#include <cerrno>
#include <clocale>
#include <cstdio>
#include <iostream>
#include <string>

#include "printer/job_runner.hpp"

int main() {
  // pango and poppler need a UTF-8 locale for Cyrillic.
  std::setlocale(LC_CTYPE, "C.UTF-8");
  // A job is at most a class's packets (Markdown and names): far below this.
  constexpr std::size_t kMaxJob = 64u << 20;
  parta::printer::Session session;
  std::string input;
  bool eof = false;
  int code = 0, jobs = 0;
  char buf[65536];
  while (true) {
    // One line (read() returns what the pipe has: partad waits for this answer before it sends
    // the next job).
    std::size_t nl;
    while ((nl = input.find('\n')) == std::string::npos && !eof) {
      ssize_t n = ::read(0, buf, sizeof buf);
      if (n > 0) {
        input.append(buf, static_cast<std::size_t>(n));
        if (input.size() > kMaxJob) {
          std::fputs("parta-paper: the job is too large\n", stderr);
          return 2;
        }
      } else if (n == 0 || errno != EINTR) {
        eof = true;
      }
    }
    std::string job;
    if (nl == std::string::npos) {
      job.swap(input);
    } else {
      job = input.substr(0, nl);
      input.erase(0, nl + 1);
    }
    const bool blank = job.find_first_not_of(" \t\r") == std::string::npos;
    // (No job at all is answered as a bad job, as any other input that is not one.)
    if (!blank || jobs == 0) {
      std::string result;
      code = parta::printer::run_job_text(job, result, &session);
      ++jobs;
      std::cout << result << "\n" << std::flush;
      if (!std::cout) return 1;
    }
    if (eof && input.empty()) return code;
  }
}
