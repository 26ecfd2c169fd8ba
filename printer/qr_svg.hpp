#pragma once
// A QR code (libqrencode, level M) as a small inline SVG for a screen: the sync page shows the
// box's enrollment fingerprint with it. Light on purpose: partad links it, not cairo.
#include <string>

namespace parta::printer {

// One path of black modules on white, with the 4-module quiet zone, `pixels` wide.
std::string qr_svg(const std::string& text, int pixels);

}  // namespace parta::printer
