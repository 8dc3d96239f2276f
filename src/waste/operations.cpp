// The waste domain's operations in the service registry: every step of the chain of custody by
// bag code (what a scanner in any app reads), the manifests, the trace, the totals, the rules,
// and a bag's label.
#include "houqin/audit/call.hpp"
#include "houqin/label/label.hpp"
#include "houqin/service/document.hpp"
#include "houqin/service/registry.hpp"
#include "houqin/site/model.hpp"
#include "houqin/store/repository.hpp"
#include "houqin/waste/tracker.hpp"

namespace houqin::waste {
namespace {

using service::CodeInput;
using service::Context;
using service::define;
using service::DocumentFormat;

struct DocumentInput {
  static constexpr std::array<std::string_view, 1> required_fields{"report"};
  ReportInput report;
  DocumentFormat format = DocumentFormat::html;
};
BOOST_DESCRIBE_STRUCT(DocumentInput, (), (report, format))
const char* category_zh(Category c) {
  switch (c) {
    case Category::infectious:
      return "感染性废物";
    case Category::sharps:
      return "损伤性废物";
    case Category::pathological:
      return "病理性废物";
    case Category::pharmaceutical:
      return "药物性废物";
    case Category::chemical:
      return "化学性废物";
  }
  return "";
}

/// The label the law asks for: producing unit, department, category, time, weight, notes, and
/// the bag code as the symbol.
label::Label bag_label(store::Store& s, const Bag& b, const Rules& r) {
  auto dept = store::Repository<site::Department>(s).get(b.department_id);
  label::Label l;
  l.title = "医疗废物 " + std::string(category_zh(b.category));
  l.code = b.code;
  l.symbology = label::Symbology::qr;
  char weight[32];
  std::snprintf(weight, sizeof weight, "%.2f kg", b.weight_kg);
  std::string notes = b.double_bagged ? "隔离 双层" : "";
  if (!b.notes.empty()) notes += (notes.empty() ? "" : " ") + b.notes;
  l.fields = {{"产生单位", r.producing_unit.empty() ? "-" : r.producing_unit},
              {"科室", dept ? dept->name : "-"},
              {"时间", format_timestamp(b.produced_at).substr(0, 16)},
              {"重量", weight},
              {"备注", notes.empty() ? "-" : notes}};
  return l;
}

[[maybe_unused]] const bool operations_registered[] = {
    define<RegisterInput>("waste.register", "waste.collect",
                          "Register a bag or sharps box at the ward with its weight; returns it",
                          [](Context& c, const RegisterInput& in) {
                            return Tracker(c.store).register_bag(c.actor, in);
                          }),
    define<SealInput>(
        "waste.seal", "waste.collect", "Seal a bag or box, confirming it is 3/4 full",
        [](Context& c, const SealInput& in) { return Tracker(c.store).seal(c.actor, in); }),
    define<SealInput>(
        "waste.offer", "waste.collect",
        "The ward's half of the collection handover: offer a sealed bag",
        [](Context& c, const SealInput& in) { return Tracker(c.store).offer(c.actor, in); }),
    define<StepInput>(
        "waste.collect", "waste.handover",
        "The collector's half: take an offered bag, weighing it (another person "
        "than the one who offered it)",
        [](Context& c, const StepInput& in) { return Tracker(c.store).collect(c.actor, in); }),
    define<StepInput>(
        "waste.intake", "waste.handover",
        "Take a collected bag into temporary storage, weighing it",
        [](Context& c, const StepInput& in) { return Tracker(c.store).intake(c.actor, in); }),
    define<ResolveInput>(
        "waste.resolve", "waste.handover",
        "Clear a bag's weight mismatch with a reason so it may go on",
        [](Context& c, const ResolveInput& in) { return Tracker(c.store).resolve(c.actor, in); }),
    define<CorrectInput>("waste.correct_weight", "waste.configure",
                         "Correct a bag's generation weight with a reason: a step keeps the old "
                         "figure",
                         [](Context& c, const CorrectInput& in) {
                           return Tracker(c.store).correct_weight(c.actor, in);
                         }),
    define<ManifestInput>("waste.open_manifest", "waste.handover",
                          "Open a transfer manifest (转移联单) for one trip of one category",
                          [](Context& c, const ManifestInput& in) {
                            return Tracker(c.store).open_manifest(c.actor, in);
                          }),
    define<OutboundInput>(
        "waste.outbound", "waste.handover",
        "Send a stored bag out on a manifest of its category, weighing it",
        [](Context& c, const OutboundInput& in) { return Tracker(c.store).outbound(c.actor, in); }),
    define<TransferInput>(
        "waste.transfer", "waste.handover", "Hand every bag of a manifest to the disposal company",
        [](Context& c, const TransferInput& in) { return Tracker(c.store).transfer(c.actor, in); }),
    define<CodeInput>("waste.trace", "waste.read", "A bag and every step of its chain by code",
                      [](Context& c, const CodeInput& in) {
                        return audit::audited(c.store, c.actor, "waste.trace",
                                              [&](audit::Call& call) {
                                                // It names people: an audited read.
                                                call.require("waste.read");
                                                return Tracker(c.store).trace(in.code);
                                              });
                      }),
    define<TotalsInput>("waste.totals", "waste.read",
                        "Bags and weight per department and category produced in a period, and "
                        "how much of it reached the disposal company",
                        [](Context& c, const TotalsInput& in) {
                          return audit::audited(c.store, c.actor, "waste.totals",
                                                [&](audit::Call& call) {
                                                  call.require("waste.read");
                                                  call.quiet();
                                                  return Tracker(c.store).totals(in);
                                                });
                        }),
    define<ReportInput>("waste.report", "waste.read",
                        "The waste report of a period: weight by local day or month, department "
                        "and category, what reached the disposal company, the manifest register "
                        "and the bags overdue now",
                        [](Context& c, const ReportInput& in) {
                          return audit::audited(c.store, c.actor, "waste.report",
                                                [&](audit::Call& call) {
                                                  call.require("waste.read");
                                                  call.quiet();
                                                  return Tracker(c.store).report(in);
                                                });
                        }),
    define<DocumentInput>(
        "waste.report_document", "waste.read",
        "The waste report as CSV (its rows) an HTML page with charts, XLSX or PDF",
        [](Context& c, const DocumentInput& in) {
          return audit::audited(c.store, c.actor, "waste.report", [&](audit::Call& call) {
            call.require("waste.read");
            call.quiet();
            auto r = Tracker(c.store).report(in.report);
            return service::render(
                in.format, r, "医疗废物报告", [&] { return to_csv(r); },
                [&] { return to_html(r); });
          });
        }),
    define<Rules>(
        "waste.save_rules", "waste.configure",
        "Set the hospital's waste rules (tolerance, storage limit, escalation)",
        [](Context& c, const Rules& in) { return Tracker(c.store).save_rules(c.actor, in); }),
    define<service::NoInput>("waste.check", "waste.read",
                             "Check every chain now (what the host's job waste.check_overdue "
                             "does): storage past the limit, unsealed, uncollected, unstored "
                             "and untransferred bags, each reported once",
                             [](Context& c, const service::NoInput&) {
                               return Tracker(c.store).check_overdue(c.actor);
                             }),
    define<service::NoInput>("waste.apply_retention", "protect.retention",
                             "Anonymise the people in waste records older than the rules' "
                             "keep_years (what the host's job waste.retention does)",
                             [](Context& c, const service::NoInput&) {
                               return Tracker(c.store).apply_retention(c.actor);
                             }),
    define<CodeInput>("waste.label", "waste.read",
                      "The label of a bag or box with the fields the regulation requires",
                      [](Context& c, const CodeInput& in) {
                        Tracker t(c.store);
                        auto trace = t.trace(in.code);
                        return bag_label(c.store, trace.bag, t.rules());
                      }),
};

}  // namespace
}  // namespace houqin::waste
