#pragma once
// What scan intake and travel copies share on the libvips side (internal to parta_printer: this
// header includes libvips, which partad never links).
#include <vips/vips8>

#include <string>

#include "printer/scan.hpp"

namespace parta::printer::detail {

enum class FileType { pdf, jpeg, png, other };

// By the file's first bytes, as the upload checked them: never by libvips' own sniffing, which
// would reach every loader it has.
FileType file_type(const std::string& path);
// An image as a page: turned upright (EXIF), 8-bit grey.
PageImage to_page(vips::VImage img);
vips::VImage from_page(const PageImage& p);

}  // namespace parta::printer::detail
