/* Prefecture overview: one line per hall from GET /api/v1/monitor, re-read when any hall's /live feed reports
 * a change. The hub joins one hall per subscription, so the page runs one feed per hall (about ten sockets for
 * a prefecture); a burst of events (a call emits several) is folded into one re-read. A slow poll stays as a
 * safety net: waits grow with time alone, without any event. */
(function () {
  "use strict";
  var SETTLE_MS = 500;            // a call or an issue publishes a few events at once: read once after them
  var SAFETY_POLL_MS = 120000;    // nothing missed for long even if every socket is blocked by a proxy
  var status = document.getElementById("feed-status");
  var pending = null;
  var online = {};

  function refresh() {
    pending = null;
    fetch("/api/v1/monitor", {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (d) {
      (d.halls || []).forEach(function (h) {
        var row = document.querySelector('tr[data-hall="' + h.hall + '"]');
        if (!row) return;
        var openCell = row.querySelector(".hall-open");
        openCell.textContent = h.open ? "营业中 open" : "已闭厅 closed";
        openCell.title = "今日 " + (h.hours_today || "");
        row.classList.toggle("hall-closed", !h.open);
        row.querySelector(".waiting").textContent = h.waiting;
        row.querySelector(".serving").textContent = h.serving;
        row.querySelector(".open").textContent = h.open_windows;
        row.querySelector(".alerts").textContent = h.open_alerts;
        row.classList.toggle("has-alerts", h.open_alerts > 0);
      });
    }).catch(function () { setStatus(); });
  }

  function refreshSoon() {
    if (pending === null) pending = setTimeout(refresh, SETTLE_MS);
  }

  function setStatus() {
    var codes = Object.keys(online);
    var up = codes.filter(function (c) { return online[c]; }).length;
    var all = codes.length > 0 && up === codes.length;
    status.textContent = all ? "在线 online" : (up ? "部分在线 " + up + "/" + codes.length : "离线 offline");
    status.className = "status " + (all ? "online" : "offline");
  }

  refresh();
  document.querySelectorAll("tr[data-hall]").forEach(function (row) {
    var code = row.dataset.hall;
    online[code] = false;
    HallqFeed.start({
      hall: code, auth: {},
      onEvent: refreshSoon,
      onSnapshot: refreshSoon,
      onStatus: function (up) { online[code] = up; setStatus(); }
    });
  });
  setStatus();
  setInterval(refresh, SAFETY_POLL_MS);
})();
