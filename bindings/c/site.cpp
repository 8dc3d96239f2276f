// hq_site_*: the hospital document (import, export) and its summary.
#include <fstream>
#include <sstream>

#include "capi.hpp"
#include "houqin/site/hospital.hpp"

using namespace houqin;
using capi::guard;
using capi::require;

namespace {

std::string report_json(const store::ImportReport& report) {
  return capi::dump(json::to_json(report));
}

}  // namespace

extern "C" {

hq_status hq_site_import_hospital(char** out_report_json, hq_store* store, const hq_actor* actor,
                                  const char* document_json) {
  if (out_report_json) *out_report_json = nullptr;
  return guard([&] {
    auto& h = capi::handle(store, "hq_site_import_hospital");
    const auto& who = capi::actor(actor, "hq_site_import_hospital");
    require(document_json, "hq_site_import_hospital", "document_json");
    auto document = json::parse(document_json, "document");
    store::ImportReport report;
    {
      std::lock_guard lock(h.mutex);
      report = site::import_hospital(*h.store, who, document);
    }
    if (out_report_json) *out_report_json = capi::copy_out(report_json(report));
  });
}

hq_status hq_site_import_hospital_file(char** out_report_json, hq_store* store,
                                       const hq_actor* actor, const char* path) {
  if (out_report_json) *out_report_json = nullptr;
  return guard([&] {
    auto& h = capi::handle(store, "hq_site_import_hospital_file");
    const auto& who = capi::actor(actor, "hq_site_import_hospital_file");
    require(path, "hq_site_import_hospital_file", "path");
    std::ifstream in(path, std::ios::binary);
    if (!in) fail(ErrorCode::not_found, std::string(path) + ": cannot open");
    std::ostringstream text;
    text << in.rdbuf();
    auto document = json::parse(text.str(), path);
    store::ImportReport report;
    {
      std::lock_guard lock(h.mutex);
      report = site::import_hospital(*h.store, who, document);
    }
    if (out_report_json) *out_report_json = capi::copy_out(report_json(report));
  });
}

hq_status hq_site_export_hospital(char** out_json, hq_store* store, const hq_actor* actor) {
  if (out_json) *out_json = nullptr;
  return guard([&] {
    require(out_json, "hq_site_export_hospital", "out_json");
    auto& h = capi::handle(store, "hq_site_export_hospital");
    const auto& who = capi::actor(actor, "hq_site_export_hospital");
    json::Json document;
    {
      std::lock_guard lock(h.mutex);
      document = site::export_hospital(*h.store, who);
    }
    *out_json = capi::copy_out(capi::dump(document));
  });
}

hq_status hq_site_summary(char** out_json, hq_store* store) {
  if (out_json) *out_json = nullptr;
  return guard([&] {
    require(out_json, "hq_site_summary", "out_json");
    auto& h = capi::handle(store, "hq_site_summary");
    site::Summary summary;
    {
      std::lock_guard lock(h.mutex);
      summary = site::summarize(*h.store);
    }
    *out_json = capi::copy_out(json::to_json(summary).dump());
  });
}

}  // extern "C"
