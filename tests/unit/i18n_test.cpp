#include <gtest/gtest.h>

#include "web/i18n.hpp"
#include "web/templates.hpp"

namespace parta::web {
namespace {

TEST(I18n, PoParserHandlesContinuationsEscapesAndFuzzy) {
  Catalogue c;
  std::string err;
  ASSERT_TRUE(c.load_po(Lang::ru,
                        "# comment\nmsgid \"\"\nmsgstr \"Content-Type: text/plain\\n\"\n\n"
                        "msgid \"Hello \"\n\"world\"\nmsgstr \"Привет, \"\n\"мир\"\n\n"
                        "#, fuzzy\nmsgid \"Draft\"\nmsgstr \"Черновик\"\n\n"
                        "msgid \"Say \\\"hi\\\"\"\nmsgstr \"Скажи «привет»\"\n",
                        &err))
      << err;
  EXPECT_EQ(c.tr(Lang::ru, "Hello world"), "Привет, мир");
  EXPECT_EQ(c.tr(Lang::ru, "Draft"), "Draft");  // fuzzy entries are not used
  EXPECT_EQ(c.tr(Lang::ru, "Say \"hi\""), "Скажи «привет»");
  EXPECT_EQ(c.tr(Lang::en, "Hello world"), "Hello world");
  EXPECT_EQ(c.tr(Lang::ru, "Unknown"), "Unknown");
  EXPECT_FALSE(c.load_po(Lang::ru, "msgid \"unterminated\n", &err));
}

TEST(I18n, EmbeddedCatalogueTranslatesUi) {
  const auto& c = Catalogue::instance();
  EXPECT_EQ(c.tr(Lang::ru, "Sign in"), "Войти");
  EXPECT_EQ(c.format(Lang::ru, {"Too many failed attempts. Try again in {minutes} min.",
                                {{"minutes", "15"}}}),
            "Слишком много неудачных попыток. Попробуйте снова через 15 мин.");
}

TEST(I18n, Substitute) {
  EXPECT_EQ(substitute("a {x} b {y} {z}", {{"x", "1"}, {"y", "2"}}), "a 1 b 2 {z}");
  EXPECT_EQ(substitute("{", {}), "{");
}

TEST(Templates, EscapeByDefault) {
  mstch::map ctx{{"name", std::string("<script>alert('x')</script>&\"")}};
  std::string out = mstch::render("{{name}}", ctx);
  (void)Templates::instance();  // installs our escaper
  out = mstch::render("{{name}}", ctx);
  EXPECT_EQ(out, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;");
}

TEST(Templates, AllTemplatesLoadedAndLayoutRenders) {
  const auto& t = Templates::instance();
  for (const char* n : {"layout", "login", "error", "school", "home_student", "home_parent",
                        "home_teacher", "home_admin", "credentials"})
    EXPECT_TRUE(t.has(n)) << n;
}

}  // namespace
}  // namespace parta::web

namespace parta::web {
namespace {

TEST(Templates, TranslatedOnceAtStartWithPlaceholdersKept) {
  const auto& t = Templates::instance();
  mstch::map ctx{{"first_name", std::string("Артём")},
                 {"student", mstch::map{{"first_name", std::string("<Артём>")}}}};
  std::string ru = t.render(Lang::ru, "home_student", ctx);
  std::string en = t.render(Lang::en, "home_student", ctx);
  EXPECT_NE(ru.find("Здравствуй, &lt;Артём&gt;!"), std::string::npos) << ru;
  EXPECT_NE(en.find("Hello, &lt;Артём&gt;!"), std::string::npos) << en;
  EXPECT_EQ(ru.find("{{#t}}"), std::string::npos);
}

}  // namespace
}  // namespace parta::web
