#pragma once
// What people are told about a sync part and the stick it goes on, the same on the admin pages,
// in parta-usb's status line and from the CLI (sizes written for `lang`).
#include <cstdint>

#include "domain/message.hpp"
#include "sync/engine.hpp"
#include "sync/stick.hpp"
#include "web/i18n.hpp"

namespace parta::web {

// The next record alone does not fit in the room the stick has.
domain::Message stick_too_small(Lang lang, const sync::PartTooBig& e);
// District: a school whose next record did not fit in what was left of the stick.
domain::Message no_room_for_school(Lang lang, const sync::StickExport::NoRoom& s);
// A part left `more` records behind for the next stick.
domain::Message more_for_next_stick(std::int64_t more);

}  // namespace parta::web
