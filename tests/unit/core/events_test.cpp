#include "houqin/core/events.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace houqin {
namespace {

struct RoomCreated {
  int id;
};
struct StaffMoved {
  std::string who;
};

TEST(EventBus, DeliversByTypeAndStopsAfterUnsubscribe) {
  EventBus bus;
  std::vector<int> rooms;
  std::vector<std::string> moves;
  auto a = bus.subscribe<RoomCreated>([&](const RoomCreated& e) { rooms.push_back(e.id); });
  auto b = bus.subscribe<StaffMoved>([&](const StaffMoved& e) { moves.push_back(e.who); });
  bus.publish(RoomCreated{1});
  bus.publish(StaffMoved{"王芳"});
  a.reset();
  bus.publish(RoomCreated{2});
  EXPECT_EQ(rooms, std::vector<int>{1});
  EXPECT_EQ(moves, std::vector<std::string>{"王芳"});
}

TEST(EventBus, HeldEventsWaitForReleaseAndRollbackDropsThem) {
  EventBus bus;
  std::vector<int> seen;
  auto s = bus.subscribe<RoomCreated>([&](const RoomCreated& e) { seen.push_back(e.id); });
  bus.hold();
  bus.publish(RoomCreated{1});
  bus.hold();  // nested
  auto mark = bus.mark();
  bus.publish(RoomCreated{2});
  bus.discard_after(mark);  // inner savepoint rolled back
  bus.release(false);
  EXPECT_TRUE(seen.empty());
  bus.release(true);
  EXPECT_EQ(seen, std::vector<int>{1});

  bus.hold();
  bus.publish(RoomCreated{3});
  bus.release(false);
  bus.publish(RoomCreated{4});
  EXPECT_EQ(seen, (std::vector<int>{1, 4}));
}

TEST(EventBus, ThrowingHandlerDoesNotStopOthers) {
  EventBus bus;
  int delivered = 0;
  std::string reported;
  bus.on_handler_error([&](std::type_index, const std::exception& e) { reported = e.what(); });
  auto a = bus.subscribe<RoomCreated>([](const RoomCreated&) { throw std::runtime_error("boom"); });
  auto b = bus.subscribe<RoomCreated>([&](const RoomCreated&) { ++delivered; });
  bus.publish(RoomCreated{1});
  EXPECT_EQ(delivered, 1);
  EXPECT_EQ(reported, "boom");
  EXPECT_EQ(bus.failed_deliveries(), 1u);
}

TEST(EventBus, HandlersMayUnsubscribeThemselvesAndOutliveTheBus) {
  Subscription keep;
  {
    EventBus bus;
    int calls = 0;
    Subscription self;
    self = bus.subscribe<RoomCreated>([&](const RoomCreated&) {
      ++calls;
      self.reset();
    });
    bus.publish(RoomCreated{1});
    bus.publish(RoomCreated{2});
    EXPECT_EQ(calls, 1);
    keep = bus.subscribe<RoomCreated>([](const RoomCreated&) {});
  }
  keep.reset();  // the bus is gone: must not crash
  EXPECT_FALSE(keep);
}

}  // namespace
}  // namespace houqin
