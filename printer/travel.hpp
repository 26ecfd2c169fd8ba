#pragma once
// Travel copies: what goes to the district in place of a phone photo or a scan of a page. The box
// keeps the original; the copy is the page cut out of the photo where it can be found, in grey when
// it is a text page (ink and paper; a colour drawing keeps its colours), its paper evened out
// (the shadow of the phone, the lamp's gradient), at most `long_side` pixels on its long side, a
// JPEG at `quality`. Parameters chosen from the legibility curve of tests/bench/travel_copies.py
// (OCR agreement with the original and every QR code still read; figures in RESULTS.md).
// Only JPEG and PNG, by their first bytes, and a picture's size is read from its header first.
#include <cstdint>
#include <string>

#include "printer/scan.hpp"

namespace parta::printer {

struct TravelParams {
  int long_side = 1400;
  int quality = 50;
  enum class Grey { automatic, always, never } grey = Grey::automatic;
  std::int64_t max_pixels = kDefaultMaxPixels;
  // A page that plainly carries codes (one quick look at the decoded photo) keeps them: the copy
  // is read back, made again at a higher quality if a code was lost, and marked `codes_lost` if
  // it still is (then the original travels).
  bool keep_codes = true;
  // Reads the QR codes of the original at full size and of the copy, for the bench's figures.
  bool check_codes = false;
};

struct TravelCopy {
  std::string jpeg;  // the copy's bytes
  int width = 0, height = 0;
  bool grey = false;     // made grey (a text page)
  bool cropped = false;  // the page was found and the rest of the photo cut away
  int quality = 0;       // the JPEG quality used (raised to keep the codes)
  bool codes_lost = false;
  // check_codes: valid Parta codes read on the original and on the copy; other codes seen.
  int codes_original = 0, codes_copy = 0;
  bool foreign_original = false, foreign_copy = false;
};

// Throws Unreadable (not a JPEG or PNG that can be read) or TooLarge (from the header, before
// decoding).
TravelCopy make_travel_copy(const std::string& path, const TravelParams& params);

// What the analysis of a small view of the photo found (exposed for the tests).
struct PageFinding {
  bool found = false;                            // a page stands out from what lies around it
  int left = 0, top = 0, right = 0, bottom = 0;  // in the view's pixels, right/bottom exclusive
  bool text_page = false;                        // paper and ink: no colour area beyond the ink
};
// `rgb`: w × h pixels, 3 bytes each.
PageFinding find_page(const std::uint8_t* rgb, int w, int h);

}  // namespace parta::printer
