#pragma once
// Domain objects → template data. One place, so every page shows a student the same way.
#include <mstch/mstch.hpp>

#include "domain/roster_import.hpp"
#include "domain/school.hpp"

namespace parta::web {

mstch::map school_data(const domain::SchoolInfo& s);
mstch::map class_data(const domain::ClassInfo& k);
mstch::map user_data(const domain::User& u);
mstch::map student_data(const domain::Student& s);
mstch::array credentials_data(const std::vector<domain::Credential>& creds);
// A phone number as a tel: link wants it: digits only, and a leading + kept ("+7 (913) 555-12-34"
// → "+79135551234").
std::string tel_href(const std::string& phone);
// The role as a person's label ("teacher", "parent"…), an msgid to translate.
const char* role_msgid(domain::Role r);

}  // namespace parta::web
