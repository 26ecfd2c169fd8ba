#pragma once
// Everything a USB stick brings to the box or takes from it, done by partad as the box's own
// user: parta-usb (root, from udev) only mounts the stick for that user and asks, so nothing the
// stick carries is ever parsed as root. In order: the first admin's password (only for the
// first stick plugged in shortly after the first boot, once, and recorded), the district's signed
// content packs in parta/packs/, the sync bundles both ways, and enrollment. Only regular files
// are opened from the stick. The result is left as the status line the admin page shows.
#include <chrono>
#include <cstdint>
#include <exception>
#include <string>
#include <vector>

#include "app/box.hpp"
#include "domain/message.hpp"
#include "web/i18n.hpp"

namespace parta::app {

// How long after the first boot a stick may still get the first admin's password.
inline constexpr std::chrono::minutes kFirstAdminWindow{30};

struct UsbResult {
  int imported = 0, refused = 0;
  int waiting = 0;        // packs nobody trusted signed, copied for the admin to decide on
  int archives = 0;       // ZIM archives copied for the admin to add on the archives page
  std::int64_t more = 0;  // school: records that did not fit on the stick (the next part's)
  std::vector<domain::Message> problems;
  // A word the admin page translates: admin-password-written, -not-written, -not-given,
  // -deleted, -not-deleted; "" when the stick had nothing to do with it.
  std::string note;
};

// What the admin page says when writing or reading the stick failed: the stick is full, it is
// write-protected, or it could not be read or written; no paths or system text (those go to
// partad's log).
domain::Message stick_trouble(const std::exception& e, web::Lang lang = web::Lang::ru);

// `label` names the stick for people (its volume label); partad's own status file is written.
UsbResult exchange_with_stick(Box& box, const std::string& stick_root, const std::string& label);

// The status line (time, state, imported, refused, details, note; tabs between), replaced
// atomically in the data folder.
void write_usb_status(const Box& box, const std::string& state, const UsbResult& r,
                      const std::string& details);

// After parta-usb synced and unmounted the stick: the "syncing" line of the last exchange becomes
// "done" (the admin page then says the stick can be pulled out); when it could not be unmounted
// the details say to wait. False when there was no exchange to finish.
bool finish_usb_status(const Box& box, bool unmounted);

// Packs from sticks that wait for the administrator's decision (not signed by the district):
// DATA/packs-waiting/<name>, listed on the library's packs page.
std::string packs_waiting_dir(const Box& box);
std::string packs_waiting_dir(const std::string& data_dir);
std::vector<std::string> packs_waiting(const std::string& data_dir);

// Who got the first admin's password, if anyone yet: "<unix time>\t<stick label>".
struct FirstAdminDelivery {
  std::int64_t at = 0;
  std::string stick;
};
std::optional<FirstAdminDelivery> first_admin_delivery(const std::string& given_file);

}  // namespace parta::app
