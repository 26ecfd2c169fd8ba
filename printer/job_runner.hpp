#pragma once
// What the parta-paper helper does with one job (printer/paper_job.hpp): render packets or login
// cards into the job's folder, read one scan page, count a file's pages, or ask CUPS. Anything a
// library throws becomes a result that says what went wrong; only a crash or a kill escapes,
// and partad counts those.
#include <string>
#include <string_view>

#include "printer/paper_job.hpp"

namespace parta::printer {

JobResult run_job(const Job& job);
// The whole exchange for parta-paper's main: the job's text in, the result's text into `out`.
// Returns the exit code: 0 when the job ran (even if it failed), 2 when it was refused.
int run_job_text(std::string_view job_text, std::string& out);

}  // namespace parta::printer
