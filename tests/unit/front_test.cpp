#include "http/front.hpp"

#include <gtest/gtest.h>

namespace parta::http {
namespace {

TEST(Front, TheVisitorsAddressIsBelievedFromTheFrontOnly) {
  FrontOptions front{{"127.0.0.1"}, "/_accel/blobs/", "/var/lib/parta/blobs/"};
  bool via = true;
  EXPECT_EQ(client_address(front, "127.0.0.1", "10.42.0.17", &via), "10.42.0.17");
  EXPECT_TRUE(via);
  // The same front seen over IPv6-mapped IPv4.
  EXPECT_EQ(client_address(front, "::ffff:127.0.0.1", "10.42.0.17", &via), "10.42.0.17");
  EXPECT_TRUE(via);
  // A phone talking to partad directly cannot pose as someone else.
  EXPECT_EQ(client_address(front, "10.42.0.99", "10.42.0.17", &via), "10.42.0.99");
  EXPECT_FALSE(via);
  // Without the header (a test or a tool on the box itself), the peer is the visitor.
  EXPECT_EQ(client_address(front, "127.0.0.1", "", &via), "127.0.0.1");
  EXPECT_FALSE(via);
  // A header that is not an address is not believed.
  EXPECT_EQ(client_address(front, "127.0.0.1", "10.42.0.17, 1.2.3.4", &via), "127.0.0.1");
  EXPECT_FALSE(via);
  // No front configured: nobody's header counts.
  EXPECT_EQ(client_address({}, "127.0.0.1", "10.42.0.17", &via), "127.0.0.1");
  EXPECT_FALSE(via);
}

TEST(Front, StoredFilesGoToTheFrontsInternalLocation) {
  FrontOptions front{{"127.0.0.1"}, "/_accel/blobs/", "/var/lib/parta/blobs/"};
  std::string sha(64, 'a');
  EXPECT_EQ(accel_target(front, "/var/lib/parta/blobs/aa/" + sha), "/_accel/blobs/aa/" + sha);
  // Files elsewhere (the hub's return bundles) and odd names are sent by partad itself.
  EXPECT_FALSE(accel_target(front, "/var/lib/parta/sync/return/x/y.ptb"));
  EXPECT_FALSE(accel_target(front, "/var/lib/parta/blobs/../parta.db"));
  EXPECT_FALSE(accel_target(front, "/var/lib/parta/blobs/aa/a b"));
  EXPECT_FALSE(accel_target(front, "/var/lib/parta/blobs-other/aa/" + sha));
  EXPECT_FALSE(
      accel_target({{"127.0.0.1"}, "", "/var/lib/parta/blobs/"}, "/var/lib/parta/blobs/aa/" + sha));
}

TEST(Front, AddressLiterals) {
  EXPECT_TRUE(is_ip_address("127.0.0.1"));
  EXPECT_TRUE(is_ip_address("::1"));
  EXPECT_FALSE(is_ip_address("localhost"));
  EXPECT_FALSE(is_ip_address("127.0.0.1:80"));
  EXPECT_FALSE(is_ip_address(""));
}

}  // namespace
}  // namespace parta::http
