#include "printer/job_runner.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <fstream>
#include <new>

#include "printer/boxes.hpp"
#include "printer/registration.hpp"
#include "printer/scan.hpp"
#include "printer/travel.hpp"
#include "printer/vips_page.hpp"

namespace parta::printer {

namespace {

// Scans are read at this resolution; a page's pixel cap applies to what it becomes at it.
constexpr int kScanDpi = 200;

JobResult error(JobError e, std::string detail) {
  JobResult r;
  r.error = e;
  r.detail = std::move(detail);
  return r;
}

// The job's folder must exist and be a folder: the helper never makes one of its own.
bool is_folder(const std::string& path) {
  struct stat st {};
  return !path.empty() && ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

JobResult packets(const Job& job) {
  JobResult r;
  for (std::size_t i = 0; i < job.packets.size(); ++i) {
    OutFile f{"packet-" + std::to_string(i + 1) + ".pdf", 0, {}};
    std::vector<std::vector<AnswerBox>> boxes;
    f.pages = render_packets({job.packets[i]}, job.out + "/" + f.name, &boxes);
    f.boxes = std::move(boxes[0]);
    r.files.push_back(std::move(f));
  }
  r.combined.name = "all.pdf";
  r.combined.pages = render_packets(job.packets, job.out + "/" + r.combined.name);
  return r;
}

// A job on one picture: `work` fills the result; a picture too large or unreadable becomes that
// error (with the picture's size for too_large).
template <typename F>
JobResult on_picture(F work) {
  JobResult r;
  try {
    work(r);
  } catch (const TooLarge& e) {
    r = error(JobError::too_large, e.what());
    r.width = e.width;
    r.height = e.height;
  } catch (const Unreadable& e) {
    r = error(JobError::unreadable, e.what());
  }
  return r;
}

JobResult read_one_page(const Job& job, Session* session) {
  return on_picture([&](JobResult& r) {
    PageImage img = load_page(job.path, job.page, kScanDpi, job.max_pixels);
    PageRead read = read_page(img);
    r.width = img.width;
    r.height = img.height;
    if (read.id) r.payload = encode_payload(*read.id);
    r.codes = read.codes;
    r.disagree = read.disagree;
    r.foreign = read.foreign;
    r.damaged = read.damaged;
    r.marks = read.marks;
    r.misplaced = read.misplaced;
    r.unplaced = read.unplaced;
    r.frame = read.frame;
    r.jpeg = "page.jpg";
    std::string bytes = page_jpeg(img, 1400, read.turn);
    std::ofstream out(job.out + "/" + r.jpeg, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.close();
    if (!out) {
      r = error(JobError::failed, "the page's JPEG cannot be written");
      return;
    }
    if (session) session->keep(job.path, job.page, std::move(img));
  });
}

// A quiz page's boxes, read through the map read_page found for it (the same page, loaded the
// same way, so the map's pixels are this picture's).
JobResult read_page_boxes(const Job& job, const Session* session) {
  std::array<double, 9> v{};
  std::copy_n(job.frame.begin(), 9, v.begin());
  auto map = Homography::from_values(v);
  if (!map) return error(JobError::bad_job, "the page's map is not a usable map");
  return on_picture([&](JobResult& r) {
    // Boxes read as well at 150 dpi as at 300: a fine scan is read at half its size.
    Point o = (*map)({100, 100}), e = (*map)({110, 100});
    double per_point = std::hypot(e.x - o.x, e.y - o.y) / 10;
    const bool fine = per_point >= 3.6;
    int shrunk = 1;
    PageImage loaded;
    const PageImage* img = &loaded;
    if (const PageImage* kept = session ? session->page(job.path, job.page) : nullptr) {
      // read_page just decoded it in this run: its map is in these pixels.
      if (fine) {
        // Each pixel the mean of four, as the JPEG decoder's shrink gives.
        loaded = detail::to_page(detail::from_page(*kept).shrink(2, 2));
        shrunk = 2;
      } else {
        img = kept;
      }
    } else {
      loaded = load_page(job.path, job.page, kScanDpi, job.max_pixels, fine ? 2 : 1, &shrunk);
    }
    if (shrunk > 1) {
      auto scaled = map->values();
      for (std::size_t i = 0; i < 6; ++i) scaled[i] /= shrunk;  // pixels of the smaller picture
      map = Homography::from_values(scaled);
      if (!map) {
        r = error(JobError::failed, "the page's map does not scale");
        return;
      }
    }
    r.read = read_boxes(*img, *map, job.boxes, job.out);
    r.width = img->width;
    r.height = img->height;
  });
}

JobResult travel_copy(const Job& job) {
  return on_picture([&](JobResult& r) {
    TravelParams p;
    p.long_side = job.long_side;
    p.quality = job.quality;
    p.grey = job.grey == "always"  ? TravelParams::Grey::always
             : job.grey == "never" ? TravelParams::Grey::never
                                   : TravelParams::Grey::automatic;
    p.max_pixels = job.max_pixels;
    p.check_codes = job.check_codes;
    TravelCopy c = make_travel_copy(job.path, p);
    r.jpeg = "travel.jpg";
    std::ofstream out(job.out + "/" + r.jpeg, std::ios::binary);
    out.write(c.jpeg.data(), static_cast<std::streamsize>(c.jpeg.size()));
    out.close();
    if (!out) {
      r = error(JobError::failed, "the travel copy cannot be written");
      return;
    }
    r.width = c.width;
    r.height = c.height;
    r.grey = c.grey;
    r.cropped = c.cropped;
    r.quality = c.quality;
    r.codes_lost = c.codes_lost;
    r.codes = c.codes_copy;
    r.foreign = c.foreign_copy;
    r.codes_original = c.codes_original;
    r.foreign_original = c.foreign_original;
  });
}

}  // namespace

Session::Key Session::key_of(const std::string& path, int index) {
  Key k;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return k;
  k.path = path;
  k.index = index;
  k.inode = st.st_ino;
  k.size = static_cast<std::uint64_t>(st.st_size);
  k.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  return k;
}

const PageImage* Session::page(const std::string& path, int index) const {
  if (key_.path.empty() || image_.gray.empty()) return nullptr;
  return key_of(path, index) == key_ ? &image_ : nullptr;
}

void Session::keep(const std::string& path, int index, PageImage image) {
  key_ = key_of(path, index);
  image_ = std::move(image);
}

JobResult run_job(const Job& job, Session* session) {
  try {
    bool writes = job.kind == JobKind::packets || job.kind == JobKind::read_page ||
                  job.kind == JobKind::read_boxes || job.kind == JobKind::cards ||
                  job.kind == JobKind::travel_copy;
    if (writes && !is_folder(job.out))
      return error(JobError::bad_job, "the job's folder does not exist");
    switch (job.kind) {
      case JobKind::packets:
        return packets(job);
      case JobKind::count_pages: {
        JobResult r;
        try {
          r.pages = count_pages(job.path);
        } catch (const Unreadable& e) {
          r = error(JobError::unreadable, e.what());
        }
        return r;
      }
      case JobKind::read_page:
        return read_one_page(job, session);
      case JobKind::read_boxes:
        return read_page_boxes(job, session);
      case JobKind::cards: {
        JobResult r;
        OutFile f{"cards.pdf", 0, {}};
        f.pages = render_login_cards(job.cards, job.school, job.wifi, job.out + "/" + f.name);
        r.files.push_back(f);
        return r;
      }
      case JobKind::printers: {
        JobResult r;
        r.printers = list_printers();
        return r;
      }
      case JobKind::print: {
        PrintResult p = print_pdf(job.printer, job.path, job.title, job.two_sided);
        if (!p.job) return error(JobError::printer, p.error);
        JobResult r;
        r.print_job = p.job;
        return r;
      }
      case JobKind::job_status: {
        JobResult r;
        r.status = job_status(job.printer, job.print_job);
        return r;
      }
      case JobKind::travel_copy:
        return travel_copy(job);
    }
    return error(JobError::bad_job, "unknown job kind");
  } catch (const std::bad_alloc&) {
    return error(JobError::failed, "out of memory");
  } catch (const std::exception& e) {
    return error(JobError::failed, e.what());
  }
}

int run_job_text(std::string_view job_text, std::string& out, Session* session) {
  auto parsed = parse_job(job_text);
  if (auto* refused = std::get_if<JobResult>(&parsed)) {
    out = result_to_json(JobKind::printers, *refused);
    return 2;
  }
  const Job& job = std::get<Job>(parsed);
  out = result_to_json(job.kind, run_job(job, session));
  return 0;
}

}  // namespace parta::printer
