#include "sync/identity.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

namespace parta::sync {

namespace fs = std::filesystem;
using nlohmann::json;

const char* role_name(Role r) { return r == Role::district ? "district" : "school"; }

std::string read_file(const std::string& path, std::uint64_t limit) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::string out;
  char buf[8192];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    out.append(buf, static_cast<std::size_t>(in.gcount()));
    if (out.size() > limit) throw std::runtime_error(path + " is too large");
  }
  return out;
}

namespace {

std::string random_device_id() {
  static const char* kAlphabet = "abcdefghijkmnpqrstuvwxyz23456789";  // no l, o, 0, 1
  unsigned char raw[20];
  randombytes_buf(raw, sizeof raw);
  std::string id;
  for (unsigned char b : raw) id += kAlphabet[b % 32];
  return id;
}

std::string random_hex(std::size_t bytes) {
  std::vector<unsigned char> raw(bytes);
  randombytes_buf(raw.data(), raw.size());
  return bundle::to_hex(raw.data(), raw.size());
}

template <std::size_t N>
bool hex_field(const json& j, const char* key, std::array<unsigned char, N>* out) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() &&
         bundle::from_hex(it->get<std::string>(), out->data(), N);
}

std::string sync_dir(const std::string& data_dir) { return data_dir + "/sync"; }

std::string str_field(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Signs the canonical text of an object (keys sorted, no "sig") and adds "sig".
std::string sign_object(json obj, const bundle::SigningKey& key) {
  obj.erase("sig");
  std::string text = obj.dump();
  unsigned char sig[crypto_sign_BYTES];
  crypto_sign_detached(sig, nullptr, reinterpret_cast<const unsigned char*>(text.data()),
                       text.size(), key.sk.data());
  obj["sig"] = bundle::to_hex(sig, sizeof sig);
  return obj.dump(1) + "\n";
}

bool signature_holds(const json& obj, const bundle::Bytes32& pk) {
  unsigned char sig[crypto_sign_BYTES];
  if (!bundle::from_hex(str_field(obj, "sig"), sig, sizeof sig)) return false;
  json copy = obj;
  copy.erase("sig");
  std::string text = copy.dump();
  return crypto_sign_verify_detached(sig, reinterpret_cast<const unsigned char*>(text.data()),
                                     text.size(), pk.data()) == 0;
}

}  // namespace

Identity load_or_create_identity(const std::string& data_dir) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  fs::create_directories(sync_dir(data_dir));
  std::string path = sync_dir(data_dir) + "/device.key";
  Identity id;
  if (fs::exists(path)) {
    json j = json::parse(read_file(path), nullptr, false);
    bool ok = j.is_object() && hex_field(j, "sign_pk", &id.sign.pk) &&
              hex_field(j, "sign_sk", &id.sign.sk) && hex_field(j, "box_pk", &id.box.pk) &&
              hex_field(j, "box_sk", &id.box.sk);
    id.device_id = ok ? str_field(j, "device_id") : "";
    if (!ok || id.device_id.size() != 20)
      throw std::runtime_error(path +
                               " is damaged: restore it from the box's backup (a new identity "
                               "would have to be enrolled with the district again)");
    return id;
  }
  id.device_id = random_device_id();
  id.sign = bundle::SigningKey::generate();
  id.box = bundle::BoxKey::generate();
  json j = {{"v", 1},
            {"device_id", id.device_id},
            {"sign_pk", bundle::to_hex(id.sign.pk)},
            {"sign_sk", bundle::to_hex(id.sign.sk)},
            {"box_pk", bundle::to_hex(id.box.pk)},
            {"box_sk", bundle::to_hex(id.box.sk)}};
  write_file_durably(path, j.dump(1) + "\n", 0600);
  return id;
}

std::string hardware_marker() {
  if (const char* env = std::getenv("PARTA_HW_MARKER")) return env;
  for (const char* p : {"/sys/firmware/devicetree/base/serial-number", "/etc/machine-id"}) {
    std::ifstream in(p);
    std::string s;
    if (in && std::getline(in, s, '\0')) {
      while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
      if (!s.empty()) return s;
    }
  }
  return "";
}

std::int64_t last_seq(storage::Connection& c) { return c.sequence_value("sync_outbox", "seq"); }

void write_watermark(const std::string& data_dir, const std::string& epoch, std::int64_t seq) {
  // Never lowered within an epoch: a part carries less than an earlier bundle may have.
  std::string path = sync_dir(data_dir) + "/watermark";
  if (fs::exists(path)) {
    json wm = json::parse(read_file(path), nullptr, false);
    if (wm.is_object() && str_field(wm, "epoch") == epoch && wm.contains("seq") &&
        wm["seq"].is_number_integer() && wm["seq"].get<std::int64_t>() >= seq)
      return;
  }
  json j = {{"epoch", epoch}, {"seq", seq}};
  write_file_durably(sync_dir(data_dir) + "/watermark", j.dump() + "\n");
}

void raise_alarm(storage::Connection& c, const domain::Clock& clock, const std::string& peer,
                 const std::string& kind, const std::string& detail) {
  c.run("INSERT INTO sync_alarms (peer, kind, detail, at) VALUES (?1, ?2, ?3, ?4)", peer, kind,
        detail, clock.now());
}

std::string new_epoch(storage::Connection& c, const domain::Clock& clock, const std::string& why,
                      const std::string& detail) {
  std::string epoch = random_hex(8);
  storage::Transaction tx(c);
  c.run("UPDATE sync_self SET epoch = ?1", epoch);
  // Entries the district has not acknowledged travel again under the new epoch, each with a new
  // number; their payloads are rebuilt from the records at the next export.
  std::vector<std::pair<std::string, std::string>> pending;
  {
    auto q = c.query("SELECT kind, ref FROM sync_outbox WHERE peer = '' ORDER BY seq");
    while (q.next()) pending.emplace_back(q.text(0), q.text(1));
  }
  c.run("DELETE FROM sync_outbox WHERE peer = ''");
  for (const auto& [kind, ref] : pending)
    c.run("INSERT INTO sync_outbox (epoch, kind, ref) VALUES (?1, ?2, ?3)", epoch, kind, ref);
  if (!why.empty()) raise_alarm(c, clock, "", why, detail);
  tx.commit();
  return epoch;
}

namespace {

// Every record that travels, as outbox entries: used once, when a box first gets its identity.
void enqueue_history(storage::Connection& c, const std::string& epoch) {
  const char* kinds[] = {
      "SELECT 'assignment', id FROM assignments ORDER BY id",
      "SELECT 'submission', id FROM submissions ORDER BY id",
      "SELECT 'comment', id FROM comments ORDER BY id",
      "SELECT 'grade', assignment_id || '/' || student_id FROM grades ORDER BY rowid",
      "SELECT 'absence', student_id || '/' || day FROM absences ORDER BY rowid",
      "SELECT 'visit', user_id || '/' || day FROM visits ORDER BY day, user_id",
  };
  for (const char* sql : kinds) {
    std::vector<std::pair<std::string, std::string>> rows;
    {
      auto q = c.query(sql);
      while (q.next()) rows.emplace_back(q.text(0), q.text(1));
    }
    for (const auto& [kind, ref] : rows)
      c.run("INSERT INTO sync_outbox (epoch, kind, ref) VALUES (?1, ?2, ?3)", epoch, kind, ref);
  }
  c.run(
      "UPDATE grades SET version = 1, origin = (SELECT device_id FROM sync_self) "
      "WHERE version = 0");
}

}  // namespace

EpochCheck ensure_epoch(storage::Connection& c, const domain::Clock& clock,
                        const std::string& data_dir, const Identity& id, Role role) {
  EpochCheck out;
  std::string marker = hardware_marker();
  std::string db_device, db_marker, db_role;
  {
    auto q = c.query("SELECT device_id, epoch, hw_marker, role FROM sync_self WHERE id = 1");
    if (q.next()) {
      db_device = q.text(0);
      out.epoch = q.text(1);
      db_marker = q.text(2);
      db_role = q.text(3);
    }
  }
  if (db_device.empty()) {
    storage::Transaction tx(c);
    out.epoch = random_hex(8);
    c.run(
        "INSERT INTO sync_self (id, device_id, epoch, role, hw_marker) VALUES (1, ?1, ?2, ?3, ?4)",
        id.device_id, out.epoch, role_name(role), marker);
    if (role == Role::school) enqueue_history(c, out.epoch);
    tx.commit();
    out.changed = true;
    out.why = "first";
    return out;
  }
  if (db_role != role_name(role))
    throw std::runtime_error(std::string("this data folder belongs to a ") + db_role +
                             " box; start partad with --role " + db_role);
  if (db_device != id.device_id) {
    c.run("UPDATE sync_self SET device_id = ?1, hw_marker = ?2", id.device_id, marker);
    out.epoch = new_epoch(c, clock, "other-device", "the database was made by device " + db_device);
    out.changed = true;
    out.why = "other-device";
    return out;
  }
  if (!db_marker.empty() && !marker.empty() && db_marker != marker) {
    c.run("UPDATE sync_self SET hw_marker = ?1", marker);
    out.epoch = new_epoch(c, clock, "clone",
                          "the card was moved to other hardware (" + db_marker + " → " + marker +
                              "): if two boxes now run this card, one must be re-enrolled");
    out.changed = true;
    out.why = "clone";
    return out;
  }
  std::string wm_path = sync_dir(data_dir) + "/watermark";
  if (fs::exists(wm_path)) {
    json wm = json::parse(read_file(wm_path), nullptr, false);
    if (wm.is_object() && str_field(wm, "epoch") == out.epoch && wm.contains("seq") &&
        wm["seq"].is_number_integer() && wm["seq"].get<std::int64_t>() > last_seq(c)) {
      out.epoch = new_epoch(c, clock, "restore",
                            "the database is older than the last bundle sent (sequence " +
                                std::to_string(last_seq(c)) + " < " +
                                std::to_string(wm["seq"].get<std::int64_t>()) +
                                "): it was restored from a backup");
      out.changed = true;
      out.why = "restore";
    }
  }
  return out;
}

std::string read_district_key(const std::string& data_dir) {
  std::string path = sync_dir(data_dir) + "/district.pub";
  if (!fs::exists(path)) return "";
  std::string s = read_file(path, 4096);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  return s;
}

bool write_district_key(const std::string& data_dir, const std::string& hex) {
  bundle::Bytes32 pk;
  if (!bundle::from_hex(hex, pk.data(), pk.size())) return false;
  fs::create_directories(sync_dir(data_dir));
  write_file_durably(sync_dir(data_dir) + "/district.pub", bundle::to_hex(pk) + "\n");
  return true;
}

std::string make_enroll_request(const Identity& id, const std::string& school) {
  json j = {{"v", 1},
            {"kind", "parta-enroll-request"},
            {"device_id", id.device_id},
            {"school", school},
            {"sign_pk", bundle::to_hex(id.sign.pk)},
            {"box_pk", bundle::to_hex(id.box.pk)},
            {"fingerprint", id.fingerprint()}};
  return sign_object(j, id.sign);
}

std::optional<EnrollRequest> parse_enroll_request(const std::string& text, std::string* why) {
  json j = json::parse(text, nullptr, false);
  if (!j.is_object() || str_field(j, "kind") != "parta-enroll-request") {
    *why = "This file is not an enrollment request.";
    return std::nullopt;
  }
  if (!j.contains("v") || j["v"] != 1) {
    *why = "The request was written by a newer Parta.";
    return std::nullopt;
  }
  bundle::Bytes32 sign_pk, box_pk;
  if (!hex_field(j, "sign_pk", &sign_pk) || !hex_field(j, "box_pk", &box_pk) ||
      str_field(j, "device_id").size() != 20) {
    *why = "The request is damaged.";
    return std::nullopt;
  }
  if (!signature_holds(j, sign_pk)) {
    *why = "The request's signature does not hold: it was changed.";
    return std::nullopt;
  }
  return EnrollRequest{str_field(j, "device_id"), str_field(j, "school"), str_field(j, "sign_pk"),
                       str_field(j, "box_pk")};
}

std::string issue_certificate(const Identity& district, const EnrollRequest& req,
                              std::int64_t now) {
  json j = {{"v", 1},
            {"kind", "parta-device-certificate"},
            {"device_id", req.device_id},
            {"school", req.school},
            {"sign_pk", req.sign_pk},
            {"box_pk", req.box_pk},
            {"district_id", district.device_id},
            {"district_sign_pk", bundle::to_hex(district.sign.pk)},
            {"district_box_pk", bundle::to_hex(district.box.pk)},
            {"issued_at", now}};
  return sign_object(j, district.sign);
}

std::optional<Certificate> verify_certificate(const std::string& text,
                                              const std::string& district_sign_pk_hex,
                                              const std::string& my_device_id, std::string* why) {
  json j = json::parse(text, nullptr, false);
  if (!j.is_object() || str_field(j, "kind") != "parta-device-certificate" || !j.contains("v") ||
      j["v"] != 1) {
    *why = "This file is not a device certificate.";
    return std::nullopt;
  }
  bundle::Bytes32 district_pk;
  if (!bundle::from_hex(district_sign_pk_hex, district_pk.data(), district_pk.size())) {
    *why = "The district's key is not configured on this box (parta sync district-key).";
    return std::nullopt;
  }
  if (str_field(j, "district_sign_pk") != district_sign_pk_hex ||
      !signature_holds(j, district_pk)) {
    *why = "The certificate is not signed by this box's district.";
    return std::nullopt;
  }
  if (str_field(j, "device_id") != my_device_id) {
    *why = "The certificate is for another box.";
    return std::nullopt;
  }
  Certificate c;
  c.device_id = str_field(j, "device_id");
  c.school = str_field(j, "school");
  c.sign_pk = str_field(j, "sign_pk");
  c.box_pk = str_field(j, "box_pk");
  c.district_id = str_field(j, "district_id");
  c.district_sign_pk = str_field(j, "district_sign_pk");
  c.district_box_pk = str_field(j, "district_box_pk");
  c.issued_at = j.value("issued_at", std::int64_t{0});
  return c;
}

}  // namespace parta::sync
