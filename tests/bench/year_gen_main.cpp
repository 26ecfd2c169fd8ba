// parta_year_gen: fills a new data folder with a generated school year (tests/bench/year_gen.hpp)
// for the benchmark and by-hand checks.
//   parta_year_gen --data DIR [--classes 11] [--students 25] [--subjects 10] [--days 170]
//                  [--per-day 3] [--last-day YYYY-MM-DD] [--seed N] [--schema-version N]
// --schema-version stops the migrations there (the year migration test's older database).
#include <sodium.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>

#include "domain/clock.hpp"
#include "storage/migrations.hpp"
#include "year_gen.hpp"

int main(int argc, char** argv) {
  parta::bench::YearSpec spec;
  std::string data;
  int schema = parta::storage::kSchemaVersion;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << a << " needs a value\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--data")
      data = value();
    else if (a == "--classes")
      spec.classes = std::stoi(value());
    else if (a == "--students")
      spec.students = std::stoi(value());
    else if (a == "--subjects")
      spec.subjects = std::stoi(value());
    else if (a == "--days")
      spec.days = std::stoi(value());
    else if (a == "--per-day")
      spec.per_day = std::stoi(value());
    else if (a == "--last-day")
      spec.last_day = value();
    else if (a == "--seed")
      spec.seed = static_cast<std::uint32_t>(std::stoul(value()));
    else if (a == "--schema-version")
      schema = std::stoi(value());
    else {
      std::cerr << "usage: parta_year_gen --data DIR [--classes N] [--students N] [--subjects N] "
                   "[--days N] [--per-day N] [--last-day YYYY-MM-DD] [--seed N] "
                   "[--schema-version N]\n";
      return 2;
    }
  }
  if (data.empty() || schema < 11 || schema > parta::storage::kSchemaVersion) {
    std::cerr << "parta_year_gen: --data is required; --schema-version is 11 to "
              << parta::storage::kSchemaVersion << "\n";
    return 2;
  }
  if (sodium_init() < 0) return 1;
  try {
    std::filesystem::create_directories(data);
    std::string path = data + "/parta.db";
    if (std::filesystem::exists(path)) {
      std::cerr << "parta_year_gen: " << path << " exists already\n";
      return 1;
    }
    auto started = std::chrono::steady_clock::now();
    parta::storage::Connection c(path);
    parta::storage::migrate(c, schema);
    parta::domain::SystemClock clock;
    auto st = parta::bench::generate_year(c, spec, clock.now());
    c.exec("PRAGMA wal_checkpoint(TRUNCATE);");
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::printf(
        "school year %s … %s in %s (schema %d): %lld users, %lld assignments, %lld submissions, "
        "%lld grades, %lld comments, %lld visits, %lld absences, %lld messages; %.1f s, %.1f MB\n",
        st.first_day.c_str(), st.last_day.c_str(), path.c_str(), schema,
        static_cast<long long>(st.users), static_cast<long long>(st.assignments),
        static_cast<long long>(st.submissions), static_cast<long long>(st.grades),
        static_cast<long long>(st.comments), static_cast<long long>(st.visits),
        static_cast<long long>(st.absences), static_cast<long long>(st.messages), secs,
        static_cast<double>(std::filesystem::file_size(path)) / 1e6);
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "parta_year_gen: " << e.what() << "\n";
    return 1;
  }
}
