// The whole platform at once: every domain's migrations in dependency order, for hosts that want
// all of houqin in one database (the C ABI and Python open stores this way), and the host that
// runs every domain's reactions and timed jobs.
#pragma once

#include <memory>
#include <vector>

#include "houqin/core/export.hpp"
#include "houqin/host/host.hpp"
#include "houqin/store/migration.hpp"
#include "houqin/wiring/wiring.hpp"

namespace houqin {

/// site, audit, auth, ... : each domain after the domains its tables reference.
HOUQIN_EXPORT std::vector<store::Migration> migrations();

/// What a platform host runs and how (the JSON a daemon, hq_host_open or houqin.Host is given).
struct HostConfig {
  host::HostOptions host;
  wiring::Options wiring;
};
BOOST_DESCRIBE_STRUCT(HostConfig, (), (host, wiring))

/// A host on `store` (a connection of its own, which must outlive it) with every reaction and
/// timed job of the platform installed, each acting as its domain's service actor: the wiring's
/// consumer and SLA job, and the event log's retention. Not started: call start() or run_once().
HOUQIN_EXPORT std::unique_ptr<host::Host> make_host(store::Store& store,
                                                    const HostConfig& config = {});

}  // namespace houqin
