#include "domain/devices.hpp"

#include "content/utf8.hpp"

namespace parta::domain {

namespace {
constexpr const char* kSelect =
    "SELECT d.id, d.kind, d.model, d.serial, d.note, l.id, l.student_id, "
    "COALESCE(u.last_name || ' ' || u.first_name, ''), COALESCE(c.name, ''), COALESCE(l.lent_at, "
    "0) "
    "FROM devices d LEFT JOIN loans l ON l.device_id = d.id AND l.returned_at IS NULL "
    "LEFT JOIN users u ON u.id = l.student_id LEFT JOIN students s ON s.user_id = l.student_id "
    "LEFT JOIN classes c ON c.id = s.class_id ";

Device from(const storage::Query& q) {
  Device d;
  d.id = q.integer(0);
  d.kind = q.text(1);
  d.model = q.text(2);
  d.serial = q.text(3);
  d.note = q.text(4);
  d.loan_id = q.opt_integer(5);
  d.student_id = q.opt_integer(6);
  d.student_name = q.text(7);
  d.class_name = q.text(8);
  d.lent_at = q.integer(9);
  return d;
}
}  // namespace

std::optional<Message> check_device(storage::Connection& c, const std::string& kind,
                                    const std::string& serial) {
  if (kind.empty() || serial.empty())
    return Message{"Enter what the device is and its serial number.", {}};
  if (text::char_count(kind) > 100 || text::char_count(serial) > 100)
    return Message{"A field in the form is too long.", {}};
  if (c.scalar("SELECT 1 FROM devices WHERE serial = ?1", serial))
    return Message{"A device with this serial number is already in the register.", {}};
  return std::nullopt;
}

std::int64_t add_device(storage::Connection& c, const std::string& kind, const std::string& model,
                        const std::string& serial, const std::string& note) {
  c.run("INSERT INTO devices (kind, model, serial, note) VALUES (?1, ?2, ?3, ?4)", kind, model,
        serial, note);
  return c.last_insert_id();
}

std::vector<Device> list_devices(storage::Connection& c) {
  std::vector<Device> out;
  auto q = c.query(std::string(kSelect) + "ORDER BY d.kind, d.serial");
  while (q.next()) out.push_back(from(q));
  return out;
}

std::optional<Device> find_device(storage::Connection& c, std::int64_t id) {
  auto q = c.query(std::string(kSelect) + "WHERE d.id = ?1", id);
  if (!q.next()) return std::nullopt;
  return from(q);
}

std::optional<Message> lend(storage::Connection& c, const Clock& clock, std::int64_t device_id,
                            std::int64_t student_id, std::int64_t lent_by) {
  auto d = find_device(c, device_id);
  if (!d) return Message{"The form refers to something that does not exist.", {}};
  if (d->loan_id)
    return Message{"This device is already lent to {name}.", {{"name", d->student_name}}};
  if (!find_student(c, student_id))
    return Message{"The form refers to something that does not exist.", {}};
  c.run("INSERT INTO loans (device_id, student_id, lent_by, lent_at) VALUES (?1, ?2, ?3, ?4)",
        device_id, student_id, lent_by, clock.now());
  return std::nullopt;
}

std::optional<Message> give_back(storage::Connection& c, const Clock& clock,
                                 std::int64_t device_id) {
  auto d = find_device(c, device_id);
  if (!d || !d->loan_id) return Message{"This device is not lent to anyone.", {}};
  c.run("UPDATE loans SET returned_at = ?1 WHERE id = ?2", clock.now(), *d->loan_id);
  return std::nullopt;
}

std::vector<Loan> loans_of(storage::Connection& c, std::int64_t device_id) {
  std::vector<Loan> out;
  auto q = c.query(
      "SELECT l.id, l.device_id, l.student_id, d.kind || ' ' || d.serial, "
      "u.last_name || ' ' || u.first_name, l.lent_at, l.returned_at FROM loans l "
      "JOIN devices d ON d.id = l.device_id JOIN users u ON u.id = l.student_id "
      "WHERE l.device_id = ?1 ORDER BY l.id DESC",
      device_id);
  while (q.next())
    out.push_back({q.integer(0), q.integer(1), q.integer(2), q.text(3), q.text(4), q.integer(5),
                   q.opt_integer(6)});
  return out;
}

}  // namespace parta::domain
