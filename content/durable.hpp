#pragma once
// Writing files so a power cut never leaves half of one under its final name: every writer in
// Parta (blobs, bundles, certificates, the watermark) goes through these.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace parta::content {

// Writes all n bytes, retrying short writes and EINTR; false on an error (errno says which).
bool write_all(int fd, const void* p, std::size_t n);
// Reads exactly n bytes, retrying short reads and EINTR; false on an error or an early end.
bool read_all(int fd, void* p, std::size_t n);
// fsync of a folder after a rename; filesystems that cannot (vfat on sticks: EINVAL, ENOTSUP) are
// let be. Throws std::runtime_error on a real failure.
void fsync_dir(const std::string& dir);
// fsync of a finished file. Throws std::runtime_error.
void fsync_file(const std::string& path);
// bytes → path: a temp file beside it, fsync, rename, fsync of the folder. Throws.
void write_file_durably(const std::string& path, std::string_view bytes, int mode = 0644);
// Bytes an unprivileged writer may still use on the filesystem holding `dir` (0 when unknown), for
// the reserve every writer of uploads, packs and bundles leaves free.
std::uint64_t free_space(const std::string& dir);

}  // namespace parta::content
