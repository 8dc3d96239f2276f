// houqin.site: the hospital model's entities (bound generically from their descriptions), import
// and export of a hospital document, the summary and knowledge-base search.
#include "houqin/site/hospital.hpp"

#include "module.hpp"
#include "store.hpp"

namespace houqin::python {

namespace {

template <class... Ts>
void bind_document(py::module_ scope, store::Document<Ts...>*) {
  bind_entities<Ts...>(scope);
}

}  // namespace

void init_site(py::module_& m) {
  auto site = m.def_submodule("site", "The hospital's digital model (基础档案).");
  bind_document(site, static_cast<site::HospitalDocument*>(nullptr));
  bind_struct<site::Summary>(site, "Summary", "Counts for a readable overview of a hospital.");

  site.def(
      "import_hospital",
      [](py::handle store, py::handle document) {
        auto& h = store_arg(store);
        store::ImportReport report;
        if (PyDict_Check(document.ptr())) {
          auto doc = py_to_json(document,
                                json::Path{nullptr, {}, static_cast<std::size_t>(-1), "document"});
          report = with_store(h, [&](store::Store& s) { return site::import_hospital(s, doc); });
        } else {
          std::string path = py::str(py::module_::import("os").attr("fspath")(document));
          report =
              with_store(h, [&](store::Store& s) { return site::import_hospital_file(s, path); });
        }
        return py_codec<store::ImportReport>::to(report);
      },
      py::arg("store"), py::arg("document"),
      "Imports a hospital document (a dict, or a path to its JSON file) all or nothing; returns "
      "{\"inserted\": rows per collection, \"total\": their sum}. Errors name the entry and "
      "field at fault.");
  site.def(
      "export_hospital",
      [](py::handle store, py::handle actor) {
        auto& h = store_arg(store);
        const auto& a = actor_arg(actor);
        auto doc = with_store(h, [&](store::Store& s) { return site::export_hospital(s, a); });
        return json_to_py(doc);
      },
      py::arg("store"), py::arg("actor"),
      "The whole site model as a hospital document (a dict); personal fields masked unless the "
      "actor holds protect.unmask. Audited.");
  site.def(
      "summarize",
      [](py::handle store) {
        auto& h = store_arg(store);
        return with_store(h, [](store::Store& s) { return site::summarize(s); });
      },
      py::arg("store"), "Counts of campuses, buildings, rooms (by type), staff (by skill), ...");
  site.def(
      "search_knowledge",
      [](py::handle store, const std::string& text, std::size_t limit) {
        auto& h = store_arg(store);
        return py_codec<std::vector<site::KnowledgeArticle>>::to(
            with_store(h, [&](store::Store& s) { return site::search_knowledge(s, text, limit); }));
      },
      py::arg("store"), py::arg("text"), py::arg("limit") = 20,
      "Knowledge articles whose title, body or tags contain the text, best first.");
}

}  // namespace houqin::python
