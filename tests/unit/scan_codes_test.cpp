// Scan intake tells apart what it found on a page: a valid Parta code, a Parta code whose check
// value is wrong (damaged, edited), another document's code, or no code at all, so the review
// queue can say which (issue 18).
#include <gtest/gtest.h>
#include <qrencode.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "printer/qr_payload.hpp"
#include "printer/scan.hpp"

namespace parta::printer {
namespace {

// A white A5-ish page at 150 dpi with the given QR codes drawn along its top, 6 px a module.
PageImage page_with(const std::vector<std::string>& texts) {
  PageImage p;
  p.width = 900;
  p.height = 1200;
  p.gray.assign(static_cast<std::size_t>(p.width) * p.height, 255);
  int x0 = 40;
  for (const auto& t : texts) {
    QRcode* q = QRcode_encodeString(t.c_str(), 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    EXPECT_NE(q, nullptr);
    if (!q) continue;
    const int m = 6;
    for (int y = 0; y < q->width; ++y)
      for (int x = 0; x < q->width; ++x)
        if (q->data[y * q->width + x] & 1)
          for (int dy = 0; dy < m; ++dy)
            for (int dx = 0; dx < m; ++dx)
              p.gray[static_cast<std::size_t>(60 + y * m + dy) * p.width + x0 + x * m + dx] = 0;
    x0 += q->width * m + 80;
    QRcode_free(q);
  }
  return p;
}

std::string valid() { return encode_payload({12, 345, 2, 4, "K3J9QZ"}); }

TEST(ScanCodes, AValidCodeIsReadAndCounted) {
  auto r = read_page(page_with({valid()}));
  ASSERT_TRUE(r.id);
  EXPECT_EQ(r.id->student, 345);
  EXPECT_EQ(r.codes, 1);
  EXPECT_FALSE(r.foreign);
  EXPECT_FALSE(r.damaged);
}

TEST(ScanCodes, AnotherDocumentsCodeIsForeign) {
  auto r = read_page(page_with({"https://example.org/ticket/42"}));
  EXPECT_FALSE(r.id);
  EXPECT_EQ(r.codes, 0);
  EXPECT_TRUE(r.foreign);
  EXPECT_FALSE(r.damaged);
}

TEST(ScanCodes, APartaCodeWithAWrongCheckValueIsDamaged) {
  std::string bad = valid();
  bad.back() = bad.back() == '0' ? '1' : '0';  // the CRC no longer holds
  auto r = read_page(page_with({bad}));
  EXPECT_FALSE(r.id);
  EXPECT_TRUE(r.damaged);
  EXPECT_FALSE(r.foreign);
}

TEST(ScanCodes, NoCodeAtAll) {
  auto r = read_page(page_with({}));
  EXPECT_FALSE(r.id);
  EXPECT_FALSE(r.foreign);
  EXPECT_FALSE(r.damaged);
  EXPECT_EQ(r.codes, 0);
}

// Real packet pages (the cover and a printed reference article) as a fax machine sends them:
// rendered at 300 dpi, shrunk to 100 dpi, one bit with Floyd–Steinberg dithering, PNG
// (tests/fixtures/scans/, made with PIL from a packet partad printed).
TEST(ScanCodes, RealPacketPagesFaxedAreRead) {
  // The last two as a worn fax sends them: grey paper, grey toner, noise; one at 80 dpi, whose
  // codes only the fax view reads (smoothed and enlarged), the other blurred at 100 dpi.
  for (const char* name : {"fax-100dpi-cover.png", "fax-100dpi-article.png",
                           "fax-80dpi-grey-paper.png", "fax-100dpi-grey-noisy.png"}) {
    std::ifstream in(std::string(PARTA_SOURCE_DIR) + "/tests/fixtures/scans/" + name,
                     std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ASSERT_FALSE(bytes.empty()) << name;
    auto r = read_page(decode_image(bytes));
    ASSERT_TRUE(r.id) << name;
    EXPECT_EQ(r.id->assignment, 1) << name;
    EXPECT_EQ(r.id->student, 25) << name;
    EXPECT_EQ(r.id->pages, 4) << name;
    // Registered by its four corner marks, its codes where they must be.
    EXPECT_EQ(r.marks, 4) << name;
    EXPECT_FALSE(r.misplaced || r.unplaced) << name;
    EXPECT_EQ(r.turn, 0) << name;
  }
}

std::string fixture(const char* name) {
  std::ifstream in(std::string(PARTA_SOURCE_DIR) + "/tests/fixtures/scans/" + name,
                   std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_FALSE(bytes.empty()) << name;
  return bytes;
}

PageRead read_fixture(const char* name) { return read_page(decode_image(fixture(name))); }

// A phone photo of student 25's answer page, its top code scribbled over, with student 26's sheet
// lying on it, 26's code over 25's bottom one (tests/fixtures/scans/make_foreign.py). The one code
// read is 26's: it used to be enough to file the page to 26. The marks that code promises are
// not there (25's are elsewhere): the page is not filed on it.
TEST(ScanRegistration, AnotherSheetsCornerOnTopIsNotFiledOn) {
  auto r = read_fixture("foreign-corner-photo.jpg");
  ASSERT_TRUE(r.id);
  EXPECT_EQ(r.id->student, 26);
  EXPECT_EQ(r.codes, 1);
  EXPECT_LT(r.marks, 3);
  EXPECT_TRUE(r.unplaced);
}

// Student 26's code cut out and glued on 25's page, 8 mm off its place; 25's own bottom code
// scribbled over. 25's corner marks are found, and by them the code is not in a code's place.
TEST(ScanRegistration, ACodeGluedOffItsPlaceIsMisplaced) {
  auto r = read_fixture("pasted-code.jpg");
  ASSERT_TRUE(r.id);
  EXPECT_EQ(r.id->student, 26);
  EXPECT_GE(r.marks, 3);
  EXPECT_TRUE(r.misplaced);
}

// One code only, the page's own, in its place: filed; the page is scanned upside down and is
// kept turned upright.
TEST(ScanRegistration, OneOwnCodeInPlaceIsEnoughAndThePageTurnsUpright) {
  auto r = read_fixture("own-code-upside-down.jpg");
  ASSERT_TRUE(r.id);
  EXPECT_EQ(r.id->student, 25);
  EXPECT_EQ(r.codes, 1);
  EXPECT_EQ(r.marks, 4);
  EXPECT_FALSE(r.misplaced || r.unplaced || r.disagree);
  EXPECT_EQ(r.turn, 180);
  // The kept JPEG is upright: its codes read the right way up (the page's top code, scribbled
  // over, is now at the top right; the readable one at the bottom left, upright).
  auto kept = read_page(
      decode_image(page_jpeg(decode_image(fixture("own-code-upside-down.jpg")), 1400, r.turn)));
  ASSERT_TRUE(kept.id);
  EXPECT_EQ(kept.turn, 0);
}

// A synthetic page with a code and no marks at all: read, but one code alone is not filed on.
TEST(ScanRegistration, OneCodeWithoutMarksIsUnplaced) {
  auto r = read_page(page_with({valid()}));
  ASSERT_TRUE(r.id);
  EXPECT_TRUE(r.unplaced);
}

}  // namespace
}  // namespace parta::printer
