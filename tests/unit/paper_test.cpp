// The paper track's printer side: QR payloads (round trip, and every misread refused), packets
// rendered to PDF with a readable code on every page — read back from the rendered page, turned
// upside down and at 150 dpi — and login cards.
#include <gtest/gtest.h>
#include <sodium.h>
#include <vips/vips8>

#include <filesystem>

#include "printer/cards.hpp"
#include "printer/packet.hpp"
#include "printer/qr_payload.hpp"
#include "printer/scan.hpp"
#include "test_db.hpp"

namespace parta::printer {
namespace {

TEST(QrPayload, RoundTripAndRefusals) {
  ASSERT_GE(sodium_init(), 0);
  PagePayload p{12, 345, 2, 6, new_run_id()};
  std::string s = encode_payload(p);
  EXPECT_LE(s.size(), 40u);
  EXPECT_EQ(s.find_first_not_of("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ:/"), std::string::npos);
  ASSERT_TRUE(decode_payload(s));
  EXPECT_EQ(*decode_payload(s), p);
  // Any one character changed is caught by the CRC or the syntax.
  for (std::size_t i = 0; i < s.size(); ++i) {
    std::string t = s;
    t[i] = t[i] == '7' ? '8' : '7';
    EXPECT_FALSE(decode_payload(t)) << t;
  }
  EXPECT_FALSE(decode_payload(""));
  EXPECT_FALSE(decode_payload("PA2" + s.substr(3)));
  EXPECT_FALSE(decode_payload(s + ":"));
  EXPECT_FALSE(decode_payload(encode_payload({12, 345, 7, 6, p.run})));  // page past the end
  EXPECT_FALSE(decode_payload(encode_payload({12, 345, 1, 6, "abc"})));  // run id
  EXPECT_FALSE(decode_payload(encode_payload({0, 345, 1, 6, p.run})));
  EXPECT_EQ(human_id(p), "A12 · S345 · 2/6 · " + p.run);
}

class PacketTest : public ::testing::Test {
 protected:
  PacketInfo info() {
    PacketInfo p;
    p.school = "МОУ «СОШ с. Ягодное»";
    p.class_name = "5А";
    p.student_name = "Новикова Дарья Сергеевна";
    p.student_no = "YG-2019-017";
    p.subject = "Русский язык";
    p.teacher = "Смирнова Ольга Викторовна";
    p.title = "Упражнение 112";
    p.due = "27.11.2026 18:00";
    p.how_to_return = "Принесите листы в школу.";
    p.body_markdown = "Выполните **упражнение 112**.\n\n1. Вставьте буквы.\n2. Подчеркните корни.";
    p.answer_pages = 2;
    p.id = PagePayload{7, 25, 0, 0, "RUN7QZ"};
    return p;
  }
  testing::TempDir dir;
};

TEST_F(PacketTest, EveryPageCarriesItsCode) {
  auto p = info();
  std::string path = dir.file("packet.pdf");
  int pages = render_packets({p}, path);
  EXPECT_EQ(pages, packet_pages(p));
  EXPECT_EQ(pages, 1 + 1 + 2);
  for (int i = 0; i < pages; ++i) {
    PageImage img = load_page(path, i, 150);
    EXPECT_NEAR(img.width, 1240, 2);
    PageRead r = read_page(img);
    ASSERT_TRUE(r.id) << "page " << i + 1;
    EXPECT_FALSE(r.disagree);
    EXPECT_EQ(r.id->page, i + 1);
    EXPECT_EQ(r.id->pages, pages);
    EXPECT_EQ(r.id->student, 25);
    EXPECT_EQ(r.id->run, "RUN7QZ");
  }
  // Upside down and through JPEG.
  PageImage img = load_page(path, 1, 150);
  auto turned = vips::VImage::new_from_memory(img.gray.data(), img.gray.size(), img.width,
                                              img.height, 1, VIPS_FORMAT_UCHAR)
                    .rot(VIPS_ANGLE_D180);
  void* buf = nullptr;
  std::size_t size = 0;
  turned.write_to_buffer(".jpg", &buf, &size, vips::VImage::option()->set("Q", 40));
  PageImage back = decode_image(std::string(static_cast<char*>(buf), size));
  g_free(buf);
  auto r = read_page(back);
  ASSERT_TRUE(r.id);
  EXPECT_EQ(r.id->page, 2);
  EXPECT_FALSE(page_jpeg(back).empty());
}

TEST_F(PacketTest, MaterialsAreMergedAndBrokenOnesLeftOut) {
  auto p = info();
  p.materials = {{std::string(PARTA_SOURCE_DIR) + "/tests/printer/material.pdf", "card.pdf"}};
  EXPECT_EQ(packet_pages(p), 5);
  // A broken material is left out (and named on the cover); the packet is still made.
  p.materials.push_back({std::string(PARTA_SOURCE_DIR) + "/tests/printer/paper_test.py", "x.pdf"});
  EXPECT_EQ(render_packets({p}, dir.file("x.pdf")), 5);
  // Two packets in one print file.
  auto q = info();
  q.id.student = 26;
  EXPECT_EQ(render_packets({info(), q}, dir.file("both.pdf")), 8);
}

TEST_F(PacketTest, LoginCardsEightToAPage) {
  std::vector<LoginCard> cards;
  for (int i = 0; i < 9; ++i)
    cards.push_back({"Иванов Артём", "5А", "ivanov.a", "202620", "http://parta.local/login"});
  EXPECT_EQ(render_login_cards(cards, "СОШ", "Parta", dir.file("cards.pdf")), 2);
  EXPECT_EQ(count_pages(dir.file("cards.pdf")), 2);
  PageRead r = read_page(load_page(dir.file("cards.pdf"), 0, 150));
  EXPECT_FALSE(r.id);  // a URL, not a packet page
}

}  // namespace
}  // namespace parta::printer
