#include "web/view_data.hpp"

namespace parta::web {

mstch::map school_data(const domain::SchoolInfo& s) {
  return mstch::map{{"name", s.name},
                    {"short_name", s.short_name},
                    {"address", s.address},
                    {"hotline", s.hotline},
                    {"email", s.email},
                    {"director", s.director},
                    {"wifi_name", s.wifi_name},
                    {"how_to_connect", s.how_to_connect},
                    {"hotline_tel", tel_href(s.hotline)}};
}

mstch::map class_data(const domain::ClassInfo& k) {
  mstch::map m{{"id", std::to_string(k.id)},
               {"name", k.name},
               {"students", std::to_string(k.students)},
               {"class_teacher", k.class_teacher_name}};
  m["has_class_teacher"] = k.class_teacher_id.has_value();
  if (k.class_teacher_id) m["class_teacher_id"] = std::to_string(*k.class_teacher_id);
  return m;
}

mstch::map user_data(const domain::User& u) {
  return mstch::map{{"id", std::to_string(u.id)},
                    {"name", u.full_name()},
                    {"short_name", u.short_name()},
                    {"first_name", u.first_name},
                    {"last_name", u.last_name},
                    {"middle_name", u.middle_name},
                    {"login", u.login},
                    {"phone", u.phone},
                    {"pin", u.secret_kind == domain::SecretKind::pin},
                    {"active", u.active}};
}

mstch::map student_data(const domain::Student& s) {
  mstch::map m = user_data(s.user);
  m["student_no"] = s.student_no;
  m["class_id"] = std::to_string(s.class_id);
  m["class_name"] = s.class_name;
  m["paper"] = s.paper;
  return m;
}

mstch::array credentials_data(const std::vector<domain::Credential>& creds) {
  mstch::array a;
  for (const auto& c : creds)
    a.push_back(mstch::map{{"name", c.name},
                           {"class_name", c.class_name},
                           {"login", c.login},
                           {"secret", c.secret},
                           {"pin", c.pin},
                           {"role", std::string(domain::role_code(c.role))}});
  return a;
}

const char* role_msgid(domain::Role r) {
  switch (r) {
    case domain::Role::admin:
      return "administration";
    case domain::Role::teacher:
      return "teacher";
    case domain::Role::student:
      return "student";
    case domain::Role::parent:
      return "parent";
  }
  return "";
}

std::string tel_href(const std::string& phone) {
  std::string out;
  for (char ch : phone)
    if ((ch >= '0' && ch <= '9') || (ch == '+' && out.empty())) out += ch;
  return "tel:" + out;
}

}  // namespace parta::web
