#pragma once
// Reading a quiz's answer boxes on a scanned page (issue 18): each box the renderer recorded
// (packet.hpp AnswerBox) is found through the page's map (registration.hpp), then nudged onto its
// printed outline; the ink inside it, measured against the page's own paper and toner around the
// box, says filled, empty or doubtful. A person decides what the page does not say plainly: a
// faint or half-erased mark, a mark beside the box, a box filled in whole (the sheet's way to
// take a mark back), two marks where one answer is asked. Nothing is guessed.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "printer/packet.hpp"
#include "printer/registration.hpp"
#include "printer/scan.hpp"

namespace parta::printer {

enum class BoxState {
  empty,
  marked,    // a cross, a tick, a dot of ink in the box
  full,      // filled in whole: taken back, or a way of marking; a person decides
  doubtful,  // faint, smudged, erased, ink beside the box, or the box not found
};
// Its name in the helper's answers, and back (paper_job.cpp).
const char* box_state_code(BoxState s);
std::optional<BoxState> box_state_from(std::string_view s);

struct BoxReading {
  int question = 0, option = 0;  // as in AnswerBox (kWriteIn: a frame to write in)
  BoxState state = BoxState::empty;
  // What was measured: the share of the box's inside that is dark (`ink`) or at least grey
  // (`grey`), of the blank band around it that is not blank (`beside`), and how well the printed
  // outline was found (0..1).
  double ink = 0, grey = 0, beside = 0, outline = 0;
};

// A question as read: decided (the options chosen, maybe none), or for a person (with why).
struct RowReading {
  int question = 0;
  bool decided = false;
  std::vector<int> chosen;  // option indexes marked
  std::string why;          // when not decided: "faint", "full", "beside", "two", "lost"
  std::string crop;         // a JPEG of the question, upright, for the teacher (a file name)
};
// A frame written in: its picture for the teacher, or nothing written.
struct WriteIn {
  int question = 0;
  bool blank = true;
  std::string crop;
};

struct BoxesRead {
  std::vector<BoxReading> boxes;
  std::vector<RowReading> rows;
  std::vector<WriteIn> writes;
};

// Reads `boxes` (those of this page) on `page` through `map` (layout points → pixels). Crops of
// questions a person must decide, and of every frame written in, are written into `out_dir` as
// JPEG (names "q<question>.jpg", "w<question>.jpg"). Throws std::runtime_error when a crop cannot
// be written.
BoxesRead read_boxes(const PageImage& page, const Homography& map,
                     const std::vector<AnswerBox>& boxes, const std::string& out_dir);

}  // namespace parta::printer
