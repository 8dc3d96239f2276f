// Store.subscribe and houqin.Subscription (see events.hpp), plus houqin._core._testing: a test
// event published from C++ so the tests can check delivery without any domain's events.
#include "events.hpp"

#include <map>
#include <thread>

#include "houqin/store/store.hpp"

namespace houqin::python {

namespace testing {
struct TestEvent {
  Id id = 0;
  std::string text;
};
BOOST_DESCRIBE_STRUCT(TestEvent, (), (id, text))
}  // namespace testing

namespace {

std::map<PyObject*, EventSubscriber>& event_bindings() {
  static std::map<PyObject*, EventSubscriber> map;  // by Python class, alive for the process
  return map;
}

struct PySubscription {
  Subscription subscription;
  PySubscription() = default;
  PySubscription(PySubscription&&) = default;
  PySubscription& operator=(PySubscription&&) = default;
  // Collected with the GIL held: let it go while unsubscribing, as close() does.
  ~PySubscription() {
    if (subscription && PyGILState_Check()) close();
  }
  void close() {
    py::gil_scoped_release nogil;  // the bus may be delivering on another thread, under its lock
    subscription.reset();
  }
};

}  // namespace

void deliver_event(const GilObject& callback, const std::function<py::object()>& make) {
  bool raised = false;
  {
    py::gil_scoped_acquire gil;
    try {
      callback.object(make());
    } catch (py::error_already_set& e) {
      e.discard_as_unraisable("houqin event callback");
      raised = true;
    } catch (const std::exception& e) {
      PyErr_SetString(PyExc_RuntimeError, e.what());
      PyErr_WriteUnraisable(callback.object.ptr());
      raised = true;
    }
  }
  // Reported above; thrown on (without the GIL) so the bus counts it like any failed handler
  // (EventBus::failed_deliveries, a runtime's alarm_callback_errors). It never reaches the
  // publisher.
  if (raised) fail(ErrorCode::failed_precondition, "houqin event callback raised");
}

py::object subscribe_events(const WithBus& with_bus, py::handle event_class, py::object callback) {
  auto it = event_bindings().find(event_class.ptr());
  if (it == event_bindings().end())
    fail(ErrorCode::invalid_argument,
         "subscribe: " + py::str(event_class).cast<std::string>() + " is not an event class");
  if (!PyCallable_Check(callback.ptr()))
    fail(ErrorCode::invalid_argument, "subscribe: callback is not callable");
  auto cb = std::make_shared<GilObject>(std::move(callback));
  PySubscription sub;
  {
    py::gil_scoped_release nogil;
    with_bus([&](EventBus& bus) { sub.subscription = it->second(bus, std::move(cb)); });
  }
  return py::cast(std::move(sub));
}

void add_event_binding(py::handle cls, EventSubscriber subscribe) {
  event_bindings()[cls.ptr()] = std::move(subscribe);
}

void init_events(py::module_& m) {
  py::class_<PySubscription>(m, "Subscription",
                             "A live event subscription; close() (or the end of a with-block) "
                             "stops delivery.")
      .def("close", &PySubscription::close, "Stops delivery. Idempotent.")
      .def_property_readonly(
          "active", [](const PySubscription& s) { return static_cast<bool>(s.subscription); },
          "False after close().")
      .def(
          "__enter__", [](PySubscription& s) { return &s; }, py::return_value_policy::reference)
      .def("__exit__", [](PySubscription& s, py::handle, py::handle, py::handle) { s.close(); });

  auto store_cls = py::reinterpret_borrow<py::class_<StoreHandle, StorePtr>>(m.attr("Store"));
  store_cls.def(
      "subscribe",
      [](StoreHandle& h, py::handle event_class, py::object callback) {
        return subscribe_events(
            [&h](const std::function<void(EventBus&)>& f) {
              std::lock_guard lock(h.mutex);
              f(h.get().events());
            },
            event_class, std::move(callback));
      },
      py::arg("event_class"), py::arg("callback"),
      R"doc(Calls callback(event) for every event of that class this store publishes from now on,
after the commit of the transaction that published it, on the publishing thread. An exception
the callback raises is reported through sys.unraisablehook and does not reach the publisher.
Returns a Subscription (close it, or use it in a with-block).)doc");

  auto t = m.def_submodule("_testing", "Test hooks: not part of the API.");
  bind_event<testing::TestEvent>(t, "TestEvent", "An event the tests publish.");
  t.def(
      "publish",
      [](py::handle store, const std::string& text, int count, bool from_thread,
         bool in_transaction, bool commit) {
        auto& h = store_arg(store);
        with_store(h, [&](store::Store& s) {
          auto work = [&] {
            if (in_transaction) s.begin();
            for (int i = 0; i < count; ++i) s.events().publish(testing::TestEvent{i + 1, text});
            if (in_transaction) {
              if (commit)
                s.commit();
              else
                s.rollback();
            }
          };
          if (from_thread) {
            std::thread th(work);  // a thread Python has never seen
            th.join();
          } else {
            work();
          }
        });
      },
      py::arg("store"), py::arg("text"), py::kw_only(), py::arg("count") = 1,
      py::arg("from_thread") = false, py::arg("in_transaction") = false, py::arg("commit") = true,
      "Publishes TestEvents on the store's bus.");
}

}  // namespace houqin::python
