#pragma once
// Printing through CUPS (libcups): the queues the box knows (IPP Everywhere / driverless printers
// need no driver), sending a PDF on A4, and a job's state. Which CUPS server is used follows the
// usual CUPS_SERVER setting, so tests point it at a scheduler of their own.
#include <optional>
#include <string>
#include <vector>

namespace parta::printer {

struct Printer {
  std::string name, info, location;
  bool is_default = false;
  bool accepting = true;
};
std::vector<Printer> list_printers();

struct PrintResult {
  int job = 0;        // 0: failed
  std::string error;  // what CUPS said when it failed
};
PrintResult print_pdf(const std::string& printer, const std::string& path, const std::string& title,
                      bool two_sided);

struct JobStatus {
  std::string state;  // pending, held, processing, stopped, canceled, aborted, completed
  bool done = false;
};
std::optional<JobStatus> job_status(const std::string& printer, int job);

}  // namespace parta::printer
