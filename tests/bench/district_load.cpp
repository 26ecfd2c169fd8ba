// parta_district_load: N schools' weekly bundles for a district hub (tests/bench/district_load.py).
//   parta_district_load requests --hub DATA --out DIR --schools N
//       makes N school identities under DIR/schools/ (kept: run it again to get the same schools)
//       and writes their enrollment requests to DIR/stick/parta/enroll/, printing one line per
//       school: "<request path> <fingerprint>" (for `parta district enroll`)
//   parta_district_load bundles --hub DATA --out DIR --schools N [--week YYYY-MM-DD] [--students
//       250] [--photo-kb 8] [--seed N]
//       writes each school's bundle of one school week to DIR/stick/parta/<hub>/to-district/<id>/
//       as a school box would: signed by the school, encrypted to the hub, records numbered from
//       1 in a new epoch. The mix of a week of a school of `students` students in 11 classes:
//       4 assignments a class, 2.4 hand-ins a student with a photo each (random bytes behind a
//       JPEG header, `photo-kb` KB: a phone photo's travel copy is 50–150 KB; small ones keep the
//       bench's disk use down), a mark for 5 of 6 hand-ins, a comment for 1 in 4, a visit per
//       student per school day for 7 in 10, absences, and the week's monitoring figures (`week`).
#include <sodium.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "content/bundle.hpp"
#include "domain/days.hpp"
#include "sync/identity.hpp"
#include "sync/records.hpp"

namespace fs = std::filesystem;
using nlohmann::json;
using parta::sync::Record;
namespace bundle = parta::content::bundle;

namespace {

struct Args {
  std::string mode, hub, out, week = "2026-11-30";
  int schools = 10, students = 250, photo_kb = 8;
  unsigned seed = 2026;
};

const char* kSubjects[] = {"Русский язык", "Литература", "Математика",
                           "История",      "Биология",   "Английский язык"};

std::string hex_id(std::mt19937_64& rnd) {
  char b[33];
  std::snprintf(b, sizeof b, "%016llx%016llx", static_cast<unsigned long long>(rnd()),
                static_cast<unsigned long long>(rnd()));
  return b;
}

std::string write_photo(const std::string& dir, std::mt19937_64& rnd, int kb,
                        std::string* sha_hex) {
  std::string bytes = "\xFF\xD8\xFF\xE0";
  bytes.resize(static_cast<std::size_t>(kb) * 1024);
  for (std::size_t i = 4; i < bytes.size(); ++i) bytes[i] = static_cast<char>(rnd());
  unsigned char sha[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(sha, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  *sha_hex = bundle::to_hex(sha, sizeof sha);
  std::string path = dir + "/" + *sha_hex;
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f || std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size())
    throw std::runtime_error("cannot write " + path);
  std::fclose(f);
  return path;
}

// One school's week as records (in the order a box's outbox has them) and the photos they name.
void school_week(const Args& a, int school, std::mt19937_64& rnd, const std::string& photo_dir,
                 std::vector<std::pair<std::int64_t, std::string>>* records,
                 std::vector<std::pair<std::string, std::string>>* photos) {
  std::int64_t seq = 0;
  auto add = [&](Record r) {
    r.seq = ++seq;
    records->emplace_back(r.seq, r.text());
  };
  const std::int64_t monday = parta::domain::day_start(a.week);
  const int classes = 11, per_class = std::max(1, a.students / classes);
  std::uniform_int_distribution<int> pct(0, 99);
  std::vector<std::string> assignment_uid;
  std::vector<int> assignment_class;
  json week_classes = json::array(), week_subjects = json::array();
  for (int k = 0; k < classes; ++k) {
    std::string class_name = std::to_string(k + 1) + "А";
    int handed = 0, visits = 0;
    for (int t = 0; t < 4; ++t) {
      Record r;
      r.kind = "assignment";
      r.rid = hex_id(rnd);
      r.data = {{"class", class_name},
                {"subject", kSubjects[t % 6]},
                {"teacher", "teacher" + std::to_string(k)},
                {"topic", ""},
                {"title", "Задание " + std::to_string(t + 1)},
                {"body", "Прочитайте параграф и ответьте на вопросы письменно."},
                {"grading", "mark"},
                {"whole_class", true},
                {"publish_at", monday + 8 * 3600},
                {"due_at", monday + 4 * 86400 + 18 * 3600}};
      assignment_uid.push_back(r.rid);
      assignment_class.push_back(k);
      add(std::move(r));
    }
    for (int s = 0; s < per_class; ++s) {
      std::string student = "S" + std::to_string(school) + "-" + std::to_string(k * 100 + s);
      // 2.4 hand-ins a student: two, and a third for 2 in 5.
      int hand_ins = 2 + (pct(rnd) < 40);
      for (int h = 0; h < hand_ins; ++h) {
        std::size_t asg = static_cast<std::size_t>(k * 4 + (h + s) % 4);
        std::string sha;
        write_photo(photo_dir, rnd, a.photo_kb, &sha);
        photos->emplace_back(sha, photo_dir + "/" + sha);
        Record r;
        r.kind = "submission";
        r.rid = hex_id(rnd);
        std::string sub = r.rid;
        r.data = {{"assignment", assignment_uid[asg]},
                  {"student", student},
                  {"by", "u" + student},
                  {"body", "Ответ на вопросы."},
                  {"created_at", monday + (h + 1) * 86400 + 15 * 3600},
                  {"late", false},
                  {"via", pct(rnd) < 8 ? "paper" : "web"},
                  {"files", json::array({{{"sha256", sha},
                                          {"name", "photo.jpg"},
                                          {"type", "image/jpeg"},
                                          {"size", a.photo_kb * 1024}}})}};
        r.blobs = {sha};
        add(std::move(r));
        ++handed;
        if (pct(rnd) < 83) {
          Record g;
          g.kind = "grade";
          g.rid = assignment_uid[asg] + "/" + student;
          g.version = 1;
          g.origin = "school" + std::to_string(school);
          g.data = {{"mark", std::to_string(3 + pct(rnd) % 3)},
                    {"comment", ""},
                    {"teacher", "teacher" + std::to_string(k)}};
          add(std::move(g));
        }
        if (pct(rnd) < 25) {
          Record c;
          c.kind = "comment";
          c.rid = hex_id(rnd);
          c.data = {{"assignment", assignment_uid[asg]},
                    {"student", student},
                    {"author", "teacher" + std::to_string(k)},
                    {"kind", "comment"},
                    {"body", "Хорошо, но проверь запятые в сложных предложениях."},
                    {"created_at", monday + (h + 2) * 86400 + 10 * 3600},
                    {"submission", sub}};
          add(std::move(c));
        }
      }
      for (int d = 0; d < 5; ++d) {
        std::string day = parta::domain::add_days(a.week, d);
        if (pct(rnd) < 70) {
          Record v;
          v.kind = "visit";
          v.rid = "u" + student + "/" + day;
          v.data = {{"role", "student"}};
          add(std::move(v));
          ++visits;
        } else if (pct(rnd) < 15) {
          Record ab;
          ab.kind = "absence";
          ab.rid = student + "/" + day;
          ab.data = {{"reason", "ill"}, {"note", ""}, {"by", "teacher" + std::to_string(k)}};
          add(std::move(ab));
        }
      }
    }
    week_classes.push_back({{"class", class_name},
                            {"students", per_class},
                            {"active", std::min(per_class, visits / 3 + 1)},
                            {"at_risk", pct(rnd) % 4},
                            {"submitted", handed},
                            {"on_paper", handed / 12},
                            {"paper_students", per_class / 10},
                            {"absences", pct(rnd) % 8}});
    for (int t = 0; t < 6; ++t)
      week_subjects.push_back({{"class", class_name},
                               {"subject", kSubjects[t]},
                               {"assignments", t < 4 ? 1 : 0},
                               {"submitted", t < 4 ? handed / 4 : 0},
                               {"marks", t < 4 ? handed / 5 : 0}});
  }
  Record w;
  w.kind = "week";
  w.rid = a.week;
  w.data = {{"monday", a.week}, {"classes", week_classes}, {"subjects", week_subjects}};
  add(std::move(w));
}

int run(const Args& a) {
  auto hub = parta::sync::load_or_create_identity(a.hub);
  fs::create_directories(a.out + "/stick/parta/enroll");
  for (int i = 0; i < a.schools; ++i) {
    std::string dir = a.out + "/schools/" + std::to_string(i);
    fs::create_directories(dir);
    auto id = parta::sync::load_or_create_identity(dir);
    if (a.mode == "requests") {
      std::string path = a.out + "/stick/parta/enroll/" + id.device_id + ".request";
      std::string text = parta::sync::make_enroll_request(id, "Школа № " + std::to_string(i + 1));
      std::FILE* f = std::fopen(path.c_str(), "wb");
      if (!f || std::fwrite(text.data(), 1, text.size(), f) != text.size()) return 1;
      std::fclose(f);
      std::cout << path << " " << id.fingerprint() << "\n";
      continue;
    }
    std::mt19937_64 rnd(a.seed * 7919 + static_cast<unsigned>(i));
    std::string photos_dir = dir + "/photos";
    fs::remove_all(photos_dir);
    fs::create_directories(photos_dir);
    std::vector<std::pair<std::int64_t, std::string>> records;
    std::vector<std::pair<std::string, std::string>> photos;
    school_week(a, i, rnd, photos_dir, &records, &photos);
    bundle::Header h;
    h.bundle_id = hex_id(rnd);
    h.sender = id.device_id;
    h.sender_epoch = hex_id(rnd).substr(0, 16);
    h.recipient = hub.device_id;
    const auto last = static_cast<std::int64_t>(records.size());
    h.ranges.push_back({id.device_id, h.sender_epoch, 1, last});
    h.meta = {{"broken_epochs", json::array()},
              {"ack_hashes", json::object()},
              {"seq_last", last},
              {"backlog", last},
              {"role", "school"},
              {"now", parta::domain::day_start(a.week) + 5 * 86400}};
    std::string out_dir = a.out + "/stick/parta/" + hub.device_id + "/to-district/" + id.device_id;
    fs::create_directories(out_dir);
    bundle::Writer w(out_dir + "/" + h.bundle_id + ".ptb", h, id.sign, hub.box.pk);
    std::vector<std::pair<std::int64_t, std::string>> batch;
    std::size_t bytes = 0;
    std::int64_t before = 0;
    for (const auto& e : records) {
      batch.push_back(e);
      bytes += e.second.size();
      if (bytes > (4u << 20)) {
        w.add_record(parta::sync::encode_batch(batch, before));
        before = batch.back().first;
        batch.clear();
        bytes = 0;
      }
    }
    if (!batch.empty()) w.add_record(parta::sync::encode_batch(batch, before));
    for (const auto& [sha, path] : photos) w.add_blob_hex(sha, path);
    std::uint64_t size = 0;
    w.finish(&size);
    fs::remove_all(photos_dir);
    std::cout << id.device_id << " " << records.size() << " records, " << photos.size()
              << " photos, " << size << " bytes\n";
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (sodium_init() < 0) return 1;
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string s = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << s << " needs a value\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (s == "--hub")
      a.hub = value();
    else if (s == "--out")
      a.out = value();
    else if (s == "--schools")
      a.schools = std::stoi(value());
    else if (s == "--week")
      a.week = value();
    else if (s == "--students")
      a.students = std::stoi(value());
    else if (s == "--photo-kb")
      a.photo_kb = std::stoi(value());
    else if (s == "--seed")
      a.seed = static_cast<unsigned>(std::stoul(value()));
    else if (a.mode.empty() && (s == "requests" || s == "bundles"))
      a.mode = s;
    else {
      std::cerr << "unknown argument " << s << "\n";
      return 2;
    }
  }
  if (a.mode.empty() || a.hub.empty() || a.out.empty()) {
    std::cerr << "usage: parta_district_load requests|bundles --hub DATA --out DIR --schools N "
                 "[--week YYYY-MM-DD] [--students 250] [--photo-kb 8] [--seed N]\n";
    return 2;
  }
  try {
    return run(a);
  } catch (const std::exception& e) {
    std::cerr << "parta_district_load: " << e.what() << "\n";
    return 1;
  }
}
