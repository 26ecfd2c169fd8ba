#include "app/paper_worker.hpp"

#include <cstdio>
#include <ctime>

#include "app/log.hpp"
#include "domain/coursework.hpp"
#include "domain/days.hpp"
#include "domain/library.hpp"
#include "domain/paper.hpp"
#include "domain/school.hpp"
#include "printer/packet.hpp"
#include "printer/scan.hpp"

namespace parta::app {

PaperWorker::PaperWorker(storage::Database& db, content::BlobStore& blobs,
                         const domain::Clock& clock, unsigned decode_threads)
    : db_(db), blobs_(blobs), clock_(clock), threads_(decode_threads ? decode_threads : 1) {
  auto c = db_.acquire();
  domain::requeue_interrupted(*c);
}

PaperWorker::~PaperWorker() {
  stop_ = true;
  wake();
  if (thread_.joinable()) thread_.join();
}

void PaperWorker::start() {
  thread_ = std::thread([this] {
    while (!stop_) {
      bool worked = false;
      try {
        worked = step();
      } catch (const std::exception& e) {
        log::error(std::string("paper worker: ") + e.what());
      }
      if (worked) continue;
      std::unique_lock<std::mutex> lock(mutex_);
      cv_.wait_for(lock, std::chrono::seconds(5), [this] { return woken_ || stop_.load(); });
      woken_ = false;
    }
  });
}

void PaperWorker::wake() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    woken_ = true;
  }
  cv_.notify_one();
}

void PaperWorker::run_pending() {
  while (step()) {
  }
}

bool PaperWorker::step() {
  std::optional<std::int64_t> run, batch;
  {
    auto c = db_.acquire();
    run = domain::claim_queued_run(*c);
    if (!run) batch = domain::claim_queued_batch(*c);
  }
  if (run) {
    try {
      make_run(*run);
    } catch (const std::exception& e) {
      auto c = db_.acquire();
      domain::run_failed(*c, *run, e.what());
      log::error("paper: print run " + std::to_string(*run) + " failed: " + e.what());
    }
    return true;
  }
  if (batch) {
    try {
      read_batch(*batch);
    } catch (const std::exception& e) {
      auto c = db_.acquire();
      domain::batch_failed(*c, *batch, e.what());
      log::error("paper: scan batch " + std::to_string(*batch) + " failed: " + e.what());
    }
    return true;
  }
  return false;
}

void PaperWorker::make_run(std::int64_t run_id) {
  std::vector<printer::PacketInfo> infos;
  std::vector<std::int64_t> packet_ids;
  {
    auto c = db_.acquire();
    auto run = domain::find_run(*c, run_id);
    auto a = run ? domain::find_assignment(*c, run->assignment_id) : std::nullopt;
    if (!a) throw std::runtime_error("the assignment is gone");
    auto school = domain::school_info(*c);
    std::string how =
        "Принесите листы в школу до " + domain::local_datetime(a->due_at) +
        ": отдайте классному руководителю или оставьте на вахте в конверте с фамилией." +
        (school.hotline.empty() ? "" : " Вопросы — по телефону " + school.hotline + ".");
    for (const auto& p : domain::packets_of(*c, run_id)) {
      auto s = domain::find_student(*c, p.student_id);
      if (!s) continue;
      printer::PacketInfo info;
      info.school = school.name;
      info.class_name = s->class_name;
      info.student_name = s->user.full_name();
      info.student_no = s->student_no;
      info.subject = a->subject_name;
      info.teacher = a->teacher_name;
      info.title = a->title;
      info.due = domain::local_datetime(a->due_at);
      info.how_to_return = how;
      info.body_markdown = a->body;
      std::string variant = domain::variant_for(*c, a->id, s->user.id);
      if (!variant.empty()) info.body_markdown += "\n\n**Ваш вариант**\n\n" + variant;
      for (const auto& f : domain::attachments_for(*c, a->id, s->user.id))
        if (f.content_type == "application/pdf")
          info.materials.push_back({blobs_.path_of(f.sha256), f.filename});
      for (const auto& m : domain::materials_of(*c, a->id))
        if (m.type == "application/pdf")
          info.materials.push_back({blobs_.path_of(m.sha256), m.title});
      info.answer_pages = run->answer_pages;
      info.ruling = run->ruling == "grid" ? printer::Ruling::grid : printer::Ruling::lined;
      info.id.assignment = a->id;
      info.id.student = s->user.id;
      info.id.run = run->run;
      infos.push_back(std::move(info));
      packet_ids.push_back(p.id);
    }
  }
  // One PDF per student, then the combined print file.
  for (std::size_t i = 0; i < infos.size(); ++i) {
    std::string tmp = blobs_.temp_name("packet", ".pdf");
    int pages = printer::render_packets({infos[i]}, tmp);
    auto blob = blobs_.adopt(tmp);
    auto c = db_.acquire();
    domain::record_blob(*c, clock_, blob.sha256, blob.size);
    domain::packet_made(*c, packet_ids[i], pages, blob.sha256);
  }
  std::string tmp = blobs_.temp_name("packet", ".pdf");
  printer::render_packets(infos, tmp);
  auto blob = blobs_.adopt(tmp);
  auto c = db_.acquire();
  domain::record_blob(*c, clock_, blob.sha256, blob.size);
  domain::run_made(*c, run_id, blob.sha256);
  log::info("paper: print run " + std::to_string(run_id) + " made, " +
            std::to_string(infos.size()) + " packets");
}

void PaperWorker::read_batch(std::int64_t batch) {
  struct Job {
    std::string path, source, file_sha;
  };
  std::vector<std::pair<Job, int>> pages;  // file, page index
  {
    auto c = db_.acquire();
    for (const auto& f : domain::batch_files(*c, batch)) {
      Job j{blobs_.path_of(f.sha256), f.filename, f.sha256};
      int n = 1;
      try {
        n = printer::count_pages(j.path);
      } catch (const std::exception& e) {
        log::warning("paper: " + f.filename + ": " + e.what());
        n = 1;  // read below, where it goes to review with its reason
      }
      for (int i = 0; i < n; ++i) pages.emplace_back(j, i);
    }
    domain::set_batch_pages(*c, batch, static_cast<int>(pages.size()));
  }
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t i; (i = next++) < pages.size() && !stop_;) {
      const auto& [job, index] = pages[i];
      std::string source =
          job.source +
          (index || pages.size() > 1 ? " · " + std::to_string(index + 1) : std::string());
      std::optional<std::int64_t> packet;
      std::optional<int> page_no;
      std::string reason, sha = job.file_sha;
      std::uint64_t size = 0;
      try {
        printer::PageImage img = printer::load_page(job.path, index);
        printer::PageRead read = printer::read_page(img);
        auto stored = blobs_.put(printer::page_jpeg(img));
        sha = stored.sha256;
        size = stored.size;
        if (read.disagree) {
          reason = "The two codes on the page name different pages.";
        } else if (!read.id) {
          reason = "No code could be read on this page.";
        } else {
          auto c = db_.acquire();
          auto m = domain::match_payload(*c, *read.id);
          if (m.packet) {
            packet = m.packet->id;
            page_no = read.id->page;
          } else {
            reason = m.reason;
          }
        }
      } catch (const std::exception&) {
        reason = "The file is not a PDF or an image that can be read.";
      }
      auto c = db_.acquire();
      if (size == 0)
        size = static_cast<std::uint64_t>(
            c->scalar("SELECT size FROM blobs WHERE sha256 = ?1", sha).value_or(0));
      domain::add_scan_page(*c, batch, static_cast<int>(i) + 1, source, sha, size, clock_, packet,
                            page_no, reason);
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads_; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  if (stop_) return;  // requeued at the next start
  auto c = db_.acquire();
  domain::finish_batch(*c, clock_, batch);
  log::info("paper: scan batch " + std::to_string(batch) + " read, " +
            std::to_string(pages.size()) + " pages");
}

}  // namespace parta::app
