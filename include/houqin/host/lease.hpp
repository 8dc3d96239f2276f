// Leases: one holder per name across every process sharing the store (houqin_lease), so that one
// host runs a consumer or the scheduler while the others stand by. A lease is a row with an expiry
// by the store's clock; its holder renews it well before it runs out (every ttl/3, say), and a
// standby takes it over once it has expired: with a 6 s ttl and renewal every 2 s, within 8 s of
// the holder's death. It works the same on SQLite and PostgreSQL and survives reconnects, which a
// session-level advisory lock would not. A lease alone does not make reactions exactly once (a
// holder that stalls past its expiry may still be running): consumers' version-checked
// checkpoints do that. `epoch` counts hand-overs, a fencing token for anything outside the store.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "houqin/core/describe.hpp"
#include "houqin/core/export.hpp"
#include "houqin/core/time.hpp"
#include "houqin/store/repository.hpp"
#include "houqin/store/store.hpp"

namespace houqin::host {

struct Lease {
  Id id = 0;
  std::int64_t version = 0;
  std::string name;    // "consumer:wiring", "scheduler"
  std::string holder;  // a host's id: "<hostname>:<pid>:<random>"
  Timestamp expires_at{};
  Timestamp acquired_at{};  // when this holder took it
  std::int64_t epoch = 0;   // +1 on every change of holder
};
BOOST_DESCRIBE_STRUCT(Lease, (), (id, version, name, holder, expires_at, acquired_at, epoch))

/// Takes the lease for `holder` if it is free or expired, or renews it if `holder` has it; true
/// when `holder` holds it until now + ttl afterwards. Never waits; a lost race is false.
HOUQIN_EXPORT bool acquire_lease(store::Store& store, const std::string& name,
                                 const std::string& holder, std::chrono::milliseconds ttl);
/// Gives the lease up (expires it now) if `holder` has it, so a standby need not wait.
HOUQIN_EXPORT void release_lease(store::Store& store, const std::string& name,
                                 const std::string& holder);
/// The lease row, if any holder ever took it.
HOUQIN_EXPORT std::optional<Lease> find_lease(store::Store& store, const std::string& name);
/// A holder id unique to this process and call: "<hostname>:<pid>:<8 random hex>".
HOUQIN_EXPORT std::string make_holder_id();

}  // namespace houqin::host

template <>
struct houqin::entity_traits<houqin::host::Lease> {
  static constexpr std::string_view table = "houqin_lease";
  static constexpr std::string_view collection = "leases";
  static constexpr std::array<std::string_view, 1> unique{"name"};
};

// Instantiated once, in libhouqin (src/host/entities.cpp).
HOUQIN_EXTERN_ENTITY(houqin::host::Lease)
