// libFuzzer target for the paper helper's result as partad reads it (printer/paper_job): the
// helper may have decoded a hostile image, so any bytes must give either a result whose file
// names stay inside the job's folder and whose figures are in range, or a refusal.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "printer/paper_job.hpp"

using namespace parta::printer;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  // The first byte chooses the job kind the result answers.
  auto kind = static_cast<JobKind>(data[0] % 9);
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  std::string why;
  auto r = parse_result(kind, text, &why);
  if (!r) {
    if (why.empty()) std::abort();  // a refusal always says why
    return 0;
  }
  for (const auto& f : r->files)
    if (!safe_file_name(f.name) || f.pages < 0) std::abort();
  if (r->ok() && kind == JobKind::packets && !safe_file_name(r->combined.name)) std::abort();
  if (r->ok() && (kind == JobKind::read_page || kind == JobKind::travel_copy) &&
      !safe_file_name(r->jpeg))
    std::abort();
  if (r->payload && r->payload->size() > 64) std::abort();
  // A quiz page's boxes: every crop named inside the folder (or none), every figure a share.
  for (const auto& row : r->read.rows)
    if (!row.crop.empty() && !safe_file_name(row.crop)) std::abort();
  for (const auto& w : r->read.writes)
    if (!w.crop.empty() && !safe_file_name(w.crop)) std::abort();
  for (const auto& b : r->read.boxes)
    if (!(b.ink >= 0 && b.ink <= 1 && b.beside >= 0 && b.beside <= 1)) std::abort();
  for (const auto& f : r->files)
    for (const auto& b : f.boxes)
      if (b.page < 1 || !(b.w >= 0 && b.h >= 0)) std::abort();
  if (!r->frame.empty() && r->frame.size() != 9) std::abort();
  // What partad accepted, written again, reads back the same.
  auto again = parse_result(kind, result_to_json(kind, *r), &why);
  if (!again || again->files.size() != r->files.size() || again->error != r->error) std::abort();
  return 0;
}
