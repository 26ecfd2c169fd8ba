#include "app/paper_worker.hpp"

#include <cmath>
#include <exception>
#include <filesystem>
#include <fstream>
#include <set>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/log.hpp"
#include "content/durable.hpp"
#include "content/html_scan.hpp"
#include "content/zim.hpp"
#include "domain/coursework.hpp"
#include "domain/days.hpp"
#include "domain/library.hpp"
#include "domain/paper.hpp"
#include "domain/quiz_store.hpp"
#include "domain/school.hpp"
#include "domain/zim_library.hpp"

namespace parta::app {

namespace {

// A try that failed in a way another try might not: the helper crashed, was killed, ran out of
// time or answered nonsense; or partad could not save what it made.
struct TryFailed : std::runtime_error {
  TryFailed(const char* msgid, const std::string& detail)
      : std::runtime_error(detail), reason(msgid) {}
  const char* reason;
};
// partad is stopping: the try is given back, not counted.
struct Cancelled : std::runtime_error {
  Cancelled() : std::runtime_error("stopping") {}
};
// The helper did the job to its end and said it cannot be done: no point in another try.
struct Refused : std::runtime_error {
  Refused(const char* msgid, const std::string& detail)
      : std::runtime_error(detail), reason(msgid) {}
  const char* reason;
};

constexpr const char* kBadAnswer = "The paper helper gave an answer that cannot be read.";

using printer::JobFolder;

// A file the helper made becomes a blob (JobFolder::output says which files may).
content::BlobInfo adopt_output(content::BlobStore& blobs, const JobFolder& dir,
                               const std::string& name) {
  auto path = dir.output(name);
  if (!path) throw TryFailed(kBadAnswer, "no file of its own named \"" + name + "\"");
  return blobs.adopt(*path);
}

bool starts_pdf(const std::string& path) {
  char head[5] = {};
  std::ifstream in(path, std::ios::binary);
  in.read(head, sizeof head);
  return in.gcount() == 5 && std::string_view(head, 5) == "%PDF-";
}

}  // namespace

PaperWorker::PaperWorker(storage::Database& db, content::BlobStore& blobs,
                         const domain::Clock& clock, const PaperHelper& helper, unsigned parallel)
    : db_(db), blobs_(blobs), clock_(clock), helper_(helper), parallel_(parallel ? parallel : 1) {
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
  if (!run && !batch) return idle_ && !stop_ && idle_(&stop_);
  const std::string what =
      run ? "print run " + std::to_string(*run) : "scan batch " + std::to_string(*batch);
  // Whatever happens in a try is caught here, so a job can end a try but never partad (B7).
  auto tried = [&](const char* reason, const std::string& detail) {
    auto c = db_.acquire();
    bool gave_up = run ? domain::run_attempt_failed(*c, *run, reason)
                       : domain::batch_attempt_failed(*c, *batch, reason);
    log::error("paper: " + what + ": " + detail +
               (gave_up ? "; given up after " + std::to_string(domain::kMaxAttempts) + " tries"
                        : "; queued for another try"));
  };
  try {
    if (run)
      make_run(*run);
    else
      read_batch(*batch);
  } catch (const Cancelled&) {
    auto c = db_.acquire();
    run ? domain::release_run(*c, *run) : domain::release_batch(*c, *batch);
  } catch (const Refused& e) {
    auto c = db_.acquire();
    run ? domain::run_failed(*c, *run, e.reason) : domain::batch_failed(*c, *batch, e.reason);
    log::error("paper: " + what + " failed: " + e.what());
  } catch (const TryFailed& e) {
    tried(e.reason, e.what());
  } catch (const std::exception& e) {
    tried("Saving the paper work failed.", e.what());
  }
  return true;
}

printer::JobResult PaperWorker::must_run(const printer::Job& job, int units, const FollowUp& then) {
  HelperRun r = helper_.run(job, units, &stop_, then);
  if (r.fate == HelperRun::Fate::cancelled) throw Cancelled();
  if (r.fate != HelperRun::Fate::done) throw TryFailed(r.reason(), r.detail);
  return std::move(r.result);
}

namespace {

// A reference article attached to the assignment, written out for the helper: article.json (the
// title, the archive's name, the text in blocks) and its pictures as files beside it. Pictures
// are only copied here, never decoded: the helper decodes them within its limits.
std::optional<printer::Material> write_article(const std::string& zim_dir, const domain::ZimRow& z,
                                               const domain::AttachedArticle& art,
                                               const std::string& folder) {
  try {
    content::ZimArchive archive(domain::zim_file(zim_dir, z.uuid));
    auto e = archive.find(art.path);
    for (int hops = 0; e && !e->redirect_to.empty() && hops < 5; ++hops)
      e = archive.find(e->redirect_to);
    if (!e || !e->redirect_to.empty() || e->mime.rfind("text/html", 0) != 0) return std::nullopt;
    auto html = archive.read_whole(*e, 16u << 20);
    if (!html) return std::nullopt;
    auto blocks = content::read_article(*html);
    std::filesystem::create_directories(folder);
    nlohmann::json out = nlohmann::json::array();
    int n = 0;
    std::uint64_t bytes = 0;
    for (const auto& b : blocks) {
      switch (b.kind) {
        case content::ArticleBlock::heading:
          out.push_back({{"k", "h"}, {"l", b.level}, {"t", b.text}});
          break;
        case content::ArticleBlock::item:
          out.push_back({{"k", "li"}, {"t", b.text}});
          break;
        case content::ArticleBlock::row:
          out.push_back({{"k", "row"}, {"t", b.text}});
          break;
        case content::ArticleBlock::paragraph:
          out.push_back({{"k", "p"}, {"t", b.text}});
          break;
        case content::ArticleBlock::picture: {
          auto path = content::resolve_archive_path(e->path, b.src);
          auto pic = path ? archive.find(*path) : std::nullopt;
          if (!pic || !pic->redirect_to.empty() || pic->mime.rfind("image/", 0) != 0 ||
              pic->mime == "image/svg+xml" || n >= 200)
            break;
          auto data = archive.read_whole(*pic, 8u << 20);
          if (!data || bytes + data->size() > (64u << 20)) break;
          std::string f = "img-" + std::to_string(n++);
          std::ofstream(folder + "/" + f, std::ios::binary) << *data;
          bytes += data->size();
          out.push_back({{"k", "img"}, {"f", f}, {"alt", b.alt}});
          break;
        }
      }
    }
    nlohmann::json doc{{"title", art.title}, {"source", z.title}, {"blocks", out}};
    std::ofstream(folder + "/article.json") << doc.dump();
    return printer::Material{folder + "/article.json", art.title, "article"};
  } catch (const std::exception& ex) {
    log::warning("paper: the article " + art.path + " could not be written out: " + ex.what());
    return std::nullopt;
  }
}

}  // namespace

void PaperWorker::make_run(std::int64_t run_id) {
  printer::Job job;
  job.kind = printer::JobKind::packets;
  std::vector<std::int64_t> packet_ids;
  // The helper's folder first: the run's reference articles are written into it.
  JobFolder dir(blobs_.tmp_dir());
  std::vector<printer::Material> articles;
  {
    auto c = db_.acquire();
    auto run = domain::find_run(*c, run_id);
    auto a = run ? domain::find_assignment(*c, run->assignment_id) : std::nullopt;
    if (!a) throw Refused("The assignment is gone.", "the assignment is gone");
    auto school = domain::school_info(*c);
    std::string how =
        "Принесите листы в школу до " + domain::local_datetime(a->due_at) +
        ": отдайте классному руководителю или оставьте на вахте в конверте с фамилией." +
        (school.hotline.empty() ? "" : " Вопросы — по телефону " + school.hotline + ".");
    std::string zim_dir = std::filesystem::path(blobs_.blob_dir()).parent_path().string() + "/zim";
    int k = 0;
    for (const auto& art : domain::articles_of(*c, a->id)) {
      auto z = art.archive_id ? domain::find_zim(*c, *art.archive_id) : std::nullopt;
      if (!z) continue;
      if (auto m = write_article(zim_dir, *z, art, dir.path() + "/article-" + std::to_string(k++)))
        articles.push_back(*m);
    }
    auto quiz = domain::find_quiz(*c, a->id);
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
      for (const auto& m : articles) info.materials.push_back(m);
      info.answer_pages = run->answer_pages;
      info.ruling = run->ruling == "grid" ? printer::Ruling::grid : printer::Ruling::lined;
      if (quiz) {
        // The quiz in the student's own order, each question's options in his order: the same
        // as on his phone.
        info.quiz_title = a->title;
        for (std::size_t i : domain::question_order(*a, s->user.id, quiz->questions.size())) {
          const auto& q = quiz->questions[i];
          printer::PaperQuestion pq;
          pq.position = static_cast<int>(i);
          pq.text = q.text;
          pq.points = q.points;
          using Form = printer::PaperQuestion::Form;
          pq.form = q.kind == domain::QuizKind::single     ? Form::one
                    : q.kind == domain::QuizKind::multiple ? Form::many
                    : q.kind == domain::QuizKind::open     ? Form::frame
                                                           : Form::line;
          if (q.kind == domain::QuizKind::single || q.kind == domain::QuizKind::multiple)
            for (std::size_t k : domain::option_order(*a, s->user.id, i, q))
              pq.options.emplace_back(static_cast<int>(k),
                                      q.true_false
                                          ? (q.choices[k].text == "true" ? "Верно" : "Неверно")
                                          : q.choices[k].text);
          info.quiz.push_back(std::move(pq));
        }
      }
      info.id.assignment = a->id;
      info.id.student = s->user.id;
      info.id.run = run->run;
      job.packets.push_back(std::move(info));
      packet_ids.push_back(p.id);
    }
  }
  // One PDF per student and the combined print file, made by one helper.
  job.out = dir.path();
  auto result = must_run(job, static_cast<int>(job.packets.size()) + 1);
  if (!result.ok())
    throw Refused("The paper helper could not make the packets.",
                  std::string(printer::error_name(result.error)) + ": " + result.detail);
  if (result.files.size() != packet_ids.size())
    throw TryFailed(kBadAnswer, std::to_string(result.files.size()) + " files for " +
                                    std::to_string(packet_ids.size()) + " packets");
  for (std::size_t i = 0; i < packet_ids.size(); ++i) {
    auto blob = adopt_output(blobs_, dir, result.files[i].name);
    auto c = db_.acquire();
    domain::record_blob(*c, clock_, blob.sha256, blob.size);
    domain::packet_made(
        *c, packet_ids[i], result.files[i].pages, blob.sha256,
        result.files[i].boxes.empty() ? "" : printer::boxes_to_json(result.files[i].boxes));
  }
  auto blob = adopt_output(blobs_, dir, result.combined.name);
  auto c = db_.acquire();
  domain::record_blob(*c, clock_, blob.sha256, blob.size);
  domain::run_made(*c, run_id, blob.sha256);
  log::info("paper: print run " + std::to_string(run_id) + " made, " +
            std::to_string(packet_ids.size()) + " packets");
}

void PaperWorker::read_batch(std::int64_t batch) {
  struct Page {
    std::string path, file_sha, source;
    int index = 0;
  };
  std::vector<Page> pages;
  {
    std::vector<domain::ScanFile> files;
    {
      auto c = db_.acquire();
      files = domain::batch_files(*c, batch);
    }
    std::vector<int> counts;
    for (const auto& f : files) {
      // Only a PDF has pages to count; a photo is one page, and reading it says if it is not.
      // (Its first bytes decide, as at the upload: a helper costs ~35 ms to start here, more on
      // a Pi, and a batch of phone photos would start two per page.)
      if (!starts_pdf(blobs_.path_of(f.sha256))) {
        counts.push_back(1);
        continue;
      }
      printer::Job count;
      count.kind = printer::JobKind::count_pages;
      count.path = blobs_.path_of(f.sha256);
      auto r = must_run(count);
      // A file that cannot be read is one page: reading it sends it to review with its reason.
      counts.push_back(r.ok() ? r.pages : 1);
    }
    std::size_t total = 0;
    for (int n : counts) total += static_cast<std::size_t>(n);
    for (std::size_t f = 0; f < files.size(); ++f)
      for (int i = 0; i < counts[f]; ++i)
        pages.push_back(
            {blobs_.path_of(files[f].sha256), files[f].sha256,
             files[f].filename + (i || total > 1 ? " · " + std::to_string(i + 1) : std::string()),
             i});
    auto c = db_.acquire();
    domain::set_batch_pages(*c, batch, static_cast<int>(pages.size()));
  }
  // `parallel_` helpers at once. An exception in any thread ends them all and is rethrown here,
  // after every thread is joined (B7: none may reach std::terminate).
  std::atomic<std::size_t> next{0};
  std::atomic<bool> abort{false};
  std::exception_ptr first;
  std::mutex first_mutex;
  auto work = [&] {
    for (std::size_t i; !abort && !stop_ && (i = next++) < pages.size();) {
      try {
        const Page& p = pages[i];
        read_page(batch, static_cast<int>(i) + 1, p.path, p.file_sha, p.index, p.source);
      } catch (...) {
        std::lock_guard<std::mutex> lock(first_mutex);
        if (!first) first = std::current_exception();
        abort = true;
      }
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < parallel_ && t < pages.size(); ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  if (first) std::rethrow_exception(first);
  if (stop_) throw Cancelled();
  auto c = db_.acquire();
  domain::finish_batch(*c, clock_, batch);
  log::info("paper: scan batch " + std::to_string(batch) + " read, " +
            std::to_string(pages.size()) + " pages");
}

void PaperWorker::read_page(std::int64_t batch, int position, const std::string& path,
                            const std::string& file_sha, int index, const std::string& source) {
  JobFolder dir(blobs_.tmp_dir());
  printer::Job job;
  job.kind = printer::JobKind::read_page;
  job.path = path;
  job.page = index;
  job.out = dir.path();
  printer::JobResult r;  // read_page's answer
  std::optional<std::int64_t> packet;
  std::optional<int> page_no;
  std::string reason;
  std::vector<printer::AnswerBox> here;  // a quiz page's answer places
  bool boxes_asked = false;
  // Once the page's codes are read, the same helper reads a quiz page's boxes from the picture it
  // has just decoded.
  auto file_it = [&](const printer::JobResult& got) -> std::optional<printer::Job> {
    r = got;
    if (!r.ok()) return std::nullopt;
    // The helper's reading is checked again here: partad trusts only a payload it decodes.
    auto id = r.payload ? printer::decode_payload(*r.payload) : std::nullopt;
    if (r.disagree) {
      reason = "The two codes on the page name different pages.";
    } else if (id && r.misplaced) {
      reason =
          "A code on this page is not where the page's corner marks say it must be: a piece of "
          "another sheet lying on top, or a code cut out and pasted. Look at the page and file it "
          "by hand.";
    } else if (id && r.unplaced) {
      reason =
          "Only one code was read on this page, and the page's corner marks are not where that "
          "code says they must be: the code may be on a piece of another sheet. Look at the page "
          "and file it by hand, or scan it again whole.";
    } else if (!id && (r.damaged || (r.payload && !id))) {
      reason =
          "A Parta code was read on this page, but its check value is wrong: the code is "
          "damaged or was not printed by this box. Look at the page and file it by hand.";
    } else if (!id && r.foreign) {
      reason =
          "The only code on this page is not a Parta code (another document's, or a sheet "
          "lying on top). File the page by hand, or scan it again without the other sheet.";
    } else if (!id) {
      reason = "No code could be read on this page.";
    } else {
      auto c = db_.acquire();
      auto m = domain::match_payload(*c, *id);
      if (m.packet) {
        packet = m.packet->id;
        page_no = id->page;
        for (const auto& b : domain::paper_layout(*c, *packet))
          if (b.page == id->page) here.push_back(b);
      } else {
        reason = m.reason;
      }
    }
    if (here.empty() || r.frame.size() != 9) return std::nullopt;
    printer::Job boxes = job;
    boxes.kind = printer::JobKind::read_boxes;
    boxes.frame = r.frame;
    boxes.boxes = here;
    boxes_asked = true;
    return boxes;
  };
  auto last = must_run(job, 1, file_it);
  std::string sha = file_sha, boxes;
  std::uint64_t size = 0;
  if (r.ok()) {
    auto stored = adopt_output(blobs_, dir, r.jpeg);
    sha = stored.sha256;
    size = stored.size;
    if (!here.empty()) boxes = boxes_reading(here, boxes_asked ? &last : nullptr, dir);
  } else if (r.error == printer::JobError::too_large) {
    // Never decoded: the original file goes to review, to be scanned again smaller.
    reason = "The picture is too large to read: scan or photograph it at a lower resolution.";
    log::warning("paper: " + source + ": " + r.detail);
  } else if (r.error == printer::JobError::unreadable) {
    reason = "The file is not a PDF or an image that can be read.";
  } else {
    reason = "The page could not be read.";
    log::warning("paper: " + source + ": " + r.detail);
  }
  auto c = db_.acquire();
  if (size == 0)
    size = static_cast<std::uint64_t>(
        c->scalar("SELECT size FROM blobs WHERE sha256 = ?1", sha).value_or(0));
  domain::add_scan_page(*c, batch, position, source, sha, size, clock_, packet, page_no, reason,
                        r.ok() ? r.codes : 0, boxes);
}

std::string PaperWorker::boxes_reading(const std::vector<printer::AnswerBox>& boxes,
                                       const printer::JobResult* read, const JobFolder& dir) {
  using nlohmann::json;
  json out{{"rows", json::array()}, {"writes", json::array()}};
  if (!read) {
    // The page was filed on its codes but could not be laid over its layout: every question on
    // it goes to the teacher, with the whole page to look at.
    std::set<int> questions;
    for (const auto& b : boxes)
      if (b.option == printer::AnswerBox::kBlock) questions.insert(b.question);
    for (int q : questions)
      out["rows"].push_back({{"q", q}, {"decided", false}, {"why", "lost"}, {"crop", ""}});
    return out.dump();
  }
  if (!read->ok()) throw TryFailed(kBadAnswer, std::string("read_boxes: ") + read->detail);
  // Crops become blobs; the reading names them by their hashes.
  auto keep = [&](const std::string& name) -> std::string {
    if (name.empty()) return "";
    auto blob = adopt_output(blobs_, dir, name);
    auto c = db_.acquire();
    domain::record_blob(*c, clock_, blob.sha256, blob.size);
    return blob.sha256;
  };
  for (const auto& row : read->read.rows)
    out["rows"].push_back({{"q", row.question},
                           {"decided", row.decided},
                           {"chosen", row.chosen},
                           {"why", row.why},
                           {"crop", keep(row.crop)}});
  for (const auto& w : read->read.writes)
    out["writes"].push_back({{"q", w.question}, {"blank", w.blank}, {"crop", keep(w.crop)}});
  json boxes_read = json::array();
  for (const auto& b : read->read.boxes)
    boxes_read.push_back({b.question, b.option, printer::box_state_code(b.state),
                          std::round(b.ink * 1000) / 1000, std::round(b.grey * 1000) / 1000,
                          std::round(b.beside * 1000) / 1000});
  out["boxes"] = std::move(boxes_read);
  return out.dump();
}

}  // namespace parta::app
