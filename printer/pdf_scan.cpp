#include "printer/pdf_scan.hpp"

#include <qpdf/Buffer.hh>
#include <qpdf/QPDF.hh>
#include <qpdf/QPDFObjectHandle.hh>
#include <qpdf/QPDFPageDocumentHelper.hh>
#include <qpdf/QPDFPageObjectHelper.hh>

#include <exception>
#include <memory>

namespace parta::printer {

namespace {

// A page's JPEG is at most this large (a 600 dpi colour A4 scan is ~5 MB).
constexpr std::size_t kMaxJpeg = 64u << 20;

bool is_name(QPDFObjectHandle h, const char* name) { return h.isName() && h.getName() == name; }

// Grey or RGB, as scanners write: a device space, or an ICC profile of 1 or 3 components.
bool plain_colour(QPDFObjectHandle cs) {
  if (is_name(cs, "/DeviceGray") || is_name(cs, "/DeviceRGB")) return true;
  if (cs.isArray() && cs.getArrayNItems() == 2 && is_name(cs.getArrayItem(0), "/ICCBased")) {
    QPDFObjectHandle profile = cs.getArrayItem(1);
    if (!profile.isStream()) return false;
    QPDFObjectHandle n = profile.getDict().getKey("/N");
    return n.isInteger() && (n.getIntValue() == 1 || n.getIntValue() == 3);
  }
  return false;
}

std::optional<std::string> page_jpeg(QPDF& pdf, int index) {
  auto pages = QPDFPageDocumentHelper(pdf).getAllPages();
  if (index < 0 || static_cast<std::size_t>(index) >= pages.size()) return std::nullopt;
  QPDFPageObjectHelper page = pages[static_cast<std::size_t>(index)];
  // Only images among the page's XObjects (a form could draw anything), and exactly one.
  QPDFObjectHandle resources = page.getAttribute("/Resources", false);
  if (!resources.isDictionary()) return std::nullopt;
  QPDFObjectHandle xobjects = resources.getKey("/XObject");
  if (!xobjects.isDictionary()) return std::nullopt;
  QPDFObjectHandle image;
  for (const auto& key : xobjects.getKeys()) {
    QPDFObjectHandle x = xobjects.getKey(key);
    if (!x.isStream() || !is_name(x.getDict().getKey("/Subtype"), "/Image") ||
        image.isInitialized())
      return std::nullopt;
    image = x;
  }
  if (!image.isInitialized()) return std::nullopt;
  QPDFObjectHandle d = image.getDict();
  QPDFObjectHandle filter = d.getKey("/Filter");
  if (filter.isArray() && filter.getArrayNItems() == 1) filter = filter.getArrayItem(0);
  QPDFObjectHandle bits = d.getKey("/BitsPerComponent");
  if (!is_name(filter, "/DCTDecode") || !bits.isInteger() || bits.getIntValue() != 8 ||
      !plain_colour(d.getKey("/ColorSpace")) || d.hasKey("/Decode") || d.hasKey("/SMask") ||
      d.hasKey("/Mask") ||
      (d.getKey("/ImageMask").isBool() && d.getKey("/ImageMask").getBoolValue()) ||
      d.hasKey("/DecodeParms"))
    return std::nullopt;
  // It must fill the page: the image's shape is the page's (either way round: a /Rotate'd
  // page), within 3 % (scanners pad or crop a few pixels).
  QPDFObjectHandle w = d.getKey("/Width"), h = d.getKey("/Height");
  if (!w.isInteger() || !h.isInteger() || w.getIntValue() <= 0 || h.getIntValue() <= 0)
    return std::nullopt;
  QPDFObjectHandle::Rectangle box = page.getMediaBox(true).getArrayAsRectangle();
  double pw = box.urx - box.llx, ph = box.ury - box.lly;
  if (pw <= 0 || ph <= 0) return std::nullopt;
  double image_shape = static_cast<double>(w.getIntValue()) / static_cast<double>(h.getIntValue());
  double page_shape = pw / ph;
  auto near = [](double a, double b) { return a / b > 0.97 && a / b < 1.03; };
  if (!near(image_shape, page_shape) && !near(image_shape, 1 / page_shape)) return std::nullopt;
  QPDFObjectHandle length = d.getKey("/Length");
  if (length.isInteger() &&
      (length.getIntValue() < 0 || static_cast<std::size_t>(length.getIntValue()) > kMaxJpeg))
    return std::nullopt;
  std::shared_ptr<Buffer> raw = image.getRawStreamData();
  if (!raw || raw->getSize() < 4 || raw->getSize() > kMaxJpeg) return std::nullopt;
  std::string bytes(reinterpret_cast<const char*>(raw->getBuffer()), raw->getSize());
  if (bytes.compare(0, 3, "\xFF\xD8\xFF") != 0) return std::nullopt;
  return bytes;
}

template <typename Open>
std::optional<std::string> guarded(Open open, int index) {
  try {
    QPDF pdf;
    pdf.setSuppressWarnings(true);
    pdf.setAttemptRecovery(false);  // a damaged file is the renderer's to refuse
    open(pdf);
    return page_jpeg(pdf, index);
  } catch (const std::bad_alloc&) {
    throw;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace

std::optional<std::string> scanned_jpeg(const std::string& path, int index) {
  return guarded([&](QPDF& pdf) { pdf.processFile(path.c_str()); }, index);
}

std::optional<std::string> scanned_jpeg_in(std::string_view data, int index) {
  return guarded([&](QPDF& pdf) { pdf.processMemoryFile("scan", data.data(), data.size()); },
                 index);
}

}  // namespace parta::printer
