// libFuzzer target for the C ABI's JSON entry points: hq_call (every registered operation by
// name), hq_entity_put/find/get/remove by entity name, and the hospital import. An input is one
// header line naming the entry point and its target, then the JSON:
//   call repair.report\n{"room_id": 3, ...}
//   put rooms\n{...}        find rooms\n{"where": [...]}        get rooms 12       remove rooms 12
//   1 import\n{"format": "houqin.hospital", ...}
// Every call must return HQ_OK or a described, non-internal failure with NULL outputs; anything
// else (a crash, a sanitizer report, HQ_INTERNAL, an empty message) is a finding. For hq_call the
// target is also differential: the operation's published schemas (hq_operation) must agree with
// what it does, so accepting an input that the strict parser or the input schema refuses, or
// returning an output that its output schema refuses, is a finding too. Seeds:
// tests/fuzz/corpus; the dictionary tests/fuzz/c_api.dict. Built only in the clang sanitizer build
// (./dev.sh sanitize).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "houqin/core/error.hpp"
#include "houqin/core/json.hpp"
#include "houqin/houqin.h"

namespace {

hq_store* store = nullptr;
hq_actor* actor = nullptr;

[[noreturn]] void finding(const char* what, std::string_view header, hq_status s) {
  std::fprintf(stderr, "FINDING: %s after \"%.*s\": status %d (%s), message \"%s\"\n", what,
               static_cast<int>(header.size()), header.data(), static_cast<int>(s),
               hq_status_name(s), hq_last_error()->message);
  std::abort();
}

/// The contract every entry point keeps, whatever the input.
void check(hq_status s, const char* out, std::string_view header) {
  const hq_error* e = hq_last_error();
  if (e->code != s) finding("last error code differs from the status", header, s);
  if (s == HQ_OK) {
    if (e->message[0] != '\0') finding("a message after success", header, s);
    return;
  }
  if (s == HQ_INTERNAL) finding("an internal error", header, s);
  if (s < HQ_DEADLINE_EXCEEDED || s > 0) finding("an unknown status", header, s);
  if (e->message[0] == '\0') finding("a failure without a message", header, s);
  if (std::strchr(e->message, '\n')) finding("a message of more than one line", header, s);
  if (out != nullptr) finding("an output left set after a failure", header, s);
}

/// The input and output schemas of an operation, as hq_operation publishes them; nullopt for a
/// name it does not know.
const std::optional<std::pair<houqin::json::Json, houqin::json::Json>>& schemas(
    const std::string& op) {
  static std::map<std::string, std::optional<std::pair<houqin::json::Json, houqin::json::Json>>>
      cache;
  auto [it, fresh] = cache.try_emplace(op);
  if (fresh) {
    char* text = nullptr;
    if (hq_operation(&text, op.c_str()) == HQ_OK) {
      auto d = houqin::json::parse(text, "hq_operation");
      it->second.emplace(d["input"], d["output"]);
    }
    hq_free(text);
  }
  return it->second;
}

/// What hq_call did must agree with the operation's schemas and the strict parser.
void check_call(hq_status s, const std::string& op, const char* json, const char* out,
                std::string_view header) {
  if (s != HQ_OK) return;  // a refusal may be semantic (a missing room): no schema can say
  const auto& sc = schemas(op);
  if (!sc) finding("a call succeeded for an operation hq_operation does not know", header, s);
  houqin::json::Json in = houqin::json::Json::object();  // NULL input is {}
  if (json) {
    try {
      in = houqin::json::parse(json, op);
    } catch (const houqin::Error&) {
      finding("a call accepted text the strict parser refuses", header, s);
    }
  }
  if (std::string why = houqin::json::conforms(sc->first, in); !why.empty()) {
    std::fprintf(stderr, "input schema says: %s\n", why.c_str());
    finding("a call accepted an input its input schema refuses", header, s);
  }
  if (out) {
    std::string why = houqin::json::conforms(sc->second, houqin::json::parse(out, op));
    if (!why.empty()) {
      std::fprintf(stderr, "output schema says: %s\n", why.c_str());
      finding("a call returned an output its output schema refuses", header, s);
    }
  }
}

void fail_setup(const char* what) {
  std::fprintf(stderr, "fuzz setup: %s failed: %s\n", what, hq_last_error()->message);
  std::exit(1);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // The sample hospital has personal data, sealed with a key: a fixed test key unless set.
  setenv("HOUQIN_KEYS", "fuzz WlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlo=", 0);
  if (hq_store_open(&store, "sqlite::memory:", nullptr) != HQ_OK) fail_setup("hq_store_open");
  if (hq_store_migrate(nullptr, store) != HQ_OK) fail_setup("hq_store_migrate");
  // Every permission the operations and entities need, as one trusted service actor.
  // Every permission an operation or entity may check (not auth.*: accounts stay as they are).
  if (hq_actor_service(&actor, "fuzz",
                       "[\"asset.edit\",\"audit.read\",\"audit.verify\",\"inventory.edit\","
                       "\"inventory.issue\",\"notify.send\",\"protect.integrity\","
                       "\"protect.unmask\",\"repair.close\",\"repair.configure\","
                       "\"repair.dispatch\",\"repair.report\",\"repair.work\",\"site.edit\","
                       "\"site.read_personal\",\"telemetry.ack\",\"telemetry.configure\","
                       "\"telemetry.read\",\"telemetry.shelve\"]") != HQ_OK)
    fail_setup("hq_actor_service");
#ifdef HOUQIN_SAMPLE_HOSPITAL
  if (hq_site_import_hospital_file(nullptr, store, actor, HOUQIN_SAMPLE_HOSPITAL) != HQ_OK)
    fail_setup("hq_site_import_hospital_file");
#endif
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // The C API takes NUL-terminated strings: the input up to its first NUL.
  std::string input(reinterpret_cast<const char*>(data), size);
  input.resize(std::strlen(input.c_str()));
  const std::size_t nl = input.find('\n');
  const std::string header = input.substr(0, nl);
  const std::string body = nl == std::string::npos ? std::string() : input.substr(nl + 1);
  const std::size_t sp = header.find(' ');
  const std::string verb = header.substr(0, sp);
  std::string target = sp == std::string::npos ? std::string() : header.substr(sp + 1);
  long long id = 0, version = 0;
  if (const std::size_t sp2 = target.find(' '); sp2 != std::string::npos) {
    std::sscanf(target.c_str() + sp2 + 1, "%lld %lld", &id, &version);
    target.resize(sp2);
  }
  const char* json = nl == std::string::npos ? nullptr : body.c_str();
  char* out = nullptr;
  hq_status s = HQ_OK;
  if (verb == "call") {
    s = hq_call(&out, store, actor, target.c_str(), json);
    check_call(s, target, json, out, header);
  } else if (verb == "put") {
    s = hq_entity_put(&out, store, actor, target.c_str(), json ? json : "");
  } else if (verb == "find") {
    s = hq_entity_find(&out, store, actor, target.c_str(), json);
  } else if (verb == "get") {
    s = hq_entity_get(&out, store, actor, target.c_str(), id);
  } else if (verb == "remove") {
    s = hq_entity_remove(store, actor, target.c_str(), id, version);
  } else if (verb == "import") {
    s = hq_site_import_hospital(&out, store, actor, json ? json : "");
  } else {
    return -1;  // not an input of this format: not added to the corpus
  }
  check(s, out, header);
  hq_free(out);
  return 0;
}
