// The firewall every C ABI function goes through: argument checks, the thread-local last error,
// exception translation, and handing strings to the caller. Private to libhouqin-c.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "houqin/core/actor.hpp"
#include "houqin/core/error.hpp"
#include "houqin/houqin.h"
#include "houqin/store/migration.hpp"
#include "houqin/store/registry.hpp"
#include "houqin/store/store.hpp"

namespace houqin::capi {

/// What an hq_store* points to. The public struct hq_store is never defined, so the handle stays
/// opaque in the library's debug info too, and the ABI check does not see these members.
struct StoreHandle {
  std::unique_ptr<store::Store> store;
  // Serialises calls on one handle from several threads. Held only inside a call, never while
  // host code runs (callbacks are called after it is released), so callbacks may call back in.
  std::mutex mutex;
};

inline hq_store* to_c(StoreHandle* h) {
  return reinterpret_cast<hq_store*>(h);
}

/// What an hq_actor* points to: an immutable snapshot, so threads may share it without a lock.
struct ActorHandle {
  auth::Actor actor;
};

inline hq_actor* to_c(ActorHandle* h) {
  return reinterpret_cast<hq_actor*>(h);
}

/// The actor behind `a`; Error(invalid_argument, "<function>: actor is NULL") when it is null.
const auth::Actor& actor(const hq_actor* a, const char* function);

/// `j` as compact JSON text, invalid UTF-8 replaced rather than thrown on.
std::string dump(const json::Json& j);

/// The handle behind `s`; Error(invalid_argument, "<function>: store is NULL") when it is null.
StoreHandle& handle(hq_store* s, const char* function);

/// Records `code` and the first line of `prefix` + `message` as the calling thread's last error
/// and returns the code. Never allocates and never throws, so it is safe inside a catch block even
/// when out of memory.
hq_status set_error(hq_status code, std::string_view message,
                    std::string_view prefix = {}) noexcept;
void clear_error() noexcept;

/// Runs `body` (which returns void) as one C ABI call: resets the last error, and turns every
/// exception into an hq_status plus a last error, so none crosses the boundary.
template <class F>
hq_status guard(F&& body) noexcept {
  clear_error();
  try {
    body();
    return HQ_OK;
  } catch (const Error& e) {
    return set_error(static_cast<hq_status>(-static_cast<int>(e.code())), e.what());
  } catch (const std::bad_alloc&) {
    return set_error(HQ_RESOURCE_EXHAUSTED, "out of memory");
  } catch (const std::exception& e) {
    return set_error(HQ_INTERNAL, e.what(), "internal error: ");
  } catch (...) {
    return set_error(HQ_INTERNAL, "internal error: unknown exception");
  }
}

/// Error(invalid_argument, "<function>: <name> is NULL") when `p` is null.
void require(const void* p, const char* function, const char* name);

/// A malloc'ed NUL-terminated copy of `s`, for the caller to free with hq_free(); throws
/// std::bad_alloc when memory runs out.
char* copy_out(std::string_view s);

/// The StoreOptions that `opts` (NULL: the defaults) asks for, with keys from its key file or
/// else from HOUQIN_KEYS; Error(invalid_argument) naming `function` for a bad version or value.
store::StoreOptions store_options(const hq_store_options* opts, const char* function);

/// The migrations of every domain this library knows (houqin::migrations()).
const std::vector<store::Migration>& migrations();

}  // namespace houqin::capi
