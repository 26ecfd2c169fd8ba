// A quiz on paper (issue 18): a packet with a quiz is rendered, its answer places recorded; the
// rendered page is marked the way students mark (a cross, a tick, two in a single-choice row, a
// faint pencil tick, a box filled in whole, a tick beside the box, a number written in the
// frame) and read back through the page's own registration — upright, upside down and as a
// phone's skewed photo.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>

#include <cairo-pdf.h>
#include <cairo.h>
#include <vips/vips8>

#include <fstream>
#include <iterator>

#include "printer/boxes.hpp"
#include "printer/job_runner.hpp"
#include "printer/packet.hpp"
#include "printer/pdf_scan.hpp"
#include "printer/registration.hpp"
#include "printer/scan.hpp"
#include "printer/vips_page.hpp"
#include "test_db.hpp"

namespace parta::printer {
namespace {

using Form = PaperQuestion::Form;

PacketInfo quiz_packet() {
  PacketInfo p;
  p.school = "МОУ «СОШ с. Ягодное»";
  p.class_name = "7А";
  p.student_name = "Новикова Дарья";
  p.title = "Проверочная: дроби";
  p.due = "27.11.2026 18:00";
  p.how_to_return = "Принесите листы в школу.";
  p.answer_pages = 0;
  p.id = PagePayload{7, 25, 0, 0, "QUIZ7A"};
  p.quiz_title = p.title;
  // The student's order: question 3 first, options shuffled (the indexes are the quiz's own).
  p.quiz.push_back(
      {3, Form::one, "Какая дробь больше половины?", {{2, "3/5"}, {0, "1/3"}, {1, "2/7"}}, 1});
  p.quiz.push_back(
      {0, Form::many, "Отметьте дроби, равные 1/2.", {{1, "2/4"}, {0, "3/5"}, {2, "5/10"}}, 2});
  p.quiz.push_back({1,
                    Form::one,
                    "Сколько будет 1/2 + 1/4?",
                    {{0, "3/4"}, {1, "2/6"}, {2, "1/8"}, {3, "3/8"}},
                    1});
  p.quiz.push_back({2, Form::line, "Найдите 3/4 от 20.", {}, 1});
  p.quiz.push_back({4, Form::frame, "Объясните, почему 2/4 = 1/2.", {}, 3});
  p.quiz.push_back({5, Form::one, "Верно ли, что 0,5 = 1/2?", {{0, "Верно"}, {1, "Неверно"}}, 1});
  return p;
}

// A stroke of `width` points from a to b (points on the page), `level` its gray, drawn into the
// picture through the page's scale (pixels per point).
void stroke(PageImage& img, double k, Point a, Point b, double width, std::uint8_t level) {
  double x0 = std::min(a.x, b.x) - width, x1 = std::max(a.x, b.x) + width;
  double y0 = std::min(a.y, b.y) - width, y1 = std::max(a.y, b.y) + width;
  for (int y = static_cast<int>(y0 * k); y <= static_cast<int>(y1 * k); ++y)
    for (int x = static_cast<int>(x0 * k); x <= static_cast<int>(x1 * k); ++x) {
      if (x < 0 || y < 0 || x >= img.width || y >= img.height) continue;
      double px = x / k, py = y / k, dx = b.x - a.x, dy = b.y - a.y;
      double t = std::clamp(((px - a.x) * dx + (py - a.y) * dy) / (dx * dx + dy * dy), 0.0, 1.0);
      if (std::hypot(px - a.x - t * dx, py - a.y - t * dy) <= width / 2) {
        auto& v = img.gray[static_cast<std::size_t>(y) * img.width + x];
        v = std::min(v, level);
      }
    }
}

const AnswerBox& box(const std::vector<AnswerBox>& boxes, int question, int option) {
  for (const auto& b : boxes)
    if (b.question == question && b.option == option) return b;
  throw std::runtime_error("no such box");
}

void cross(PageImage& img, double k, const AnswerBox& b, std::uint8_t level = 30) {
  stroke(img, k, {b.x + 2, b.y + 2}, {b.x + b.w - 2, b.y + b.h - 2}, 1.2, level);
  stroke(img, k, {b.x + b.w - 2, b.y + 2}, {b.x + 2, b.y + b.h - 2}, 1.2, level);
}
void tick(PageImage& img, double k, double x, double y, std::uint8_t level = 30) {
  stroke(img, k, {x + 2, y + 6}, {x + 5, y + 10}, 1.2, level);
  stroke(img, k, {x + 5, y + 10}, {x + 11, y + 1}, 1.2, level);
}

class PaperQuiz : public ::testing::Test {
 protected:
  void SetUp() override {
    init_vips();
    std::vector<std::vector<AnswerBox>> all;
    pdf = dir.file("quiz.pdf");
    pages = render_packets({quiz_packet()}, pdf, &all);
    boxes = all[0];
  }
  std::vector<AnswerBox> on_page(int page) const {
    std::vector<AnswerBox> out;
    for (const auto& b : boxes)
      if (b.page == page) out.push_back(b);
    return out;
  }
  // The page read as partad reads it: its codes, its map, then its boxes.
  BoxesRead read(const PageImage& img, int page) {
    PageRead r = read_page(img);
    EXPECT_TRUE(r.id);
    EXPECT_EQ(r.frame.size(), 9u);
    std::array<double, 9> v{};
    std::copy_n(r.frame.begin(), 9, v.begin());
    auto map = Homography::from_values(v);
    EXPECT_TRUE(map);
    return read_boxes(img, *map, on_page(page), dir.path());
  }
  testing::TempDir dir;
  std::string pdf;
  int pages = 0;
  std::vector<AnswerBox> boxes;
};

std::map<int, RowReading> by_question(const BoxesRead& r) {
  std::map<int, RowReading> out;
  for (const auto& row : r.rows) out[row.question] = row;
  return out;
}

TEST_F(PaperQuiz, EveryAnswerPlaceIsRecordedWhereItIsDrawn) {
  // The cover, then the questions on one page (short options side by side).
  EXPECT_EQ(pages, 2);
  int options = 0, frames = 0, blocks = 0;
  for (const auto& b : boxes) {
    EXPECT_EQ(b.page, 2) << b.question;
    options += b.option >= 0;
    frames += b.option == AnswerBox::kWriteIn;
    blocks += b.option == AnswerBox::kBlock;
    EXPECT_GT(b.x, 38);
    EXPECT_LT(b.x + b.w, PageGeometry::kWidth - 30);
    EXPECT_GT(b.y, 110);                                // below the top code
    EXPECT_LT(b.y + b.h, PageGeometry::kHeight - 110);  // above the bottom code
  }
  EXPECT_EQ(options, 3 + 3 + 4 + 2);
  EXPECT_EQ(frames, 2);
  EXPECT_EQ(blocks, 6);
  // The student's order on paper: question 3 above question 0; the options as listed.
  EXPECT_LT(box(boxes, 3, AnswerBox::kBlock).y, box(boxes, 0, AnswerBox::kBlock).y);
  auto before = [&](int q, int first, int second) {
    const auto &a = box(boxes, q, first), &b = box(boxes, q, second);
    return a.y < b.y || (a.y == b.y && a.x < b.x);
  };
  EXPECT_TRUE(before(0, 1, 0));
  EXPECT_TRUE(before(0, 0, 2));
}

TEST_F(PaperQuiz, MarksAreReadAndWhatIsUnclearGoesToATeacher) {
  PageImage one = load_page(pdf, 1, 200);
  PageImage& two = one;
  const double k = one.width / PageGeometry::kWidth;
  cross(one, k, box(boxes, 3, 2));                       // one cross: decided
  tick(one, k, box(boxes, 0, 1).x, box(boxes, 0, 1).y);  // two ticks where several may be right
  cross(one, k, box(boxes, 0, 2));
  cross(one, k, box(boxes, 1, 0));  // two crosses where one is asked
  cross(one, k, box(boxes, 1, 3));
  const auto& line = box(boxes, 2, AnswerBox::kWriteIn);  // "15" written in the frame
  stroke(one, k, {line.x + 20, line.y + 6}, {line.x + 20, line.y + 24}, 1.0, 40);
  stroke(one, k, {line.x + 30, line.y + 6}, {line.x + 40, line.y + 14}, 1.0, 40);
  // A faint pencil tick in the true/false row; the open answer left blank.
  tick(two, k, box(boxes, 5, 0).x, box(boxes, 5, 0).y, 185);
  BoxesRead r = read(one, 2);
  auto rows = by_question(r);
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_TRUE(rows[3].decided);
  EXPECT_EQ(rows[3].chosen, std::vector<int>{2});
  EXPECT_TRUE(rows[0].decided);
  EXPECT_EQ((std::vector<int>{rows[0].chosen}), (std::vector<int>{1, 2}));
  EXPECT_FALSE(rows[1].decided);
  EXPECT_EQ(rows[1].why, "two");
  EXPECT_TRUE(std::filesystem::exists(dir.path() + "/" + rows[1].crop));
  ASSERT_EQ(r.writes.size(), 2u);
  EXPECT_FALSE(r.writes[0].blank);
  ASSERT_TRUE(std::filesystem::exists(dir.path() + "/" + r.writes[0].crop));
  // The crop is the frame, upright, larger than the printed frame in points.
  PageImage c = decode_image([&] {
    std::ifstream in(dir.path() + "/" + r.writes[0].crop, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }());
  EXPECT_GT(c.width, static_cast<int>(line.w));
  EXPECT_GT(c.width, c.height);

  EXPECT_FALSE(rows[5].decided);
  EXPECT_EQ(rows[5].why, "faint");
  // Its two options stand side by side: the crop reaches the second box (300 pt would not).
  ASSERT_FALSE(rows[5].crop.empty());
  PageImage tf = decode_image([&] {
    std::ifstream in(dir.path() + "/" + rows[5].crop, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }());
  EXPECT_GT(box(boxes, 5, 1).x, box(boxes, 5, 0).x + 200);
  EXPECT_GT(tf.width, static_cast<int>(2.2 * 300));
  EXPECT_EQ(r.writes[1].question, 4);
  EXPECT_TRUE(r.writes[1].blank);
  EXPECT_TRUE(r.writes[1].crop.empty());
}

TEST_F(PaperQuiz, AFullBoxAndATickBesideABoxAreForATeacher) {
  PageImage img = load_page(pdf, 1, 200);
  const double k = img.width / PageGeometry::kWidth;
  const auto& full = box(boxes, 3, 0);
  for (double y = full.y + 1; y < full.y + full.h - 1; y += 0.8)
    stroke(img, k, {full.x + 1, y}, {full.x + full.w - 1, y}, 1.0, 25);
  cross(img, k, box(boxes, 3, 1));  // taken back, then another chosen
  const auto& b = box(boxes, 1, 2);
  tick(img, k, b.x + b.w + 1, b.y - 2);  // beside the box, over nothing printed
  BoxesRead r = read(img, 2);
  auto rows = by_question(r);
  EXPECT_FALSE(rows[3].decided);
  EXPECT_EQ(rows[3].why, "full");
  EXPECT_FALSE(rows[1].decided);
  EXPECT_EQ(rows[1].why, "beside");
  // Nothing marked at all: decided, no answer.
  EXPECT_TRUE(rows[0].decided);
  EXPECT_TRUE(rows[0].chosen.empty());
}

TEST_F(PaperQuiz, AnUpsideDownScanAndASkewedPhotoReadTheSame) {
  PageImage img = load_page(pdf, 1, 200);
  const double k = img.width / PageGeometry::kWidth;
  cross(img, k, box(boxes, 3, 2));
  cross(img, k, box(boxes, 0, 0));
  cross(img, k, box(boxes, 1, 3));
  auto check = [&](const PageImage& picture, const char* what) {
    auto rows = by_question(read(picture, 2));
    EXPECT_EQ(rows[3].chosen, std::vector<int>{2}) << what;
    EXPECT_EQ(rows[0].chosen, std::vector<int>{0}) << what;
    EXPECT_EQ(rows[1].chosen, std::vector<int>{3}) << what;
    for (int q : {0, 1, 3, 5}) EXPECT_TRUE(rows[q].decided) << what << " " << q;
  };
  check(img, "upright");
  PageImage turned = img;
  std::reverse(turned.gray.begin(), turned.gray.end());
  check(turned, "upside down");
  // A phone's photo: the page smaller, turned 4° and seen at a slant, on a gray table.
  auto photo = vips::VImage::new_from_memory(img.gray.data(), img.gray.size(), img.width,
                                             img.height, 1, VIPS_FORMAT_UCHAR)
                   .similarity(vips::VImage::option()
                                   ->set("scale", 0.62)
                                   ->set("angle", 4.0)
                                   ->set("background", std::vector<double>{120}));
  PageImage skewed;
  skewed.width = photo.width();
  skewed.height = photo.height();
  std::size_t n = 0;
  auto* px = static_cast<std::uint8_t*>(photo.write_to_memory(&n));
  skewed.gray.assign(px, px + n);
  g_free(px);
  check(skewed, "photo");
}

// partad sends a quiz page's read_boxes to the helper that has just read its codes: the boxes are
// read from the picture kept in memory (halved for a fine scan, as a JPEG decoded at half size),
// and read the same as from the file; another picture at the same path is never taken for it.
TEST_F(PaperQuiz, BoxesAfterReadPageAreReadFromThePictureItDecoded) {
  PageImage img = load_page(pdf, 1, 300);
  const double k = img.width / PageGeometry::kWidth;
  cross(img, k, box(boxes, 3, 2));
  cross(img, k, box(boxes, 0, 0));
  const std::string scan = dir.file("scan.jpg");
  auto save = [&](const PageImage& p) {
    std::string tmp = dir.file("scan.tmp.jpg");
    detail::from_page(p).jpegsave(tmp.c_str(), vips::VImage::option()->set("Q", 88));
    std::filesystem::rename(tmp, scan);
  };
  save(img);
  Session session;
  Job job;
  job.kind = JobKind::read_page;
  job.path = scan;
  job.out = dir.path();
  JobResult first = run_job(job, &session);
  ASSERT_TRUE(first.ok()) << first.detail;
  ASSERT_EQ(first.frame.size(), 9u);
  ASSERT_NE(session.page(scan, 0), nullptr);
  EXPECT_EQ(session.page(scan, 1), nullptr);
  Job read = job;
  read.kind = JobKind::read_boxes;
  read.frame = first.frame;
  read.boxes = on_page(2);
  JobResult kept = run_job(read, &session), fresh = run_job(read);
  ASSERT_TRUE(kept.ok()) << kept.detail;
  ASSERT_TRUE(fresh.ok()) << fresh.detail;
  EXPECT_EQ(kept.width, img.width / 2);  // a 300 dpi page is read at half size either way
  EXPECT_EQ(fresh.width, kept.width);
  auto a = by_question(kept.read), b = by_question(fresh.read);
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [q, row] : a) {
    EXPECT_EQ(row.chosen, b[q].chosen) << q;
    EXPECT_EQ(row.decided, b[q].decided) << q;
  }
  EXPECT_EQ(a[3].chosen, std::vector<int>{2});
  EXPECT_EQ(a[0].chosen, std::vector<int>{0});
  // The file replaced by another scan (another cross): the kept picture is not used for it.
  cross(img, k, box(boxes, 1, 3));
  save(img);
  EXPECT_EQ(session.page(scan, 0), nullptr);
  JobResult again = run_job(read, &session);
  ASSERT_TRUE(again.ok()) << again.detail;
  EXPECT_EQ(by_question(again.read)[1].chosen, std::vector<int>{3});
}

// A scanner's PDF, as cairo and most scan software write one: each page one JPEG, embedded as it
// is (DCTDecode), filling an A4 page.
void scanner_pdf(const std::string& path, const std::vector<std::string>& jpegs,
                 const std::vector<std::pair<int, int>>& sizes, bool second_image = false) {
  cairo_surface_t* pdf = cairo_pdf_surface_create(path.c_str(), 595.28, 841.89);
  cairo_t* cr = cairo_create(pdf);
  for (std::size_t i = 0; i < jpegs.size(); ++i) {
    auto [w, h] = sizes[i];
    cairo_surface_t* img = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
    auto* copy = new std::string(jpegs[i]);
    cairo_surface_set_mime_data(
        img, CAIRO_MIME_TYPE_JPEG, reinterpret_cast<const unsigned char*>(copy->data()),
        copy->size(), [](void* p) { delete static_cast<std::string*>(p); }, copy);
    cairo_save(cr);
    cairo_scale(cr, 595.28 / w, 841.89 / h);
    cairo_set_source_surface(cr, img, 0, 0);
    cairo_paint(cr);
    cairo_restore(cr);
    if (second_image) {  // a stamp over the scan: a picture of its own
      cairo_surface_t* stamp = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 20, 20);
      cairo_set_source_surface(cr, stamp, 100, 100);
      cairo_paint(cr);
      cairo_surface_destroy(stamp);
    }
    cairo_surface_destroy(img);
    cairo_show_page(cr);
  }
  cairo_destroy(cr);
  cairo_surface_destroy(pdf);
}

// A scanner's PDF page is read as the JPEG it wraps: the same pixels as that scan sent as a .jpg
// (and the same shrink for the boxes), its codes read; a PDF of any other kind is rendered.
TEST_F(PaperQuiz, AScannersPdfPageIsReadAsTheJpegItWraps) {
  PageImage img = load_page(pdf, 1, 300);
  cross(img, img.width / PageGeometry::kWidth, box(boxes, 3, 2));
  void* buf = nullptr;
  std::size_t n = 0;
  detail::from_page(img).write_to_buffer(".jpg", &buf, &n, vips::VImage::option()->set("Q", 85));
  std::string jpeg(static_cast<char*>(buf), n);
  g_free(buf);
  const std::string jpg = dir.file("scan.jpg"), scan = dir.file("scan.pdf");
  std::ofstream(jpg, std::ios::binary) << jpeg;
  scanner_pdf(scan, {jpeg, jpeg}, {{img.width, img.height}, {img.width, img.height}});
  EXPECT_EQ(count_pages(scan), 2);
  auto inside = scanned_jpeg(scan, 1);
  ASSERT_TRUE(inside);
  EXPECT_EQ(*inside, jpeg);
  EXPECT_FALSE(scanned_jpeg(scan, 2));
  PageImage from_pdf = load_page(scan, 1), from_jpg = load_page(jpg, 0);
  EXPECT_EQ(from_pdf.width, img.width);  // its own 300 dpi, not rendered at 200
  EXPECT_TRUE(from_pdf.gray == from_jpg.gray);
  int shrunk = 0;
  PageImage half = load_page(scan, 0, 200, kDefaultMaxPixels, 2, &shrunk);
  EXPECT_EQ(shrunk, 2);
  EXPECT_EQ(half.width, (img.width + 1) / 2);
  PageRead r = read_page(from_pdf);
  ASSERT_TRUE(r.id);
  EXPECT_EQ(r.id->page, 2);
  // The print file itself (text and drawings), a page with two images, bytes that are no PDF:
  // rendered, or refused by the renderer, as before.
  EXPECT_FALSE(scanned_jpeg(pdf, 1));
  const std::string two = dir.file("two.pdf");
  scanner_pdf(two, {jpeg}, {{img.width, img.height}}, true);
  EXPECT_FALSE(scanned_jpeg(two, 0));
  EXPECT_EQ(load_page(two, 0).width, load_page(pdf, 1).width);  // rendered at 200 dpi
  EXPECT_FALSE(scanned_jpeg_in("%PDF-1.4 nothing else", 0));
  EXPECT_FALSE(scanned_jpeg(dir.file("missing.pdf"), 0));
}

}  // namespace
}  // namespace parta::printer
