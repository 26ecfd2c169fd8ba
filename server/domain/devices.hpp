#pragma once
// The register of school laptops and tablets lent to students: what, which serial, who has it,
// since when, and when it came back.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "domain/message.hpp"
#include "domain/school.hpp"

namespace parta::domain {

struct Device {
  std::int64_t id = 0;
  std::string kind, model, serial, note;
  // The open loan, if the device is out.
  std::optional<std::int64_t> loan_id, student_id;
  std::string student_name, class_name;
  std::int64_t lent_at = 0;
};

struct Loan {
  std::int64_t id = 0, device_id = 0, student_id = 0;
  std::string device, student_name;
  std::int64_t lent_at = 0;
  std::optional<std::int64_t> returned_at;
};

std::optional<Message> check_device(storage::Connection& c, const std::string& kind,
                                    const std::string& serial);
std::int64_t add_device(storage::Connection& c, const std::string& kind, const std::string& model,
                        const std::string& serial, const std::string& note);
std::vector<Device> list_devices(storage::Connection& c);
std::optional<Device> find_device(storage::Connection& c, std::int64_t id);
// Lends a device that is in; nullopt on success, else why not.
std::optional<Message> lend(storage::Connection& c, const Clock& clock, std::int64_t device_id,
                            std::int64_t student_id, std::int64_t lent_by);
std::optional<Message> give_back(storage::Connection& c, const Clock& clock,
                                 std::int64_t device_id);
std::vector<Loan> loans_of(storage::Connection& c, std::int64_t device_id);

}  // namespace parta::domain
