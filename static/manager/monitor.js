/* Manager live monitor of one hall. State comes from GET /api/v1/halls/<hall>/monitor; the hall's events arrive
 * through feed.js (the one realtime client): alert and appointment events are applied at once, any event triggers a
 * debounced re-read of the snapshot, so the page never reloads and never drifts from the server's view.
 * Actions are /api/v1 calls with the session cookie and the X-CSRF-Token header. */
(function () {
  "use strict";

  var REFRESH_DEBOUNCE_MS = 250;  // a call emits 2-3 events in one batch: one re-read for all of them
  var CLOCK_TICK_MS = 10000;      // "for how long" columns move on without any event
  var body = document.body;
  var hall = body.dataset.hall;
  var csrf = body.dataset.csrf;
  var canConfigure = body.dataset.configure === "true";
  var timeZone = body.dataset.tz || undefined;  // the hall's clock, not the browser's
  var state = null;
  var feed = null;
  var timer = null;

  var ACTIVITY = {serving: "办理中 serving", idle: "空闲 idle", paused: "暂停 paused", away: "离岗 away",
                  closed: "未登录 closed"};
  var ALERT_STATE = {"new": "新 new", seen: "已查看 seen", resolved: "已解除 resolved"};
  var PRINTER = {online: "正常 ok", paper_low: "纸将用完 paper low", paper_out: "缺纸 paper out",
                 cover_open: "纸仓盖未关 cover open", offline: "离线 offline", error: "故障 error",
                 unknown: "状态未知 unknown", no_answer: "无应答（出票超时） no answer"};
  var PRINTER_OK = {online: 1, unknown: 1};

  // "3号 综合窗口": the attention list carries the label; a stored alert row has number and name.
  function windowWords(d) {
    return d.window_label || (d.window != null ? d.window + "号 " : "") + d.window_name;
  }

  function alertText(a) {
    var d = a.data || {};
    switch (a.kind) {
      case "queue_long": return d.service_name + " 等候 " + d.waiting + " 人，达到预警值 " + d.limit +
        " · queue of " + d.waiting + " (limit " + d.limit + ")";
      case "ticket_wait_long": return d.service_name + " 有 " + d.tickets + " 人等候超过 " + d.limit + " 分钟（最长 " +
        d.minutes + " 分钟） · waiting over " + d.limit + " min";
      case "service_long": return (d.window_label || d.window + "号窗口") + " " + d.ticket_no + " 已办理 " + d.minutes + " 分钟 · serving for " +
        d.minutes + " min";
      case "window_idle": return windowWords(d) + " 空闲 " + d.minutes + " 分钟，但有群众等候 · idle while people wait";
      case "window_paused_long": return windowWords(d) + (d.state === "away" ? " 离岗 " : " 暂停 ") + d.minutes +
        " 分钟" + (d.reason ? "（" + d.reason + "）" : "") + " · paused " + d.minutes + " min";
      case "daily_cap_near": return d.service_name + " 今日已取 " + d.issued + "/" + d.cap + " 号，接近上限 · daily cap nearly reached";
      case "printer_trouble": return d.device + " 打印机" + (PRINTER[d.printer_state] || d.printer_state) +
        " · kiosk printer trouble";
      case "bad_rating": return "新差评，工单 " + d["case"] + " 待回访 · new bad rating";
      case "case_overdue": return "差评工单 " + d["case"] + " 已超期（" + d.due_on + "） · case overdue";
      default: return a.kind;
    }
  }

  var el = HallqDom.el;

  function minutes(seconds) {
    if (seconds == null) return "–";
    if (seconds < 60) return "<1 分";
    var m = Math.floor(seconds / 60);
    return m < 60 ? m + " 分" : Math.floor(m / 60) + " 时 " + (m % 60) + " 分";
  }

  function since(iso) {
    if (!iso) return null;
    var now = feed ? feed.serverNow() : Date.now();
    return Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  }

  var showError = HallqDom.showError;

  function api(method, url, data) {
    return fetch(url, {
      method: method, credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf},
      body: data === undefined ? undefined : JSON.stringify(data)
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) {
        if (!r.ok) throw j;
        return j;
      });
    });
  }

  function renderServices() {
    var tbody = document.querySelector("#services tbody");
    tbody.replaceChildren();
    state.services.forEach(function (s) {
      var warn = s.warning_threshold && s.waiting >= s.warning_threshold;
      var row = el("tr", {"data-service": s.code, "class": warn ? "warn" : ""}, [
        el("td", {text: s.name + " (" + s.prefix + ")"}),
        el("td", {"class": "waiting", text: String(s.waiting)}),
        el("td", {text: minutes(s.longest_wait_s)}),
        el("td", {text: minutes(s.estimated_wait_s)}),
        el("td", {"class": "issued", text: s.issued_today + (s.daily_cap ? " / " + s.daily_cap : "")}),
        el("td", {"class": "served", text: String(s.served_today)}),
        el("td", {"class": "day-state",
                  text: !s.active ? "停用 inactive" : (s.closed_today ? "今日暂停取号 closed today" : "开放 open")})
      ]);
      if (canConfigure) {
        row.appendChild(el("td", {}, [
          el("button", {text: s.closed_today ? "恢复取号 Reopen" : "暂停今日取号 Close today", "class": "toggle",
                        onclick: function () {
                          var verb = s.closed_today ? "/reopen" : "/close-for-today";
                          api("POST", "/api/v1/halls/" + hall + "/services/" + s.code + verb)
                            .then(reloadSoon).catch(showError);
                        }}),
          el("button", {text: "设置 Edit", onclick: function () { editService(s); }})
        ]));
      }
      tbody.appendChild(row);
    });
  }

  function renderWindows() {
    var tbody = document.querySelector("#windows tbody");
    tbody.replaceChildren();
    state.windows.forEach(function (w) {
      var label = ACTIVITY[w.activity] || w.activity;
      if (w.activity === "paused" && w.reason) label += "（" + w.reason + "）";
      var row = el("tr", {"data-window": String(w.number), "class": "activity-" + w.activity}, [
        el("td", {text: w.label || (w.number + "号 " + w.name)}),
        el("td", {"class": "state", text: label}),
        el("td", {text: minutes(since(w.since))}),
        el("td", {"class": "current", text: w.current ? w.current.number : "–"}),
        el("td", {text: w.staff ? w.staff + (w.staff_name ? " " + w.staff_name : "") : "–"}),
        el("td", {text: w.services.map(function (s) { return s.name; }).join("、")})
      ]);
      if (canConfigure) {
        row.appendChild(el("td", {}, [el("button", {text: "调整事项 Services",
                                                     onclick: function () { editWindow(w); }})]));
      }
      tbody.appendChild(row);
    });
  }

  function renderChart() {
    var box = document.getElementById("chart");
    var data = state.chart;
    box.replaceChildren();
    if (!data.length) { box.textContent = "今日暂无取号 No tickets yet today"; return; }
    var W = 760, H = 160, pad = 24, BAR_MAX = 24;  // a few early buckets must not each fill the width
    var top = Math.max(1, Math.max.apply(null, data.map(function (b) { return Math.max(b.arrivals, b.waiting); })));
    var step = Math.min(BAR_MAX, (W - pad) / data.length);
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 " + W + " " + (H + 20));
    svg.setAttribute("class", "chart-svg");
    var points = [];
    data.forEach(function (b, i) {
      var x = pad + i * step;
      var h = (H - 10) * b.arrivals / top;
      var bar = document.createElementNS(ns, "rect");
      bar.setAttribute("x", x + 1); bar.setAttribute("y", H - h);
      bar.setAttribute("width", Math.max(1, step - 2)); bar.setAttribute("height", h);
      bar.setAttribute("class", "arrivals");
      var tip = document.createElementNS(ns, "title");
      tip.textContent = b.at + " 到达 " + b.arrivals + " · 等候 " + b.waiting;
      bar.appendChild(tip);
      svg.appendChild(bar);
      var px = x + step / 2, py = H - (H - 10) * b.waiting / top;
      points.push(px + "," + py);
      var dot = document.createElementNS(ns, "circle");
      dot.setAttribute("cx", px); dot.setAttribute("cy", py); dot.setAttribute("r", 3);
      dot.setAttribute("class", "waiting");
      svg.appendChild(dot);
      if (i % 4 === 0) {
        var t = document.createElementNS(ns, "text");
        t.setAttribute("x", x); t.setAttribute("y", H + 14); t.textContent = b.at;
        svg.appendChild(t);
      }
    });
    var line = document.createElementNS(ns, "polyline");
    line.setAttribute("points", points.join(" "));
    line.setAttribute("class", "waiting");
    svg.appendChild(line);
    var label = document.createElementNS(ns, "text");
    label.setAttribute("x", 0); label.setAttribute("y", 12); label.textContent = String(top);
    svg.appendChild(label);
    box.appendChild(svg);
  }

  // A 差评 alert names its case: the whole text opens the case page (managers and admins work cases).
  function alertBody(a) {
    var caseId = a.data && a.data["case"];
    if (caseId != null && canConfigure) {
      return el("a", {"class": "text case-link", href: "/manager/" + hall + "/cases/" + caseId, text: alertText(a)});
    }
    return el("span", {"class": "text", text: alertText(a)});
  }

  function renderAlerts() {
    var list = document.getElementById("alerts");
    list.replaceChildren();
    var open = state.alerts.filter(function (a) { return a.state !== "resolved"; });
    document.getElementById("alert-count").textContent = String(open.length);
    state.alerts.forEach(function (a) {
      var at = a.resolved_at || a.seen_at || a.raised_at;
      var item = el("li", {"class": "alert state-" + a.state, "data-alert": String(a.id), "data-kind": a.kind}, [
        el("time", {text: new Date(a.raised_at).toLocaleTimeString("zh-CN", {hour: "2-digit", minute: "2-digit",
                                                                         timeZone: timeZone})}),
        alertBody(a),
        el("span", {"class": "alert-state", text: ALERT_STATE[a.state] || a.state,
                    title: at})
      ]);
      if (canConfigure && a.state === "new") {
        item.appendChild(el("button", {text: "已查看 Seen", onclick: function () {
          api("POST", "/api/v1/alerts/" + a.id + "/seen").then(upsertAlert).catch(showError);
        }}));
      }
      list.appendChild(item);
    });
  }

  function renderKiosks() {
    var tbody = document.querySelector("#kiosks tbody");
    tbody.replaceChildren();
    (state.kiosks || []).forEach(function (k) {
      var text = !k.printer ? "未配置打印机 no printer"
        : (k.printer_state ? (PRINTER[k.printer_state] || k.printer_state) : "尚未报告 not reported yet");
      var trouble = k.printer && k.printer_state && !PRINTER_OK[k.printer_state];
      tbody.appendChild(el("tr", {"data-kiosk": String(k.id), "class": trouble ? "warn" : ""}, [
        el("td", {text: k.name}),
        el("td", {"class": "printer-state", "data-state": k.printer_state || "", text: text}),
        el("td", {text: k.last_seen_at ? minutes(since(k.last_seen_at)) + "前 ago" : "–"})
      ]));
    });
  }

  // The overview: what needs attention first, then one tile per window and per service, sized so a full hall
  // (24 windows, 30 services) is on a 1920x1080 screen at once; the full tables follow below it.
  var ATTENTION_LINK = {ticket_wait_long: "#services-panel", queue_long: "#services-panel",
                        window_paused_long: "#windows-panel", printer_trouble: "#kiosks"};

  function renderAttention() {
    var list = document.getElementById("attention");
    var items = state.attention || [];
    list.replaceChildren();
    items.forEach(function (a) {
      var d = a.data || {};
      var href = d["case"] != null ? (canConfigure ? "/manager/" + hall + "/cases/" + d["case"] : null)
                                   : ATTENTION_LINK[a.kind];
      var text = alertText(a);
      list.appendChild(el("li", {"class": "attention-item kind-" + a.kind, "data-kind": a.kind,
                                 "data-subject": a.subject},
                          [href ? el("a", {href: href, text: text}) : el("span", {text: text})]));
    });
    document.getElementById("attention-count").textContent = String(items.length);
    document.getElementById("all-clear").hidden = items.length > 0;
  }

  function troubleSubjects() {
    var out = {};
    (state.attention || []).forEach(function (a) { out[a.subject] = a.kind; });
    return out;
  }

  var TILE_STATE = {serving: "办理中", idle: "空闲", paused: "暂停", away: "离岗", closed: "未登录"};

  function renderBoards() {
    var trouble = troubleSubjects();
    var wb = document.getElementById("window-board");
    wb.replaceChildren();
    var counts = {};
    state.windows.forEach(function (w) {
      counts[w.activity] = (counts[w.activity] || 0) + 1;
      var detail = TILE_STATE[w.activity] || w.activity;
      if (w.current) detail += " " + w.current.number;
      else if (w.activity === "paused" || w.activity === "away") detail += " " + minutes(since(w.since));
      wb.appendChild(el("div", {"class": "tile activity-" + w.activity +
                                         (trouble["window:" + w.number] ? " trouble" : ""),
                                "data-window": String(w.number), title: w.staff ? "工号 " + w.staff : ""}, [
        el("span", {"class": "tile-name", text: w.label || (w.number + "号 " + w.name)}),
        el("span", {"class": "tile-detail", text: detail})
      ]));
    });
    document.getElementById("window-summary").textContent = "办理 " + (counts.serving || 0) + " · 空闲 " +
      (counts.idle || 0) + " · 暂停/离岗 " + ((counts.paused || 0) + (counts.away || 0)) + " · 未登录 " +
      (counts.closed || 0);
    var sb = document.getElementById("service-board");
    sb.replaceChildren();
    var waiting = 0, away = 0, booked = 0;
    state.services.forEach(function (s) {
      waiting += s.waiting;
      away += s.not_arrived || 0;
      booked += s.bookings ? s.bookings.booked : 0;
      var over = trouble["service:" + s.code];
      sb.appendChild(el("div", {"class": "tile service-tile" + (over ? " trouble" : "") +
                                         (!s.active || s.closed_today ? " off" : ""),
                                "data-service": s.code}, [
        el("span", {"class": "tile-name", text: s.name}),
        el("span", {"class": "tile-detail", text: s.waiting + " 人" +
                    (s.longest_wait_s != null ? " · " + minutes(s.longest_wait_s) : "") +
                    (s.not_arrived ? " · 线上 " + s.not_arrived : "")})
      ]));
    });
    // The queue in the hall, then who is still to come: remote tickets on their way and bookings to check in.
    document.getElementById("service-summary").textContent = "等候 " + waiting + " 人 waiting" +
      (away ? " · 线上未到 " + away : "") + (booked ? " · 预约待签到 " + booked : "");
  }

  var BOOKING_EVENT = {"appointment.booked": "已预约 booked", "appointment.moved": "已改约 moved",
                       "appointment.cancelled": "已取消 cancelled", "appointment.checked_in": "已签到 checked in",
                       "appointment.missed": "爽约 no-show"};
  var ACTIVITY_SHOWN = 8;  // queries/monitor.py's ACTIVITY_SHOWN

  function clock(iso, withDay) {
    var opts = {hour: "2-digit", minute: "2-digit", timeZone: timeZone};
    if (withDay) { opts.month = "2-digit"; opts.day = "2-digit"; }
    return new Date(iso).toLocaleString("zh-CN", opts);
  }

  function localDay(iso) {
    return new Date(iso).toLocaleDateString("zh-CN", {timeZone: timeZone});
  }

  // Per service with anything today: bookings by what became of them and remote tickets on their way; then
  // the latest booking activity (masked person only, as the events carry it).
  function renderBookings() {
    var tbody = document.querySelector("#bookings tbody");
    tbody.replaceChildren();
    state.services.forEach(function (s) {
      var b = s.bookings || {booked: 0, checked_in: 0, no_show: 0, cancelled: 0};
      if (!(b.booked || b.checked_in || b.no_show || b.cancelled || s.not_arrived)) return;
      tbody.appendChild(el("tr", {"data-service": s.code}, [
        el("td", {text: s.name}),
        el("td", {"class": "booked", text: String(b.booked)}),
        el("td", {"class": "checked-in", text: String(b.checked_in)}),
        el("td", {"class": "no-show", text: String(b.no_show)}),
        el("td", {"class": "cancelled", text: String(b.cancelled)}),
        el("td", {"class": "not-arrived", text: String(s.not_arrived || 0)})
      ]));
    });
    document.getElementById("bookings-none").hidden = tbody.children.length > 0;
    var list = document.getElementById("booking-activity");
    list.replaceChildren();
    var today = localDay(feed ? new Date(feed.serverNow()).toISOString() : new Date().toISOString());
    (state.bookings || []).forEach(function (a) {
      list.appendChild(el("li", {"class": "activity-item " + a.type.replace(".", "-"), "data-type": a.type,
                                 "data-seq": String(a.seq)}, [
        el("time", {text: clock(a.at, false)}),
        el("span", {"class": "what", text: BOOKING_EVENT[a.type] || a.type}),
        el("span", {"class": "service", text: a.service_name}),
        el("span", {"class": "slot", title: "预约时段 slot",
                    text: a.slot_start ? "时段 " + clock(a.slot_start, localDay(a.slot_start) !== today) : ""}),
        el("span", {"class": "person", text: a.person_masked || ""})
      ]));
    });
    document.getElementById("activity-none").hidden = list.children.length > 0;
  }

  // An appointment event is the activity line itself: shown at once, the counts follow with the re-read.
  function addBooking(ev) {
    if (!state || !ev.appointment) return;
    if ((state.bookings || []).some(function (a) { return a.seq === ev.seq; })) return;
    var a = ev.appointment;
    state.bookings = [{seq: ev.seq, type: ev.type, at: ev.at, service: a.service, service_name: a.service_name,
                       status: a.status, slot_start: a.slot_start, slot_end: a.slot_end,
                       person_masked: a.person_masked}].concat(state.bookings || []).slice(0, ACTIVITY_SHOWN);
    renderBookings();
  }

  function render() {
    renderAttention(); renderBoards();
    renderAlerts(); renderServices(); renderWindows(); renderBookings(); renderKiosks(); renderChart();
  }

  function upsertAlert(alert) {
    if (!state) return;
    var others = state.alerts.filter(function (a) { return a.id !== alert.id; });
    others.push(alert);
    // Open first (newest on top), then resolved: what needs attention stays where the eye lands.
    others.sort(function (a, b) {
      var ao = a.state !== "resolved", bo = b.state !== "resolved";
      if (ao !== bo) return ao ? -1 : 1;
      return (b.resolved_at || b.raised_at).localeCompare(a.resolved_at || a.raised_at) || b.id - a.id;
    });
    state.alerts = others;
    renderAlerts();
  }

  function load() {
    return fetch("/api/v1/halls/" + encodeURIComponent(hall) + "/monitor", {credentials: "same-origin"})
      .then(function (r) {
        if (r.status === 401) { window.location.href = "/manager/login"; throw new Error("signed out"); }
        return r.json();
      })
      .then(function (data) { state = data; render(); body.dataset.seq = String(data.seq); });
  }

  function reloadSoon() {
    if (timer) clearTimeout(timer);
    // A failed re-read (server restarting) is not fatal: the feed's next event or sync re-reads again.
    timer = setTimeout(function () { timer = null; load().catch(function () { setStatus(false); }); },
                       REFRESH_DEBOUNCE_MS);
  }

  function patchService(code, changes) {
    return api("PATCH", "/api/v1/halls/" + hall + "/services/" + code, changes).then(reloadSoon);
  }

  function editService(s) {
    var dialog = document.getElementById("service-dialog");
    document.getElementById("sd-code").textContent = s.code;
    document.getElementById("sd-name").value = s.name;
    document.getElementById("sd-threshold").value = s.warning_threshold || "";
    document.getElementById("sd-cap").value = s.daily_cap || "";
    document.getElementById("sd-duration").value = Math.round(s.standard_duration_s / 60);
    document.getElementById("sd-error").textContent = "";
    dialog.onclose = null;
    document.getElementById("sd-save").onclick = function (ev) {
      ev.preventDefault();
      var num = function (id) { var v = document.getElementById(id).value; return v === "" ? null : Number(v); };
      var minutesValue = num("sd-duration");
      patchService(s.code, {
        name: document.getElementById("sd-name").value, warning_threshold: num("sd-threshold"),
        daily_cap: num("sd-cap"), standard_duration_s: minutesValue == null ? undefined : minutesValue * 60
      }).then(function () { dialog.close(); }).catch(function (p) {
        document.getElementById("sd-error").textContent = p.title + "：" + p.detail;
      });
    };
    dialog.showModal();
  }

  // Window-service weights (docs/domain: QSystem-style coefficients).
  var WEIGHTS = [[0, "0 仅无他人等候时 only when idle"], [1, "1 正常 normal"], [2, "2 优先 preferred"],
                 [3, "3"], [4, "4"], [5, "5 最优先 first"]];

  function editWindow(w) {
    var dialog = document.getElementById("window-dialog");
    var box = document.getElementById("wd-services");
    var chosen = {};
    w.services.forEach(function (s) { chosen[s.service] = s.weight; });
    document.getElementById("wd-number").textContent = w.label || w.name;
    document.getElementById("wd-error").textContent = "";
    box.replaceChildren();
    // The window's own services first, in their order (the order is kept), then the others.
    var ordered = w.services.map(function (ws) {
      return state.services.filter(function (s) { return s.code === ws.service; })[0];
    }).filter(Boolean).concat(state.services.filter(function (s) { return !(s.code in chosen); }));
    ordered.forEach(function (s) {
      var check = el("input", {type: "checkbox", value: s.code, id: "wd-" + s.code});
      check.checked = s.code in chosen;
      var weight = el("select", {"data-service": s.code, "aria-label": "权重 weight"});
      WEIGHTS.forEach(function (pair) {
        var o = el("option", {value: String(pair[0]), text: pair[1]});
        o.selected = pair[0] === (s.code in chosen ? chosen[s.code] : 1);
        weight.appendChild(o);
      });
      box.appendChild(el("label", {"class": "profile-row"}, [check, document.createTextNode(" " + s.name + " "),
                                                            weight]));
    });
    document.getElementById("wd-save").onclick = function (ev) {
      ev.preventDefault();
      var picked = Array.prototype.slice.call(box.querySelectorAll("input:checked")).map(function (i) {
        var weight = box.querySelector('select[data-service="' + i.value + '"]');
        return {service: i.value, weight: Number(weight.value)};
      });
      api("PUT", "/api/v1/halls/" + hall + "/windows/" + w.number + "/services", {services: picked})
        .then(function () { dialog.close(); reloadSoon(); })
        .catch(function (p) { document.getElementById("wd-error").textContent = p.title + "：" + p.detail; });
    };
    dialog.showModal();
  }

  function setupNotices() {
    var form = document.getElementById("notice-form");
    if (!form) return;
    var text = document.getElementById("notice-text");
    var send = function (notices) {
      api("POST", "/api/v1/halls/" + hall + "/notices", {notices: notices}).then(function () {
        text.value = "";
      }).catch(showError);
    };
    form.addEventListener("submit", function (ev) { ev.preventDefault(); send([text.value]); });
    document.getElementById("notice-clear").addEventListener("click", function () { send([]); });
  }

  function setStatus(online) {
    var s = document.getElementById("feed-status");
    s.textContent = online ? "在线 online" : "离线 offline";
    s.className = "status " + (online ? "online" : "offline");
  }

  setupNotices();
  load().then(function () {
    feed = HallqFeed.start({
      hall: hall, auth: {},
      onEvent: function (ev) {
        // An alert row changes the list at once; the attention list is re-read with everything else.
        if (ev.type === "alert.raised" || ev.type === "alert.updated") upsertAlert(ev.alert);
        if (ev.type.indexOf("appointment.") === 0) addBooking(ev);
        reloadSoon();
      },
      onSnapshot: function () { reloadSoon(); },
      onStatus: setStatus
    });
  });
  setInterval(function () { if (state) { renderWindows(); renderBoards(); } }, CLOCK_TICK_MS);
  // Durations and waits also move between events; a full re-read each minute keeps them honest.
  setInterval(reloadSoon, 60000);
})();
