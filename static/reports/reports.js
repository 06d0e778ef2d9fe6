/* Manager report page: picks a period and grouping, loads /api/v1/halls/<hall>/reports with the manager
   console's session cookie (no token: a report link never carries a credential), draws the table, the chart (Chart.js) and the rankings, and downloads the CSV/XLSX export. */
(function () {
  "use strict";
  var hall = document.body.dataset.hall;
  var $ = function (id) { return document.getElementById(id); };
  var chart = null;
  var state = {period: "month", anchor: "", from: "", to: "", by: "service"};
  var GROUP = {service: "事项 Service", window: "窗口 Window", staff: "人员 Staff", hour: "时段 Hour"};

  // Earlier versions kept a manager token taken from ?token= in this browser: forget it (the session is enough).
  localStorage.removeItem("hallq.manager.token." + hall);

  // Dates are plain YYYY-MM-DD business days; arithmetic in UTC so no local DST shift moves a day.
  function parse(s) { var p = s.split("-").map(Number); return new Date(Date.UTC(p[0], p[1] - 1, p[2])); }
  function iso(d) { return d.toISOString().slice(0, 10); }
  function today() {
    var now = new Date();
    return iso(new Date(Date.UTC(now.getFullYear(), now.getMonth(), now.getDate())));
  }

  function range() {
    var d = parse(state.anchor);
    if (state.period === "day") return [state.anchor, state.anchor];
    if (state.period === "week") {
      var monday = new Date(d.getTime() - ((d.getUTCDay() + 6) % 7) * 86400000);
      return [iso(monday), iso(new Date(monday.getTime() + 6 * 86400000))];
    }
    if (state.period === "month") {
      return [iso(new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1))),
              iso(new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)))];
    }
    return [state.from, state.to];
  }

  function query() {
    var r = range();
    return "from=" + r[0] + "&to=" + r[1] + "&by=" + state.by;
  }

  function fmtRate(x) { return x === null || x === undefined ? "–" : (x * 100).toFixed(1) + "%"; }
  function fmtMin(s) { return s === null || s === undefined ? "–" : (s / 60).toFixed(1) + " 分"; }
  function fmtDur(d) {
    return [d.mean_s, d.median_s, d.p90_s, d.max_s].map(fmtMin).join(" / ");
  }

  function cells(row) {
    var t = row.tickets;
    return [row.label, t.total, t.kiosk, t.mobile, t.appointment, row.served, row.returned, row.consult,
      row.no_show, row.transferred, row.cancelled, fmtDur(row.wait), row.wait.over_limit, fmtDur(row.service),
      row.service.over_limit, row.levels["1"], row.levels["2"], row.levels["3"], row.levels["4"], row.levels["5"],
      fmtRate(row.rating_rate), fmtRate(row.bad_rate), row.cases_closed_on_time + "/" + row.cases];
  }

  function tr(values, key) {
    var row = document.createElement("tr");
    if (key) row.dataset.key = key;
    values.forEach(function (v) {
      var td = document.createElement("td");
      td.textContent = v;
      row.appendChild(td);
    });
    return row;
  }

  function fill(tbody, rows) {
    tbody.replaceChildren.apply(tbody, rows);
  }

  function render(rep) {
    var t = rep.total;
    $("period-label").textContent = rep.from + " 至 " + rep.to + "（" + GROUP[rep.by] + "）";
    $("sum-tickets").textContent = t.tickets.total;
    $("sum-served").textContent = t.served;
    $("sum-no-show").textContent = t.no_show;
    $("sum-returned").textContent = t.returned;
    $("sum-wait").textContent = fmtMin(t.wait.mean_s);
    $("sum-service").textContent = fmtMin(t.service.mean_s);
    $("sum-rating-rate").textContent = fmtRate(t.rating_rate);
    $("sum-bad-rate").textContent = fmtRate(t.bad_rate);
    $("group-head").textContent = GROUP[rep.by];
    var table = $("report-table");
    fill(table.tBodies[0], rep.rows.map(function (r) { return tr(cells(r), r.key); }));
    fill(table.tFoot, [tr(cells(t), "total")]);
    ["window", "staff"].forEach(function (which) {
      var ranked = rep.ranking[which === "window" ? "windows" : "staff"];
      fill($(which + "-ranking").tBodies[0], ranked.map(function (r) {
        return tr([r.rank, r.label, r.served, fmtRate(r.rating_rate), r.bad, fmtMin(r.wait.mean_s)], r.key);
      }));
    });
    // Calls made at a window with a manager's or admin's own credential: credited to the window's clerk above,
    // listed here so what the manager did there stays visible.
    fill($("acted").tBodies[0], (rep.acted || []).map(function (a) {
      return tr([a.window, a.actor, a.calls, a.served], a.window + "|" + a.actor);
    }));
    $("acted-section").hidden = !(rep.acted || []).length;
    // 网上预约 and 线上取号 per business day and service, with the period's total.
    var citizen = function (c) {
      return [c.on || c.service_name, c.on ? c.service_name : "", c.booked, c.cancelled, c.checked_in, c.no_show,
        c.remote];
    };
    fill($("citizens").tBodies[0], rep.citizens.rows.map(function (c) {
      return tr(citizen(c), c.on + "|" + c.service);
    }));
    fill($("citizens").tFoot, [tr(citizen(rep.citizens.total), "total")]);
    draw(rep);
  }

  function draw(rep) {
    var labels = rep.rows.map(function (r) { return r.label; });
    var data = {
      labels: labels,
      datasets: [
        {type: "bar", label: "办理 Served", data: rep.rows.map(function (r) { return r.served; }),
         backgroundColor: "#1f5f9e", yAxisID: "y"},
        {type: "bar", label: "空号 No-show", data: rep.rows.map(function (r) { return r.no_show; }),
         backgroundColor: "#e8a33d", yAxisID: "y"},
        {type: "line", label: "平均等候(分) Mean wait (min)",
         data: rep.rows.map(function (r) { return r.wait.mean_s === null ? null : r.wait.mean_s / 60; }),
         borderColor: "#c62828", backgroundColor: "#c62828", yAxisID: "minutes"}
      ]
    };
    if (chart) {
      chart.data = data;
      chart.update();
      return;
    }
    chart = new Chart($("chart"), {
      data: data,
      options: {
        maintainAspectRatio: false, animation: false,
        scales: {
          y: {beginAtZero: true, title: {display: true, text: "件 legs"}, ticks: {precision: 0}},
          minutes: {beginAtZero: true, position: "right", grid: {drawOnChartArea: false},
                    title: {display: true, text: "分钟 minutes"}}
        }
      }
    });
  }

  function problem(resp) {
    return resp.json().then(function (p) { return p.title + "：" + (p.detail || ""); },
                            function () { return "HTTP " + resp.status; });
  }

  function showError(text) {
    $("load-error").textContent = text;
    $("load-error").hidden = !text;
  }

  function shown(text) {
    var error = new Error(text);
    error.shown = true;  // already on the page; anything else is a bug and stays an uncaught error
    return error;
  }

  function ignoreShown(error) {
    if (!error.shown) throw error;
  }

  function get(path) {
    var headers = {"Accept-Language": "zh-Hans"};
    if (!document.body.dataset.session) {  // no console sign-in: say how to get in
      $("need-token").hidden = false;
      return Promise.reject(shown("no token"));
    }
    return fetch(path, {headers: headers, credentials: "same-origin"})
      .then(function (resp) {
        if (resp.status === 401) $("need-token").hidden = false;
        if (!resp.ok) return problem(resp).then(function (text) { showError(text); throw shown(text); });
        showError("");
        return resp;
      });
  }

  function load() {
    remember();
    document.body.dataset.loaded = "";
    return get("/api/v1/halls/" + encodeURIComponent(hall) + "/reports?" + query())
      .then(function (resp) { return resp.json(); })
      .then(function (rep) { render(rep); document.body.dataset.loaded = query(); })
      .catch(ignoreShown);
  }

  function download(format, part) {
    return get("/api/v1/halls/" + encodeURIComponent(hall) + "/reports/export?" + query() + "&format=" + format +
               (part ? "&part=" + part : ""))
      .then(function (resp) {
        var name = /filename="([^"]+)"/.exec(resp.headers.get("Content-Disposition") || "");
        return resp.blob().then(function (blob) {
          var a = document.createElement("a");
          a.href = URL.createObjectURL(blob);
          a.download = name ? name[1] : "report." + format;
          document.body.appendChild(a);
          a.click();
          a.remove();
          setTimeout(function () { URL.revokeObjectURL(a.href); }, 60000);  // the download has started by then
        });
      })
      .catch(ignoreShown);
  }

  function remember() {
    // The period and grouping stay in the URL, so a reload or a bookmark shows the same report.
    var params = new URLSearchParams({period: state.period, by: state.by});
    if (state.period === "custom") { params.set("from", state.from); params.set("to", state.to); }
    else params.set("date", state.anchor);
    history.replaceState(null, "", window.location.pathname + "?" + params);
    select("period-tabs", "period", state.period);
    select("by-tabs", "by", state.by);
    $("anchor-box").hidden = state.period === "custom";
    $("custom-box").hidden = state.period !== "custom";
  }

  function select(tabsId, attr, value) {
    Array.prototype.forEach.call($(tabsId).querySelectorAll("button"), function (b) {
      b.setAttribute("aria-selected", String(b.dataset[attr] === value));
    });
  }

  function init() {
    var params = new URLSearchParams(window.location.search);
    state.period = ["day", "week", "month", "custom"].indexOf(params.get("period")) >= 0 ? params.get("period")
      : "month";
    state.by = GROUP[params.get("by")] ? params.get("by") : "service";
    state.anchor = params.get("date") || today();
    state.from = params.get("from") || state.anchor;
    state.to = params.get("to") || state.anchor;
    $("anchor").value = state.anchor;
    $("from").value = state.from;
    $("to").value = state.to;
    $("period-tabs").addEventListener("click", function (e) {
      if (!e.target.dataset.period) return;
      state.period = e.target.dataset.period;
      load();
    });
    $("by-tabs").addEventListener("click", function (e) {
      if (!e.target.dataset.by) return;
      state.by = e.target.dataset.by;
      load();
    });
    $("anchor").addEventListener("change", function () { if (this.value) { state.anchor = this.value; load(); } });
    $("from").addEventListener("change", function () { if (this.value) { state.from = this.value; load(); } });
    $("to").addEventListener("change", function () { if (this.value) { state.to = this.value; load(); } });
    $("export-xlsx").addEventListener("click", function () { download("xlsx"); });
    $("export-csv").addEventListener("click", function () { download("csv"); });
    $("export-citizens-csv").addEventListener("click", function () { download("csv", "citizens"); });
    load();
  }

  init();
})();
