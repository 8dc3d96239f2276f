// The C ABI's firewall from the inside: every kind of exception becomes an hq_status and a
// one-line last error, and recording an error never overflows its fixed buffer.
#include <gtest/gtest.h>

#include <new>
#include <stdexcept>
#include <string>

#include "capi.hpp"

namespace {

using houqin::capi::guard;

TEST(Firewall, HouqinErrorsKeepTheirCodeAndMessage) {
  EXPECT_EQ(
      guard([] { houqin::fail(houqin::ErrorCode::conflict, "site_room 7: version 1 is stale"); }),
      HQ_CONFLICT);
  EXPECT_EQ(hq_last_error()->code, HQ_CONFLICT);
  EXPECT_STREQ(hq_last_error()->message, "site_room 7: version 1 is stale");
  EXPECT_EQ(guard([] { houqin::fail(houqin::ErrorCode::deadline_exceeded, "timeout"); }),
            HQ_DEADLINE_EXCEEDED);
}

TEST(Firewall, OutOfMemoryIsResourceExhausted) {
  EXPECT_EQ(guard([] { throw std::bad_alloc(); }), HQ_RESOURCE_EXHAUSTED);
  EXPECT_STREQ(hq_last_error()->message, "out of memory");
}

TEST(Firewall, OtherExceptionsAreInternal) {
  EXPECT_EQ(guard([] { throw std::logic_error("vector::at"); }), HQ_INTERNAL);
  EXPECT_STREQ(hq_last_error()->message, "internal error: vector::at");
  EXPECT_EQ(guard([] { throw 42; }), HQ_INTERNAL);
  EXPECT_STREQ(hq_last_error()->message, "internal error: unknown exception");
}

TEST(Firewall, SuccessClearsTheLastError) {
  guard([] { throw std::bad_alloc(); });
  EXPECT_EQ(guard([] {}), HQ_OK);
  EXPECT_EQ(hq_last_error()->code, HQ_OK);
  EXPECT_STREQ(hq_last_error()->message, "");
}

TEST(Firewall, MessagesAreOneLine) {
  guard([] { houqin::fail(houqin::ErrorCode::internal, "first line\nsecond line"); });
  EXPECT_STREQ(hq_last_error()->message, "first line");
}

TEST(Firewall, AMessageStartingWithALineBreakKeepsItsText) {
  // e.g. an operation name from the input that starts with "\r" (found by fuzzing)
  guard([] { houqin::fail(houqin::ErrorCode::not_found, "\r\nx.y: unknown operation\nmore"); });
  EXPECT_STREQ(hq_last_error()->message, "x.y: unknown operation");
}

TEST(Firewall, AFailureNeverHasAnEmptyMessage) {
  guard([] { houqin::fail(houqin::ErrorCode::invalid_argument, "\n\n"); });
  EXPECT_EQ(hq_last_error()->code, HQ_INVALID_ARGUMENT);
  EXPECT_STREQ(hq_last_error()->message, "invalid_argument");
}

TEST(Firewall, LongMessagesAreCutWithoutSplittingACharacter) {
  std::string long_text;
  for (int i = 0; i < 1000; ++i) long_text += "中";  // 3 bytes each
  guard([&] { houqin::fail(houqin::ErrorCode::invalid_argument, long_text); });
  std::string got = hq_last_error()->message;
  EXPECT_GT(got.size(), 900u);
  EXPECT_LT(got.size(), 1024u);
  EXPECT_EQ(got.size() % 3, 0u);
  EXPECT_EQ(long_text.rfind(got, 0), 0u);
}

}  // namespace
