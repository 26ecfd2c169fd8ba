#include "content/delta.hpp"

#include <zstd.h>

#include <memory>
#include <stdexcept>

namespace parta::content {

namespace {

struct CCtxFree {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};
struct DCtxFree {
  void operator()(ZSTD_DCtx* d) const { ZSTD_freeDCtx(d); }
};

// The window covers the base and the target together, as "patch from" needs; bases are small
// (a manifest is at most 4 MiB).
constexpr int kMaxWindowLog = 24;

}  // namespace

std::string make_patch(std::string_view base, std::string_view target) {
  std::unique_ptr<ZSTD_CCtx, CCtxFree> c(ZSTD_createCCtx());
  if (!c) throw std::runtime_error("zstd: out of memory");
  ZSTD_CCtx_setParameter(c.get(), ZSTD_c_compressionLevel, 19);
  ZSTD_CCtx_setParameter(c.get(), ZSTD_c_windowLog, kMaxWindowLog);
  ZSTD_CCtx_setParameter(c.get(), ZSTD_c_enableLongDistanceMatching, 1);
  ZSTD_CCtx_setParameter(c.get(), ZSTD_c_checksumFlag, 1);
  ZSTD_CCtx_refPrefix(c.get(), base.data(), base.size());
  std::string out(ZSTD_compressBound(target.size()), '\0');
  std::size_t n = ZSTD_compress2(c.get(), out.data(), out.size(), target.data(), target.size());
  if (ZSTD_isError(n)) throw std::runtime_error(std::string("zstd: ") + ZSTD_getErrorName(n));
  out.resize(n);
  return out;
}

std::optional<std::string> apply_patch(std::string_view base, std::string_view patch,
                                       std::size_t max_size) {
  std::unique_ptr<ZSTD_DCtx, DCtxFree> d(ZSTD_createDCtx());
  if (!d) return std::nullopt;
  ZSTD_DCtx_setParameter(d.get(), ZSTD_d_windowLogMax, kMaxWindowLog);
  if (ZSTD_isError(ZSTD_DCtx_refPrefix(d.get(), base.data(), base.size()))) return std::nullopt;
  std::string out;
  ZSTD_inBuffer in{patch.data(), patch.size(), 0};
  char buf[16384];
  std::size_t last = 1;
  while (in.pos < in.size) {
    ZSTD_outBuffer o{buf, sizeof buf, 0};
    last = ZSTD_decompressStream(d.get(), &o, &in);
    if (ZSTD_isError(last)) return std::nullopt;
    if (out.size() + o.pos > max_size) return std::nullopt;
    out.append(buf, o.pos);
    if (last == 0 && in.pos < in.size) return std::nullopt;  // one frame, nothing after it
    if (o.pos == 0 && last != 0 && in.pos == in.size) break;
  }
  // Flush what the decoder still holds.
  while (last != 0) {
    ZSTD_outBuffer o{buf, sizeof buf, 0};
    last = ZSTD_decompressStream(d.get(), &o, &in);
    if (ZSTD_isError(last)) return std::nullopt;
    if (out.size() + o.pos > max_size) return std::nullopt;
    out.append(buf, o.pos);
    if (o.pos == 0 && last != 0) return std::nullopt;  // cut short
  }
  return out;
}

}  // namespace parta::content
