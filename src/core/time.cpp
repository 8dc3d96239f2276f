#include "houqin/core/time.hpp"

#include <cstdio>

#include "houqin/core/error.hpp"

namespace houqin {
namespace {

using namespace std::chrono;

[[noreturn]] void bad(std::string_view text, const char* why) {
  fail(ErrorCode::invalid_argument, "'" + std::string(text) + "' is not a valid " + why);
}

// Reads exactly n digits at pos; false on anything else.
bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

bool parse_ymd(std::string_view s, year_month_day& ymd) {
  int y = 0, m = 0, d = 0;
  if (!digits(s, 0, 4, y) || s.size() < 10 || s[4] != '-' || !digits(s, 5, 2, m) || s[7] != '-' ||
      !digits(s, 8, 2, d))
    return false;
  ymd = year{y} / month{static_cast<unsigned>(m)} / day{static_cast<unsigned>(d)};
  return ymd.ok();
}

}  // namespace

std::string format_timestamp(Timestamp t) {
  auto day_point = floor<days>(t);
  year_month_day ymd{day_point};
  hh_mm_ss<microseconds> tod{t - day_point};
  char buf[40];
  int n =
      std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d", static_cast<int>(ymd.year()),
                    static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                    static_cast<int>(tod.hours().count()), static_cast<int>(tod.minutes().count()),
                    static_cast<int>(tod.seconds().count()));
  std::string out(buf, static_cast<std::size_t>(n));
  if (auto us = tod.subseconds().count(); us != 0) {
    std::snprintf(buf, sizeof buf, ".%06lld", static_cast<long long>(us));
    out += buf;
  }
  out += 'Z';
  return out;
}

Timestamp parse_timestamp(std::string_view s) {
  const char* what = "ISO-8601 UTC timestamp (expected YYYY-MM-DDTHH:MM:SS[.ffffff](Z|+hh:mm))";
  year_month_day ymd;
  int hh = 0, mm = 0, ss = 0;
  if (!parse_ymd(s, ymd) || s.size() < 20 || (s[10] != 'T' && s[10] != ' ') ||
      !digits(s, 11, 2, hh) || s[13] != ':' || !digits(s, 14, 2, mm) || s[16] != ':' ||
      !digits(s, 17, 2, ss))
    bad(s, what);
  if (hh > 23 || mm > 59 || ss > 59) bad(s, what);
  std::size_t pos = 19;
  long long micros = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    std::size_t n = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (n < 6) micros = micros * 10 + (s[pos] - '0');
      ++n;
      ++pos;
    }
    if (n == 0 || n > 9) bad(s, what);
    for (std::size_t i = n; i < 6; ++i) micros *= 10;
  }
  int offset_minutes = 0;
  if (pos < s.size() && s[pos] == 'Z') {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh = 0, om = 0;
    if (!digits(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !digits(s, pos + 4, 2, om) || oh > 23 || om > 59)
      bad(s, what);
    offset_minutes = (oh * 60 + om) * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    bad(s, what);  // a time without a zone is ambiguous in a hospital spanning time changes
  }
  if (pos != s.size()) bad(s, what);
  auto t = sys_days{ymd} + hours{hh} + minutes{mm} + seconds{ss} + microseconds{micros} -
           minutes{offset_minutes};
  return time_point_cast<microseconds>(t);
}

std::string format_date(Date d) {
  year_month_day ymd{d};
  char buf[16];
  int n = std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                        static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return std::string(buf, static_cast<std::size_t>(n));
}

Date parse_date(std::string_view s) {
  year_month_day ymd;
  if (s.size() != 10 || !parse_ymd(s, ymd)) bad(s, "date (expected YYYY-MM-DD)");
  return sys_days{ymd};
}

std::string format_duration(nanoseconds d) {
  std::string out;
  // The magnitude as unsigned, so the most negative value formats too.
  auto count = d.count();
  unsigned long long n = count < 0 ? 0ULL - static_cast<unsigned long long>(count)
                                   : static_cast<unsigned long long>(count);
  if (count < 0) out += '-';
  out += "PT";
  constexpr unsigned long long ns_per_s = 1'000'000'000ULL;
  unsigned long long h = n / (3600 * ns_per_s);
  n -= h * 3600 * ns_per_s;
  unsigned long long m = n / (60 * ns_per_s);
  n -= m * 60 * ns_per_s;
  unsigned long long s = n / ns_per_s, frac = n % ns_per_s;
  if (h != 0) out += std::to_string(h) + 'H';
  if (m != 0) out += std::to_string(m) + 'M';
  if (s != 0 || frac != 0 || (h == 0 && m == 0)) {
    out += std::to_string(s);
    if (frac != 0) {
      char buf[16];
      std::snprintf(buf, sizeof buf, ".%09llu", frac);
      std::string f(buf);
      while (f.back() == '0') f.pop_back();
      out += f;
    }
    out += 'S';
  }
  return out;
}

nanoseconds parse_duration(std::string_view s) {
  const char* what = "ISO-8601 duration (expected e.g. PT15M, PT1H30M, PT0.5S, P1D or P2W)";
  std::size_t pos = 0;
  bool negative = false;
  if (pos < s.size() && (s[pos] == '-' || s[pos] == '+')) negative = s[pos++] == '-';
  if (pos >= s.size() || s[pos] != 'P') bad(s, what);
  ++pos;
  // Units in the order they may appear; each at most once.
  struct Unit {
    char letter;
    bool time_part;
    unsigned long long ns;
  };
  static constexpr Unit units[] = {{'W', false, 604'800'000'000'000ULL},
                                   {'D', false, 86'400'000'000'000ULL},
                                   {'H', true, 3'600'000'000'000ULL},
                                   {'M', true, 60'000'000'000ULL},
                                   {'S', true, 1'000'000'000ULL}};
  constexpr unsigned long long limit = static_cast<unsigned long long>(nanoseconds::max().count());
  unsigned long long total = 0;
  std::size_t next_unit = 0;
  bool in_time = false, any = false;
  while (pos < s.size()) {
    if (s[pos] == 'T') {
      if (in_time) bad(s, what);
      in_time = true;
      ++pos;
      if (pos >= s.size()) bad(s, what);
      continue;
    }
    unsigned long long whole = 0, frac = 0;
    std::size_t ndigits = 0, nfrac = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (whole > limit / 10) bad(s, "duration (beyond +/-292 years)");
      whole = whole * 10 + static_cast<unsigned>(s[pos++] - '0');
      ++ndigits;
    }
    if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
      ++pos;
      while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
        if (nfrac < 9) frac = frac * 10 + static_cast<unsigned>(s[pos] - '0');
        ++nfrac;
        ++pos;
      }
      if (nfrac == 0 || nfrac > 9) bad(s, what);
    }
    if (ndigits == 0 || pos >= s.size()) bad(s, what);
    char letter = s[pos++];
    if (letter == 'Y' || (letter == 'M' && !in_time))
      bad(s, "duration (years and months have no fixed length; use days or weeks)");
    std::size_t u = next_unit;
    while (u < std::size(units) && units[u].letter != letter) ++u;
    if (u == std::size(units) || units[u].time_part != in_time) bad(s, what);
    if (nfrac != 0 && letter != 'S') bad(s, "duration (only the seconds may have a fraction)");
    for (std::size_t i = nfrac; i < 9; ++i) frac *= 10;
    if (whole > (limit - total) / units[u].ns) bad(s, "duration (beyond +/-292 years)");
    total += whole * units[u].ns;
    if (frac > limit - total) bad(s, "duration (beyond +/-292 years)");
    total += frac;  // frac is already in nanoseconds (only on S)
    next_unit = u + 1;
    any = true;
  }
  if (!any) bad(s, what);
  auto v = static_cast<long long>(total);
  return nanoseconds{negative ? -v : v};
}

}  // namespace houqin
