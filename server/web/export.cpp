#include "web/export.hpp"

#include "http/form.hpp"

namespace parta::web {

namespace {

// A plain number ("-5", "4,5", "-0.25") is left alone: a spreadsheet reads it as a number and
// never as a formula. Anything else that starts like a formula is not.
bool plain_number(const std::string& s) {
  std::size_t i = s[0] == '-' ? 1 : 0;
  bool digits = false, point = false;
  for (; i < s.size(); ++i) {
    if (s[i] >= '0' && s[i] <= '9') {
      digits = true;
    } else if ((s[i] == '.' || s[i] == ',') && !point && digits) {
      point = true;
    } else {
      return false;
    }
  }
  return digits && (s.back() >= '0' && s.back() <= '9');
}

// OWASP's "CSV injection" list: a cell starting with one of these may run as a formula.
bool formula_start(const std::string& s) {
  if (s.empty()) return false;
  switch (s[0]) {
    case '=':
    case '+':
    case '@':
    case '\t':
    case '\r':
      return true;
    case '-':
      return s.size() > 1 && !plain_number(s);
    default:
      return false;
  }
}

}  // namespace

std::string csv_cell(const std::string& v) {
  std::string s = v;
  // "=HYPERLINK(…)" or "-2+3+cmd|' /C calc'!A0" typed into a survey must stay text when a teacher
  // opens the file: a leading apostrophe makes the cell text in Excel and LibreOffice.
  if (formula_start(s)) s.insert(0, "'");
  if (s.find_first_of(";\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string to_csv(const Table& t) {
  std::string csv = "\xEF\xBB\xBF";  // BOM: Excel then reads UTF-8 Cyrillic correctly
  for (const auto& row : t) {
    for (std::size_t i = 0; i < row.size(); ++i) csv += (i ? ";" : "") + csv_cell(row[i]);
    csv += "\r\n";
  }
  return csv;
}

http::Response csv_download(const Table& t, const std::string& name) {
  http::Response r = http::Response::text(to_csv(t));
  r.content_type = "text/csv; charset=utf-8";
  r.header("Content-Disposition", "attachment; filename=\"export.csv\"; filename*=UTF-8''" +
                                      http::url_encode(name + ".csv"));
  return r;
}

}  // namespace parta::web
