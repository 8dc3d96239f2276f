// The protect domain's operations in the service registry.
#include "houqin/protect/backup.hpp"
#include "houqin/protect/protect.hpp"
#include "houqin/service/registry.hpp"

namespace houqin::protect {
namespace {

using service::Context;
using service::define;

struct Findings {
  std::vector<Finding> findings;
};
BOOST_DESCRIBE_STRUCT(Findings, (), (findings))

struct VerifyBackupInput {
  static constexpr std::array<std::string_view, 1> required_fields{"file"};
  std::string file;  // a backup file on the machine running houqin
};
BOOST_DESCRIBE_STRUCT(VerifyBackupInput, (), (file))

[[maybe_unused]] const bool operations_registered[] = {
    define<service::NoInput>(
        "protect.check_integrity", "protect.integrity",
        "Run every integrity check; returns the findings with the ids involved",
        [](Context& ctx, const service::NoInput&) {
          return Findings{check_integrity(ctx.store, ctx.actor)};
        }),
    define<VerifyBackupInput>(
        "protect.verify_backup", "protect.backup",
        "Check a backup file (manifest, every table's count and checksum, the audit chain, the "
        "schema versions) without restoring it; recorded in the audit log",
        [](Context& ctx, const VerifyBackupInput& in) {
          return verify_backup(ctx.store, ctx.actor, in.file);
        }),
};

}  // namespace
}  // namespace houqin::protect
