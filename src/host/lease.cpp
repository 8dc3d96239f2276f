// Leases with expiry (see lease.hpp).
#include "houqin/host/lease.hpp"

#include <unistd.h>

#include <cstdio>
#include <random>

#include "houqin/store/catalog.hpp"
#include "houqin/store/repository.hpp"

namespace houqin::host {
namespace {

[[maybe_unused]] const bool lease_table_registered = store::register_tables<Lease>("host");

}  // namespace

std::optional<Lease> find_lease(store::Store& store, const std::string& name) {
  auto found = store::Repository<Lease>(store).find(
      store::Query<Lease>().where(&Lease::name, store::Op::eq, name));
  if (found.empty()) return std::nullopt;
  return found.front();
}

bool acquire_lease(store::Store& store, const std::string& name, const std::string& holder,
                   std::chrono::milliseconds ttl) {
  if (name.empty() || holder.empty())
    fail(ErrorCode::invalid_argument, "lease: name and holder must not be empty");
  if (ttl <= std::chrono::milliseconds{0})
    fail(ErrorCode::invalid_argument, "lease " + name + ": ttl must be positive");
  const Timestamp now = store.clock().now();
  store::Repository<Lease> leases(store);
  try {
    auto current = find_lease(store, name);
    if (!current) {
      Lease l{0, 0, name, holder, now + ttl, now, 1};
      leases.insert(l);
      return true;
    }
    Lease l = *current;
    if (l.holder != holder) {
      if (now < l.expires_at) return false;  // held by a live host
      l.holder = holder;
      l.acquired_at = now;
      ++l.epoch;
    }
    l.expires_at = now + ttl;
    leases.update(l);  // the version check: another host changed it since we read it
    return true;
  } catch (const Error& e) {
    if (e.code() == ErrorCode::conflict || e.code() == ErrorCode::already_exists) return false;
    throw;
  }
}

void release_lease(store::Store& store, const std::string& name, const std::string& holder) {
  auto l = find_lease(store, name);
  if (!l || l->holder != holder) return;
  l->expires_at = store.clock().now();
  try {
    store::Repository<Lease>(store).update(*l);
  } catch (const Error& e) {
    if (e.code() != ErrorCode::conflict) throw;  // already taken over: nothing to give up
  }
}

std::string make_holder_id() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) std::snprintf(host, sizeof host, "unknown");
  std::random_device rd;
  char tail[16];
  std::snprintf(tail, sizeof tail, "%08x", static_cast<unsigned>(rd()));
  return std::string(host) + ":" + std::to_string(::getpid()) + ":" + tail;
}

}  // namespace houqin::host
