#include "printer/packet.hpp"

#include <cairo-pdf.h>
#include <cairo.h>
#include <cmark.h>
#include <glib.h>
#include <pango/pangocairo.h>
#include <poppler.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "printer/qr_draw.hpp"
#include "printer/scan.hpp"

namespace parta::printer {

namespace {

using G = PageGeometry;
constexpr double kTop = G::kMargin + G::kCode + 14;                  // below the top code
constexpr double kBottom = G::kHeight - G::kMargin - G::kCode - 14;  // above the bottom code
constexpr double kLeft = G::kMargin, kRight = G::kWidth - G::kMargin;
constexpr const char* kFont = "DejaVu Sans";

template <typename T, void (*F)(T*)>
struct Deleter {
  void operator()(T* p) const { F(p); }
};
using Surface = std::unique_ptr<cairo_surface_t, Deleter<cairo_surface_t, cairo_surface_destroy>>;
using Cairo = std::unique_ptr<cairo_t, Deleter<cairo_t, cairo_destroy>>;

struct GObjectDeleter {
  void operator()(void* p) const { g_object_unref(p); }
};
using Layout = std::unique_ptr<PangoLayout, GObjectDeleter>;
using Document = std::unique_ptr<PopplerDocument, GObjectDeleter>;

std::string escape(const std::string& s) {
  char* e = g_markup_escape_text(s.c_str(), static_cast<gssize>(s.size()));
  std::string out(e);
  g_free(e);
  return out;
}

// Markdown (what teachers write) to pango markup: headings, bold, italics, code, lists, links.
std::string markdown_to_markup(const std::string& md) {
  cmark_node* doc = cmark_parse_document(md.c_str(), md.size(), CMARK_OPT_DEFAULT);
  std::string out;
  cmark_iter* it = cmark_iter_new(doc);
  int list_depth = 0;
  for (cmark_event_type ev; (ev = cmark_iter_next(it)) != CMARK_EVENT_DONE;) {
    cmark_node* n = cmark_iter_get_node(it);
    bool enter = ev == CMARK_EVENT_ENTER;
    switch (cmark_node_get_type(n)) {
      case CMARK_NODE_TEXT:
        out += escape(cmark_node_get_literal(n));
        break;
      case CMARK_NODE_CODE:
        out += "<tt>" + escape(cmark_node_get_literal(n)) + "</tt>";
        break;
      case CMARK_NODE_CODE_BLOCK:
        out += "<tt>" + escape(cmark_node_get_literal(n)) + "</tt>\n";
        break;
      case CMARK_NODE_SOFTBREAK:
        out += " ";
        break;
      case CMARK_NODE_LINEBREAK:
        out += "\n";
        break;
      case CMARK_NODE_STRONG:
        out += enter ? "<b>" : "</b>";
        break;
      case CMARK_NODE_EMPH:
        out += enter ? "<i>" : "</i>";
        break;
      case CMARK_NODE_HEADING:
        out += enter ? "<span size=\"large\" weight=\"bold\">" : "</span>\n";
        break;
      case CMARK_NODE_PARAGRAPH:
        if (!enter) out += list_depth ? "\n" : "\n\n";
        break;
      case CMARK_NODE_LIST:
        list_depth += enter ? 1 : -1;
        if (!enter && list_depth == 0) out += "\n";
        break;
      case CMARK_NODE_ITEM:
        if (enter) {
          out += std::string(static_cast<std::size_t>(2 * (list_depth - 1)), ' ');
          cmark_node* list = cmark_node_parent(n);
          if (cmark_node_get_list_type(list) == CMARK_ORDERED_LIST) {
            int i = cmark_node_get_list_start(list);
            for (cmark_node* s = cmark_node_first_child(list); s && s != n; s = cmark_node_next(s))
              ++i;
            out += std::to_string(i) + ". ";
          } else {
            out += "• ";
          }
        }
        break;
      case CMARK_NODE_LINK:
        if (!enter) out += " (" + escape(cmark_node_get_url(n)) + ")";
        break;
      case CMARK_NODE_IMAGE:
        if (enter)
          out += "[";
        else
          out += "]";
        break;
      case CMARK_NODE_THEMATIC_BREAK:
        out += "—\n";
        break;
      default:
        break;
    }
  }
  cmark_iter_free(it);
  cmark_node_free(doc);
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

Layout make_layout(cairo_t* cr, const std::string& markup, double size, double width) {
  Layout l(pango_cairo_create_layout(cr));
  PangoFontDescription* f = pango_font_description_from_string(kFont);
  pango_font_description_set_absolute_size(f, size * PANGO_SCALE);
  pango_layout_set_font_description(l.get(), f);
  pango_font_description_free(f);
  pango_layout_set_width(l.get(), static_cast<int>(width * PANGO_SCALE));
  pango_layout_set_wrap(l.get(), PANGO_WRAP_WORD_CHAR);
  pango_layout_set_markup(l.get(), markup.c_str(), -1);
  return l;
}

// Draws markup at (x, y); returns the height used.
double text(cairo_t* cr, double x, double y, double width, const std::string& markup, double size) {
  Layout l = make_layout(cr, markup, size, width);
  cairo_move_to(cr, x, y);
  pango_cairo_show_layout(cr, l.get());
  int w = 0, h = 0;
  pango_layout_get_size(l.get(), &w, &h);
  return static_cast<double>(h) / PANGO_SCALE;
}

// The lines of the assignment text, split into pages: the index of each page's first line.
struct TextPages {
  Layout layout;
  std::vector<int> first_line;  // per page
};

TextPages paginate(cairo_t* cr, const std::string& markup) {
  TextPages t{make_layout(cr, markup, 11.5, kRight - kLeft), {}};
  PangoLayoutIter* it = pango_layout_get_iter(t.layout.get());
  double page_top = 0;
  int line = 0;
  t.first_line.push_back(0);
  const double height = kBottom - kTop - 24;  // a heading line on every text page
  do {
    PangoRectangle logical;
    pango_layout_iter_get_line_extents(it, nullptr, &logical);
    double bottom = static_cast<double>(logical.y + logical.height) / PANGO_SCALE;
    if (bottom - page_top > height && line != t.first_line.back()) {
      t.first_line.push_back(line);
      page_top = static_cast<double>(logical.y) / PANGO_SCALE;
    }
    ++line;
  } while (pango_layout_iter_next_line(it));
  pango_layout_iter_free(it);
  return t;
}

void draw_text_page(cairo_t* cr, const TextPages& t, std::size_t page) {
  int from = t.first_line[page];
  int to = page + 1 < t.first_line.size() ? t.first_line[page + 1]
                                          : pango_layout_get_line_count(t.layout.get());
  PangoLayoutIter* it = pango_layout_get_iter(t.layout.get());
  double offset = -1;
  int line = 0;
  do {
    if (line >= from && line < to) {
      PangoRectangle logical;
      pango_layout_iter_get_line_extents(it, nullptr, &logical);
      if (offset < 0) offset = static_cast<double>(logical.y) / PANGO_SCALE;
      double baseline = static_cast<double>(pango_layout_iter_get_baseline(it)) / PANGO_SCALE;
      cairo_move_to(cr, kLeft + static_cast<double>(logical.x) / PANGO_SCALE,
                    kTop + 24 + baseline - offset);
      pango_cairo_show_layout_line(cr, pango_layout_iter_get_line_readonly(it));
    }
    ++line;
  } while (line < to && pango_layout_iter_next_line(it));
  pango_layout_iter_free(it);
}

Document open_pdf(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  std::string bytes = s.str();
  GBytes* data = g_bytes_new(bytes.data(), bytes.size());
  GError* error = nullptr;
  PopplerDocument* doc = poppler_document_new_from_bytes(data, nullptr, &error);
  g_bytes_unref(data);
  if (!doc) {
    std::string why = error ? error->message : "unknown";
    if (error) g_error_free(error);
    throw std::runtime_error("a material is not a readable PDF: " + why);
  }
  return Document(doc);
}

void draw_material_page(cairo_t* cr, PopplerPage* page) {
  double w = 0, h = 0;
  poppler_page_get_size(page, &w, &h);
  double box_w = kRight - kLeft, box_h = kBottom - kTop;
  double scale = std::min(box_w / w, box_h / h);
  cairo_save(cr);
  cairo_translate(cr, kLeft + (box_w - w * scale) / 2, kTop);
  cairo_scale(cr, scale, scale);
  cairo_rectangle(cr, 0, 0, w, h);
  cairo_clip(cr);
  poppler_page_render_for_printing(page, cr);
  cairo_restore(cr);
  cairo_set_line_width(cr, 0.5);
  cairo_rectangle(cr, kLeft + (box_w - w * scale) / 2, kTop, w * scale, h * scale);
  cairo_stroke(cr);
}

void draw_answer_page(cairo_t* cr, Ruling ruling, int n, const PacketInfo& p) {
  text(cr, kLeft, kTop - 4, kRight - kLeft,
       "<b>Лист для ответов " + std::to_string(n) + "</b>   " + escape(p.student_name) + ", " +
           escape(p.class_name),
       11);
  double top = kTop + 22;
  cairo_set_source_rgb(cr, 0.55, 0.55, 0.55);
  cairo_set_line_width(cr, 0.4);
  if (ruling == Ruling::lined) {
    for (double y = top + 22.7; y < kBottom; y += 22.7) {  // 8 mm
      cairo_move_to(cr, kLeft, y);
      cairo_line_to(cr, kRight, y);
    }
  } else {
    const double step = 14.17;  // 5 mm
    for (double x = kLeft; x <= kRight + 0.1; x += step) {
      cairo_move_to(cr, x, top);
      cairo_line_to(cr, x, kBottom);
    }
    for (double y = top; y <= kBottom + 0.1; y += step) {
      cairo_move_to(cr, kLeft, y);
      cairo_line_to(cr, kRight, y);
    }
  }
  cairo_stroke(cr);
  cairo_set_source_rgb(cr, 0, 0, 0);
}

void draw_cover(cairo_t* cr, const PacketInfo& p, const std::vector<std::string>& left_out) {
  double y = kTop - 4;
  y += text(cr, kLeft, y, kRight - kLeft, "<b>" + escape(p.school) + "</b>", 12) + 14;
  y += text(cr, kLeft, y, kRight - kLeft,
            "<span size=\"x-large\" weight=\"bold\">" + escape(p.title) + "</span>", 16) +
       16;
  auto row = [&](const char* label, const std::string& value) {
    if (value.empty()) return;
    text(cr, kLeft, y, 150, std::string("<span foreground=\"#333333\">") + label + "</span>", 12);
    y += text(cr, kLeft + 150, y, kRight - kLeft - 150, "<b>" + escape(value) + "</b>", 12) + 8;
  };
  row("Ученик", p.student_name);
  row("Номер ученика", p.student_no);
  row("Класс", p.class_name);
  row("Предмет", p.subject);
  row("Учитель", p.teacher);
  row("Сдать до", p.due);
  y += 14;
  cairo_set_line_width(cr, 1);
  cairo_rectangle(cr, kLeft, y, kRight - kLeft, 150);
  cairo_stroke(cr);
  text(cr, kLeft + 10, y + 10, kRight - kLeft - 20,
       "<b>Как сдать работу</b>\n" + escape(p.how_to_return) +
           "\n\nНе закрывайте и не пачкайте QR-коды в углах листов: по ним работа попадёт к "
           "учителю. Пишите ответы на листах для ответов; можно и на обороте.",
       11);
  if (!left_out.empty()) {
    std::string names;
    for (const auto& n : left_out) names += (names.empty() ? "" : ", ") + escape(n);
    text(cr, kLeft, y + 165, kRight - kLeft,
         "Не удалось напечатать (файл повреждён): " + names + ". Спросите у учителя.", 10);
  }
}

void draw_furniture(cairo_t* cr, const PagePayload& id) {
  std::string payload = encode_payload(id);
  draw_qr(cr, payload, G::kWidth - G::kMargin - G::kCode, G::kMargin, G::kCode);
  draw_qr(cr, payload, G::kMargin, G::kHeight - G::kMargin - G::kCode, G::kCode);
  const double m = G::kMarkInset, s = G::kMarkSide;
  for (auto [x, y] : {std::pair{m, m},
                      {G::kWidth - m - s, m},
                      {m, G::kHeight - m - s},
                      {G::kWidth - m - s, G::kHeight - m - s}})
    cairo_rectangle(cr, x, y, s, s);
  cairo_fill(cr);
  std::string human = escape(human_id(id));
  text(cr, G::kMargin + G::kCode + 8, G::kHeight - G::kMargin - 12, 300, human, 7.5);
  text(cr, G::kWidth - G::kMargin - G::kCode - 220, G::kMargin + G::kCode / 2 - 5, 212,
       "<span>" + human + "</span>", 7.5);
}

// A reference article in pages: headings, paragraphs, list items, table rows and pictures
// (gray, scaled to the column) flowing down the text area, the article's title on every page.
struct ArticlePages {
  std::string title, source;
  std::vector<Layout> layouts;
  std::vector<Surface> pictures;  // own their pixels (cairo may read them until the PDF ends)
  struct Placed {
    PangoLayout* layout = nullptr;
    int line = 0;
    cairo_surface_t* picture = nullptr;
    double x = 0, y = 0, w = 0, h = 0;  // y: a line's baseline, a picture's top
  };
  std::vector<std::vector<Placed>> pages;
};

bool plain_name(const std::string& f) {
  if (f.empty() || f.size() > 64) return false;
  for (char c : f)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  return true;
}

std::unique_ptr<ArticlePages> layout_article(cairo_t* measure, const Material& m) {
  std::ifstream in(m.path);
  auto doc = nlohmann::json::parse(in, nullptr, false);
  if (!doc.is_object() || !doc["blocks"].is_array())
    throw std::runtime_error("the article cannot be read");
  auto a = std::make_unique<ArticlePages>();
  a->title = doc.value("title", m.name);
  a->source = doc.value("source", "");
  const double top = kTop + 24, bottom = kBottom, width = kRight - kLeft;
  double y = top;
  a->pages.emplace_back();
  auto new_page = [&] {
    a->pages.emplace_back();
    y = top;
  };
  std::string folder = m.path.substr(0, m.path.rfind('/') + 1);
  auto place_text = [&](const std::string& markup, double size, double indent, double gap) {
    a->layouts.push_back(make_layout(measure, markup, size, width - indent));
    PangoLayout* l = a->layouts.back().get();
    PangoLayoutIter* it = pango_layout_get_iter(l);
    int line = 0;
    double first_y = -1;
    do {
      PangoRectangle logical;
      pango_layout_iter_get_line_extents(it, nullptr, &logical);
      double ly = static_cast<double>(logical.y) / PANGO_SCALE;
      double lh = static_cast<double>(logical.height) / PANGO_SCALE;
      if (first_y < 0) first_y = ly;
      if (y + lh > bottom && y > top) new_page();
      double baseline = static_cast<double>(pango_layout_iter_get_baseline(it)) / PANGO_SCALE - ly;
      a->pages.back().push_back({l, line, nullptr,
                                 kLeft + indent + static_cast<double>(logical.x) / PANGO_SCALE,
                                 y + baseline, 0, 0});
      y += lh;
      ++line;
    } while (pango_layout_iter_next_line(it) && line < 4000);
    pango_layout_iter_free(it);
    y += gap;
  };
  if (!a->source.empty()) place_text("<i>" + escape(a->source) + "</i>", 9, 0, 6);
  std::size_t pictures = 0;
  for (const auto& b : doc["blocks"]) {
    if (!b.is_object()) continue;
    std::string k = b.value("k", "");
    std::string t = b.value("t", "");
    if (t.size() > 100000) t.resize(100000);
    if (k == "h") {
      int level = std::clamp(b.value("l", 2), 1, 6);
      if (y > bottom - 60) new_page();  // a heading never ends a page
      place_text("<b>" + escape(t) + "</b>", level <= 2 ? 14 : 12, 0, 4);
    } else if (k == "li") {
      place_text("• " + escape(t), 11, 12, 3);
    } else if (k == "row") {
      place_text(escape(t), 10, 6, 2);
    } else if (k == "img") {
      std::string f = b.value("f", "");
      if (!plain_name(f) || ++pictures > 200) continue;
      PageImage img;
      try {
        img = load_picture(folder + f, 1200);
      } catch (const std::exception&) {
        std::string alt = b.value("alt", "");
        place_text("<i>[" + escape(alt.empty() ? "рисунок" : alt) + "]</i>", 9, 0, 4);
        continue;
      }
      if (img.width <= 0 || img.height <= 0) continue;
      Surface surface(cairo_image_surface_create(CAIRO_FORMAT_RGB24, img.width, img.height));
      if (cairo_surface_status(surface.get()) != CAIRO_STATUS_SUCCESS) continue;
      cairo_surface_flush(surface.get());
      int stride = cairo_image_surface_get_stride(surface.get());
      unsigned char* px = cairo_image_surface_get_data(surface.get());
      for (int r = 0; r < img.height; ++r)
        for (int c = 0; c < img.width; ++c) {
          std::uint8_t g = img.gray[static_cast<std::size_t>(r) * img.width + c];
          unsigned char* d = px + static_cast<std::size_t>(r) * stride + c * 4;
          d[0] = d[1] = d[2] = g;
          d[3] = 255;
        }
      cairo_surface_mark_dirty(surface.get());
      a->pictures.push_back(std::move(surface));
      // 150 dpi on paper at most, the column's width, and a third of the page's height.
      double w = std::min(width, img.width * 72.0 / 150.0);
      double h = w * img.height / img.width;
      double max_h = (bottom - top) / 3;
      if (h > max_h) {
        w *= max_h / h;
        h = max_h;
      }
      if (y + h > bottom) new_page();
      a->pages.back().push_back({nullptr, 0, a->pictures.back().get(), kLeft, y, w, h});
      y += h + 6;
      std::string alt = b.value("alt", "");
      if (!alt.empty()) place_text("<i>" + escape(alt) + "</i>", 9, 0, 6);
    } else if (!t.empty()) {
      place_text(escape(t), 11, 0, 6);
    }
  }
  if (a->pages.back().empty() && a->pages.size() > 1) a->pages.pop_back();
  return a;
}

void draw_article_page(cairo_t* cr, const ArticlePages& a, std::size_t page) {
  text(cr, kLeft, kTop - 4, kRight - kLeft - G::kCode,
       "<b>" + escape(a.title) + "</b>" + (page ? " (продолжение)" : ""), 11);
  for (const auto& p : a.pages[page]) {
    if (p.layout) {
      cairo_move_to(cr, p.x, p.y);
      pango_cairo_show_layout_line(cr, pango_layout_get_line_readonly(p.layout, p.line));
    } else if (p.picture) {
      cairo_save(cr);
      cairo_translate(cr, p.x, p.y);
      cairo_scale(cr, p.w / cairo_image_surface_get_width(p.picture),
                  p.h / cairo_image_surface_get_height(p.picture));
      cairo_set_source_surface(cr, p.picture, 0, 0);
      cairo_paint(cr);
      cairo_restore(cr);
      cairo_set_source_rgb(cr, 0, 0, 0);
    }
  }
}

// A quiz's pages: the questions flowing down, each with its numbered boxes (or a frame to write
// in); a question is kept on one page unless it is longer than a page. Every answer place is
// recorded (AnswerBox) where it is drawn, so what is read back is where it was printed.
struct QuizPages {
  std::vector<Layout> layouts;
  struct Text {
    PangoLayout* layout = nullptr;
    double x = 0, y = 0;
  };
  struct Rect {
    double x = 0, y = 0, w = 0, h = 0, line = 0;
  };
  struct Page {
    std::vector<Text> texts;
    std::vector<Rect> rects;
  };
  std::vector<Page> pages;
  std::vector<AnswerBox> boxes;  // `page`: 0-based, of these pages
};

std::string points_word(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  std::string n(buf);
  std::replace(n.begin(), n.end(), '.', ',');
  double whole = std::floor(v);
  const char* word = "балла";
  if (whole == v) {
    auto k = static_cast<long long>(v) % 100;
    word = (k % 10 == 1 && k != 11)                             ? "балл"
           : (k % 10 >= 2 && k % 10 <= 4 && (k < 12 || k > 14)) ? "балла"
                                                                : "баллов";
  }
  return n + " " + word;
}

std::unique_ptr<QuizPages> layout_quiz(cairo_t* measure, const PacketInfo& p) {
  using Form = PaperQuestion::Form;
  auto q = std::make_unique<QuizPages>();
  const double top = kTop + 44, bottom = kBottom, width = kRight - kLeft;
  // The option's number ends 4 pt before its box, the box's text starts 12 pt after it: the
  // 7 pt around a box stay blank, so ink there is a mark beside the box (boxes.cpp).
  constexpr double kNumber = 18, kBoxX = 26, kTextX = 50, kRow = 22, kGap = 14;
  constexpr double kLine = 30, kFrame = 140;
  auto add = [&](const std::string& markup, double size, double w) {
    q->layouts.push_back(make_layout(measure, markup, size, w));
    return q->layouts.back().get();
  };
  auto height = [](PangoLayout* l) {
    int w = 0, h = 0;
    pango_layout_get_size(l, &w, &h);
    return static_cast<double>(h) / PANGO_SCALE;
  };
  q->pages.emplace_back();
  double y = top;
  int number = 0;
  for (const auto& question : p.quiz) {
    ++number;
    const char* hint = question.form == Form::one ? "отметьте один ответ"
                       : question.form == Form::many ? "отметьте все верные ответы"
                       : question.form == Form::line ? "впишите ответ в рамку"
                                                     : "напишите ответ в рамке";
    PangoLayout* head = add("<b>" + std::to_string(number) + ".</b> " + escape(question.text) +
                                "  <span size=\"small\" foreground=\"#333333\">(" + hint + "; " +
                                escape(points_word(question.points)) + ")</span>",
                            11, width);
    // A question's text is at most half a page (the rest is cut with "…").
    pango_layout_set_height(head, static_cast<int>((bottom - top) / 2 * PANGO_SCALE));
    pango_layout_set_ellipsize(head, PANGO_ELLIPSIZE_END);
    std::vector<std::pair<PangoLayout*, double>> rows;
    double block = height(head) + 10;
    // Short options side by side in one line (up to four), each in a column of its own; others
    // one under another.
    const std::size_t n_options = question.options.size();
    const double column = n_options ? width / static_cast<double>(std::min<std::size_t>(
                                                  std::max<std::size_t>(n_options, 2), 4))
                                    : width;
    bool across = n_options >= 2 && n_options <= 4;
    for (const auto& [index, text] : question.options) {
      PangoLayout* o = add(escape(text), 11, width - kTextX);
      pango_layout_set_height(o, static_cast<int>(120 * PANGO_SCALE));
      pango_layout_set_ellipsize(o, PANGO_ELLIPSIZE_END);
      int w = 0, h = 0;
      pango_layout_get_size(o, &w, &h);
      if (static_cast<double>(w) / PANGO_SCALE > column - kTextX - 8 || h > 16 * PANGO_SCALE)
        across = false;
      rows.emplace_back(o, std::max(kRow, height(o) + 8));
    }
    if (across) {
      for (auto& r : rows)
        pango_layout_set_width(r.first, static_cast<int>((column - kTextX - 6) * PANGO_SCALE));
      block += kRow;
    } else {
      for (const auto& r : rows) block += r.second;
    }
    if (question.form == Form::line) block += kLine + 6;
    if (question.form == Form::frame) block += kFrame + 6;
    if (y + block > bottom && y > top) {
      q->pages.emplace_back();
      y = top;
    }
    // The question as the teacher is shown it: one block per page it is on.
    double block_top = y - 3;
    auto close_block = [&] {
      q->boxes.push_back({static_cast<int>(q->pages.size()) - 1, question.position,
                          AnswerBox::kBlock, question.form == Form::many, kLeft - 4, block_top,
                          width + 8, y - block_top});
    };
    auto room = [&](double h) {
      if (y + h <= bottom || y <= top) return;
      close_block();
      q->pages.emplace_back();
      y = top;
      block_top = y - 3;
    };
    q->pages.back().texts.push_back({head, kLeft, y});
    y += height(head) + 10;
    if (across) room(kRow);
    for (std::size_t k = 0; k < rows.size(); ++k) {
      if (!across) room(rows[k].second);
      auto& page = q->pages.back();
      const double x = kLeft + (across ? column * static_cast<double>(k) : 0);
      PangoLayout* n = add("<b>" + std::to_string(k + 1) + "</b>", 10, kNumber);
      pango_layout_set_alignment(n, PANGO_ALIGN_RIGHT);
      page.texts.push_back({n, x, y + 1});
      page.rects.push_back({x + kBoxX, y + 1, G::kBox, G::kBox, G::kBoxLine});
      q->boxes.push_back({static_cast<int>(q->pages.size()) - 1, question.position,
                          question.options[k].first, false, x + kBoxX, y + 1, G::kBox, G::kBox});
      page.texts.push_back({rows[k].first, x + kTextX, y});
      if (!across) y += rows[k].second;
    }
    if (across) y += kRow;
    if (question.form == Form::line || question.form == Form::frame) {
      double h = question.form == Form::line ? kLine : kFrame;
      room(h + 6);
      auto& page = q->pages.back();
      double x = kLeft, w = width;
      if (question.form == Form::line) {
        page.texts.push_back({add("Ответ:", 11, 60), kLeft, y + 8});
        x = kLeft + 60;
        w = 240;
      }
      page.rects.push_back({x, y, w, h, 1.0});
      q->boxes.push_back({static_cast<int>(q->pages.size()) - 1, question.position,
                          AnswerBox::kWriteIn, false, x, y, w, h});
      y += h + 6;
    }
    close_block();
    y += kGap;
  }
  return q;
}

void draw_quiz_page(cairo_t* cr, const PacketInfo& p, const QuizPages& q, std::size_t page) {
  text(cr, kLeft, kTop - 4, kRight - kLeft - G::kCode,
       "<b>Тест: " + escape(p.quiz_title) + "</b>" + (page ? " (продолжение)" : ""), 11);
  text(cr, kLeft, kTop + 14, kRight - kLeft,
       "Ставьте в клетку крестик ✕ или галочку ✓. Передумали — закрасьте клетку целиком (такую "
       "проверит учитель) и отметьте другую. В рамке пишите только ответ. Рядом с клетками "
       "ничего не пишите.",
       8.5);
  for (const auto& t : q.pages[page].texts) {
    cairo_move_to(cr, t.x, t.y);
    pango_cairo_show_layout(cr, t.layout);
  }
  for (const auto& r : q.pages[page].rects) {
    cairo_set_line_width(cr, r.line);
    cairo_rectangle(cr, r.x, r.y, r.w, r.h);
    cairo_stroke(cr);
  }
}

struct Plan {
  std::vector<std::function<void(cairo_t*)>> pages;
};

Plan plan(cairo_t* measure, const PacketInfo& p, std::vector<std::unique_ptr<TextPages>>& texts,
          std::vector<Document>& docs, std::vector<std::string>& left_out,
          std::vector<std::unique_ptr<ArticlePages>>& articles,
          std::vector<std::unique_ptr<QuizPages>>& quizzes, std::vector<AnswerBox>* boxes) {
  Plan out;
  out.pages.push_back([&p, &left_out](cairo_t* cr) { draw_cover(cr, p, left_out); });
  if (!p.body_markdown.empty()) {
    texts.push_back(
        std::make_unique<TextPages>(paginate(measure, markdown_to_markup(p.body_markdown))));
    TextPages* t = texts.back().get();
    for (std::size_t i = 0; i < t->first_line.size(); ++i)
      out.pages.push_back([t, i, &p](cairo_t* cr) {
        text(cr, kLeft, kTop - 4, kRight - kLeft - G::kCode,
             "<b>" + escape(p.title) + "</b>" + (i ? " (продолжение)" : ""), 11);
        draw_text_page(cr, *t, i);
      });
  }
  if (!p.quiz.empty()) {
    quizzes.push_back(layout_quiz(measure, p));
    QuizPages* q = quizzes.back().get();
    int first = static_cast<int>(out.pages.size()) + 1;
    if (boxes)
      for (AnswerBox b : q->boxes) {
        b.page += first;
        boxes->push_back(b);
      }
    for (std::size_t i = 0; i < q->pages.size(); ++i)
      out.pages.push_back([&p, q, i](cairo_t* cr) { draw_quiz_page(cr, p, *q, i); });
  }
  for (const auto& m : p.materials) {
    if (m.kind == "article") {
      try {
        articles.push_back(layout_article(measure, m));
      } catch (const std::bad_alloc&) {
        throw;
      } catch (const std::exception&) {
        left_out.push_back(m.name);
        continue;
      }
      ArticlePages* a = articles.back().get();
      for (std::size_t i = 0; i < a->pages.size(); ++i)
        out.pages.push_back([a, i](cairo_t* cr) { draw_article_page(cr, *a, i); });
      continue;
    }
    try {
      docs.push_back(open_pdf(m.path));
    } catch (const std::runtime_error&) {
      left_out.push_back(m.name);
      continue;
    }
    PopplerDocument* d = docs.back().get();
    for (int i = 0; i < poppler_document_get_n_pages(d); ++i)
      out.pages.push_back([d, i](cairo_t* cr) {
        PopplerPage* page = poppler_document_get_page(d, i);
        draw_material_page(cr, page);
        g_object_unref(page);
      });
  }
  for (int i = 1; i <= p.answer_pages; ++i)
    out.pages.push_back([&p, i](cairo_t* cr) { draw_answer_page(cr, p.ruling, i, p); });
  return out;
}

}  // namespace

int packet_pages(const PacketInfo& p) {
  Surface s(cairo_pdf_surface_create_for_stream(nullptr, nullptr, G::kWidth, G::kHeight));
  Cairo cr(cairo_create(s.get()));
  std::vector<std::unique_ptr<TextPages>> texts;
  std::vector<Document> docs;
  std::vector<std::string> left_out;
  std::vector<std::unique_ptr<ArticlePages>> articles;
  std::vector<std::unique_ptr<QuizPages>> quizzes;
  return static_cast<int>(
      plan(cr.get(), p, texts, docs, left_out, articles, quizzes, nullptr).pages.size());
}

int render_packets(const std::vector<PacketInfo>& packets, const std::string& path,
                   std::vector<std::vector<AnswerBox>>* boxes) {
  if (boxes) boxes->assign(packets.size(), {});
  Surface s(cairo_pdf_surface_create(path.c_str(), G::kWidth, G::kHeight));
  if (cairo_surface_status(s.get()) != CAIRO_STATUS_SUCCESS)
    throw std::runtime_error("cannot write " + path);
  cairo_pdf_surface_set_metadata(s.get(), CAIRO_PDF_METADATA_CREATOR, "Parta");
  Cairo cr(cairo_create(s.get()));
  int written = 0;
  for (std::size_t k = 0; k < packets.size(); ++k) {
    const PacketInfo& p = packets[k];
    std::vector<std::unique_ptr<TextPages>> texts;
    std::vector<Document> docs;
    std::vector<std::string> left_out;
    std::vector<std::unique_ptr<ArticlePages>> articles;
    std::vector<std::unique_ptr<QuizPages>> quizzes;
    Plan pl =
        plan(cr.get(), p, texts, docs, left_out, articles, quizzes, boxes ? &(*boxes)[k] : nullptr);
    PagePayload id = p.id;
    id.pages = static_cast<int>(pl.pages.size());
    for (std::size_t i = 0; i < pl.pages.size(); ++i) {
      id.page = static_cast<int>(i) + 1;
      cairo_set_source_rgb(cr.get(), 0, 0, 0);
      pl.pages[i](cr.get());
      draw_furniture(cr.get(), id);
      cairo_show_page(cr.get());
      ++written;
    }
  }
  cairo_surface_finish(s.get());
  if (cairo_surface_status(s.get()) != CAIRO_STATUS_SUCCESS)
    throw std::runtime_error("cannot write " + path + ": " +
                             cairo_status_to_string(cairo_surface_status(s.get())));
  return written;
}

}  // namespace parta::printer
