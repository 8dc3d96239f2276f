// The inspection domain's operations in the service registry: the knowledge base (templates),
// routes, plans, tags, meter readings, the generator, the inspector's scans and completion, the
// supervisor's exemptions, compliance, and an inspection point's label.
#include "houqin/audit/call.hpp"
#include "houqin/inspection/planner.hpp"
#include "houqin/label/label.hpp"
#include "houqin/service/document.hpp"
#include "houqin/service/registry.hpp"
#include "houqin/store/repository.hpp"

namespace houqin::inspection {
namespace {

using service::CodeInput;
using service::Context;
using service::define;
using service::DocumentFormat;

struct DocumentInput {
  static constexpr std::array<std::string_view, 1> required_fields{"query"};
  ComplianceInput query;
  DocumentFormat format = DocumentFormat::html;
};
BOOST_DESCRIBE_STRUCT(DocumentInput, (), (query, format))
struct TagLabelInput {
  static constexpr std::array<std::string_view, 1> required_fields{"uid"};
  std::string uid;
};
BOOST_DESCRIBE_STRUCT(TagLabelInput, (), (uid))

/// A quiet, authorised read (no audit record unless it fails).
template <class F>
auto read(Context& c, const char* action, F&& f) {
  return audit::audited(c.store, c.actor, action, [&](audit::Call& call) {
    call.require("inspection.read");
    call.quiet();
    return f();
  });
}

/// The label beside an inspection point's tag: where it is and which tag, so a point without its
/// tag is noticed; its QR code names the point for the app (a printed code proves nothing about
/// presence: only the tag's scan does).
label::Label point_label(store::Store& s, const Tag& tag) {
  label::Label l;
  l.symbology = label::Symbology::qr;
  std::string where = "-", code;
  if (tag.room_id) {
    auto r = store::Repository<site::Room>(s).require(*tag.room_id);
    where = r.code + " " + r.name;
    code = "room:" + r.code;
  } else if (tag.asset_id) {
    auto a = store::Repository<asset::Asset>(s).require(*tag.asset_id);
    where = a.code + " " + a.name;
    code = "asset:" + a.code;
  }
  l.title = "巡检点";
  l.code = "houqin-point:" + code;
  l.fields = {{"位置", where},
              {"NFC", tag.uid + (tag.weak ? " (弱)" : "")},
              {"类型", std::string(enum_name(tag.type))}};
  return l;
}

[[maybe_unused]] const bool operations_registered[] = {
    define<TemplateInput>("inspection.save_template", "inspection.configure",
                          "Save a checklist template: a new revision of its code",
                          [](Context& c, const TemplateInput& in) {
                            return Planner(c.store).save_template(c.actor, in);
                          }),
    define<Route>(
        "inspection.save_route", "inspection.configure",
        "Create or change a route: ordered points (rooms or assets) for rounds",
        [](Context& c, const Route& in) { return Planner(c.store).save_route(c.actor, in); }),
    define<Plan>(
        "inspection.save_plan", "inspection.configure",
        "Create or change a plan (by code): what it inspects, its triggers, lead time, window "
        "and assignment",
        [](Context& c, const Plan& in) { return Planner(c.store).save_plan(c.actor, in); }),
    define<MeterInput>("inspection.record_meter", "inspection.record",
                       "Record a meter or condition reading of a point",
                       [](Context& c, const MeterInput& in) {
                         return Planner(c.store).record_meter(c.actor, in);
                       }),
    define<service::NoInput>(
        "inspection.generate", "inspection.configure",
        "Issue the tasks that are due now and mark closed windows missed (what the host's job "
        "inspection.generate does)",
        [](Context& c, const service::NoInput&) { return Planner(c.store).generate(c.actor); }),
    define<Tag>(
        "inspection.register_tag", "inspection.configure",
        "Register an NFC tag bound to one point (a room or an asset); 4-byte UIDs are flagged "
        "weak",
        [](Context& c, const Tag& in) { return Planner(c.store).register_tag(c.actor, in); }),
    define<ProvisionInput>(
        "inspection.provision_tag", "inspection.configure",
        "Register an NTAG 424 DNA tag with keys diversified from a master key (not kept)",
        [](Context& c, const ProvisionInput& in) {
          return Planner(c.store).provision_tag(c.actor, in);
        }),
    define<ScanInput>(
        "inspection.scan", "inspection.perform",
        "A tap of a tag's UID for a task: recorded, and counted when it is the right point, "
        "inside the window and walkable from the last",
        [](Context& c, const ScanInput& in) { return Planner(c.store).scan(c.actor, in); }),
    define<SunScanInput>(
        "inspection.scan_sun", "inspection.perform",
        "A tap of an NTAG 424 DNA tag for a task: its SUN message verified (copied, altered, "
        "cloned and replayed taps do not count)",
        [](Context& c, const SunScanInput& in) { return Planner(c.store).scan_sun(c.actor, in); }),
    define<CompleteInput>(
        "inspection.complete", "inspection.perform",
        "Complete a task with its answers; failed items are published as findings",
        [](Context& c, const CompleteInput& in) { return Planner(c.store).complete(c.actor, in); }),
    define<ExemptInput>(
        "inspection.exempt", "inspection.supervise",
        "Exempt an open task with a reason (in use, not found, out of service, other)",
        [](Context& c, const ExemptInput& in) { return Planner(c.store).exempt(c.actor, in); }),
    define<CodeInput>("inspection.task", "inspection.read", "A task by code",
                      [](Context& c, const CodeInput& in) {
                        return read(c, "inspection.task", [&] {
                          auto t = store::Repository<Task>(c.store).find_one(
                              store::Query<Task>().where(&Task::code, store::Op::eq, in.code));
                          if (!t)
                            fail(ErrorCode::not_found, "inspection task " + in.code + " not found");
                          return *t;
                        });
                      }),
    define<ComplianceInput>(
        "inspection.compliance", "inspection.read",
        "Tasks due in a period per plan: done in time, late, missed, exempt, open, findings; "
        "the completion rate and the overdue list",
        [](Context& c, const ComplianceInput& in) {
          return read(c, "inspection.compliance", [&] { return Planner(c.store).compliance(in); });
        }),
    define<DocumentInput>(
        "inspection.compliance_document", "inspection.read",
        "Compliance as CSV (a line per plan) an HTML page with charts, XLSX or PDF",
        [](Context& c, const DocumentInput& in) {
          return read(c, "inspection.compliance", [&] {
            auto r = Planner(c.store).compliance(in.query);
            return service::render(
                in.format, r, "巡检合规报告", [&] { return to_csv(r); },
                [&] { return to_html(r); });
          });
        }),
    define<TagLabelInput>("inspection.label", "inspection.read",
                          "The label beside an inspection point's tag",
                          [](Context& c, const TagLabelInput& in) {
                            return read(c, "inspection.label", [&] {
                              auto tag = store::Repository<Tag>(c.store).find_one(
                                  store::Query<Tag>().where(&Tag::uid, store::Op::eq, in.uid));
                              if (!tag) fail(ErrorCode::not_found, "tag " + in.uid + " not found");
                              return point_label(c.store, *tag);
                            });
                          }),
};

}  // namespace
}  // namespace houqin::inspection
