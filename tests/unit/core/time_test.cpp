#include "houqin/core/time.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "houqin/core/clock.hpp"
#include "houqin/core/error.hpp"

namespace houqin {
namespace {

using namespace std::chrono;

TEST(Time, FormatsUtcWithMicrosecondsOnlyWhenPresent) {
  Timestamp t{sys_days{2026y / 11 / 25} + 18h + 29min + 9s};
  EXPECT_EQ(format_timestamp(t), "2026-11-25T18:29:09Z");
  EXPECT_EQ(format_timestamp(t + 1us), "2026-11-25T18:29:09.000001Z");
  EXPECT_EQ(format_timestamp(Timestamp{}), "1970-01-01T00:00:00Z");
  EXPECT_EQ(format_timestamp(Timestamp{-1s}), "1969-12-31T23:59:59Z");
}

TEST(Time, ParsesOffsetsIntoUtc) {
  Timestamp utc{sys_days{2026y / 1 / 1} + 0h};
  EXPECT_EQ(parse_timestamp("2026-01-01T08:00:00+08:00"), utc);
  EXPECT_EQ(parse_timestamp("2025-12-31T19:00:00-05:00"), utc);
  EXPECT_EQ(parse_timestamp("2026-01-01T00:00:00Z"), utc);
  EXPECT_EQ(parse_timestamp("2026-01-01T00:00:00.123Z"), utc + 123ms);
  EXPECT_EQ(parse_timestamp("2026-01-01T00:00:00.123456789Z"), utc + 123456us);
}

TEST(Time, RoundTripsEveryFormattedValue) {
  for (long long us : {0LL, 1LL, 999999LL, 1764000000123456LL, -86400000001LL}) {
    Timestamp t{microseconds{us}};
    EXPECT_EQ(parse_timestamp(format_timestamp(t)), t) << us;
  }
}

TEST(Time, RejectsAmbiguousOrImpossibleText) {
  for (const char* bad : {"2026-11-25T18:29:09", "2026-11-25", "2026-02-30T00:00:00Z",
                          "2026-11-25T24:00:00Z", "2026-11-25T18:29:09Zjunk",
                          "2026-11-25T18:29:09.Z", "", "yesterday", "2026-11-25T18:29:09+8"}) {
    try {
      parse_timestamp(bad);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::invalid_argument);
      EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << e.what();
    }
  }
}

TEST(Time, Dates) {
  EXPECT_EQ(format_date(sys_days{2026y / 11 / 25}), "2026-11-25");
  EXPECT_EQ(parse_date("2024-02-29"), sys_days{2024y / 2 / 29});
  EXPECT_THROW(parse_date("2026-02-29"), Error);
  EXPECT_THROW(parse_date("2026-1-5"), Error);
}

TEST(Clock, ManualClockMovesOnlyWhenTold) {
  ManualClock clock(parse_timestamp("2026-11-25T00:00:00Z"));
  auto t0 = clock.now();
  std::this_thread::sleep_for(2ms);
  EXPECT_EQ(clock.now(), t0);
  clock.advance(hours{24 * 365 * 3});
  EXPECT_EQ(format_timestamp(clock.now()), "2029-11-24T00:00:00Z");
  clock.set(t0);
  EXPECT_EQ(clock.now(), t0);
}

TEST(Clock, SystemClockIsNearWallTime) {
  auto a = time_point_cast<microseconds>(system_clock::now());
  auto b = houqin::system_clock().now();
  EXPECT_LT(abs((b - a).count()), 5'000'000);
}

TEST(Error, CodesHaveStableNames) {
  EXPECT_EQ(to_string(ErrorCode::invalid_argument), "invalid_argument");
  EXPECT_EQ(static_cast<int>(ErrorCode::conflict), 4);
  Error e(ErrorCode::not_found, "site_room 5: not found");
  EXPECT_EQ(e.code(), ErrorCode::not_found);
  EXPECT_STREQ(e.what(), "site_room 5: not found");
}

TEST(Duration, FormatsHoursMinutesSecondsAndRoundTripsToTheNanosecond) {
  EXPECT_EQ(format_duration(0ns), "PT0S");
  EXPECT_EQ(format_duration(90min), "PT1H30M");
  EXPECT_EQ(format_duration(250ms), "PT0.25S");
  EXPECT_EQ(format_duration(-5s), "-PT5S");
  EXPECT_EQ(format_duration(48h + 1ns), "PT48H0.000000001S");
  for (nanoseconds d : {0ns, 1ns, 999'999'999ns, nanoseconds(3723'000'000'123), -1ns,
                        nanoseconds::max(), nanoseconds::min() + 1ns})
    EXPECT_EQ(parse_duration(format_duration(d)), d) << format_duration(d);
}

TEST(Duration, ParsesDaysWeeksAndFractions) {
  EXPECT_EQ(parse_duration("P1D"), 24h);
  EXPECT_EQ(parse_duration("P2W"), 14 * 24h);
  EXPECT_EQ(parse_duration("P1DT2H3M4.5S"), 26h + 3min + 4500ms);
  EXPECT_EQ(parse_duration("PT15M"), 15min);
  EXPECT_EQ(parse_duration("PT0,5S"), 500ms);
  EXPECT_EQ(parse_duration("-PT1M"), -1min);
}

TEST(Duration, RefusesWhatHasNoFixedLengthOrIsMalformed) {
  auto message = [](const char* text) {
    try {
      parse_duration(text);
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::invalid_argument);
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_NE(message("P1Y").find("years and months"), std::string::npos);
  EXPECT_NE(message("P1M").find("years and months"), std::string::npos);
  EXPECT_NE(message("PT1.5M").find("only the seconds"), std::string::npos);
  EXPECT_NE(message("P300000W").find("292 years"), std::string::npos);
  for (const char* bad : {"", "P", "PT", "1H", "PT1", "PT1S2S", "PT1M1H", "P1H", "PTT1S", "PT.5S",
                          "PT1.S", "PT1.0000000001S", "P1DT", "PT1s", " PT1S"})
    EXPECT_NE(message(bad).find("ISO-8601 duration"), std::string::npos) << '"' << bad << '"';
}

}  // namespace
}  // namespace houqin
