#pragma once
// A file sent as the difference from one the receiver holds: zstd with the old file as its
// reference ("patch from"), so a new version of a content pack's manifest that changes three
// items of five hundred travels in a few hundred bytes instead of its whole 24 KB of hashes.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace parta::content {

// The patch that makes `target` from `base`. Throws std::runtime_error (out of memory).
std::string make_patch(std::string_view base, std::string_view target);
// `target` again from `base` and a patch (untrusted: fuzzed). nullopt when the patch is damaged,
// made from another base, or would make more than `max_size` bytes.
std::optional<std::string> apply_patch(std::string_view base, std::string_view patch,
                                       std::size_t max_size);

}  // namespace parta::content
