// The phone pages (a technician's and a requester's app): report a repair -- from a room's QR
// code without an account (POST /api/v1/intake) or signed in (repair.report) --, my orders with
// accept, start, hold, resume and complete with the parts used, rating what I reported, and
// scanning a waste bag or an NFC point (Web NFC where the browser has it, typed otherwise).
"use strict";
(function () {
  const HQ = window.HQ;
  const $ = id => document.getElementById(id);
  const room = new URLSearchParams(location.search).get("room");
  const views = ["report", "orders", "scan"];

  function view() {
    const want = (location.hash || "#report").slice(1);
    const name = views.includes(want) ? want : "report";
    // Only the report form works without an account, and only from a room's QR code.
    const needsLogin = !HQ.session && !(name === "report" && room);
    $("login").classList.toggle("hidden", !needsLogin);
    for (const v of views) {
      $("view-" + v).classList.toggle("hidden", needsLogin || v !== name);
      $("tab-" + v).classList.toggle("on", v === name);
    }
    $("logout").classList.toggle("hidden", !HQ.session);
    if (needsLogin) return;
    if (name === "orders") loadOrders();
  }

  // ---- report ----
  async function report(ev) {
    ev.preventDefault();
    const f = ev.target.elements;
    const box = $("report-msg");
    try {
      let code;
      if (!HQ.session) {
        const input = { room: f.room.value, description: f.description.value,
                        category: f.category.value, urgency: f.urgency.value };
        if (f.phone.value) input.phone = f.phone.value;
        code = (await HQ.request("POST", "/api/v1/intake", input)).code;
      } else {
        const rooms = await HQ.get("entities/rooms?code=" + encodeURIComponent(f.room.value) + "&limit=1");
        if (!rooms.items.length) throw new Error(HQ.t("room") + " " + f.room.value + ": " + HQ.t("not_found"));
        const input = { channel: "app", room_id: rooms.items[0].id, description: f.description.value,
                        category: f.category.value, urgency: f.urgency.value };
        if (f.phone.value) input.reporter_phone = f.phone.value;
        if (HQ.session.staff_id) input.reporter_staff_id = HQ.session.staff_id;
        code = (await HQ.call("repair.report", input)).code;
      }
      HQ.say(box, HQ.t("reported") + " " + code, true);
      box.dataset.code = code;
      f.description.value = "";
    } catch (e) {
      HQ.say(box, e.message, false);
    }
  }

  // ---- my orders ----
  const next = {  // what a technician can do to an order in each status
    dispatched: ["accept"], accepted: ["start"], in_progress: ["hold", "complete"],
    on_hold: ["resume"],
  };

  function orderCard(o, mine) {
    const card = HQ.el("div", null, "order");
    card.id = "order-" + o.code;
    card.dataset.status = o.status;
    const head = HQ.el("div");
    head.append(HQ.el("span", o.code, "code"), document.createTextNode(" · "),
                HQ.el("span", HQ.t("status_" + o.status), "status"));
    card.append(head, HQ.el("div", o.description || "—"),
                HQ.el("div", HQ.time(o.reported_at), "muted"));
    const acts = HQ.el("div", null, "actions");
    if (mine) {
      for (const step of next[o.status] || []) {
        if (step === "complete") {
          const parts = HQ.el("input");
          parts.type = "number"; parts.min = "0"; parts.value = String(o.parts_used || 0);
          parts.name = "parts_used"; parts.title = HQ.t("parts_used");
          acts.append(HQ.el("span", HQ.t("parts_used"), "muted"), parts);
          acts.append(act(step, async () => {
            const n = Number(parts.value || 0);
            if (n !== o.parts_used)
              await HQ.call("repair.note_parts", { work_order_id: o.id, parts_used: n,
                                                   parts_reserved: o.parts_reserved });
            return HQ.call("repair.complete", { work_order_id: o.id });
          }));
        } else {
          acts.append(act(step, () => HQ.call("repair." + step, { work_order_id: o.id })));
        }
      }
    } else if (o.status === "completed" || o.status === "verified" || o.status === "closed") {
      const stars = HQ.el("span", null, "stars");
      let score = 5;
      for (let i = 1; i <= 5; ++i) {
        const b = HQ.el("button", "★", "on");
        b.type = "button"; b.dataset.score = String(i);
        b.addEventListener("click", () => {
          score = i;
          stars.querySelectorAll("button").forEach(x => x.classList.toggle("on", Number(x.dataset.score) <= i));
        });
        stars.append(b);
      }
      const comment = HQ.el("input");
      comment.placeholder = HQ.t("comment"); comment.name = "comment";
      acts.append(stars, comment, act("rate", () => HQ.call("repair.rate",
        { work_order_id: o.id, score, comment: comment.value })));
    }
    card.append(acts);
    return card;
  }

  function act(word, action) {
    return HQ.actionButton(word, async () => {
      await action();
      if (word === "rate") HQ.say($("orders-msg"), HQ.t("rated"), true);
    }, loadOrders, $("orders-msg"));
  }

  /** App dispatch (APP派工): orders waiting for a technician, for whoever may dispatch. */
  async function loadDispatch() {
    const box = $("to-dispatch");
    box.replaceChildren();
    $("dispatch-box").classList.toggle("hidden", !HQ.can("repair.dispatch"));
    if (!HQ.can("repair.dispatch")) return;
    const [waiting, techs] = await Promise.all([
      HQ.get("entities/work_orders?status[in]=reported,approved&order=-reported_at&limit=30"),
      HQ.get("entities/technicians?active=true&limit=200"),
    ]);
    const ids = techs.items.map(t => t.staff_id);
    const staff = ids.length ? (await HQ.get("entities/staff?id[in]=" + ids.join(",") + "&limit=200")).items : [];
    const name = id => (staff.find(s => s.id === id) || { name: "#" + id }).name;
    for (const o of waiting.items) {
      const card = orderCard(o, false);
      const pick = HQ.el("select");
      pick.name = "technician";
      for (const t of techs.items) {
        const opt = HQ.el("option", name(t.staff_id) + " · " + t.team);
        opt.value = String(t.staff_id);
        pick.append(opt);
      }
      const acts = card.querySelector(".actions");
      acts.append(pick, act("dispatch", () => HQ.call("repair.dispatch",
        { work_order_id: o.id, technician_id: Number(pick.value) })));
      box.append(card);
    }
    if (!waiting.items.length) box.append(HQ.el("p", HQ.t("no_orders"), "muted"));
  }

  async function loadOrders() {
    const mine = $("orders"), reported = $("reported");
    mine.replaceChildren();
    reported.replaceChildren();
    try {
      await loadDispatch();
    } catch (e) {
      HQ.say($("orders-msg"), e.message, false);
    }
    const staff = HQ.session.staff_id;
    if (!staff) {
      mine.append(HQ.el("p", HQ.t("no_orders"), "muted"));
      return;
    }
    try {
      const open = await HQ.get("entities/work_orders?technician_id=" + staff +
        "&status[in]=dispatched,accepted,in_progress,on_hold&order=-reported_at&limit=50");
      for (const o of open.items) mine.append(orderCard(o, true));
      if (!open.items.length) mine.append(HQ.el("p", HQ.t("no_orders"), "muted"));
      const mineReported = await HQ.get("entities/work_orders?reporter_staff_id=" + staff +
        "&order=-reported_at&limit=20");
      for (const o of mineReported.items) reported.append(orderCard(o, false));
      if (!mineReported.items.length) reported.append(HQ.el("p", HQ.t("no_orders"), "muted"));
    } catch (e) {
      HQ.say($("orders-msg"), e.message, false);
    }
  }

  // ---- scan ----
  async function lookUp(code, task) {
    const out = $("scan-result");
    out.replaceChildren();
    try {
      if (task) {  // an NFC point of an inspection task: the tap is recorded and judged
        const scan = await HQ.call("inspection.scan", { task_code: task, uid: code });
        out.append(HQ.el("pre", JSON.stringify(scan, null, 2)));
        HQ.say($("scan-msg"), HQ.t("tag") + " " + code + " ✓", true);
        return;
      }
      const trace = await HQ.call("waste.trace", { code });
      const card = HQ.el("div", null, "order");
      card.id = "bag-" + trace.bag.code;
      card.append(HQ.el("div", HQ.t("bag") + " " + trace.bag.code, "code"),
                  HQ.el("div", trace.bag.category + " · " + HQ.t("weight") + " " +
                        trace.bag.weight_kg + " kg · " + trace.bag.stage));
      const table = HQ.el("table");
      for (const s of trace.steps) {
        const tr = HQ.el("tr");
        tr.append(HQ.el("td", s.stage), HQ.el("td", s.actor + (s.counterpart ? " / " + s.counterpart : "")),
                  HQ.el("td", HQ.time(s.at), "muted"));
        table.append(tr);
      }
      card.append(table);
      out.append(card);
      $("scan-msg").classList.add("hidden");
    } catch (e) {
      HQ.say($("scan-msg"), e.message, false);
    }
  }

  function wireScan() {
    $("scan-form").addEventListener("submit", ev => {
      ev.preventDefault();
      lookUp($("scan-code").value.trim(), $("scan-task").value.trim());
    });
    const nfc = $("scan-nfc");
    nfc.classList.remove("hidden");
    nfc.addEventListener("click", async () => {
      if (!("NDEFReader" in window)) return HQ.say($("scan-msg"), HQ.t("nfc_missing"), false);
      try {
        const reader = new window.NDEFReader();
        await reader.scan();
        reader.addEventListener("reading", ev => {
          const uid = ev.serialNumber.replaceAll(":", "").toUpperCase();
          $("scan-code").value = uid;
          lookUp(uid, $("scan-task").value.trim());
        }, { once: true });
      } catch (e) {
        HQ.say($("scan-msg"), e.message, false);
      }
    });
  }

  HQ.translate();
  if (room) {
    $("report-room").value = room;
    $("report-room").readOnly = true;
  }
  $("lang").addEventListener("click", HQ.switchLang);
  $("logout").addEventListener("click", HQ.logout);
  $("report-form").addEventListener("submit", report);
  wireScan();
  HQ.wireLogin(view);
  window.addEventListener("hashchange", view);
  HQ.loadSession().then(view);
})();
