// The protect domain's operations in the service registry.
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

[[maybe_unused]] const bool operations_registered[] = {
    define<service::NoInput>(
        "protect.check_integrity", "protect.integrity",
        "Run every integrity check; returns the findings with the ids involved",
        [](Context& ctx, const service::NoInput&) {
          return Findings{check_integrity(ctx.store, ctx.actor)};
        }),
};

}  // namespace
}  // namespace houqin::protect
