// The start page's kept bodies (web/page_cache.hpp): a body holds for its generation and its time
// only, an older view never replaces a newer body, and the cache stays within its bound.
#include "web/page_cache.hpp"

#include <gtest/gtest.h>

namespace parta::web {
namespace {

TEST(PageCache, HoldsForItsGenerationAndTimeOnly) {
  PageCache cache;
  EXPECT_FALSE(cache.find("home\n7", 3, 100));
  cache.store("home\n7", 3, 160, "<h1>Здравствуй, Артём!</h1>");
  EXPECT_EQ(cache.find("home\n7", 3, 100).value_or(""), "<h1>Здравствуй, Артём!</h1>");
  EXPECT_TRUE(cache.find("home\n7", 3, 160));   // the last second it holds for
  EXPECT_FALSE(cache.find("home\n7", 3, 161));  // a deadline passed, midnight, a minute
  EXPECT_FALSE(cache.find("home\n7", 4, 100));  // something was written since
  EXPECT_FALSE(cache.find("home\n8", 3, 100));  // another person's
}

TEST(PageCache, AnOlderViewDoesNotReplaceANewerBody) {
  PageCache cache;
  cache.store("home\n7", 5, 200, "new");
  cache.store("home\n7", 4, 200, "old");  // a slow view that read generation 4 ends last
  EXPECT_EQ(cache.find("home\n7", 5, 100).value_or(""), "new");
  cache.store("home\n7", 6, 200, "newer");
  EXPECT_EQ(cache.find("home\n7", 6, 100).value_or(""), "newer");
  EXPECT_EQ(cache.size(), 1u);
}

TEST(PageCache, KeepsAtMostItsBoundOldestGoingFirst) {
  PageCache cache(3);
  for (int i = 0; i < 5; ++i) cache.store("home\n" + std::to_string(i), 1, 100, "b");
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_FALSE(cache.find("home\n0", 1, 50));
  EXPECT_FALSE(cache.find("home\n1", 1, 50));
  EXPECT_TRUE(cache.find("home\n4", 1, 50));
}

}  // namespace
}  // namespace parta::web
