// The dashboard (服务台): the service desk's figures and warnings, trends of medical gas and
// electricity (live: telemetry.series every few seconds; 24 hours, 30 days or a year:
// telemetry.rollups from the stored hourly rollups), and the standing alarms with acknowledge and
// shelve, each with the emergency plan that covers its point (steps, duty roster, activation).
// Server-sent events (GET /api/v1/events) bring the alarms and figures up to date as soon as
// something happens.
"use strict";
(function () {
  const HQ = window.HQ;
  const $ = id => document.getElementById(id);
  const gasKinds = /^(o2_|air_|n2o_|co2_|n2_|vacuum_)/;
  const powerKinds = /voltage$/;
  let points = [];        // drivers points (GET /api/v1/entities/points)
  let shownAlarms = "";   // the standing alarms drawn last: unchanged ones are not redrawn
  const charts = {};
  const kpiKeys = ["work_orders_open", "work_orders_overdue", "reported_this_month",
    "resolved_this_month", "first_response_minutes", "mttr_hours", "sla_compliance",
    "assets_down", "hazards_open", "hazards_overdue", "inspections_open", "alarms_active",
    "alarms_standing"];
  const alertKeys = new Set(["work_orders_overdue", "hazards_overdue", "alarms_active",
    "alarms_standing", "assets_down"]);

  function emptyRow(rows) {
    const tr = HQ.el("tr");
    tr.append(HQ.el("td", HQ.t("none"), "muted"));
    rows.append(tr);
  }

  function pointName(id) {
    const p = points.find(x => x.id === id);
    return p ? p.name + (p.unit ? " (" + p.unit + ")" : "") : "#" + id;
  }

  async function loadKpis() {
    if (!HQ.can("bi.read")) return;
    const s = await HQ.call("bi.snapshot");
    const box = $("kpis");
    box.replaceChildren();
    for (const k of kpiKeys) {
      if (!(k in s)) continue;
      let v = s[k];
      if (v === null) v = "–";
      else if (k === "sla_compliance") v = (100 * v).toFixed(1) + "%";
      else if (typeof v === "number" && !Number.isInteger(v)) v = v.toFixed(1);
      const tile = HQ.el("div", null, "tile" + (alertKeys.has(k) && s[k] > 0 ? " alert" : ""));
      tile.id = "kpi-" + k;
      tile.append(HQ.el("div", v, "v"), HQ.el("div", HQ.t(k), "k"));
      box.append(tile);
    }
    const rows = $("warnings");
    rows.replaceChildren();
    const page = await HQ.get("entities/bi_warnings?order=-fired_at&limit=10");
    for (const w of page.items) {
      const tr = HQ.el("tr");
      tr.append(HQ.el("td", w.severity, "sev-" + w.severity), HQ.el("td", w.message),
                HQ.el("td", HQ.time(w.fired_at), "muted"));
      if (w.cleared_at) tr.classList.add("muted");
      rows.append(tr);
    }
    if (!page.items.length) emptyRow(rows);
  }

  async function loadAlarms() {
    if (!HQ.can("telemetry.read")) return;
    const rows = $("alarms");
    let standing;
    try {
      standing = await HQ.call("telemetry.standing_alarms");
    } catch (e) {
      rows.replaceChildren(HQ.el("tr"));
      rows.firstChild.append(HQ.el("td", e.message, "muted"));
      return;
    }
    const seen = JSON.stringify(standing.alarms);
    if (seen === shownAlarms) return;  // buttons stay where the operator's finger is
    shownAlarms = seen;
    rows.replaceChildren();
    for (const a of standing.alarms) {
      const tr = HQ.el("tr");
      tr.id = "alarm-" + a.point_id + "-" + a.kind;
      tr.dataset.state = a.state;
      tr.append(HQ.el("td", pointName(a.point_id)), HQ.el("td", a.kind), HQ.el("td", a.priority),
                HQ.el("td", HQ.t("alarm_" + a.state), "state-" + a.state),
                HQ.el("td", Number(a.value).toFixed(2), "num"));
      const acts = HQ.el("td");
      const key = { point_id: a.point_id, kind: a.kind };
      if (!a.acknowledged && HQ.can("telemetry.ack"))
        acts.append(button("ack", () => HQ.call("telemetry.acknowledge_alarm", key)));
      if (a.state === "shelved") {
        if (HQ.can("telemetry.shelve"))
          acts.append(button("unshelve", () => HQ.call("telemetry.unshelve_alarm", key)));
      } else if (HQ.can("telemetry.shelve")) {
        acts.append(button("shelve", () => {
          const hours = Number(prompt(HQ.t("shelve_hours"), "1"));
          const reason = prompt(HQ.t("shelve_reason"), "");
          if (!hours || !reason) return Promise.resolve();
          return HQ.call("telemetry.shelve_alarm",
                         Object.assign({ duration_s: Math.round(hours * 3600), reason }, key));
        }));
      }
      if (HQ.can("emergency.read"))
        acts.append(button("plan", () => showPlan(a.point_id)));
      tr.append(acts);
      rows.append(tr);
    }
    if (!standing.alarms.length) emptyRow(rows);
  }

  // The emergency plan that covers an alarm's point: its steps, who is on duty, the reporting
  // chain, and (for holders of emergency.activate) a button per response level that activates it
  // as an incident tied to the alarm.
  async function showPlan(pointId) {
    const box = $("plan"), msg = $("plan-msg");
    const p = await HQ.call("emergency.plan_for_point", { point_id: pointId });
    $("plan-card").classList.remove("hidden");
    msg.classList.add("hidden");
    box.replaceChildren();
    box.dataset.point = pointId;
    box.dataset.plan = p.covered ? p.code : "";
    if (!p.covered) {
      box.append(HQ.el("p", pointName(pointId) + ": " + HQ.t("no_plan"), "muted"));
      return;
    }
    box.append(HQ.el("h3", p.code + " " + p.title + " (rev. " + p.revision + ") — " +
                           pointName(pointId)));
    const steps = HQ.el("ol");
    steps.id = "plan-steps";
    for (const s of p.steps)
      steps.append(HQ.el("li", s.action + (s.role ? " — " + s.role : "") + " (" +
                               s.within_minutes + " " + HQ.t("minutes") + ")"));
    box.append(HQ.el("h4", HQ.t("plan_steps")), steps);
    const roster = HQ.el("tbody");
    roster.id = "plan-roster";
    for (const r of p.roster) {
      const tr = HQ.el("tr");
      tr.append(HQ.el("td", r.role), HQ.el("td", r.name || "–"), HQ.el("td", r.duties));
      roster.append(tr);
    }
    const table = HQ.el("table");
    table.append(roster);
    box.append(HQ.el("h4", HQ.t("plan_roster")), table);
    if (p.reporting_chain.length)
      box.append(HQ.el("p", HQ.t("plan_chain") + ": " + p.reporting_chain.join(" → ")));
    if (!HQ.can("emergency.activate")) return;
    for (const l of p.levels) {
      const b = HQ.actionButton("activate", async () => {
        const inc = await HQ.call("emergency.activate",
                                  { plan_code: p.code, level: l.level, point_id: pointId,
                                    note: pointName(pointId) });
        HQ.say(msg, HQ.t("activated") + ": " + inc.code, true);
        msg.dataset.code = inc.code;
      }, async () => {}, msg);
      b.textContent = HQ.t("activate") + " " + l.level + (l.criteria ? " (" + l.criteria + ")" : "");
      b.dataset.level = l.level;
      box.append(b);
    }
  }

  function button(word, action) {
    return HQ.actionButton(word, action, loadAlarms, $("alarm-msg"));
  }

  function makeChart(canvas, ids) {
    if (!window.Chart || !ids.length) return null;
    const palette = ["#0b6bcb", "#c62828", "#2e7d32", "#e08a00", "#6a1b9a", "#00838f", "#5d4037", "#455a64"];
    return new window.Chart(canvas, {
      type: "line",
      data: { datasets: ids.map((id, i) => ({ label: pointName(id), data: [], borderColor: palette[i % 8],
        pointRadius: 0, borderWidth: 1.5, tension: 0.2 })) },
      options: {
        animation: false, maintainAspectRatio: false, parsing: false, normalized: true,
        scales: { x: { type: "linear", ticks: { maxTicksLimit: 6,
          // times of day for the live and 24-hour ranges, dates for the longer ones
          callback(v) {
            const locale = HQ.lang === "zh" ? "zh-CN" : "en-GB";
            const long = this.chart.$range === "month" || this.chart.$range === "year";
            return long ? new Date(v).toLocaleDateString(locale)
                        : new Date(v).toLocaleTimeString(locale, { hour12: false });
          } } } },
        plugins: { legend: { labels: { boxWidth: 12 } } },
      },
    });
  }

  // The charts' range: live from the samples (telemetry.series), longer ones from the stored
  // hourly rollups (telemetry.rollups), by the hour up to a month and by the day for a year.
  const ranges = { day: [24, 3600], month: [30 * 24, 3600], year: [365 * 24, 86400] };

  async function loadLongTrends(range) {
    const [hours, step] = ranges[range];
    const to = new Date(Math.ceil(Date.now() / 3600e3) * 3600e3);  // the next whole hour
    const from = new Date(to.getTime() - hours * 3600e3);
    const ids = [...new Set(["gas", "power"].flatMap(n => (charts[n] && charts[n].$ids) || []))];
    if (!ids.length) return;
    let long;
    try {
      long = await HQ.call("telemetry.rollups",
                           { point_ids: ids, from: from.toISOString(), to: to.toISOString(), step_s: step });
    } catch (e) {
      return;
    }
    drawTrends(new Map(long.points.map(p => [p.point_id, p])), range, [from.getTime(), to.getTime()]);
  }

  /** The buckets of each chart's points; `span`: the x axis's [from, to] (else the data's). */
  function drawTrends(byId, range, span) {
    for (const name of ["gas", "power"]) {
      const chart = charts[name];
      if (!chart) continue;
      let drawn = 0;
      chart.$range = range;
      chart.options.scales.x.min = span ? span[0] : undefined;
      chart.options.scales.x.max = span ? span[1] : undefined;
      chart.data.datasets.forEach((ds, i) => {
        const t = byId.get(chart.$ids[i]);
        ds.data = t ? t.buckets.map(b => ({ x: Date.parse(b.start), y: b.avg })) : [];
        ds.pointRadius = ds.data.length < 60 ? 2 : 0;  // a few buckets: marked, or they vanish
        drawn += ds.data.length;
      });
      chart.update("none");
      chart.canvas.dataset.range = range;
      chart.canvas.dataset.buckets = String(drawn);
    }
  }

  async function loadTrends() {
    if (!HQ.can("telemetry.read") || !points.length) return;
    const ids = points.map(p => p.id).slice(0, 64);
    const range = $("trend-range").value;
    let trends;
    try {
      trends = await HQ.call("telemetry.series", { point_ids: ids, buckets: 120 });
    } catch (e) {
      return;  // no telemetry in this server: the charts stay empty
    }
    const byId = new Map(trends.points.map(p => [p.point_id, p]));
    const rows = $("values");
    rows.replaceChildren();
    for (const p of trends.points) {
      const tr = HQ.el("tr");
      tr.append(HQ.el("td", pointName(p.point_id)));
      const v = HQ.el("td", p.last ? Number(p.last.value).toFixed(2) : "–", "num");
      v.id = "value-" + p.point_id;
      tr.append(v, HQ.el("td", p.last ? HQ.time(p.last.time) : "", "muted"));
      rows.append(tr);
    }
    if (range === "live") drawTrends(byId, range);
    else await loadLongTrends(range);
  }

  async function loadPoints() {
    if (!HQ.can("telemetry.read")) return;
    try {
      points = (await HQ.get("entities/points?limit=500&order=id")).items
        .filter(p => p.data_type !== "string");
    } catch (e) {
      points = [];
    }
    const gas = points.filter(p => gasKinds.test(p.kind) && p.kind.endsWith("pressure")).map(p => p.id).slice(0, 8);
    const power = points.filter(p => powerKinds.test(p.kind)).map(p => p.id).slice(0, 8);
    for (const [name, ids] of [["gas", gas], ["power", power]]) {
      charts[name] = makeChart($("chart-" + name), ids);
      if (charts[name]) charts[name].$ids = ids;
    }
    if (!window.Chart) $("charts-missing").classList.remove("hidden");
    $("trend-range").addEventListener("change", loadTrends);
  }

  /** Live: the event stream says when to look again (debounced); polling keeps the trends. */
  function listen() {
    let pending = null;
    const again = () => {
      if (pending) return;
      pending = setTimeout(() => { pending = null; loadAlarms(); loadKpis(); }, 300);
    };
    const stream = new EventSource("/api/v1/events?types=telemetry.,repair.,hazard.,bi.");
    stream.onopen = () => $("live").classList.add("on");
    stream.onerror = () => $("live").classList.remove("on");
    stream.onmessage = again;
    stream.addEventListener("reset", again);
    // Named events (event: <type>) do not reach onmessage: listen to the types the desk shows.
    ["telemetry.AlarmRaised", "telemetry.AlarmCleared", "telemetry.AlarmTransition",
     "repair.WorkOrderReported", "repair.WorkOrderEvent", "repair.SlaBreached",
     "hazard.HazardChanged", "bi.WarningRaised", "bi.WarningCleared"]
      .forEach(t => stream.addEventListener(t, again));
    setInterval(loadTrends, 2000);
    setInterval(loadAlarms, 3000);  // alarms change on the pipeline, not only through events
  }

  async function show() {
    $("login").classList.add("hidden");
    $("desk").classList.remove("hidden");
    $("logout").classList.remove("hidden");
    $("who").textContent = HQ.session.display_name || HQ.session.actor;
    await loadPoints();
    await Promise.all([loadKpis().catch(() => {}), loadAlarms(), loadTrends()]);
    listen();
  }

  HQ.translate();
  $("lang").addEventListener("click", HQ.switchLang);
  $("logout").addEventListener("click", HQ.logout);
  HQ.wireLogin(show);
  HQ.loadSession().then(s => { if (s) show(); else $("login").classList.remove("hidden"); });
})();
