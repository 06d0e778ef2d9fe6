/* The window screen (窗口屏): window number and name, the ticket being served, staff 工号, pause state. */
(function () {
  "use strict";
  var S = window.HallqScreen;
  var hall = document.body.dataset.hall;
  var number = Number(document.body.dataset.window);
  var $ = function (id) { return document.getElementById(id); };
  S.clock($("clock"));
  var token = S.displayToken(hall);
  if (!token) { $("need-token").hidden = false; return; }
  var current = null;
  // States in which the window takes no one: the screen says so instead of leaving a stale number up.
  var STATE_TEXT = {paused: "暂停服务 Paused", away: "暂时离岗 Away", closed: "暂停服务 Closed"};

  function showWindow(w) {
    // "3号 综合窗口"; a name that already carries the number ("3号窗口") is shown once.
    var label = S.windowLabel(number, w.name);
    $("w-number").textContent = label.indexOf(number + "号 ") === 0 ? number + "号" : label;
    $("w-name").textContent = label.indexOf(number + "号 ") === 0 ? label.slice(String(number).length + 2) : "";
    $("staff").textContent = w.staff || "—";
    var text = STATE_TEXT[w.state];
    $("paused").hidden = !text;
    if (text) $("state-text").textContent = text;
    $("reason").textContent = w.reason ? "（" + w.reason + "）" : "";
  }
  function showCurrent(n) {
    current = n;
    $("current").textContent = n || "—";
  }

  HallqFeed.start({
    hall: hall,
    window: number,
    auth: {token: token},
    onSnapshot: function (snap) {
      showWindow(snap.window);
      showCurrent(snap.window.current ? snap.window.current.number : null);
      document.body.dataset.ready = "1";
    },
    onEvent: function (ev) {
      if (ev.window) showWindow(ev.window);
      if (ev.type === "ticket.called" || ev.type === "ticket.recalled" || ev.type === "ticket.started") {
        showCurrent(ev.ticket.number);
      } else if (ev.ticket && ev.ticket.number === current && ev.type !== "ticket.issued") {
        showCurrent(null);
      }
    },
    onStatus: function (online) {
      $("offline").hidden = online;
      document.body.dataset.online = online ? "1" : "0";
      if (online) S.showRefused(false);
    },
    onRefused: function () { S.showRefused(true); $("offline").hidden = true; }
  });
})();
