// houqin pages: what the dashboard and the phone pages share -- the API client (cookie session
// plus the CSRF token on every POST), sign-in, and the Chinese UI with its English fallback.
// Plain script without a build step; everything is reached through window.HQ.
"use strict";
(function () {
  const words = {
    zh: {
      title: "后勤服务台", phone_title: "后勤掌上服务", login: "登录", logout: "退出",
      user: "账号", password: "密码", signed_in_as: "当前用户", lang: "English",
      kpis: "服务台指标", warnings: "预警", alarms: "报警", gas: "医用气体", power: "电力",
      live_values: "实时数据", point: "测点", value: "数值", time: "时间", no_data: "暂无数据",
      ack: "确认", shelve: "搁置", unshelve: "取消搁置", state: "状态", kind: "类型",
      plan: "应急预案", no_plan: "没有覆盖此测点的应急预案", plan_steps: "处置步骤",
      plan_roster: "值班与职责", plan_chain: "上报", activate: "启动预案", activated: "已启动",
      minutes: "分钟内",
      priority: "优先级", area: "区域", none: "无", shelve_reason: "搁置原因",
      shelve_hours: "搁置小时数", charts_missing: "未安装 Chart.js（libjs-chart.js），仅显示数值",
      range: "时间范围", range_live: "实时（10 分钟）", range_day: "24 小时", range_month: "30 天",
      range_year: "一年",
      report: "报修", my_orders: "我的工单", scan: "扫码", room: "房间", description: "故障描述",
      category: "类别", urgency: "紧急程度", phone: "联系电话", submit: "提交",
      high: "紧急", medium: "一般", low: "不急", reported: "报修成功，工单号",
      accept: "接单", start: "开始", hold: "挂起", complete: "完工", parts_used: "用料数",
      rate: "评价", rated: "已评价", comment: "评价内容", no_orders: "没有工单",
      scan_code: "扫描或输入编码", scan_nfc: "读取 NFC", scan_hint: "输入废物袋编码或 NFC 标签 UID",
      look_up: "查询", nfc_missing: "此浏览器不支持 Web NFC，请手动输入", not_found: "未找到",
      bag: "医废袋", tag: "NFC 标签", weight: "重量", step: "环节", reported_orders: "我报的修",
      status_reported: "已报修", status_approved: "已审核", status_dispatched: "已派工",
      status_accepted: "已接单", status_in_progress: "维修中", status_on_hold: "挂起",
      status_completed: "已完工", status_verified: "已验收", status_closed: "已关闭",
      status_cancelled: "已取消", refresh: "刷新", reload: "数据已更新",
      work_orders_open: "未完成工单", work_orders_overdue: "超时工单",
      reported_this_month: "本月报修", resolved_this_month: "本月完成",
      first_response_minutes: "平均响应(分钟)", mttr_hours: "平均修复(小时)",
      sla_compliance: "SLA 达成率", assets_down: "故障设备", hazards_open: "未整改隐患",
      hazards_overdue: "超期隐患", inspections_open: "待巡检", alarms_active: "活动报警",
      alarms_standing: "未处理报警", waste_bags_in_storage: "暂存医废袋",
      satisfaction: "满意度", to_dispatch: "待派工", dispatch: "派工", technician: "维修人员",
      resume: "恢复", alarm_normal: "正常", alarm_unacknowledged: "未确认",
      alarm_acknowledged: "已确认", alarm_returned_unacknowledged: "已恢复未确认",
      alarm_latched: "锁存", alarm_shelved: "已搁置", alarm_suppressed: "已抑制",
      alarm_out_of_service: "停用",
    },
    en: {
      title: "Logistics service desk", phone_title: "Logistics on the phone", login: "Sign in",
      logout: "Sign out", user: "Login", password: "Password", signed_in_as: "Signed in as",
      lang: "中文", kpis: "Service desk", warnings: "Warnings", alarms: "Alarms",
      gas: "Medical gas", power: "Electricity", live_values: "Live values", point: "Point",
      value: "Value", time: "Time", no_data: "No data", ack: "Acknowledge", shelve: "Shelve",
      plan: "Emergency plan", no_plan: "No emergency plan covers this point", plan_steps: "Steps",
      plan_roster: "Duty roster", plan_chain: "Reporting chain", activate: "Activate",
      activated: "Activated", minutes: "min",
      unshelve: "Unshelve", state: "State", kind: "Kind", priority: "Priority", area: "Area",
      none: "None", shelve_reason: "Reason for shelving", shelve_hours: "Hours to shelve",
      charts_missing: "Chart.js (libjs-chart.js) is not installed: values only",
      range: "Range", range_live: "Live (10 min)", range_day: "24 hours", range_month: "30 days",
      range_year: "A year",
      report: "Report", my_orders: "My orders", scan: "Scan", room: "Room",
      description: "What is wrong", category: "Category", urgency: "Urgency", phone: "Phone",
      submit: "Submit", high: "High", medium: "Medium", low: "Low",
      reported: "Reported; work order", accept: "Accept", start: "Start", hold: "Hold",
      complete: "Complete", parts_used: "Parts used", rate: "Rate", rated: "Rated",
      comment: "Comment", no_orders: "No orders", scan_code: "Scan or type a code",
      scan_nfc: "Read NFC", scan_hint: "A waste bag's code or an NFC tag's UID", look_up: "Look up",
      nfc_missing: "This browser has no Web NFC; type the code", not_found: "Not found",
      bag: "Waste bag", tag: "NFC tag", weight: "Weight", step: "Step",
      reported_orders: "Reported by me", refresh: "Refresh", reload: "Updated",
      to_dispatch: "To dispatch", dispatch: "Dispatch", technician: "Technician", resume: "Resume",
      alarm_normal: "normal", alarm_unacknowledged: "unacknowledged",
      alarm_acknowledged: "acknowledged", alarm_returned_unacknowledged: "returned, unacknowledged",
      alarm_latched: "latched", alarm_shelved: "shelved", alarm_suppressed: "suppressed",
      alarm_out_of_service: "out of service",
    },
  };
  const params = new URLSearchParams(location.search);
  // Chinese unless the browser (or the choice kept, or ?lang=) says otherwise.
  let lang = (navigator.language || "zh").toLowerCase().startsWith("zh") ? "zh" : "en";
  if (localStorage.getItem("hq.lang")) lang = localStorage.getItem("hq.lang");
  if (params.get("lang")) lang = params.get("lang");
  if (!words[lang]) lang = "zh";

  const HQ = {
    lang,
    session: null,  // GET /api/v1/auth/session when signed in
    t(key) { return (words[lang] && words[lang][key]) || words.zh[key] || key; },
    /** Fills every [data-t] element with its word and [data-t-ph] with a placeholder. */
    translate(root) {
      (root || document).querySelectorAll("[data-t]").forEach(e => { e.textContent = HQ.t(e.dataset.t); });
      (root || document).querySelectorAll("[data-t-ph]").forEach(e => { e.placeholder = HQ.t(e.dataset.tPh); });
      document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    },
    switchLang() {
      localStorage.setItem("hq.lang", lang === "zh" ? "en" : "zh");
      location.reload();
    },
    /** An element with text (never HTML: names and messages come from users). */
    el(tag, text, cls) {
      const e = document.createElement(tag);
      if (text !== undefined && text !== null) e.textContent = String(text);
      if (cls) e.className = cls;
      return e;
    },
    async request(method, path, body) {
      const headers = { "Accept": "application/json" };
      if (body !== undefined) headers["Content-Type"] = "application/json";
      if (method === "POST" && HQ.session && HQ.session.csrf_token)
        headers["X-CSRF-Token"] = HQ.session.csrf_token;
      const r = await fetch(path, {
        method, headers, credentials: "same-origin",
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await r.text();
      let data = null;
      try { data = text ? JSON.parse(text) : null; } catch (e) { data = { detail: text }; }
      if (!r.ok) {
        const err = new Error((data && (data.detail || data.title)) || r.statusText);
        err.status = r.status;
        err.code = data && data.code;
        throw err;
      }
      return data;
    },
    /** POST /api/v1/<domain>/<verb>: any registered operation. */
    call(operation, input) {
      const [domain, verb] = operation.split(".");
      return HQ.request("POST", "/api/v1/" + domain + "/" + verb, input || {});
    },
    get(path) { return HQ.request("GET", "/api/v1/" + path); },
    async loadSession() {
      try { HQ.session = await HQ.get("auth/session"); } catch (e) { HQ.session = null; }
      return HQ.session;
    },
    can(permission) { return !!HQ.session && HQ.session.permissions.includes(permission); },
    async login(user, password) {
      const out = await HQ.request("POST", "/api/v1/auth/login", { login: user, password });
      await HQ.loadSession();
      return out;
    },
    async logout() {
      try { await HQ.request("POST", "/api/v1/auth/logout", {}); } catch (e) { /* gone anyway */ }
      HQ.session = null;
      location.reload();
    },
    /** Shows a message in `box` (an element) for a while. */
    say(box, text, ok) {
      box.textContent = text;
      box.className = "msg " + (ok ? "ok" : "err");
      box.classList.remove("hidden");
    },
    /**
     * A button (data-action = `word`) that runs `action` once per click, then `after`; while it
     * runs the button is disabled, and a failure is said in `box` and the button enabled again.
     */
    actionButton(word, action, after, box) {
      const b = HQ.el("button", HQ.t(word), "act");
      b.dataset.action = word;
      b.addEventListener("click", async () => {
        b.disabled = true;
        try {
          await action();
          await after();
        } catch (e) {
          HQ.say(box, e.message, false);
          b.disabled = false;
        }
      });
      return b;
    },
    /** Wires the sign-in form #login-form; `done` runs once signed in. */
    wireLogin(done) {
      const form = document.getElementById("login-form");
      form.addEventListener("submit", async ev => {
        ev.preventDefault();
        try {
          await HQ.login(form.elements.login.value, form.elements.password.value);
          document.getElementById("login").classList.add("hidden");
          done();
        } catch (e) {
          HQ.say(document.getElementById("login-msg"), e.message, false);
        }
      });
    },
    time(iso) {
      const d = new Date(iso);
      return isNaN(d) ? "" : d.toLocaleString(lang === "zh" ? "zh-CN" : "en-GB", { hour12: false });
    },
  };
  window.HQ = HQ;
})();
