// Domain events to Python callbacks: bind_event<E> binds a described event struct as a class (see
// bind_struct) and lets Store.subscribe(EventClass, callback) deliver it. Events arrive on the
// publishing thread, after the commit; the callback runs with the GIL taken, and an exception it
// raises goes to sys.unraisablehook (printed by default): it never reaches the publisher, never
// stops delivery to other subscribers and never crashes the process.
#pragma once

#include <functional>
#include <memory>
#include <mutex>

#include "describe.hpp"
#include "houqin/core/events.hpp"
#include "store.hpp"

namespace houqin::python {

/// A Python object that takes the GIL to let go of its reference (the bus may drop its handlers
/// on any thread).
struct GilObject {
  py::object object;
  explicit GilObject(py::object o) : object(std::move(o)) {}
  ~GilObject() {
    if (!Py_IsInitialized()) {
      object.release();  // the interpreter is gone: leak rather than crash
      return;
    }
    py::gil_scoped_acquire gil;
    object = py::object();
  }
};

/// Calls `callback(make())` with the GIL; reports instead of raising.
void deliver_event(const GilObject& callback, const std::function<py::object()>& make);

using EventSubscriber = std::function<Subscription(EventBus&, std::shared_ptr<GilObject>)>;
void add_event_binding(py::handle cls, EventSubscriber subscribe);

template <DescribedStruct E>
py::class_<E> bind_event(py::module_ scope, const char* name, const char* doc) {
  auto cls = bind_struct<E>(scope, name, doc);
  add_event_binding(cls, [](EventBus& bus, std::shared_ptr<GilObject> callback) {
    return bus.subscribe<E>(
        [callback](const E& e) { deliver_event(*callback, [&] { return py::cast(e); }); });
  });
  return cls;
}

/// Subscribes `callback` to the events of `event_class` (a class from bind_event) and returns a
/// houqin.Subscription. Called with the GIL; releases it and calls `with_bus(f)`, which must call
/// f(bus) with the bus to subscribe on (holding whatever lock keeps it alive).
/// Error(invalid_argument) for a class that is not an event class or a callback that is not
/// callable.
using WithBus = std::function<void(const std::function<void(EventBus&)>&)>;
py::object subscribe_events(const WithBus& with_bus, py::handle event_class, py::object callback);

void init_events(py::module_& m);

}  // namespace houqin::python
