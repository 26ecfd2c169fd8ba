#include "storage/postgres.hpp"

#include <cctype>
#include <stdexcept>

namespace parta::storage::pg {

namespace {

enum class Kind { Space, Word, Number, String, Ident, Param, Punct };
struct Token {
  Kind kind;
  std::string text;
};

bool word_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool word_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$';
}

std::vector<Token> lex(std::string_view s) {
  std::vector<Token> out;
  std::size_t i = 0;
  const std::size_t n = s.size();
  while (i < n) {
    const char c = s[i];
    std::size_t j = i + 1;
    Kind k = Kind::Punct;
    if (std::isspace(static_cast<unsigned char>(c))) {
      while (j < n && std::isspace(static_cast<unsigned char>(s[j]))) ++j;
      k = Kind::Space;
    } else if (c == '-' && i + 1 < n && s[i + 1] == '-') {
      while (j < n && s[j] != '\n') ++j;
      k = Kind::Space;
    } else if (c == '/' && i + 1 < n && s[i + 1] == '*') {
      std::size_t e = s.find("*/", i + 2);
      j = e == std::string_view::npos ? n : e + 2;
      k = Kind::Space;
    } else if (c == '\'' || c == '"') {
      while (j < n) {
        if (s[j] == c) {
          if (j + 1 < n && s[j + 1] == c) {
            j += 2;
            continue;
          }
          ++j;
          break;
        }
        ++j;
      }
      k = c == '\'' ? Kind::String : Kind::Ident;
    } else if (word_start(c)) {
      while (j < n && word_char(s[j])) ++j;
      k = Kind::Word;
    } else if (std::isdigit(static_cast<unsigned char>(c))) {
      while (j < n && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '.')) ++j;
      k = Kind::Number;
    } else if (c == '?') {
      while (j < n && std::isdigit(static_cast<unsigned char>(s[j]))) ++j;
      k = Kind::Param;
    } else if ((c == '|' || c == '=' || c == '!' || c == '<' || c == '>') && i + 1 < n &&
               (s[i + 1] == '=' || s[i + 1] == '|' || s[i + 1] == '>')) {
      j = i + 2;
    }
    out.push_back({k, std::string(s.substr(i, j - i))});
    i = j;
  }
  return out;
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}
bool is_word(const Token& t, const char* w) { return t.kind == Kind::Word && upper(t.text) == w; }
bool is_punct(const Token& t, const char* p) { return t.kind == Kind::Punct && t.text == p; }

// The index of the next token that is not space, from i (n when none).
std::size_t skip(const std::vector<Token>& t, std::size_t i) {
  while (i < t.size() && t[i].kind == Kind::Space) ++i;
  return i;
}

std::string join(const std::vector<Token>& t, std::size_t from = 0,
                 std::size_t to = std::string::npos) {
  std::string s;
  for (std::size_t i = from; i < t.size() && i < to; ++i) s += t[i].text;
  return s;
}

std::string unquote(const Token& t) {
  if (t.kind == Kind::Ident && t.text.size() >= 2) return t.text.substr(1, t.text.size() - 2);
  return t.text;
}

// The tokens of one statement, rewritten in place (no `;` inside at depth 0).
struct Statement {
  std::vector<Token> t;
  bool returns_id = false;
};

void rewrite_tokens(std::vector<Token>& t, int& auto_param) {
  for (std::size_t i = 0; i < t.size(); ++i) {
    Token& tok = t[i];
    if (tok.kind == Kind::Param) {
      if (tok.text.size() == 1) {
        tok.text = "$" + std::to_string(++auto_param);
      } else {
        int n = std::stoi(tok.text.substr(1));
        if (n > auto_param) auto_param = n;
        tok.text = "$" + tok.text.substr(1);
      }
    } else if (tok.kind == Kind::Punct && tok.text == "==") {
      tok.text = "=";
    } else if (is_word(tok, "IS")) {
      std::size_t a = skip(t, i + 1);
      if (a >= t.size()) continue;
      if (is_word(t[a], "NOT")) {
        std::size_t b = skip(t, a + 1);
        if (b < t.size() && !is_word(t[b], "NULL") && !is_word(t[b], "TRUE") &&
            !is_word(t[b], "FALSE") && !is_word(t[b], "DISTINCT")) {
          tok.text = "IS DISTINCT FROM";
          for (std::size_t k = i + 1; k <= a; ++k) t[k].text.clear();
        }
      } else if (!is_word(t[a], "NULL") && !is_word(t[a], "TRUE") && !is_word(t[a], "FALSE") &&
                 !is_word(t[a], "DISTINCT")) {
        tok.text = "IS NOT DISTINCT FROM";
      }
    } else if (is_word(tok, "JSON_OBJECT")) {
      std::size_t a = skip(t, i + 1);
      if (a < t.size() && is_punct(t[a], "(")) tok.text = "json_build_object";
    } else if (is_word(tok, "LIMIT")) {
      std::size_t a = skip(t, i + 1);
      std::size_t b = a < t.size() ? skip(t, a + 1) : t.size();
      if (b < t.size() && is_punct(t[a], "-") && t[b].kind == Kind::Number && t[b].text == "1") {
        t[a].text = "ALL";
        t[b].text.clear();
      }
    } else if (is_word(tok, "AS")) {
      // CAST(x AS INTEGER) and AS REAL: SQLite's are 64-bit.
      std::size_t a = skip(t, i + 1);
      if (a < t.size() && is_word(t[a], "INTEGER")) t[a].text = "BIGINT";
      if (a < t.size() && is_word(t[a], "REAL")) t[a].text = "DOUBLE PRECISION";
    }
  }
}

// In ON CONFLICT ... DO UPDATE SET a = a + 1, SQLite takes a bare column as the row that is
// there; PostgreSQL calls it ambiguous (the row offered is EXCLUDED): the table's name goes before
// each bare column on the right of an assignment and in the WHERE after it.
void qualify_upsert(std::vector<Token>& t, const std::string& table,
                    const std::vector<std::string>& insert_cols, const TableLookup& tables) {
  int depth = 0;
  std::size_t set = t.size();
  for (std::size_t k = 0; k < t.size(); ++k) {
    if (is_punct(t[k], "(")) ++depth;
    if (is_punct(t[k], ")")) --depth;
    if (depth != 0 || !is_word(t[k], "DO")) continue;
    std::size_t u = skip(t, k + 1);
    if (u >= t.size() || !is_word(t[u], "UPDATE")) continue;
    std::size_t st = skip(t, u + 1);
    if (st < t.size() && is_word(t[st], "SET")) set = st;
    break;
  }
  if (set == t.size()) return;
  std::vector<std::string> cols = insert_cols;
  for (const auto& c : tables(table).columns) cols.push_back(c);
  auto is_col = [&](const std::string& w) {
    for (const auto& c : cols)
      if (upper(c) == upper(w)) return true;
    return false;
  };
  depth = 0;
  bool target = true;  // the next word is an assignment's column
  bool in_where = false;
  for (std::size_t k = set + 1; k < t.size(); ++k) {
    Token& tok = t[k];
    if (is_punct(tok, "(")) ++depth;
    if (is_punct(tok, ")")) --depth;
    if (depth == 0 && (is_word(tok, "RETURNING"))) break;
    if (depth == 0 && is_word(tok, "WHERE")) in_where = true;
    if (depth == 0 && !in_where && is_punct(tok, ",")) {
      target = true;
      continue;
    }
    if (tok.kind != Kind::Word) continue;
    if (target && !in_where) {
      target = false;
      continue;
    }
    if (!is_col(tok.text)) continue;
    std::size_t before = k;
    while (before > 0 && t[before - 1].kind == Kind::Space) --before;
    if (before > 0 && is_punct(t[before - 1], ".")) continue;
    std::size_t after = skip(t, k + 1);
    if (after < t.size() && (is_punct(t[after], "(") || is_punct(t[after], "."))) continue;
    tok.text = table + "." + tok.text;
  }
}

// INSERT OR IGNORE / OR REPLACE / REPLACE INTO, and the id an INSERT made.
void rewrite_insert(Statement& st, const TableLookup& tables, bool want_id) {
  auto& t = st.t;
  std::size_t first = skip(t, 0);
  if (first >= t.size()) return;
  enum { None, Ignore, Replace } mode = None;
  std::size_t into = 0;
  if (is_word(t[first], "INSERT")) {
    std::size_t a = skip(t, first + 1);
    if (a < t.size() && is_word(t[a], "OR")) {
      std::size_t b = skip(t, a + 1);
      if (b < t.size() && is_word(t[b], "IGNORE")) mode = Ignore;
      if (b < t.size() && is_word(t[b], "REPLACE")) mode = Replace;
      for (std::size_t k = first + 1; k <= b; ++k) t[k].text.clear();
      t[first].text = "INSERT";
      into = skip(t, b + 1);
    } else {
      into = a;
    }
  } else if (is_word(t[first], "REPLACE")) {
    mode = Replace;
    t[first].text = "INSERT";
    into = skip(t, first + 1);
  } else {
    return;
  }
  if (into >= t.size() || !is_word(t[into], "INTO")) return;
  std::size_t name = skip(t, into + 1);
  if (name >= t.size()) return;
  const std::string table = unquote(t[name]);
  std::vector<std::string> cols;
  std::size_t p = skip(t, name + 1);
  if (p < t.size() && is_punct(t[p], "(")) {
    for (std::size_t k = p + 1; k < t.size() && !is_punct(t[k], ")"); ++k)
      if (t[k].kind == Kind::Word || t[k].kind == Kind::Ident) cols.push_back(unquote(t[k]));
  }
  qualify_upsert(t, table, cols, tables);
  // Where a clause goes: before RETURNING at depth 0, else at the end.
  int depth = 0;
  std::size_t returning = t.size();
  bool has_conflict = false;
  for (std::size_t k = 0; k < t.size(); ++k) {
    if (is_punct(t[k], "(")) ++depth;
    if (is_punct(t[k], ")")) --depth;
    if (depth == 0 && is_word(t[k], "RETURNING") && returning == t.size()) returning = k;
    if (depth == 0 && is_word(t[k], "CONFLICT")) has_conflict = true;
  }
  std::string clause;
  if (mode == Ignore && !has_conflict) clause = " ON CONFLICT DO NOTHING";
  TableInfo info;
  bool looked = false;
  if (mode == Replace && !has_conflict) {
    info = tables(table);
    looked = true;
    std::string set;
    for (const auto& c : cols) {
      bool in_key = false;
      for (const auto& k : info.key) in_key = in_key || k == c;
      if (in_key) continue;
      set += (set.empty() ? "" : ", ") + c + " = EXCLUDED." + c;
    }
    std::string key;
    for (const auto& k : info.key) key += (key.empty() ? "" : ", ") + k;
    if (key.empty()) throw std::runtime_error("INSERT OR REPLACE into " + table + ": no key");
    clause = " ON CONFLICT (" + key + ") DO " + (set.empty() ? "NOTHING" : "UPDATE SET " + set);
  }
  if (want_id && returning == t.size()) {
    if (!looked) info = tables(table);
    if (!info.identity.empty()) {
      clause += " RETURNING " + info.identity;
      st.returns_id = true;
    }
  }
  if (clause.empty()) return;
  // Trailing space and comments stay after the clause.
  std::size_t at = returning;
  if (at == t.size())
    while (at > 0 && (t[at - 1].kind == Kind::Space || is_punct(t[at - 1], ";"))) --at;
  t.insert(t.begin() + static_cast<std::ptrdiff_t>(at), Token{Kind::Space, clause + " "});
}

std::vector<Statement> split(std::vector<Token> t) {
  std::vector<Statement> out(1);
  int depth = 0;
  int case_depth = 0;  // CASE ... END
  for (auto& tok : t) {
    if (is_punct(tok, "(")) ++depth;
    if (is_punct(tok, ")")) --depth;
    if (is_word(tok, "CASE")) ++case_depth;
    if (is_word(tok, "END") && case_depth > 0) --case_depth;
    if (depth == 0 && case_depth == 0 && is_punct(tok, ";")) {
      out.back().t.push_back(std::move(tok));
      out.emplace_back();
      continue;
    }
    out.back().t.push_back(std::move(tok));
  }
  return out;
}

}  // namespace

bool is_postgres_uri(std::string_view path) {
  return path.starts_with("postgresql:") || path.starts_with("postgres:");
}

Translated translate(std::string_view sqlite_sql, const TableLookup& tables) {
  auto statements = split(lex(sqlite_sql));
  std::size_t real = 0;
  for (const auto& s : statements)
    if (skip(s.t, 0) < s.t.size()) ++real;
  int auto_param = 0;
  Translated out;
  for (auto& s : statements) {
    rewrite_tokens(s.t, auto_param);
    rewrite_insert(s, tables, real == 1);
    out.returns_id = out.returns_id || s.returns_id;
    out.sql += join(s.t);
  }
  return out;
}

namespace {

std::string column_def(std::vector<Token> t, bool* integer_key = nullptr) {
  // name type constraints...
  std::size_t name = skip(t, 0);
  if (name >= t.size()) return join(t);
  const std::string first = upper(t[name].text);
  if (first == "PRIMARY" || first == "UNIQUE" || first == "CHECK" || first == "FOREIGN" ||
      first == "CONSTRAINT") {
    int p = 0;
    rewrite_tokens(t, p);
    return join(t);
  }
  std::size_t type = skip(t, name + 1);
  bool pk = false;
  for (std::size_t k = name + 1; k < t.size(); ++k) {
    if (is_word(t[k], "PRIMARY")) pk = true;
    if (is_word(t[k], "AUTOINCREMENT")) t[k].text.clear();  // an identity never reuses ids
  }
  if (type < t.size() && t[type].kind == Kind::Word) {
    const std::string ty = upper(t[type].text);
    if ((ty == "INTEGER" || ty == "INT") && pk && integer_key) *integer_key = true;
    if (ty == "INTEGER" || ty == "INT")
      t[type].text = pk ? "BIGINT GENERATED BY DEFAULT AS IDENTITY" : "BIGINT";
    else if (ty == "REAL")
      t[type].text = "DOUBLE PRECISION";
    else if (ty == "BLOB")
      t[type].text = "BYTEA";
    else if (ty != "TEXT")
      t[name].text += " TEXT";  // a column without a type (its next word is a constraint)
  } else {
    t[name].text += " TEXT";
  }
  int p = 0;
  rewrite_tokens(t, p);
  return join(t);
}

std::vector<std::string> table(std::string_view sql) {
  auto t = lex(sql);
  // Up to the first "(": CREATE TABLE name.
  std::size_t open = 0;
  while (open < t.size() && !is_punct(t[open], "(")) ++open;
  if (open >= t.size()) throw std::runtime_error("cannot read table: " + std::string(sql));
  std::string out = join(t, 0, open) + "(";
  int depth = 0;
  std::vector<Token> def;
  std::size_t k = open + 1;
  std::vector<std::string> defs;
  bool integer_key = false;
  for (; k < t.size(); ++k) {
    if (is_punct(t[k], "(")) ++depth;
    if (is_punct(t[k], ")")) {
      if (depth == 0) break;
      --depth;
    }
    if (depth == 0 && is_punct(t[k], ",")) {
      defs.push_back(column_def(std::move(def), &integer_key));
      def.clear();
      continue;
    }
    def.push_back(t[k]);
  }
  defs.push_back(column_def(std::move(def), &integer_key));
  bool without_rowid = false;
  for (std::size_t r = k; r < t.size(); ++r)
    without_rowid = without_rowid || is_word(t[r], "ROWID");
  // SQLite's rowid, which queries order by (the order rows came in), where the table has no
  // INTEGER PRIMARY KEY to be it; last, so SELECT * keeps its columns where they were.
  if (!integer_key && !without_rowid)
    defs.push_back("\n  rowid BIGINT GENERATED ALWAYS AS IDENTITY");
  for (std::size_t d = 0; d < defs.size(); ++d) out += (d ? "," : "") + defs[d];
  out += ")";  // WITHOUT ROWID, STRICT: SQLite's alone
  return {out};
}

std::vector<std::string> trigger(std::string_view name, std::string_view sql) {
  auto t = lex(sql);
  // CREATE TRIGGER name timing event [OF cols] ON table [FOR EACH ROW] [WHEN expr] BEGIN body END
  std::size_t i = 0;
  auto next_word = [&](std::size_t from) { return skip(t, from); };
  i = next_word(0);      // CREATE
  i = next_word(i + 1);  // TRIGGER
  i = next_word(i + 1);  // name (IF NOT EXISTS is not used here)
  std::size_t timing = next_word(i + 1);
  std::string head;
  std::size_t k = timing;
  std::string when;
  std::size_t begin = t.size();
  // Head: from timing up to WHEN or BEGIN.
  for (; k < t.size(); ++k) {
    if (is_word(t[k], "WHEN") || is_word(t[k], "BEGIN")) break;
    if (is_word(t[k], "FOR") || is_word(t[k], "EACH") || is_word(t[k], "ROW")) continue;
    head += t[k].text;
  }
  if (k < t.size() && is_word(t[k], "WHEN")) {
    std::size_t w = k + 1;
    std::vector<Token> cond;
    int depth = 0;
    for (; w < t.size(); ++w) {
      if (is_punct(t[w], "(")) ++depth;
      if (is_punct(t[w], ")")) --depth;
      if (depth == 0 && is_word(t[w], "BEGIN")) break;
      cond.push_back(t[w]);
    }
    int p = 0;
    rewrite_tokens(cond, p);
    when = " WHEN (" + join(cond) + ")";
    k = w;
  }
  begin = k;
  std::size_t end = t.size();
  while (end > begin && !is_word(t[end - 1], "END")) --end;
  if (begin >= t.size() || end <= begin + 1)
    throw std::runtime_error("cannot read trigger: " + std::string(sql));
  const std::string body_sqlite = join(t, begin + 1, end - 1);
  auto statements = split(lex(body_sqlite));
  std::string body;
  TableLookup none = [](const std::string&) { return TableInfo{}; };
  for (auto& s : statements) {
    int p = 0;
    rewrite_tokens(s.t, p);
    rewrite_insert(s, none, false);
    std::size_t f = skip(s.t, 0);
    if (f < s.t.size() && is_word(s.t[f], "SELECT")) s.t[f].text = "PERFORM";
    body += join(s.t);
  }
  const bool before = is_word(t[timing], "BEFORE");
  const bool on_delete = head.find("DELETE") != std::string::npos;
  const std::string fn = "parta_trigger_" + std::string(name);
  std::string ret = before ? (on_delete ? "OLD" : "NEW") : "NULL";
  return {"CREATE FUNCTION " + fn + "() RETURNS trigger LANGUAGE plpgsql AS $parta$ BEGIN " + body +
              "\nRETURN " + ret + "; END $parta$",
          "CREATE TRIGGER " + std::string(name) + " " + head + " FOR EACH ROW" + when +
              " EXECUTE FUNCTION " + fn + "()"};
}

}  // namespace

std::vector<std::string> schema_object(std::string_view type, std::string_view name,
                                       std::string_view sql) {
  if (name.starts_with("sqlite_") || sql.empty()) return {};
  if (type == "table") return table(sql);
  if (type == "trigger") return trigger(name, sql);
  if (type == "index") {
    TableLookup none = [](const std::string&) { return TableInfo{}; };
    return {translate(sql, none).sql};
  }
  return {};
}

const std::string& compat_sql() {
  static const std::string sql = R"sql(
CREATE FUNCTION max(anycompatible, anycompatible) RETURNS anycompatible
  LANGUAGE sql IMMUTABLE AS 'SELECT GREATEST($1, $2)';
CREATE FUNCTION max(anycompatible, anycompatible, anycompatible) RETURNS anycompatible
  LANGUAGE sql IMMUTABLE AS 'SELECT GREATEST($1, $2, $3)';
CREATE FUNCTION min(anycompatible, anycompatible) RETURNS anycompatible
  LANGUAGE sql IMMUTABLE AS 'SELECT LEAST($1, $2)';
CREATE FUNCTION min(anycompatible, anycompatible, anycompatible) RETURNS anycompatible
  LANGUAGE sql IMMUTABLE AS 'SELECT LEAST($1, $2, $3)';
CREATE FUNCTION ifnull(anycompatible, anycompatible) RETURNS anycompatible
  LANGUAGE sql IMMUTABLE AS 'SELECT COALESCE($1, $2)';
CREATE FUNCTION instr(text, text) RETURNS integer
  LANGUAGE sql IMMUTABLE AS 'SELECT strpos($1, $2)';
CREATE FUNCTION hex(bytea) RETURNS text LANGUAGE sql IMMUTABLE AS 'SELECT upper(encode($1, ''hex''))';
CREATE FUNCTION randomblob(bigint) RETURNS bytea LANGUAGE sql VOLATILE AS
  'SELECT substring(decode(md5(random()::text || clock_timestamp()::text) ||
     md5(random()::text || clock_timestamp()::text), ''hex'') FROM 1 FOR $1::int)';
CREATE FUNCTION parta_concat(text, text, text) RETURNS text LANGUAGE sql IMMUTABLE AS
  'SELECT CASE WHEN $2 IS NULL THEN $1 WHEN $1 IS NULL THEN $2 ELSE $1 || $3 || $2 END';
CREATE FUNCTION parta_concat(text, text) RETURNS text LANGUAGE sql IMMUTABLE AS
  'SELECT parta_concat($1, $2, '','')';
CREATE AGGREGATE group_concat(text, text) (SFUNC = parta_concat, STYPE = text);
CREATE AGGREGATE group_concat(text) (SFUNC = parta_concat, STYPE = text);
CREATE FUNCTION parta_count_true(bigint, boolean) RETURNS bigint LANGUAGE sql IMMUTABLE AS
  'SELECT COALESCE($1, 0) + CASE WHEN $2 THEN 1 ELSE 0 END';
CREATE AGGREGATE sum(boolean) (SFUNC = parta_count_true, STYPE = bigint);
CREATE FUNCTION json_extract(text, text) RETURNS text LANGUAGE sql IMMUTABLE AS
  'SELECT jsonb_path_query_first($1::jsonb, $2::jsonpath) #>> ''{}''';
CREATE FUNCTION json_array_length(text) RETURNS bigint LANGUAGE sql IMMUTABLE AS
  'SELECT jsonb_array_length($1::jsonb)::bigint';
CREATE FUNCTION json_array_length(text, text) RETURNS bigint LANGUAGE sql IMMUTABLE AS
  'SELECT jsonb_array_length(jsonb_path_query_first($1::jsonb, $2::jsonpath))::bigint';
-- An array's keys are its indices, zero-padded so that ORDER BY key is the array's order (SQLite's
-- are integers).
CREATE FUNCTION json_each(text) RETURNS TABLE (key text, value text) LANGUAGE sql IMMUTABLE AS
  'SELECT CASE jsonb_typeof($1::jsonb) WHEN ''array'' THEN lpad((e.n - 1)::text, 10, ''0'')
     ELSE e.k END, e.v
   FROM (SELECT NULL::text AS k, a.v, a.n FROM jsonb_array_elements_text(
           CASE jsonb_typeof($1::jsonb) WHEN ''array'' THEN $1::jsonb ELSE ''[]''::jsonb END)
           WITH ORDINALITY a(v, n)
         UNION ALL SELECT o.key, o.value, 0 FROM jsonb_each_text(
           CASE jsonb_typeof($1::jsonb) WHEN ''object'' THEN $1::jsonb ELSE ''{}''::jsonb END) o) e';
CREATE FUNCTION strftime(text, text) RETURNS text LANGUAGE sql STABLE AS
  'SELECT CASE $1 WHEN ''%s'' THEN (CASE WHEN $2 = ''now'' THEN extract(epoch FROM now())
     ELSE extract(epoch FROM $2::timestamptz) END)::bigint::text
   ELSE to_char(CASE WHEN $2 = ''now'' THEN now() ELSE $2::timestamptz END AT TIME ZONE ''UTC'',
     replace(replace(replace(replace(replace(replace($1, ''%Y'', ''YYYY''), ''%m'', ''MM''),
       ''%d'', ''DD''), ''%H'', ''HH24''), ''%M'', ''MI''), ''%S'', ''SS'')) END';
)sql";
  return sql;
}

}  // namespace parta::storage::pg
