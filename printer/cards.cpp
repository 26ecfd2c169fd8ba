#include "printer/cards.hpp"

#include <cairo-pdf.h>
#include <glib.h>
#include <pango/pangocairo.h>

#include <stdexcept>

#include "printer/packet.hpp"
#include "printer/qr_draw.hpp"

namespace parta::printer {

namespace {
std::string escape(const std::string& s) {
  char* e = g_markup_escape_text(s.c_str(), static_cast<gssize>(s.size()));
  std::string out(e);
  g_free(e);
  return out;
}

// Draws markup at (x, y); returns the height it took.
double show(cairo_t* cr, double x, double y, double width, const std::string& markup, double size) {
  PangoLayout* l = pango_cairo_create_layout(cr);
  PangoFontDescription* f = pango_font_description_from_string("DejaVu Sans");
  pango_font_description_set_absolute_size(f, size * PANGO_SCALE);
  pango_layout_set_font_description(l, f);
  pango_font_description_free(f);
  pango_layout_set_width(l, static_cast<int>(width * PANGO_SCALE));
  pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
  pango_layout_set_markup(l, markup.c_str(), -1);
  cairo_move_to(cr, x, y);
  pango_cairo_show_layout(cr, l);
  int w = 0, h = 0;
  pango_layout_get_size(l, &w, &h);
  g_object_unref(l);
  return static_cast<double>(h) / PANGO_SCALE;
}
}  // namespace

int render_login_cards(const std::vector<LoginCard>& cards, const std::string& school,
                       const std::string& wifi, const std::string& path) {
  using G = PageGeometry;
  cairo_surface_t* s = cairo_pdf_surface_create(path.c_str(), G::kWidth, G::kHeight);
  cairo_t* cr = cairo_create(s);
  const double margin = 28.35, cols = 2, rows = 4;
  const double w = (G::kWidth - 2 * margin) / cols, h = (G::kHeight - 2 * margin) / rows;
  int pages = 0;
  for (std::size_t i = 0; i < cards.size(); ++i) {
    std::size_t slot = i % 8;
    if (slot == 0 && i > 0) cairo_show_page(cr);
    if (slot == 0) {
      ++pages;
      // Cut lines.
      static const double dash[] = {4, 3};
      cairo_set_dash(cr, dash, 2, 0);
      cairo_set_line_width(cr, 0.5);
      cairo_set_source_rgb(cr, 0.4, 0.4, 0.4);
      for (int c = 0; c <= cols; ++c) {
        cairo_move_to(cr, margin + c * w, margin);
        cairo_line_to(cr, margin + c * w, G::kHeight - margin);
      }
      for (int r = 0; r <= rows; ++r) {
        cairo_move_to(cr, margin, margin + r * h);
        cairo_line_to(cr, G::kWidth - margin, margin + r * h);
      }
      cairo_stroke(cr);
      cairo_set_dash(cr, nullptr, 0, 0);
      cairo_set_source_rgb(cr, 0, 0, 0);
    }
    const LoginCard& c = cards[i];
    double x = margin + static_cast<double>(slot % 2) * w + 12;
    double y = margin + static_cast<double>(slot / 2) * h + 12;
    const double code = 90;
    draw_qr(cr, c.url, x + w - 24 - code, y, code);
    // A long school name wraps: the student's name goes below it, whatever its height.
    double top = show(cr, x, y, w - code - 36, "<b>" + escape(school) + "</b>", 8.5);
    show(cr, x, y + top + 4, w - code - 36,
         "<span size=\"large\" weight=\"bold\">" + escape(c.name) + "</span>\n" +
             escape(c.class_name),
         12);
    show(cr, x, y + code + 8, w - 24,
         "Логин: <tt><b>" + escape(c.login) + "</b></tt>\nПИН: <tt><b>" + escape(c.secret) +
             "</b></tt>",
         12);
    show(cr, x, y + code + 50, w - 24,
         "Wi-Fi «" + escape(wifi) + "», затем откройте " + escape(c.url) +
             " или наведите камеру на код.",
         8);
  }
  if (cards.empty()) ++pages;
  cairo_show_page(cr);
  cairo_destroy(cr);
  cairo_surface_finish(s);
  cairo_status_t st = cairo_surface_status(s);
  cairo_surface_destroy(s);
  if (st != CAIRO_STATUS_SUCCESS)
    throw std::runtime_error("cannot write " + path + ": " + cairo_status_to_string(st));
  return pages;
}

}  // namespace parta::printer
