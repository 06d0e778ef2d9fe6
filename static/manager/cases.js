/* The 差评 case list: filters (status, overdue, service, window) kept in the address so a link reproduces the
 * view, rows linking to their case, overdue rows marked, and the XLSX export of the same filter. The hall's
 * /live feed re-reads the list when a case opens or moves (evaluation.* events). */
(function () {
  "use strict";
  var C = window.HallqCases;
  var el = HallqDom.el;
  var hall = document.body.dataset.hall;
  var form = document.getElementById("case-filters");
  var timer = null;

  function query() {
    var params = new URLSearchParams();
    ["status", "service", "window"].forEach(function (name) {
      var v = form.elements[name].value;
      if (v) params.set(name, v);
    });
    if (form.elements.overdue.checked) params.set("overdue", "true");
    return params.toString();
  }

  function fromAddress() {
    var params = new URLSearchParams(window.location.search);
    ["status", "service", "window"].forEach(function (name) { form.elements[name].value = params.get(name) || ""; });
    form.elements.overdue.checked = params.get("overdue") === "true";
  }

  function render(cases) {
    var tbody = document.querySelector("#cases tbody");
    tbody.replaceChildren();
    cases.forEach(function (c) {
      var link = el("a", {href: "/manager/" + hall + "/cases/" + c.id, text: String(c.id)});
      tbody.appendChild(el("tr", {"data-case": String(c.id), "class": (c.overdue ? "overdue " : "") + "status-" + c.status}, [
        el("td", {}, [link]),
        el("td", {"class": "status", text: C.STATUS[c.status] || c.status}),
        el("td", {text: c.service_name}),
        el("td", {"class": "window", text: c.window_label || "–"}),
        el("td", {text: c.rating.level + " " + c.rating.level_name}),
        el("td", {"class": "reason", text: C.reason(c.rating)}),
        el("td", {text: C.when(c.rating.rated_at)}),
        el("td", {"class": "due", text: c.due_on}),
        el("td", {"class": "left", text: C.left(c)})
      ]));
    });
    document.getElementById("no-cases").hidden = cases.length > 0;
    var overdue = cases.filter(function (c) { return c.overdue; }).length;
    document.getElementById("case-count").textContent = "共 " + cases.length + " 件" +
      (overdue ? "，超期 " + overdue + " 件" : "") + " · " + cases.length + " cases";
  }

  function load() {
    var q = query();
    history.replaceState(null, "", window.location.pathname + (q ? "?" + q : ""));
    document.getElementById("export").href = "/api/v1/halls/" + hall + "/evaluation-cases/export" + (q ? "?" + q : "");
    return C.api("GET", "/api/v1/halls/" + hall + "/evaluation-cases" + (q ? "?" + q : ""))
      .then(render).catch(HallqDom.showError);
  }

  function loadSoon() {
    if (timer) clearTimeout(timer);
    timer = setTimeout(function () { timer = null; load(); }, 300);
  }

  fromAddress();
  form.addEventListener("change", load);
  form.addEventListener("submit", function (ev) { ev.preventDefault(); load(); });
  load().then(function () {
    HallqFeed.start({
      hall: hall, auth: {},
      onEvent: function (ev) { if (ev.type.indexOf("evaluation.") === 0) loadSoon(); },
      onSnapshot: loadSoon,
      onStatus: function (up) {
        var s = document.getElementById("feed-status");
        s.textContent = up ? "在线 online" : "离线 offline";
        s.className = "status " + (up ? "online" : "offline");
      }
    });
  });
})();
