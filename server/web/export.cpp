#include "web/export.hpp"

#include "http/form.hpp"

namespace parta::web {

std::string csv_cell(const std::string& v) {
  std::string s = v;
  // "=HYPERLINK(…)" typed into a survey must stay text when a teacher opens the file.
  if (!s.empty() && (s[0] == '=' || s[0] == '+' || s[0] == '@' || s[0] == '\t' ||
                     (s[0] == '-' && s.size() > 1 && !(s[1] >= '0' && s[1] <= '9'))))
    s.insert(0, "'");
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
