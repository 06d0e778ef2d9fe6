/* The citizen's phone page /t/<token>: live status of one ticket, a clear "到您了" state, cancel, and 补打 (the
   paper ticket printed again at the kiosk that printed it, for the citizen standing at it). */
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

  var PENDING = {queued: 1, printing: 1};
  var LATE_REPORT_MS = 5000;  // a printed report may reach the server just after the deadline

  // A job past its deadline is dead even before the server's round marks it expired.
  function due(p) { return PENDING[p.status] && p.deadline_in_s > 0; }

  function paperText(p) {
    var at = p.kiosk;
    if (due(p)) return "正在" + at + "打印，请到该机取票 Printing at " + at;
    if (p.status === "printed") return p.reprint ? "已在" + at + "补打，请取票 Printed again at " + at
                                                 : "纸质号票已打印 Paper ticket printed";
    if (p.status === "cancelled") return "号票已取消，不再打印 Cancelled: nothing prints";
    return "纸质号票未能打印，请以本页号码为准 The paper ticket did not print: this page shows your number";
  }

  var following = false;

  function renderPaper() {
    var p = state.print_job;
    $("paper").hidden = !p;
    if (!p) return;
    $("paper-status").textContent = paperText(p);
    $("reprint").hidden = !(OPEN[state.status] && !due(p) && p.reprints_left > 0);
    // Print events go to the hall's room, not the ticket's: while the paper is due, the page asks.
    if (due(p) && !following) followPaper(Date.now() + p.deadline_in_s * 1000 + LATE_REPORT_MS);
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
    renderPaper();
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

  // Follow a job that may still print until it printed or its deadline (plus a moment for a late report) passed.
  function followPaper(until) {
    following = true;
    setTimeout(function () {
      var p = state.print_job;
      if (Date.now() < until && (!p || PENDING[p.status])) { refresh(); followPaper(until); return; }
      following = false;
      if (p && PENDING[p.status]) refresh();  // its deadline passed: the server now says 0 s left
    }, 1000);
  }

  $("reprint").addEventListener("click", function () {
    var at = state.print_job ? state.print_job.kiosk : "";
    if (!window.confirm("请确认您就在" + at + "旁边：号票将在该机打印。 Are you at " + at + "? The ticket prints there.")) {
      return;
    }
    $("reprint").hidden = true;
    HallqRetry.fetch("/api/v1/track/" + encodeURIComponent(token) + "/reprint", {method: "POST"}, showTrouble)
      .then(function (r) { return r.json().then(function (t) { return {ok: r.ok, body: t}; }); })
      .then(function (res) {
        if (!res.ok) { $("paper-status").textContent = res.body.title + "：" + res.body.detail; return; }
        state = res.body; render();  // the new job is pending: render follows it
      })
      .catch(function () { renderPaper(); });
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
