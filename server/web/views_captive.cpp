// Captive-portal detection, answered the way phones expect on the school's Wi-Fi (where every DNS
// name resolves to the box): each system's connectivity probe gets a redirect to the portal
// instead of its "you are online" answer, so the phone opens its sign-in sheet on the public
// school page. There is no internet behind the box, so the probes never succeed.
#include "web/app.hpp"

namespace parta::web {

namespace {

// The probe URLs of Android and Chrome, Apple, Windows, Firefox and a few others.
constexpr const char* kProbes[] = {
    "/generate_204",               // Android, Chrome OS (connectivitycheck.gstatic.com …)
    "/gen_204",                    // Android, older
    "/mobile/status.php",          // Android, some vendors
    "/hotspot-detect.html",        // Apple (captive.apple.com)
    "/library/test/success.html",  // Apple, older
    "/connecttest.txt",            // Windows 10+ (www.msftconnecttest.com)
    "/ncsi.txt",                   // Windows 7/8 (www.msftncsi.com)
    "/redirect",                   // Windows, after a failed probe
    "/canonical.html",             // Firefox (detectportal.firefox.com)
    "/success.txt",                // Firefox
    "/kindle-wifi/wifistub.html",  // Kindle
    "/check_network_status.txt",   // Samsung
};

bool plain_host(const std::string& h) {
  return !h.empty() && h.size() < 254 && h.find_first_of(" /\\\"<>'\r\n") == std::string::npos;
}

http::Response to_portal(Ctx& ctx) {
  std::string host = ctx.settings ? ctx.settings->portal_host : "";
  if (host.empty()) host = ctx.req.header("host");
  if (!plain_host(host)) host = "parta.local";
  http::Response r;
  r.status = 302;
  r.header("Location", "http://" + host + "/");
  r.header("Cache-Control", "no-store");
  r.content_type = "text/html; charset=utf-8";
  r.body = "<!doctype html><title>Parta</title><a href=\"http://" + host + "/\">Parta</a>";
  return r;
}

}  // namespace

void register_captive_views(App& app) {
  for (const char* path : kProbes) app.route("GET", path, kPublic, to_portal);
}

}  // namespace parta::web
