// The BI domain's operations in the service registry: the service desk's snapshot, a KPI as a
// series, the catalogue of KPIs and the rebuild from the tables.
#include "houqin/audit/call.hpp"
#include "houqin/bi/bi.hpp"
#include "houqin/bi/operation_report.hpp"
#include "houqin/service/document.hpp"
#include "houqin/service/registry.hpp"
#include "houqin/store/repository.hpp"

namespace houqin::bi {
namespace {

using service::Context;
using service::define;

/// The catalogue, as an operation's output.
struct Catalogue {
  std::vector<Kpi> kpis;
};
BOOST_DESCRIBE_STRUCT(Catalogue, (), (kpis))

struct DeskInput {
  std::int32_t days = 30;  // the trend's local days, today included: 1..366
  service::DocumentFormat format = service::DocumentFormat::html;
};
BOOST_DESCRIBE_STRUCT(DeskInput, (), (days, format))

struct SeriesDocumentInput {
  static constexpr std::array<std::string_view, 1> required_fields{"series"};
  SeriesQuery series;
  service::DocumentFormat format = service::DocumentFormat::html;
};
BOOST_DESCRIBE_STRUCT(SeriesDocumentInput, (), (series, format))

struct OperationReportDocumentInput {
  static constexpr std::array<std::string_view, 1> required_fields{"code"};
  std::string code;  // OR-2026Q4
  service::DocumentFormat format = service::DocumentFormat::html;
};
BOOST_DESCRIBE_STRUCT(OperationReportDocumentInput, (), (code, format))

struct RecordBookInput {
  static constexpr std::array<std::string_view, 1> required_fields{"year"};
  std::int32_t year = 0;
  service::DocumentFormat format = service::DocumentFormat::pdf;
};
BOOST_DESCRIBE_STRUCT(RecordBookInput, (), (year, format))

// A read of aggregates: authorised, a failure recorded.
template <class F>
auto read(Context& c, const char* action, F&& f) {
  return audit::audited(c.store, c.actor, action, [&](audit::Call& call) {
    call.require("bi.read");
    call.quiet();
    return f();
  });
}

[[maybe_unused]] const bool operations_registered[] = {
    define<service::NoInput>(
        "bi.snapshot", "bi.read",
        "The service desk (服务台): work orders, hazards, inspections, waste, alarms, stock and "
        "satisfaction, open now and this month",
        [](Context& c, const service::NoInput&) {
          return read(c, "bi.snapshot", [&] { return Bi(c.store).snapshot(); });
        }),
    define<SeriesQuery>("bi.series", "bi.read",
                        "A KPI by day, month, quarter or year, per building or department",
                        [](Context& c, const SeriesQuery& in) {
                          return read(c, "bi.series", [&] { return Bi(c.store).series(in); });
                        }),
    define<DeskInput>(
        "bi.desk", "bi.read",
        "The service desk's page (服务台): the snapshot as tiles, the warnings firing and the "
        "last days' trend, as HTML with charts, CSV, XLSX or PDF",
        [](Context& c, const DeskInput& in) {
          return read(c, "bi.desk", [&] {
            const Desk d = Bi(c.store).desk(in.days);
            return service::render(
                in.format, d, "服务台", [&] { return to_csv(d); }, [&] { return to_html(d); });
          });
        }),
    define<SeriesDocumentInput>("bi.series_document", "bi.read",
                                "A KPI series as an HTML page with a chart, CSV, XLSX or PDF",
                                [](Context& c, const SeriesDocumentInput& in) {
                                  return read(c, "bi.series", [&] {
                                    const Series s = Bi(c.store).series(in.series);
                                    return service::render(
                                        in.format, s, "指标 " + in.series.kpi,
                                        [&] { return to_csv(s); }, [&] { return to_html(s); });
                                  });
                                }),
    define<QuarterInput>(
        "bi.operation_report", "bi.operation_report",
        "Generate the quarter's system operation report (availability, performance, audit, "
        "backups, integrity, usage by department, open problems) and keep it as a record",
        [](Context& c, const QuarterInput& in) {
          return generate_operation_report(c.store, c.actor, in);
        }),
    define<OperationReportDocumentInput>(
        "bi.operation_report_document", "bi.operation_report",
        "A kept quarterly operation report as HTML with charts, PDF or XLSX",
        [](Context& c, const OperationReportDocumentInput& in) {
          return audit::audited(
              c.store, c.actor, "bi.operation_report_document", [&](audit::Call& call) {
                call.require("bi.operation_report");
                call.quiet();
                auto rec = store::Repository<OperationReportRecord>(c.store).find_one(
                    store::Query<OperationReportRecord>().where(&OperationReportRecord::code,
                                                                store::Op::eq, in.code));
                if (!rec) fail(ErrorCode::not_found, "code: no operation report '" + in.code + "'");
                const auto& r = rec->report;
                return service::render(
                    in.format, r, "系统运行报告 " + r.code, {}, [&] { return to_html(r); },
                    r.utc_offset_minutes);
              });
        }),
    define<RecordBookInput>(
        "bi.record_book", "bi.operation_report",
        "The year's maintenance record book (全年维护保养及维修服务记录): every repair, "
        "maintenance and inspection task, hazard, drill and operation report, as a PDF with a "
        "table of contents, HTML or XLSX",
        [](Context& c, const RecordBookInput& in) {
          const RecordBook b = record_book(c.store, c.actor, {in.year});
          return service::render(
              in.format, b, std::to_string(b.year) + " 年度维护保养及维修服务记录", {},
              [&] { return to_html(b); }, b.utc_offset_minutes, std::chrono::minutes(30));
        }),
    define<service::NoInput>("bi.catalogue", "bi.read", "Every KPI BI keeps, with its unit",
                             [](Context&, const service::NoInput&) {
                               auto k = catalogue();
                               return Catalogue{{k.begin(), k.end()}};
                             }),
    define<WarningRule>(
        "bi.save_rule", "bi.manage",
        "Save a warning rule (预警): threshold, trend or absence over a KPI, its "
        "severity and who is told",
        [](Context& c, const WarningRule& in) { return Bi(c.store).save_rule(c.actor, in); }),
    define<SilenceInput>(
        "bi.silence", "bi.manage", "Silence a warning rule until a time, with the reason (audited)",
        [](Context& c, const SilenceInput& in) { return Bi(c.store).silence(c.actor, in); }),
    define<service::NoInput>(
        "bi.check", "bi.manage",
        "Evaluate every warning rule now (what the host's job bi.check "
        "does): fire, clear, escalate, tell",
        [](Context& c, const service::NoInput&) { return Bi(c.store).check(c.actor); }),
    define<service::NoInput>(
        "bi.rebuild", "bi.manage",
        "Derive every KPI counter again from the domain tables (equal to the incremental state)",
        [](Context& c, const service::NoInput&) { return Bi(c.store).rebuild(c.actor); }),
};

}  // namespace
}  // namespace houqin::bi
