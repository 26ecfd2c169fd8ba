#include "web/stick_messages.hpp"

#include <string>

#include "web/time_format.hpp"

namespace parta::web {

domain::Message stick_too_small(Lang lang, const sync::PartTooBig& e) {
  return {
      "The stick has too little room for the next record: it needs {needed}, {room} are "
      "free. Free some space on it (or take a bigger one) and plug it in again.",
      {{"needed", format_size(lang, e.needed)}, {"room", format_size(lang, e.room)}}};
}

domain::Message no_room_for_school(Lang lang, const sync::StickExport::NoRoom& s) {
  return {
      "No room on the stick for school {school}: its next record needs {needed}, {room} are "
      "left.",
      {{"school", s.school},
       {"needed", format_size(lang, s.needed)},
       {"room", format_size(lang, s.room)}}};
}

domain::Message more_for_next_stick(std::int64_t more) {
  return {
      "{more} more records did not fit on the stick: they go with the next stick, once the "
      "district has acknowledged this one.",
      {{"more", std::to_string(more)}}};
}

}  // namespace parta::web
