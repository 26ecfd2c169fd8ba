// A file sent as its difference from one the receiver holds (content/delta): a manifest with three
// items changed of five hundred becomes a patch of a few hundred bytes that gives it back exactly;
// the wrong base, a cut or damaged patch, or one past the limit give nothing.
#include <gtest/gtest.h>

#include <random>

#include "content/delta.hpp"

namespace parta::content {
namespace {

std::string manifest(int version, std::initializer_list<int> changed) {
  std::mt19937 rnd(7);
  std::string out =
      "{\"id\":\"bench-reading\",\"version\":" + std::to_string(version) + ",\"items\":[";
  for (int i = 0; i < 500; ++i) {
    std::string sha;
    for (int k = 0; k < 64; ++k) sha += "0123456789abcdef"[rnd() % 16];
    for (int c : changed)
      if (c == i) sha.replace(0, 8, "deadbeef");
    out += (i ? "," : "") + std::string("{\"path\":\"items/") + std::to_string(i) +
           ".pdf\",\"title\":\"Текст " + std::to_string(i) + "\",\"sha256\":\"" + sha + "\"}";
  }
  return out + "]}";
}

TEST(Delta, AFewItemsChangedTravelInAFewHundredBytes) {
  std::string v1 = manifest(1, {}), v2 = manifest(2, {5, 50, 495});
  std::string patch = make_patch(v1, v2);
  EXPECT_LT(patch.size(), 600u) << v2.size();
  auto back = apply_patch(v1, patch, 1 << 20);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, v2);
}

TEST(Delta, TheWrongBaseADamagedOrCutPatchOrOnePastTheLimitGiveNothing) {
  std::string v1 = manifest(1, {}), v2 = manifest(2, {5});
  std::string patch = make_patch(v1, v2);
  EXPECT_FALSE(apply_patch(manifest(3, {7}), patch, 1 << 20));  // checksum: another base
  std::string damaged = patch;
  damaged[damaged.size() / 2] ^= 0x20;
  EXPECT_FALSE(apply_patch(v1, damaged, 1 << 20));
  EXPECT_FALSE(apply_patch(v1, patch.substr(0, patch.size() - 5), 1 << 20));
  EXPECT_FALSE(apply_patch(v1, patch, v2.size() - 1));
  EXPECT_FALSE(apply_patch(v1, "", 1 << 20));
  EXPECT_FALSE(apply_patch(v1, patch + patch, 1 << 20));  // one frame only
}

}  // namespace
}  // namespace parta::content
