#pragma once
// A scanner's PDF page is a JPEG in a wrapper: one DCTDecode image that fills the page (maybe with
// an invisible OCR text layer over it). Such a page is read as that JPEG, exactly as the same
// scan sent as a .jpg is (the same time and memory; libvips' pdfload would have poppler render it,
// decoding and scaling the image again for every strip). Every other PDF page (Parta's own print
// file, black-and-white CCITT or JBIG2 scans, drawings, several images) is rendered as before.
// Internal to parta_printer (the parta-paper helper); reads untrusted input with libqpdf.
#include <optional>
#include <string>
#include <string_view>

namespace parta::printer {

// The JPEG bytes of page `index` (0-based) of the PDF at `path` when the page is one scanned
// JPEG image, else nullopt (also for a PDF qpdf cannot read: the renderer then says why).
std::optional<std::string> scanned_jpeg(const std::string& path, int index);
// The same for a PDF in memory (the fuzz target).
std::optional<std::string> scanned_jpeg_in(std::string_view pdf, int index);

}  // namespace parta::printer
