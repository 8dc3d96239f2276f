// hq_last_error, hq_status_name, hq_free, hq_version_*: the parts every other function relies on.
#include <cstdlib>
#include <cstring>

#include "capi.hpp"
#include "houqin/core/library.hpp"
#include "houqin/platform.hpp"

namespace houqin::capi {
namespace {

// hq_status is ErrorCode negated; a code added on one side only must fail the build.
constexpr bool mirrors(hq_status s, ErrorCode c) {
  return static_cast<int>(s) == -static_cast<int>(c);
}
static_assert(mirrors(HQ_OK, ErrorCode::ok));
static_assert(mirrors(HQ_INVALID_ARGUMENT, ErrorCode::invalid_argument));
static_assert(mirrors(HQ_NOT_FOUND, ErrorCode::not_found));
static_assert(mirrors(HQ_ALREADY_EXISTS, ErrorCode::already_exists));
static_assert(mirrors(HQ_CONFLICT, ErrorCode::conflict));
static_assert(mirrors(HQ_PERMISSION_DENIED, ErrorCode::permission_denied));
static_assert(mirrors(HQ_FAILED_PRECONDITION, ErrorCode::failed_precondition));
static_assert(mirrors(HQ_UNAUTHENTICATED, ErrorCode::unauthenticated));
static_assert(mirrors(HQ_RESOURCE_EXHAUSTED, ErrorCode::resource_exhausted));
static_assert(mirrors(HQ_UNAVAILABLE, ErrorCode::unavailable));
static_assert(mirrors(HQ_DATA_LOSS, ErrorCode::data_loss));
static_assert(mirrors(HQ_INTERNAL, ErrorCode::internal));
static_assert(mirrors(HQ_UNIMPLEMENTED, ErrorCode::unimplemented));
static_assert(mirrors(HQ_DEADLINE_EXCEEDED, ErrorCode::deadline_exceeded));

// A fixed buffer per thread: recording an error must not allocate (it may report bad_alloc).
struct LastError {
  char text[1024] = "";
  hq_error error{HQ_OK, text};
};
thread_local LastError last;

/// Appends up to the first newline of `s` to text[len..], stopping before the buffer's end
/// without splitting a UTF-8 sequence.
std::size_t append_line(std::size_t len, std::string_view s) noexcept {
  constexpr std::size_t cap = sizeof(last.text) - 1;
  // A message may start with a line break when it starts with a name taken from the input (an
  // operation "\rx"): skip it rather than report nothing (found by fuzzing).
  if (auto start = s.find_first_not_of("\r\n"); start != std::string_view::npos)
    s.remove_prefix(start);
  else
    s = {};
  std::size_t n = s.find_first_of("\r\n");
  if (n == std::string_view::npos) n = s.size();
  if (len + n > cap) {
    n = cap - len;
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;  // continuation byte
  }
  if (n > 0) std::memcpy(last.text + len, s.data(), n);  // an empty view may have a null data()
  return len + n;
}

}  // namespace

hq_status set_error(hq_status code, std::string_view message, std::string_view prefix) noexcept {
  std::size_t len = append_line(0, prefix);
  len = append_line(len, message);
  // Never an empty message for a failure: at least the status's name.
  if (len == 0 && code != HQ_OK) len = append_line(0, hq_status_name(code));
  last.text[len] = '\0';
  last.error.code = code;
  last.error.message = last.text;
  return code;
}

void clear_error() noexcept {
  last.text[0] = '\0';
  last.error.code = HQ_OK;
}

void require(const void* p, const char* function, const char* name) {
  if (!p) fail(ErrorCode::invalid_argument, std::string(function) + ": " + name + " is NULL");
}

StoreHandle& handle(hq_store* s, const char* function) {
  require(s, function, "store");
  return *reinterpret_cast<StoreHandle*>(s);
}

char* copy_out(std::string_view s) {
  auto* p = static_cast<char*>(std::malloc(s.size() + 1));
  if (!p) throw std::bad_alloc();
  std::memcpy(p, s.data(), s.size());
  p[s.size()] = '\0';
  return p;
}

const auth::Actor& actor(const hq_actor* a, const char* function) {
  require(a, function, "actor");
  return reinterpret_cast<const ActorHandle*>(a)->actor;
}

std::string dump(const json::Json& j) {
  return j.dump(-1, ' ', false, json::Json::error_handler_t::replace);
}

const std::vector<store::Migration>& migrations() {
  static const std::vector<store::Migration> m = houqin::migrations();
  return m;
}

}  // namespace houqin::capi

extern "C" {

const hq_error* hq_last_error(void) {
  return &houqin::capi::last.error;
}

const char* hq_status_name(hq_status status) {
  if (status > 0 || status < HQ_DEADLINE_EXCEEDED) return "unknown";
  // to_string returns views of string literals, so data() is NUL-terminated and static.
  return houqin::to_string(static_cast<houqin::ErrorCode>(-static_cast<int>(status))).data();
}

void hq_free(void* ptr) {
  std::free(ptr);
}

// The version libhouqin-c was built as, which is what a host's HQ_VERSION_NUMBER must match.
static_assert(HQ_VERSION_NUMBER == HOUQIN_VERSION_NUMBER);

int hq_version_number(void) {
  return HQ_VERSION_NUMBER;
}

const char* hq_version_string(void) {
  return HQ_VERSION_STRING;
}

}  // extern "C"
