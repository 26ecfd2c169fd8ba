// The job protocol between partad and parta-paper (printer/paper_job): every kind of job and
// result round-trips, other versions are refused, and a result — read by partad from a process
// that may have decoded a hostile image — is refused whole when anything in it is off: a file
// outside the job's folder, a wrong type, a size past the limits.
#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <fstream>

#include "printer/job_runner.hpp"
#include "printer/paper_job.hpp"
#include "test_db.hpp"

namespace parta::printer {
namespace {

Job parse_ok(const std::string& text) {
  auto parsed = parse_job(text);
  EXPECT_TRUE(std::holds_alternative<Job>(parsed)) << text;
  return std::holds_alternative<Job>(parsed) ? std::get<Job>(parsed) : Job{};
}

JobError refusal(const std::string& text) {
  auto parsed = parse_job(text);
  return std::holds_alternative<JobResult>(parsed) ? std::get<JobResult>(parsed).error
                                                   : JobError::none;
}

TEST(PaperJob, EveryKindRoundTrips) {
  Job packets;
  packets.kind = JobKind::packets;
  packets.out = "/data/tmp/paper-AbC123";
  PacketInfo p;
  p.school = "МОУ «СОШ с. Ягодное»";
  p.student_name = "Новикова Дарья";
  p.body_markdown = "Выполните **упражнение 112**.\n\n\"кавычки\" \\ и \t";
  p.materials = {{"/data/blobs/ab/abcd", "карточка.pdf"}};
  p.answer_pages = 3;
  p.ruling = Ruling::grid;
  p.id = PagePayload{7, 25, 0, 0, "RUN7QZ"};
  packets.packets = {p, p};
  Job back = parse_ok(job_to_json(packets));
  EXPECT_EQ(back.kind, JobKind::packets);
  EXPECT_EQ(back.out, packets.out);
  ASSERT_EQ(back.packets.size(), 2u);
  EXPECT_EQ(back.packets[0].school, p.school);
  EXPECT_EQ(back.packets[0].body_markdown, p.body_markdown);
  EXPECT_EQ(back.packets[0].materials[0].name, "карточка.pdf");
  EXPECT_EQ(back.packets[0].ruling, Ruling::grid);
  EXPECT_EQ(back.packets[0].answer_pages, 3);
  EXPECT_EQ(back.packets[1].id, p.id);

  Job read;
  read.kind = JobKind::read_page;
  read.path = "/data/blobs/cd/cdef";
  read.page = 4;
  read.out = "/data/tmp/paper-x";
  read.max_pixels = 12345;
  back = parse_ok(job_to_json(read));
  EXPECT_EQ(back.kind, JobKind::read_page);
  EXPECT_EQ(back.path, read.path);
  EXPECT_EQ(back.page, 4);
  EXPECT_EQ(back.max_pixels, 12345);

  Job cards;
  cards.kind = JobKind::cards;
  cards.out = "/t";
  cards.school = "СОШ";
  cards.wifi = "Parta";
  cards.cards = {{"Иванов Артём", "5А", "ivanov.a", "202620", "http://parta.local/login"}};
  back = parse_ok(job_to_json(cards));
  ASSERT_EQ(back.cards.size(), 1u);
  EXPECT_EQ(back.cards[0].secret, "202620");
  EXPECT_EQ(back.wifi, "Parta");

  Job print;
  print.kind = JobKind::print;
  print.printer = "parta";
  print.path = "/p.pdf";
  print.title = "Упражнение RUN7QZ";
  print.two_sided = true;
  back = parse_ok(job_to_json(print));
  EXPECT_TRUE(back.two_sided);
  EXPECT_EQ(back.title, print.title);

  Job status;
  status.kind = JobKind::job_status;
  status.printer = "parta";
  status.print_job = 17;
  EXPECT_EQ(parse_ok(job_to_json(status)).print_job, 17);
  Job count;
  count.kind = JobKind::count_pages;
  count.path = "/scan.pdf";
  EXPECT_EQ(parse_ok(job_to_json(count)).path, "/scan.pdf");
  EXPECT_EQ(parse_ok(job_to_json(Job{})).kind, JobKind::printers);

  Job travel;
  travel.kind = JobKind::travel_copy;
  travel.path = "/blobs/ab/abcd";
  travel.out = "/t";
  travel.long_side = 1400;
  travel.quality = 45;
  travel.grey = "never";
  travel.check_codes = true;
  back = parse_ok(job_to_json(travel));
  EXPECT_EQ(back.kind, JobKind::travel_copy);
  EXPECT_EQ(back.long_side, 1400);
  EXPECT_EQ(back.quality, 45);
  EXPECT_EQ(back.grey, "never");
  EXPECT_TRUE(back.check_codes);
}

TEST(PaperJob, ATravelCopyJobOutOfRangeIsRefused) {
  const std::string base = R"({"v":1,"kind":"travel_copy","path":"/x","out":"/t","max_pixels":9,)";
  EXPECT_EQ(refusal(base + R"("long_side":1600,"quality":50,"grey":"sepia"})"), JobError::bad_job);
  EXPECT_EQ(refusal(base + R"("long_side":10,"quality":50,"grey":"auto"})"), JobError::bad_job);
  EXPECT_EQ(refusal(base + R"("long_side":1600,"quality":101,"grey":"auto"})"), JobError::bad_job);
  EXPECT_EQ(refusal(base + R"("long_side":1600,"grey":"auto"})"), JobError::bad_job);
  std::string why;
  // A result naming a file outside the job's folder is not taken.
  EXPECT_FALSE(parse_result(JobKind::travel_copy,
                            R"({"v":1,"ok":true,"jpeg":"../db.sqlite","width":10,"height":10,)"
                            R"("grey":true,"cropped":false})",
                            &why));
  JobResult copy;
  copy.jpeg = "travel.jpg";
  copy.width = 1131;
  copy.height = 1600;
  copy.grey = copy.cropped = true;
  copy.codes_original = copy.codes = 2;
  auto r = parse_result(JobKind::travel_copy, result_to_json(JobKind::travel_copy, copy), &why);
  ASSERT_TRUE(r) << why;
  EXPECT_EQ(r->width, 1131);
  EXPECT_TRUE(r->grey && r->cropped);
  EXPECT_EQ(r->codes_original, 2);
}

TEST(PaperJob, OtherVersionsAndNonJobsAreRefused) {
  EXPECT_EQ(refusal(R"({"v":2,"kind":"printers"})"), JobError::version);
  EXPECT_EQ(refusal(R"({"v":0,"kind":"printers"})"), JobError::version);
  EXPECT_EQ(refusal(R"({"v":-1,"kind":"printers"})"), JobError::version);
  EXPECT_EQ(refusal(R"({"kind":"printers"})"), JobError::bad_job);
  EXPECT_EQ(refusal(R"({"v":"1","kind":"printers"})"), JobError::bad_job);
  EXPECT_EQ(refusal(R"({"v":1,"kind":"format_disk"})"), JobError::bad_job);
  EXPECT_EQ(refusal(R"({"v":1,"kind":"read_page","path":"/x","out":"/t","max_pixels":1})"),
            JobError::bad_job);  // no page
  EXPECT_EQ(refusal(R"({"v":1,"kind":"read_page","path":"/x","page":-1,"out":"/t",)"
                    R"("max_pixels":1})"),
            JobError::bad_job);
  EXPECT_EQ(refusal("not json"), JobError::bad_job);
  EXPECT_EQ(refusal("[1,2]"), JobError::bad_job);
  EXPECT_EQ(refusal(""), JobError::bad_job);
  // The refusal names the versions this build reads, and goes out as a result partad reads.
  std::string out;
  EXPECT_EQ(run_job_text(R"({"v":9,"kind":"printers"})", out), 2);
  std::string why;
  auto r = parse_result(JobKind::printers, out, &why);
  ASSERT_TRUE(r) << why;
  EXPECT_EQ(r->error, JobError::version);
  EXPECT_NE(r->detail.find("versions 1 to 1"), std::string::npos) << r->detail;
}

TEST(PaperJob, EveryKindOfResultRoundTrips) {
  std::string why;
  JobResult packets;
  packets.files = {{"packet-1.pdf", 5, {}}, {"packet-2.pdf", 5, {}}};
  // A packet with a quiz: where its answer places were printed travels with it.
  packets.files[1].boxes = {{2, 3, 1, false, 68.5, 200.25, 12, 12},
                            {2, 3, AnswerBox::kBlock, true, 38.5, 180, 520, 90}};
  packets.combined = {"all.pdf", 10, {}};
  auto r = parse_result(JobKind::packets, result_to_json(JobKind::packets, packets), &why);
  ASSERT_TRUE(r) << why;
  EXPECT_TRUE(r->ok());
  ASSERT_EQ(r->files.size(), 2u);
  EXPECT_EQ(r->files[1].name, "packet-2.pdf");
  EXPECT_EQ(r->combined.pages, 10);
  ASSERT_EQ(r->files[1].boxes.size(), 2u);
  EXPECT_EQ(r->files[1].boxes[1].option, AnswerBox::kBlock);
  EXPECT_TRUE(r->files[1].boxes[1].many);
  EXPECT_DOUBLE_EQ(r->files[1].boxes[0].y, 200.25);
  EXPECT_TRUE(r->files[0].boxes.empty());
  EXPECT_EQ(boxes_from_json(boxes_to_json(packets.files[1].boxes)).size(), 2u);
  EXPECT_TRUE(boxes_from_json("[{\"p\": 1}]").empty());  // not a box: nothing

  // A quiz page's boxes as read: decided rows, an unclear one with its crop, a frame.
  JobResult boxes;
  boxes.read.boxes = {{3, 1, BoxState::marked, 0.3, 0.4, 0, 0.9}};
  RowReading unclear;
  unclear.question = 4;
  unclear.why = "two";
  unclear.chosen = {0, 2};
  unclear.crop = "q4.jpg";
  boxes.read.rows = {unclear};
  WriteIn frame;
  frame.question = 5;
  frame.blank = false;
  frame.crop = "w5.jpg";
  boxes.read.writes = {frame};
  auto b = parse_result(JobKind::read_boxes, result_to_json(JobKind::read_boxes, boxes), &why);
  ASSERT_TRUE(b) << why;
  EXPECT_EQ(b->read.boxes[0].state, BoxState::marked);
  EXPECT_EQ(b->read.rows[0].chosen, (std::vector<int>{0, 2}));
  EXPECT_EQ(b->read.rows[0].crop, "q4.jpg");
  EXPECT_FALSE(b->read.writes[0].blank);
  // A crop named outside the job's folder is refused.
  auto evil = result_to_json(JobKind::read_boxes, boxes);
  evil.replace(evil.find("q4.jpg"), 6, "../../x");
  EXPECT_FALSE(parse_result(JobKind::read_boxes, evil, &why));

  JobResult page;
  page.payload = "PA1:7:25:1/4:RUN7QZ:0A1B2C3D";
  page.codes = 2;
  page.jpeg = "page.jpg";
  page.width = 1654;
  page.height = 2339;
  r = parse_result(JobKind::read_page, result_to_json(JobKind::read_page, page), &why);
  ASSERT_TRUE(r) << why;
  EXPECT_EQ(r->payload, page.payload);
  EXPECT_EQ(r->codes, 2);
  EXPECT_EQ(r->jpeg, "page.jpg");
  page.payload.reset();
  r = parse_result(JobKind::read_page, result_to_json(JobKind::read_page, page), &why);
  ASSERT_TRUE(r) << why;
  EXPECT_FALSE(r->payload);

  JobResult large;
  large.error = JobError::too_large;
  large.detail = "the picture is 20000 x 20000 pixels";
  large.width = large.height = 20000;
  r = parse_result(JobKind::read_page, result_to_json(JobKind::read_page, large), &why);
  ASSERT_TRUE(r) << why;
  EXPECT_EQ(r->error, JobError::too_large);
  EXPECT_EQ(r->width, 20000);

  JobResult printers;
  printers.printers = {{"parta", "Принтер в учительской", "каб. 12", true, true}};
  r = parse_result(JobKind::printers, result_to_json(JobKind::printers, printers), &why);
  ASSERT_TRUE(r) << why;
  ASSERT_EQ(r->printers.size(), 1u);
  EXPECT_EQ(r->printers[0].info, "Принтер в учительской");
  EXPECT_TRUE(r->printers[0].is_default);

  JobResult status;
  status.status = JobStatus{"completed", true};
  r = parse_result(JobKind::job_status, result_to_json(JobKind::job_status, status), &why);
  ASSERT_TRUE(r && r->status) << why;
  EXPECT_TRUE(r->status->done);
  r = parse_result(JobKind::job_status, result_to_json(JobKind::job_status, JobResult{}), &why);
  ASSERT_TRUE(r) << why;
  EXPECT_FALSE(r->status);  // CUPS does not know the job

  JobResult printed;
  printed.print_job = 42;
  r = parse_result(JobKind::print, result_to_json(JobKind::print, printed), &why);
  ASSERT_TRUE(r) << why;
  EXPECT_EQ(r->print_job, 42);
  JobResult refused;
  refused.error = JobError::printer;
  refused.detail = "client-error-not-possible";
  r = parse_result(JobKind::print, result_to_json(JobKind::print, refused), &why);
  ASSERT_TRUE(r) << why;
  EXPECT_EQ(r->error, JobError::printer);
  EXPECT_EQ(r->detail, "client-error-not-possible");
}

TEST(PaperJob, HostileResultsAreRefusedWhole) {
  std::string why;
  auto refused = [&](JobKind kind, const std::string& text) {
    why.clear();
    bool no = !parse_result(kind, text, &why);
    EXPECT_TRUE(no) << text;
    EXPECT_TRUE(!no || !why.empty()) << text;
    return no;
  };
  // Files outside the job's folder.
  for (const char* name :
       {"../parta.db", "/var/lib/parta/parta.db", "a/b.pdf", "..", ".", "", "x\\y", "page.jpg\n"}) {
    std::string quoted = nlohmann::json(name).dump();
    refused(JobKind::read_page, R"({"v":1,"ok":true,"payload":null,"codes":0,"disagree":false,)"
                                R"("width":1,"height":1,"jpeg":)" +
                                    quoted + "}");
    refused(JobKind::packets,
            R"({"v":1,"ok":true,"files":[],"combined":{"name":)" + quoted + R"(,"pages":1}})");
  }
  EXPECT_FALSE(safe_file_name(std::string(200, 'a')));
  EXPECT_TRUE(safe_file_name("packet-12.pdf"));
  // Versions, types, sizes.
  refused(JobKind::printers, R"({"v":2,"ok":true,"printers":[]})");
  refused(JobKind::printers, R"({"ok":true,"printers":[]})");
  refused(JobKind::printers, R"({"v":1,"ok":"yes","printers":[]})");
  refused(JobKind::printers, R"({"v":1,"ok":true,"printers":{}})");
  refused(JobKind::printers, R"({"v":1,"ok":true,"printers":[{"name":1}]})");
  refused(JobKind::print, R"({"v":1,"ok":true,"job":0})");
  refused(JobKind::print, R"({"v":1,"ok":true,"job":99999999999})");
  refused(JobKind::print, R"({"v":1,"ok":true,"job":18446744073709551615})");
  refused(JobKind::count_pages, R"({"v":1,"ok":true,"pages":1.5})");
  refused(JobKind::count_pages, R"({"v":1,"ok":false,"error":"reformatted"})");
  refused(JobKind::read_page, R"({"v":1,"ok":true,"payload":")" + std::string(65, 'A') +
                                  R"(","codes":1,"disagree":false,"jpeg":"page.jpg","width":1,)"
                                  R"("height":1})");
  // Deep nesting (within the size limit) is refused, not a stack overflow in partad.
  refused(JobKind::packets, R"({"v":1,"ok":true,"files":)" + std::string(200000, '[') +
                                std::string(200000, ']') + "}");
  refused(JobKind::packets, "{\"v\":1,\"ok\":true}" + std::string(kMaxResultBytes, ' '));
  refused(JobKind::packets, "");
  refused(JobKind::packets, "null");
}

TEST(PaperJob, OnlyTheHelpersOwnRegularFilesAreTaken) {
  testing::TempDir tmp;
  JobFolder dir(tmp.path());
  std::ofstream(dir.path() + "/page.jpg") << "jpeg";
  EXPECT_EQ(dir.output("page.jpg"), dir.path() + "/page.jpg");
  EXPECT_FALSE(dir.output("missing.jpg"));
  // A link to a file partad owns (the database) is not the helper's output.
  std::ofstream(tmp.file("parta.db")) << "secret";
  ASSERT_EQ(::symlink(tmp.file("parta.db").c_str(), (dir.path() + "/sym.pdf").c_str()), 0);
  ASSERT_EQ(::link(tmp.file("parta.db").c_str(), (dir.path() + "/hard.pdf").c_str()), 0);
  EXPECT_FALSE(dir.output("sym.pdf"));
  EXPECT_FALSE(dir.output("hard.pdf"));
  EXPECT_FALSE(dir.output("../parta.db"));
  std::string path = dir.path();
  {
    JobFolder gone(tmp.path());
    path = gone.path();
  }
  EXPECT_FALSE(std::filesystem::exists(path));  // removed with what was in it
}

}  // namespace
}  // namespace parta::printer
