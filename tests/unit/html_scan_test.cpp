// The tokenizer and link rewriter that archive (ZIM) pages go through, and entity decoding for
// the printed article.
#include <gtest/gtest.h>

#include "content/html_scan.hpp"

namespace parta::content {
namespace {

std::string rw(std::string_view html) { return rewrite_article(html, "/zim/3/", "<H>", "<B>"); }

TEST(HtmlScan, TokensCoverTheInputExactly) {
  for (std::string in : {"<p>a<b>b</b></p>", "<a href='x'>", "x < y", "<p", "<!-- <a> -->t",
                         "<script>if (a<b) x='</p>'</script>z", "<a href=\"unclosed>", ""}) {
    std::string joined;
    scan_html(in, [&](const HtmlToken& t) { joined += t.raw; });
    EXPECT_EQ(joined, in);
  }
}

TEST(HtmlScan, AttributesInEveryQuoting) {
  std::vector<HtmlToken> tags;
  scan_html("<IMG SRC=a.png alt='один' title=\"два\" hidden/>", [&](const HtmlToken& t) {
    if (t.kind == HtmlToken::start_tag) tags.push_back(t);
  });
  ASSERT_EQ(tags.size(), 1u);
  EXPECT_EQ(tags[0].name, "img");
  ASSERT_EQ(tags[0].attrs.size(), 4u);
  EXPECT_EQ(tags[0].attrs[0].value, "a.png");
  EXPECT_EQ(tags[0].attrs[1].value, "один");
  EXPECT_EQ(tags[0].attrs[2].value, "два");
  EXPECT_TRUE(tags[0].self_closing);
}

TEST(HtmlScan, LinksStayOnTheBox) {
  // Relative links stay as they are (they resolve under /zim/3/ by themselves).
  EXPECT_EQ(rw("<a href=\"Лес\">x</a>"), "<H><B><a href=\"Лес\">x</a>");
  // The site's root is the archive's.
  EXPECT_NE(rw("<a href=\"/Река\">").find("href=\"/zim/3/Река\""), std::string::npos);
  EXPECT_NE(rw("<a href=' \\Река'>").find("href=\"/zim/3/Река\""), std::string::npos);
  // Other hosts and schemes lose the link: the box has no internet, and nothing leaves.
  for (std::string bad :
       {"https://ru.wikipedia.org/wiki/Ёж", "//evil.example/x", "javascript:alert(1)",
        "JaVaScRiPt&#58;alert(1)", "java\nscript:x", " mailto:a@b", "/\\evil"}) {
    std::string out = rw("<a href=\"" + bad + "\" class=\"ext\">t</a>");
    EXPECT_EQ(out.find("href"), std::string::npos) << bad << " → " << out;
    EXPECT_NE(out.find("class=\"ext\""), std::string::npos);
  }
  EXPECT_EQ(rw("<img src=\"I/a.png\" srcset=\"http://x/a.png 2x\">").find("srcset"),
            std::string::npos);
  EXPECT_EQ(rw("<form action=\"http://x/\">").find("action"), std::string::npos);
}

TEST(HtmlScan, HeadAndBarGoInTheirPlaces) {
  std::string out = rw("<html><head><title>T</title></head><body class=x><p>a</p></body></html>");
  EXPECT_NE(out.find("<title>T</title><H></head><body class=x><B><p>"), std::string::npos) << out;
  // No head: before the body.
  out = rw("<body><p>a</p>");
  EXPECT_EQ(out, "<H><body><B><p>a</p>");
}

TEST(HtmlScan, EntitiesDecoded) {
  EXPECT_EQ(decode_entities("&laquo;Ёж&raquo; &amp; &#1105;&#x451; &lt;b&gt;"), "«Ёж» & ёё <b>");
  EXPECT_EQ(decode_entities("&bogus; &#xD800; &#99999999; & alone"),
            "&bogus; &#xD800; &#99999999; & alone");
}

TEST(HtmlScan, ArticleForPaper) {
  auto blocks = read_article(
      "<html><head><title>T</title><style>p{}</style></head><body><nav>меню</nav>"
      "<h1>Ёжик</h1><p>Обыкновенный   <b>ёж</b>&nbsp;— зверь.</p><script>x()</script>"
      "<p><img src=\"../I/a%20b.png\" alt=\"Ёж\"></p><ul><li>один</li><li>два</li></ul>"
      "<table><tr><th>Река</th><td>3530</td></tr></table>текст в конце</body></html>");
  ASSERT_EQ(blocks.size(), 7u);
  EXPECT_EQ(blocks[0].kind, ArticleBlock::heading);
  EXPECT_EQ(blocks[0].level, 1);
  EXPECT_EQ(blocks[0].text, "Ёжик");
  EXPECT_EQ(blocks[1].text, "Обыкновенный ёж — зверь.");
  EXPECT_EQ(blocks[2].kind, ArticleBlock::picture);
  EXPECT_EQ(blocks[2].alt, "Ёж");
  EXPECT_EQ(blocks[3].kind, ArticleBlock::item);
  EXPECT_EQ(blocks[4].text, "два");
  EXPECT_EQ(blocks[5].kind, ArticleBlock::row);
  EXPECT_EQ(blocks[5].text, "Река | 3530");
  EXPECT_EQ(blocks[6].text, "текст в конце");
  // A hostile page cannot make more blocks than the bound.
  std::string many;
  for (int i = 0; i < 100; ++i) many += "<p>x</p>";
  EXPECT_EQ(read_article(many, 10).size(), 10u);
}

TEST(HtmlScan, PicturePathsInsideTheArchive) {
  EXPECT_EQ(resolve_archive_path("A/Ёж", "../I/a%20b.png"), "I/a b.png");
  EXPECT_EQ(resolve_archive_path("Ёжик", "I/ezh.png?x=1#y"), "I/ezh.png");
  EXPECT_EQ(resolve_archive_path("A/B/C", "/I/x.png"), "I/x.png");
  EXPECT_EQ(resolve_archive_path("A", "../../../../etc/passwd"), "etc/passwd");
  EXPECT_FALSE(resolve_archive_path("A", "https://upload.wikimedia.org/x.png"));
  EXPECT_FALSE(resolve_archive_path("A", "//host/x.png"));
  EXPECT_FALSE(resolve_archive_path("A", ".."));
}

}  // namespace
}  // namespace parta::content
