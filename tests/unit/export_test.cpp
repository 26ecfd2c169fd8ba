// CSV exports and server-drawn charts.
#include <gtest/gtest.h>

#include "web/charts.hpp"
#include "web/export.hpp"

namespace parta::web {
namespace {

TEST(Export, CsvCellsAreQuotedAndFormulasDefused) {
  EXPECT_EQ(csv_cell("Иванов"), "Иванов");
  EXPECT_EQ(csv_cell("a;b"), "\"a;b\"");
  EXPECT_EQ(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_cell("=HYPERLINK(\"http://x\")"), "\"'=HYPERLINK(\"\"http://x\"\")\"");
  EXPECT_EQ(csv_cell("+7 900"), "'+7 900");
  EXPECT_EQ(csv_cell("@SUM(A1)"), "'@SUM(A1)");
  EXPECT_EQ(csv_cell("-5"), "-5");  // a negative number stays a number
  EXPECT_EQ(csv_cell("-4,25"), "-4,25");
  EXPECT_EQ(csv_cell("-"), "-");
  EXPECT_EQ(csv_cell("5-"), "5-");  // a mark
  EXPECT_EQ(to_csv({{"a", "b"}, {"c"}}),
            "\xEF\xBB\xBF"
            "a;b\r\nc\r\n");
}

// Issue 14: a cell starting with "-" and a digit was let through when it was more than a number.
TEST(Export, EveryFormulaStartIsDefused) {
  EXPECT_EQ(csv_cell("-2+3+cmd|' /C calc'!A0"), "'-2+3+cmd|' /C calc'!A0");
  EXPECT_EQ(csv_cell("-1+1"), "'-1+1");
  EXPECT_EQ(csv_cell("-5."), "'-5.");
  EXPECT_EQ(csv_cell("-A1"), "'-A1");
  EXPECT_EQ(csv_cell("=1+1"), "'=1+1");
  EXPECT_EQ(csv_cell("+1"), "'+1");
  EXPECT_EQ(csv_cell("@x"), "'@x");
  EXPECT_EQ(csv_cell("\t=1"), "'\t=1");
  EXPECT_EQ(csv_cell("\r=1"), "\"'\r=1\"");  // defused, and quoted for the CR
  EXPECT_EQ(to_csv({{"-2+3+cmd|' /C calc'!A0", "ok"}}),
            "\xEF\xBB\xBF"
            "'-2+3+cmd|' /C calc'!A0;ok\r\n");
}

TEST(Charts, BarsScaleToTheLargest) {
  auto chart = bar_chart({{"Да", 3, ""}, {"Нет", 1, "1 · 25%"}, {"Не знаю", 0, ""}}, "Q");
  const auto& rows = boost::get<mstch::array>(chart["rows"]);
  ASSERT_EQ(rows.size(), 3u);
  auto get = [&](std::size_t i, const char* key) {
    return boost::get<std::string>(boost::get<mstch::map>(rows[i]).at(key));
  };
  EXPECT_EQ(get(0, "w"), "220");
  EXPECT_EQ(get(1, "w"), "73");
  EXPECT_EQ(get(2, "w"), "0");
  EXPECT_EQ(get(0, "shown"), "3");
  EXPECT_EQ(get(1, "shown"), "1 · 25%");
  EXPECT_EQ(boost::get<std::string>(chart["height"]), "90");
}

}  // namespace
}  // namespace parta::web
