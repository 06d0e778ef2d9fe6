/* The citizen's phone page /t/<token>: live status of one ticket, a clear "到您了" state, cancel. */
(function () {
  "use strict";
  var token = document.body.dataset.token;
  var hall = document.body.dataset.hall;
  var $ = function (id) { return document.getElementById(id); };
  var LABELS = {
    waiting: "等候中 Waiting", called: "到您了 Your turn", serving: "办理中 Being served",
    parked: "已挂起 On hold", finished: "已办结 Done", no_show: "已过号 Missed", cancelled: "已取消 Cancelled",
    expired: "已过期 Expired"
  };
  var OPEN = {waiting: 1, called: 1, parked: 1};
  var state = JSON.parse($("initial").textContent);
  var alerted = state.status === "called" ? state.window : null;

  function alertCalled() {
    if (navigator.vibrate) navigator.vibrate([400, 200, 400, 200, 400]);
    try { new Audio("/display/voice/chime.wav").play().catch(function () {}); } catch (e) { /* no audio */ }
  }

  function render() {
    $("card").dataset.status = state.status;
    $("number").textContent = state.number;
    $("service").textContent = state.service_name || state.service;
    $("status").textContent = LABELS[state.status] || state.status;
    var called = state.status === "called" && state.window != null;
    $("called").hidden = !called;
    $("called-window").textContent = state.window == null ? "" : state.window;
    $("called-window-en").textContent = state.window == null ? "" : state.window;
    $("waiting").hidden = state.status !== "waiting";
    $("ahead").textContent = state.ahead;
    $("wait").textContent = Math.max(1, Math.round((state.estimated_wait_s || 0) / 60)) + " 分钟 min";
    $("cancel").hidden = !OPEN[state.status];
    $("rate").hidden = state.status !== "finished";  // 一次一评 by phone when no tablet took the rating
    if (called && alerted !== state.window) { alerted = state.window; alertCalled(); }
  }

  function refresh() {
    HallqRetry.fetch("/api/v1/track/" + encodeURIComponent(token), {cache: "no-store"}, showTrouble)
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (t) { if (t) { state = t; render(); } })
      .catch(function () { /* offline: the feed reconnects and the next sync brings the state */ });
  }

  // A moment of server trouble (the database restarting): say so while the request is retried by itself.
  function showTrouble(message) {
    $("trouble").textContent = message || "";
    $("trouble").hidden = !message;
  }

  $("cancel").addEventListener("click", function () {
    if (!window.confirm("确定取消排队吗？ Cancel this ticket?")) return;
    HallqRetry.fetch("/api/v1/track/" + encodeURIComponent(token) + "/cancel", {method: "POST"}, showTrouble)
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (t) { if (t) { state = t; render(); } });
  });

  render();
  HallqFeed.start({
    hall: hall,
    track: true,
    auth: {track: token},
    onSnapshot: function (snap) { if (snap.ticket) { state = snap.ticket; render(); } },
    onEvent: function (ev) {
      if (!ev.ticket) return;
      state.status = ev.ticket.status;
      state.window = ev.window ? ev.window.number : ev.ticket.window;
      render();
      refresh();  // people ahead and the estimate are not in the event: fetch them
    },
    onPosition: function (p) {
      if (state.status !== "waiting") return;
      state.ahead = p.ahead;
      state.estimated_wait_s = p.estimated_wait_s;
      render();
    },
    onSync: function (ack) { if (ack.ticket) { state = ack.ticket; render(); } },
    onStatus: function (online) { $("offline").hidden = online; document.body.dataset.online = online ? "1" : "0"; }
  });
})();
