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
// The role as a person's label ("teacher", "parent"…), an msgid to translate.
const char* role_msgid(domain::Role r);

}  // namespace parta::web
