/* The hall wall display (综合屏): applies snapshots and events from feed.js, queues announcements. */
(function () {
  "use strict";
  var S = window.HallqScreen;
  var hall = document.body.dataset.hall;
  var REPLAY_ANNOUNCE_MAX_MS = 30000;  // a replayed call older than this is stale: show it, don't announce it
  var RECENT_MAX = 8;
  var FLASH_MS = 10000;
  var board = {windows: {}, services: {}, order: [], recent: [], latest: null};
  var $ = function (id) { return document.getElementById(id); };

  S.clock($("clock"));
  var token = S.displayToken(hall);
  if (!token) { $("need-token").hidden = false; return; }

  var announcer = HallqAnnouncer.create({
    chimeUrl: "/display/voice/chime.wav",
    speechUrl: function (v) { return "/display/voice/" + v.key + ".wav?s=" + encodeURIComponent(v.speech); },
    onChange: function (a) { $("sound").hidden = !a.blocked; }
  });
  window.hallqAnnouncer = announcer;  // tests and operators can inspect the queue

  function renderLatest() {
    var box = $("latest");
    box.textContent = "";
    var c = board.latest;
    if (!c) { box.appendChild(S.el("span", "empty", "—")); return; }
    box.appendChild(S.el("span", "number", c.number));
    box.appendChild(S.el("span", "arrow", "请到"));
    box.appendChild(S.el("span", "to", c.window + " 号窗口"));
    box.classList.remove("flash");
    void box.offsetWidth;  // restart the CSS animation for a new call
    box.classList.add("flash");
    clearTimeout(renderLatest.timer);
    renderLatest.timer = setTimeout(function () { box.classList.remove("flash"); }, FLASH_MS);
  }

  function renderRecent() {
    var ol = $("recent");
    ol.textContent = "";
    board.recent.forEach(function (c) {
      var li = S.el("li");
      li.appendChild(S.el("span", "number", c.number));
      li.appendChild(S.el("span", "to", c.window + " 号窗口"));
      ol.appendChild(li);
    });
  }

  // A window that is not serving shows why instead of a number (the number is gone from it anyway).
  var STATE_TEXT = {paused: "暂停服务", away: "暂时离岗", closed: "暂停服务"};

  function renderWindows() {
    var grid = $("windows");
    grid.textContent = "";
    Object.keys(board.windows).map(Number).sort(function (a, b) { return a - b; }).forEach(function (n) {
      var w = board.windows[n];
      var card = S.el("div", "window-card " + w.state);
      card.dataset.window = n;
      card.appendChild(S.el("span", "w-no", n + " 号"));
      card.appendChild(S.el("span", "w-current", STATE_TEXT[w.state] || w.current || "—"));
      grid.appendChild(card);
    });
  }

  function renderServices() {
    var body = $("services");
    body.textContent = "";
    board.order.forEach(function (code) {
      var s = board.services[code];
      if (!s || s.active === false) return;
      var tr = S.el("tr");
      tr.appendChild(S.el("td", null, s.name));
      tr.appendChild(S.el("td", "num", String(s.waiting)));
      tr.appendChild(S.el("td", "num", s.waiting ? S.minutes(s.estimated_wait_s) : "—"));
      body.appendChild(tr);
    });
  }

  var DEFAULT_NOTICE = "请留意叫号 · Please listen for your number";
  function renderNotices(list) {
    var box = $("notices");
    box.textContent = "";
    box.appendChild(S.el("span", null, list && list.length ? list.join("　　·　　") : DEFAULT_NOTICE));
  }

  function callOf(ev) {
    return {number: ev.ticket.number, window: ev.window.number, name: ev.window.name, seq: ev.seq};
  }

  function onSnapshot(snap) {
    board.windows = {};
    snap.windows.forEach(function (w) {
      board.windows[w.number] = {state: w.state, current: w.current ? w.current.number : null, name: w.name};
    });
    board.services = {};
    board.order = [];
    snap.services.forEach(function (s) { board.services[s.code] = s; board.order.push(s.code); });
    board.recent = snap.recent.slice(0, RECENT_MAX).map(callOf);
    board.latest = board.recent[0] || null;
    renderLatest(); renderRecent(); renderWindows(); renderServices(); renderNotices(snap.notices);
    document.body.dataset.ready = "1";  // tests and monitoring: the board holds a consistent state
  }

  function onEvent(ev, meta) {
    var w = ev.window && board.windows[ev.window.number];
    switch (ev.type) {
      case "ticket.called":
      case "ticket.recalled":
        var call = callOf(ev);
        board.latest = call;
        board.recent = [call].concat(board.recent.filter(function (c) { return c.number !== call.number; }))
          .slice(0, RECENT_MAX);
        if (w) w.current = call.number;
        renderLatest(); renderRecent(); renderWindows();
        var age = meta.serverNow - Date.parse(ev.at);
        if (ev.voice && (!meta.replayed || age < REPLAY_ANNOUNCE_MAX_MS)) announcer.enqueue(ev.voice);
        break;
      case "ticket.finished":
      case "ticket.no_show":
      case "ticket.cancelled":
      case "ticket.transferred":
      case "ticket.parked":
        if (w && w.current === ev.ticket.number) { w.current = null; renderWindows(); }
        break;
      case "window.paused":
      case "window.resumed":
      case "window.signed_in":
      case "window.signed_out":
      case "window.stepped_away":
      case "window.returned":
        if (w) { w.state = ev.window.state; } else {
          board.windows[ev.window.number] = {state: ev.window.state, current: null, name: ev.window.name};
        }
        renderWindows();
        break;
      case "notices.updated":
        renderNotices(ev.notices);
        break;
      case "queue.stats":
        ev.services.forEach(function (s) {
          var known = board.services[s.code];
          if (known) { known.waiting = s.waiting; known.estimated_wait_s = s.estimated_wait_s; }
        });
        renderServices();
        break;
    }
  }

  HallqFeed.start({
    hall: hall,
    auth: {token: token},
    onSnapshot: onSnapshot,
    onEvent: onEvent,
    onStatus: function (online) { $("offline").hidden = online; document.body.dataset.online = online ? "1" : "0"; document.body.classList.toggle("is-offline", !online); },
    onRefused: function () { $("need-token").hidden = false; }
  });
})();
