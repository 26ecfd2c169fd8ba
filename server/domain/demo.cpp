#include "domain/demo.hpp"

#include <map>

namespace parta::domain {

namespace {

struct DemoTeacher {
  const char* login;
  const char* last;
  const char* first;
  const char* middle;
  std::vector<std::pair<const char*, const char*>> teaches;  // class, subject
};

struct DemoStudent {
  const char* class_name;
  const char* last;
  const char* first;
  const char* middle;
  bool paper;
  int parent;  // index into kParents
};

struct DemoParent {
  const char* last;
  const char* first;
  const char* middle;
  const char* phone;
};

}  // namespace

std::vector<Credential> fill_demo(storage::Connection& c, const Clock& clock) {
  if (c.scalar("SELECT 1 FROM school")) return {};
  storage::Transaction tx(c);
  save_school_info(
      c, {"МОУ «Средняя общеобразовательная школа с. Ягодное»", "СОШ с. Ягодное",
          "168100, Республика Коми, с. Ягодное, ул. Школьная, 1", "8 (82130) 2-76-04",
          "school@yagodnoe.example", "Петрова Анна Сергеевна", "Parta-Школа",
          "Подключитесь к Wi-Fi «Parta-Школа» (без пароля). Откроется страница школы; если нет — "
          "наберите в браузере любой адрес, например parta.school. Войдите с логином и паролем "
          "или PIN-кодом с карточки, которую выдал классный руководитель."});

  std::map<std::string, std::int64_t> classes, subjects;
  for (const char* k : {"5А", "5Б", "9А"}) classes[k] = create_class(c, k);
  for (const char* s : {"Русский язык", "Литература", "Математика", "Алгебра", "Геометрия",
                        "История", "Биология", "Английский язык", "Физика"})
    subjects[s] = create_subject(c, s);

  std::vector<Credential> out;
  auto add_adult = [&](const char* login, const char* last, const char* first, const char* middle,
                       Role role, const char* phone) {
    NewUser u{login, last, first, middle, role, SecretKind::password, phone};
    std::int64_t id = create_user(c, clock, u, kDemoPassword);
    auto made = find_user(c, id);
    out.push_back({made->full_name(), "", role, made->login, kDemoPassword, false});
    return id;
  };

  add_adult("admin", "Петрова", "Анна", "Сергеевна", Role::admin, "");
  const std::vector<DemoTeacher> teachers = {
      {"smirnova",
       "Смирнова",
       "Ольга",
       "Викторовна",
       {{"5А", "Русский язык"},
        {"5А", "Литература"},
        {"5Б", "Русский язык"},
        {"5Б", "Литература"}}},
      {"kuznetsov",
       "Кузнецов",
       "Андрей",
       "Павлович",
       {{"5А", "Математика"}, {"5Б", "Математика"}, {"9А", "Алгебра"}, {"9А", "Геометрия"}}},
      {"popova",
       "Попова",
       "Елена",
       "Николаевна",
       {{"9А", "Русский язык"}, {"9А", "Литература"}, {"5А", "История"}, {"9А", "История"}}},
      {"vasiliev",
       "Васильев",
       "Игорь",
       "Михайлович",
       {{"5А", "Биология"}, {"5Б", "Биология"}, {"9А", "Биология"}, {"9А", "Физика"}}},
      {"morozova",
       "Морозова",
       "Наталья",
       "Ивановна",
       {{"5А", "Английский язык"},
        {"5Б", "Английский язык"},
        {"9А", "Английский язык"},
        {"5Б", "История"}}},
  };
  std::map<std::string, std::int64_t> teacher_ids;
  for (const auto& t : teachers) {
    std::int64_t id = add_adult(t.login, t.last, t.first, t.middle, Role::teacher, "");
    teacher_ids[t.login] = id;
    for (auto [k, s] : t.teaches) add_teaching(c, id, classes[k], subjects[s]);
  }
  // The class teacher of 5А is the demo's "class teacher"; 9А has one too, 5Б has none yet.
  set_class_teacher(c, classes["5А"], teacher_ids["smirnova"]);
  set_class_teacher(c, classes["9А"], teacher_ids["popova"]);

  const std::vector<DemoParent> parents = {
      {"Иванова", "Светлана", "Петровна", "+7 912 100-20-01"},
      {"Соколов", "Дмитрий", "Александрович", "+7 912 100-20-02"},
      {"Лебедева", "Ирина", "Викторовна", "+7 912 100-20-03"},
      {"Новиков", "Сергей", "Иванович", "+7 912 100-20-04"},
      {"Козлова", "Татьяна", "Юрьевна", "+7 912 100-20-05"},
      {"Морозов", "Алексей", "Николаевич", "+7 912 100-20-06"},
      {"Волкова", "Елена", "Андреевна", "+7 912 100-20-07"},
      {"Алексеев", "Павел", "Сергеевич", "+7 912 100-20-08"},
      {"Федорова", "Марина", "Олеговна", "+7 912 100-20-09"},
      {"Михайлов", "Роман", "Викторович", "+7 912 100-20-10"},
      {"Егорова", "Ольга", "Васильевна", "+7 912 100-20-11"},
      {"Никитин", "Владимир", "Петрович", "+7 912 100-20-12"},
  };
  // parent index -1: no parent account (yet).
  const std::vector<DemoStudent> students = {
      {"5А", "Иванов", "Артём", "Сергеевич", false, 0},
      {"5А", "Соколова", "Мария", "Дмитриевна", false, 1},
      {"5А", "Лебедев", "Кирилл", "Андреевич", false, 2},
      {"5А", "Новикова", "Дарья", "Сергеевна", true, 3},
      {"5А", "Козлов", "Максим", "Игоревич", false, 4},
      {"5А", "Попов", "Егор", "Владимирович", false, -1},
      {"5А", "Волков", "Никита", "Романович", false, 6},
      {"5А", "Зайцева", "Анастасия", "Павловна", false, -1},
      {"5А", "Павлов", "Тимофей", "Алексеевич", false, -1},
      {"5Б", "Морозова", "Полина", "Алексеевна", false, 5},
      {"5Б", "Алексеева", "Виктория", "Павловна", false, 7},
      {"5Б", "Фёдоров", "Матвей", "Ильич", true, 8},
      {"5Б", "Михайлова", "София", "Романовна", false, 9},
      {"5Б", "Семёнов", "Илья", "Денисович", false, -1},
      {"5Б", "Голубева", "Ксения", "Олеговна", false, -1},
      {"5Б", "Виноградов", "Лев", "Максимович", false, -1},
      {"5Б", "Богданова", "Алиса", "Евгеньевна", false, -1},
      {"9А", "Иванова", "Екатерина", "Сергеевна", false, 0},
      {"9А", "Егоров", "Даниил", "Константинович", false, 10},
      {"9А", "Никитина", "Алина", "Владимировна", false, 11},
      {"9А", "Орлов", "Александр", "Витальевич", false, -1},
      {"9А", "Андреева", "Варвара", "Игоревна", false, -1},
      {"9А", "Макаров", "Михаил", "Олегович", false, 4},
      {"9А", "Захарова", "Ульяна", "Антоновна", false, -1},
      {"9А", "Соловьёв", "Глеб", "Андреевич", false, -1},
      {"9А", "Борисова", "Ева", "Николаевна", false, 7},
  };
  std::vector<std::int64_t> parent_ids;
  for (const auto& p : parents)
    parent_ids.push_back(add_adult("", p.last, p.first, p.middle, Role::parent, p.phone));

  int n = 0;
  for (const auto& s : students) {
    ++n;
    NewUser u{"", s.last, s.first, s.middle, Role::student, SecretKind::pin, ""};
    char no[16];
    std::snprintf(no, sizeof no, "1026%04d", n);
    std::int64_t id = create_student(c, clock, u, no, classes[s.class_name], s.paper, kDemoPin);
    auto made = find_user(c, id);
    out.push_back({made->full_name(), s.class_name, Role::student, made->login, kDemoPin, true});
    if (s.parent >= 0) link_parent(c, parent_ids[static_cast<std::size_t>(s.parent)], id);
  }
  tx.commit();
  return out;
}

}  // namespace parta::domain
