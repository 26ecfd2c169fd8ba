// Travel copies (printer/travel.hpp): a photo of a page on a table is cut to the page, made grey
// when it is a text page and kept in colour when it has a drawing, made smaller than the photo;
// the codes of a packet page photographed still read on the copy; hostile files are refused with
// the reason, never decoded past the pixel cap.
#include <gtest/gtest.h>
#include <vips/vips8>

#include <fstream>

#include "printer/packet.hpp"
#include "printer/travel.hpp"
#include "test_db.hpp"

namespace parta::printer {
namespace {

void write(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary).write(bytes.data(), std::streamsize(bytes.size()));
}

std::string jpeg_of(vips::VImage img, int q = 92) {
  void* buf = nullptr;
  std::size_t size = 0;
  img.write_to_buffer(".jpg", &buf, &size, vips::VImage::option()->set("Q", q));
  std::string out(static_cast<char*>(buf), size);
  g_free(buf);
  return out;
}

// A phone photo: a page (paper, lines of dark "print" and blue "ink", maybe a red and green
// drawing) lying on a brown table, with the lamp's gradient across it.
vips::VImage photo(int w, int h, bool drawing) {
  init_vips();
  auto table = vips::VImage::black(w, h, vips::VImage::option()->set("bands", 3)) +
               std::vector<double>{96, 72, 50};
  int pw = w * 6 / 10, ph = h * 8 / 10, px = w * 2 / 10, py = h / 10;
  auto page = vips::VImage::black(pw, ph, vips::VImage::option()->set("bands", 3)) +
              std::vector<double>{238, 236, 228};
  page = page.cast(VIPS_FORMAT_UCHAR).copy_memory();  // drawn on in place
  for (int line = 0; line < 14; ++line) {
    int y = ph / 10 + line * ph / 20;
    std::vector<double> ink =
        line < 4 ? std::vector<double>{30, 30, 30} : std::vector<double>{40, 60, 170};
    for (int word = 0; word < 7; ++word) {
      int x = pw / 12 + word * pw / 8;
      page.draw_rect(ink, x, y, pw / 12, std::max(3, ph / 200),
                     vips::VImage::option()->set("fill", true));
      page.draw_rect(ink, x, y - ph / 80, std::max(2, pw / 300), ph / 80,
                     vips::VImage::option()->set("fill", true));
    }
  }
  if (drawing) {
    page.draw_rect({200, 30, 30}, pw / 2, ph * 6 / 10, pw / 4, ph / 6,
                   vips::VImage::option()->set("fill", true));
    page.draw_rect({30, 170, 40}, pw / 8, ph * 6 / 10, pw / 4, ph / 6,
                   vips::VImage::option()->set("fill", true));
  }
  auto shot = table.insert(page, px, py);
  // The lamp: darker to the right.
  auto ramp = vips::VImage::xyz(w, h).extract_band(0) * (-0.25 / w) + 1.0;
  return (shot * ramp).cast(VIPS_FORMAT_UCHAR);
}

class TravelTest : public ::testing::Test {
 protected:
  testing::TempDir dir;
};

TEST_F(TravelTest, APageOnATableIsCutOutMadeGreyAndSmaller) {
  std::string path = dir.file("photo.jpg");
  write(path, jpeg_of(photo(3000, 4000, false)));
  auto original = std::filesystem::file_size(path);
  TravelParams p;
  TravelCopy c = make_travel_copy(path, p);
  EXPECT_TRUE(c.cropped);
  EXPECT_TRUE(c.grey);
  EXPECT_EQ(std::max(c.width, c.height), 1400);
  // The page is 60 % of the width and 80 % of the height of the photo, plus a margin.
  EXPECT_NEAR(static_cast<double>(c.width) / c.height, 0.6 * 3000 / (0.8 * 4000), 0.05);
  EXPECT_LT(c.jpeg.size(), original / 5);
  PageImage back = decode_image(c.jpeg);
  EXPECT_EQ(back.width, c.width);
  // The paper evened out: the left and right of the page are both near white.
  auto at = [&back](int x, int y) { return back.gray[std::size_t(y) * back.width + x]; };
  EXPECT_GT(at(back.width / 20, back.height / 2 + 7), 225);
  EXPECT_GT(at(back.width - back.width / 20, back.height / 2 + 7), 225);
}

TEST_F(TravelTest, APageWithADrawingKeepsItsColours) {
  std::string path = dir.file("drawing.jpg");
  write(path, jpeg_of(photo(2000, 1500, true)));
  TravelCopy c = make_travel_copy(path, {});
  EXPECT_FALSE(c.grey);
  // The red and green blocks darken rows of the page: whatever is cut, they are kept (the copy
  // is the whole photo, or at least as tall, relative to its width, as the page).
  EXPECT_TRUE(!c.cropped ||
              static_cast<double>(c.height) / c.width >= 0.8 * 1500 / (0.6 * 2000) - 0.05)
      << c.width << " x " << c.height;
  TravelParams always;
  always.grey = TravelParams::Grey::always;
  EXPECT_TRUE(make_travel_copy(path, always).grey);
}

TEST_F(TravelTest, APhotoThatIsAllPageIsNotCut) {
  init_vips();
  auto page = (vips::VImage::black(900, 1260) + 235.0).cast(VIPS_FORMAT_UCHAR).copy_memory();
  page.draw_rect({20}, 100, 300, 800, 6, vips::VImage::option()->set("fill", true));
  std::string path = dir.file("scan.png");
  page.write_to_file(path.c_str());
  TravelCopy c = make_travel_copy(path, {});
  EXPECT_FALSE(c.cropped);
  EXPECT_TRUE(c.grey);
  EXPECT_EQ(c.width, 900);  // never enlarged
}

TEST_F(TravelTest, APacketPageKeepsItsCodesEvenAtAStingyQuality) {
  PacketInfo p;
  p.school = "СОШ";
  p.class_name = "5А";
  p.student_name = "Новикова Дарья";
  p.student_no = "17";
  p.subject = "Русский язык";
  p.teacher = "Смирнова О. В.";
  p.title = "Упражнение 112";
  p.due = "27.11.2026";
  p.body_markdown = "Выполните упражнение.";
  p.answer_pages = 1;
  p.id = PagePayload{7, 25, 0, 0, "RUN7QZ"};
  std::string pdf = dir.file("packet.pdf");
  render_packets({p}, pdf);
  PageImage page = load_page(pdf, 1, 100);  // a faxed page: 100 dpi
  auto img = vips::VImage::new_from_memory(page.gray.data(), page.gray.size(), page.width,
                                           page.height, 1, VIPS_FORMAT_UCHAR);
  std::string path = dir.file("faxed.jpg");
  write(path, jpeg_of(img, 95));
  ASSERT_EQ(read_page(page).codes, 2);
  TravelParams stingy;
  stingy.quality = 5;
  stingy.long_side = 600;
  TravelCopy c = make_travel_copy(path, stingy);
  // Quality 5 loses the codes; the copy is made again at 85 (then larger, if need be), where
  // they read.
  EXPECT_FALSE(c.codes_lost);
  EXPECT_EQ(c.quality, 85);
  EXPECT_EQ(read_page(decode_image(c.jpeg)).codes, 2);
  TravelCopy fine = make_travel_copy(path, {});
  EXPECT_FALSE(fine.codes_lost);
  EXPECT_EQ(read_page(decode_image(fine.jpeg)).codes, 2);
}

// The box's own packet pages as fax machines send them (tests/fixtures/scans: rendered, shrunk to
// 80-100 dpi, dithered to one bit, grey paper and noise): every code the box reads on the page
// still reads on its travel copy (made again larger or better when it would not), and the copy is
// grey. (A one-bit PNG is smaller than its copy: partad sends such a page as it is.)
TEST_F(TravelTest, FaxedAndScannedPacketPagesKeepTheirCodes) {
  for (const char* name : {"fax-100dpi-article.png", "fax-100dpi-cover.png",
                           "fax-100dpi-grey-noisy.png", "fax-80dpi-grey-paper.png"}) {
    std::string path = std::string(PARTA_SOURCE_DIR) + "/tests/fixtures/scans/" + name;
    int before = read_page(load_page(path, 0, 200)).codes;
    ASSERT_GT(before, 0) << name;
    TravelCopy c = make_travel_copy(path, {});
    EXPECT_FALSE(c.codes_lost) << name;
    EXPECT_TRUE(c.grey) << name;
    EXPECT_EQ(read_page(decode_image(c.jpeg)).codes, before) << name;
  }
}

TEST_F(TravelTest, HostileFilesAreRefusedWithTheirReason) {
  std::string text = dir.file("note.jpg");
  write(text, "not a picture at all");
  EXPECT_THROW(make_travel_copy(text, {}), Unreadable);
  std::string cut = dir.file("cut.jpg");
  std::string whole = jpeg_of(photo(800, 600, false));
  write(cut, whole.substr(0, 200));
  EXPECT_THROW(make_travel_copy(cut, {}), Unreadable);
  // A 20 000 × 20 000 PNG header: refused from the header, never decoded.
  init_vips();
  std::string huge = dir.file("huge.png");
  vips::VImage::black(20000, 20000).cast(VIPS_FORMAT_UCHAR).write_to_file(huge.c_str());
  TravelParams p;
  p.max_pixels = 40'000'000;
  EXPECT_THROW(make_travel_copy(huge, p), TooLarge);
}

TEST(FindPage, ABrightPageOnADarkTableIsFoundAndAPlainImageIsNot) {
  const int w = 400, h = 300;
  std::vector<std::uint8_t> rgb(std::size_t(w) * h * 3, 60);
  for (int y = 30; y < 270; ++y)
    for (int x = 100; x < 300; ++x)
      for (int c = 0; c < 3; ++c) rgb[(std::size_t(y) * w + x) * 3 + c] = 235;
  auto f = find_page(rgb.data(), w, h);
  EXPECT_TRUE(f.found);
  EXPECT_NEAR(f.left, 100, 8);
  EXPECT_NEAR(f.right, 300, 8);
  EXPECT_NEAR(f.top, 30, 8);
  EXPECT_NEAR(f.bottom, 270, 8);
  EXPECT_TRUE(f.text_page);
  std::vector<std::uint8_t> flat(std::size_t(w) * h * 3, 200);
  EXPECT_FALSE(find_page(flat.data(), w, h).found);
  EXPECT_FALSE(find_page(flat.data(), 3, 3).found);
}

}  // namespace
}  // namespace parta::printer
