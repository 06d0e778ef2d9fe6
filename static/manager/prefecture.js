/* Prefecture overview: one line per hall, refreshed from GET /api/v1/monitor (a summary of several halls'
 * feeds would mean one socket per hall; a 30 s poll of one small JSON is cheaper and enough for an overview). */
(function () {
  "use strict";
  var REFRESH_MS = 30000;
  var status = document.getElementById("feed-status");
  function refresh() {
    fetch("/api/v1/monitor", {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (d) {
      status.textContent = "在线 online"; status.className = "status online";
      (d.halls || []).forEach(function (h) {
        var row = document.querySelector('tr[data-hall="' + h.hall + '"]');
        if (!row) return;
        row.querySelector(".waiting").textContent = h.waiting;
        row.querySelector(".serving").textContent = h.serving;
        row.querySelector(".open").textContent = h.open_windows;
        row.querySelector(".alerts").textContent = h.open_alerts;
        row.classList.toggle("has-alerts", h.open_alerts > 0);
      });
    }).catch(function () { status.textContent = "离线 offline"; status.className = "status offline"; });
  }
  refresh();
  setInterval(refresh, REFRESH_MS);
})();
