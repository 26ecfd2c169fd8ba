#include "web/uploads.hpp"

#include <algorithm>
#include <cstdio>

namespace parta::web {

namespace {

struct Accepted {
  const char* type;
  const char* exts;  // space-separated, with dots
};
// What students and teachers may upload: photos of written work, PDFs, office documents,
// recordings. Anything else is refused with its name.
constexpr Accepted kAccepted[] = {
    {"image/jpeg", ".jpg .jpeg"},
    {"image/png", ".png"},
    {"image/webp", ".webp"},
    {"image/heic", ".heic"},
    {"image/heif", ".heif"},
    {"image/gif", ".gif"},
    {"application/pdf", ".pdf"},
    {"text/plain", ".txt"},
    {"application/rtf", ".rtf"},
    {"application/msword", ".doc"},
    {"application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx"},
    {"application/vnd.ms-excel", ".xls"},
    {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"},
    {"application/vnd.ms-powerpoint", ".ppt"},
    {"application/vnd.openxmlformats-officedocument.presentationml.presentation", ".pptx"},
    {"application/vnd.oasis.opendocument.text", ".odt"},
    {"application/vnd.oasis.opendocument.spreadsheet", ".ods"},
    {"application/vnd.oasis.opendocument.presentation", ".odp"},
    {"audio/mpeg", ".mp3"},
    {"audio/mp4", ".m4a"},
    {"audio/ogg", ".ogg .oga .opus"},
    {"audio/wav", ".wav"},
    {"audio/webm", ".weba"},
    {"audio/amr", ".amr"},
    {"audio/aac", ".aac"},
    {"audio/3gpp", ".3ga"},
    {"video/mp4", ".mp4 .m4v"},
    {"video/webm", ".webm"},
    {"video/3gpp", ".3gp"},
    {"video/quicktime", ".mov"},
};

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The content type we store: the declared one when accepted, else from the extension
// (phones often say application/octet-stream). "" = not accepted.
std::string accepted_type(const http::UploadedFile& f) {
  std::string declared = lower(f.content_type.substr(0, f.content_type.find(';')));
  if (declared == "image/jpg") declared = "image/jpeg";
  if (declared == "audio/x-wav" || declared == "audio/wave") declared = "audio/wav";
  if (declared == "audio/mp3") declared = "audio/mpeg";
  if (declared == "audio/x-m4a") declared = "audio/mp4";
  for (const auto& a : kAccepted)
    if (declared == a.type) return a.type;
  std::string name = lower(f.filename);
  auto dot = name.rfind('.');
  if (dot == std::string::npos) return "";
  std::string ext = name.substr(dot);
  if (!declared.empty() && declared != "application/octet-stream") return "";
  for (const auto& a : kAccepted) {
    std::string exts = std::string(a.exts) + " ";
    if (exts.find(ext + " ") != std::string::npos) return a.type;
  }
  return "";
}

// A photo that is not a photo: the first bytes must match what the type says.
bool content_matches(const std::string& type, const std::string& head) {
  auto starts = [&](std::string_view magic) { return head.compare(0, magic.size(), magic) == 0; };
  if (type == "image/jpeg") return starts("\xFF\xD8\xFF");
  if (type == "image/png") return starts("\x89PNG\r\n\x1a\n");
  if (type == "image/gif") return starts("GIF8");
  if (type == "application/pdf") return starts("%PDF-");
  return true;
}

std::string file_head(const http::UploadedFile& f) {
  if (f.temp_path.empty()) return f.data.substr(0, 16);
  std::FILE* fp = std::fopen(f.temp_path.c_str(), "rb");
  if (!fp) return "";
  char buf[16];
  std::size_t n = std::fread(buf, 1, sizeof buf, fp);
  std::fclose(fp);
  return std::string(buf, n);
}

// Moves the request's files into the blob store (the request owns their temp files; taking one
// is the only change made to it).
std::vector<domain::FileRef> store(Ctx& ctx, const std::vector<http::UploadedFile*>& chosen) {
  if (!ctx.blobs) throw std::runtime_error("no blob store");
  std::vector<domain::FileRef> out;
  for (auto* f : chosen) {
    content::BlobInfo info;
    if (f->temp_path.empty()) {
      info = ctx.blobs->put(f->data);
    } else {
      std::string path = f->release_temp();
      info = ctx.blobs->adopt(path);
    }
    out.push_back({0, info.sha256, f->filename, f->content_type, info.size});
  }
  return out;
}

// The files of a form field, without the browser's "no file chosen" part.
std::vector<http::UploadedFile*> field_files(Ctx& ctx, const char* field_name) {
  std::vector<http::UploadedFile*> chosen;
  for (auto& f : const_cast<http::Form&>(ctx.req.form()).files) {
    if (f.field != field_name) continue;
    if (f.size == 0 && f.filename.empty()) continue;
    chosen.push_back(&f);
  }
  return chosen;
}

}  // namespace

std::vector<domain::FileRef> take_scans(Ctx& ctx, const char* field_name,
                                        std::vector<domain::LeftOutFile>* left_out) {
  std::vector<http::UploadedFile*> taken;
  for (auto* f : field_files(ctx, field_name)) {
    std::string name = f->filename.empty() ? "?" : f->filename;
    std::string head = file_head(*f);
    auto starts = [&](std::string_view magic) { return head.compare(0, magic.size(), magic) == 0; };
    // HEIF/HEIC: an ISO media file ("....ftyp") of an image brand (iPhones take photos so).
    std::string brand =
        head.size() >= 12 && head.compare(4, 4, "ftyp") == 0 ? head.substr(8, 4) : std::string();
    if (f->size == 0) {
      left_out->push_back({name, "The file is empty."});
    } else if (starts("%PDF-")) {
      f->content_type = "application/pdf";
      taken.push_back(f);
    } else if (starts("\xFF\xD8\xFF")) {
      f->content_type = "image/jpeg";
      taken.push_back(f);
    } else if (starts("\x89PNG\r\n\x1a\n")) {
      f->content_type = "image/png";
      taken.push_back(f);
    } else if (brand == "heic" || brand == "heix" || brand == "hevc" || brand == "heim" ||
               brand == "heis" || brand == "mif1" || brand == "msf1" || brand == "avif") {
      left_out->push_back({name,
                           "A HEIC photo (the iPhone's format) cannot be read here. On the "
                           "iPhone choose Settings → Camera → Formats → Most Compatible, or send "
                           "the photo as JPEG, and upload it again."});
    } else {
      left_out->push_back({name, "Not a PDF, JPEG or PNG: send scans as PDF, photos as JPEG."});
    }
  }
  return store(ctx, taken);
}

std::vector<domain::FileRef> take_uploads(Ctx& ctx, const char* field_name, std::string* error) {
  std::vector<http::UploadedFile*> chosen = field_files(ctx, field_name);
  for (auto* f : chosen) {
    std::string shown = f->filename.empty() ? "?" : f->filename;
    if (f->size == 0) {
      *error = ctx.tr(domain::Message{"The file {name} is empty.", {{"name", shown}}});
      return {};
    }
    std::string type = accepted_type(*f);
    if (type.empty()) {
      *error = ctx.tr(domain::Message{
          "The file {name} is of a type that is not accepted. Send photos, PDF, documents, audio "
          "or video.",
          {{"name", shown}}});
      return {};
    }
    if (!content_matches(type, file_head(*f))) {
      *error = ctx.tr(domain::Message{"The file {name} is damaged or not what its name says.",
                                      {{"name", shown}}});
      return {};
    }
    f->content_type = type;
  }
  return store(ctx, chosen);
}

}  // namespace parta::web
