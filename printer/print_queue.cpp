#include "printer/print_queue.hpp"

#include <cups/cups.h>

namespace parta::printer {

namespace {
const char* state_name(ipp_jstate_t s) {
  switch (s) {
    case IPP_JSTATE_PENDING:
      return "pending";
    case IPP_JSTATE_HELD:
      return "held";
    case IPP_JSTATE_PROCESSING:
      return "processing";
    case IPP_JSTATE_STOPPED:
      return "stopped";
    case IPP_JSTATE_CANCELED:
      return "canceled";
    case IPP_JSTATE_ABORTED:
      return "aborted";
    case IPP_JSTATE_COMPLETED:
      return "completed";
  }
  return "unknown";
}
}  // namespace

std::vector<Printer> list_printers() {
  std::vector<Printer> out;
  cups_dest_t* dests = nullptr;
  int n = cupsGetDests2(CUPS_HTTP_DEFAULT, &dests);
  for (int i = 0; i < n; ++i) {
    const cups_dest_t& d = dests[i];
    if (d.instance) continue;
    Printer p;
    p.name = d.name;
    if (const char* v = cupsGetOption("printer-info", d.num_options, d.options)) p.info = v;
    if (const char* v = cupsGetOption("printer-location", d.num_options, d.options)) p.location = v;
    if (const char* v = cupsGetOption("printer-is-accepting-jobs", d.num_options, d.options))
      p.accepting = std::string(v) != "false";
    p.is_default = d.is_default != 0;
    out.push_back(p);
  }
  cupsFreeDests(n, dests);
  return out;
}

PrintResult print_pdf(const std::string& printer, const std::string& path, const std::string& title,
                      bool two_sided) {
  cups_option_t* options = nullptr;
  int n = 0;
  n = cupsAddOption("media", "iso_a4_210x297mm", n, &options);
  n = cupsAddOption("print-color-mode", "monochrome", n, &options);
  n = cupsAddOption("sides", two_sided ? "two-sided-long-edge" : "one-sided", n, &options);
  n = cupsAddOption("fit-to-page", "false", n, &options);
  int job =
      cupsPrintFile2(CUPS_HTTP_DEFAULT, printer.c_str(), path.c_str(), title.c_str(), n, options);
  cupsFreeOptions(n, options);
  PrintResult r;
  r.job = job;
  if (job == 0) r.error = cupsLastErrorString();
  return r;
}

std::optional<JobStatus> job_status(const std::string& printer, int job) {
  cups_job_t* jobs = nullptr;
  int n = cupsGetJobs2(CUPS_HTTP_DEFAULT, &jobs, printer.c_str(), 0, CUPS_WHICHJOBS_ALL);
  std::optional<JobStatus> out;
  for (int i = 0; i < n; ++i)
    if (jobs[i].id == job) {
      out = JobStatus{state_name(jobs[i].state), jobs[i].state >= IPP_JSTATE_CANCELED};
      break;
    }
  cupsFreeJobs(n, jobs);
  return out;
}

}  // namespace parta::printer
