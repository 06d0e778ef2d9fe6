/* The hall wall display (综合屏): applies snapshots and events from feed.js, pages the window and service panels,
 * queues announcements. A display given a zone (?zone=一楼A区, or a floor ?zone=一楼, or several: zone=a,b) shows
 * and announces only the windows of that zone and the services they serve. */
(function () {
  "use strict";
  var S = window.HallqScreen;
  var hall = document.body.dataset.hall;
  var REPLAY_ANNOUNCE_MAX_MS = 30000;  // a replayed call older than this is stale: show it, don't announce it
  var RECENT_MAX = 8;
  var FLASH_MS = 10000;
  var PAGE_MS = 8000;                  // the limit is 10 s per page; 8 s leaves time to read a page
  var zones = (document.body.dataset.zone || "").split(",").map(function (z) { return z.trim(); })
    .filter(Boolean);
  var board = {windows: {}, services: {}, order: [], recent: [], latest: null};
  var $ = function (id) { return document.getElementById(id); };
  var feed = null;

  S.clock($("clock"));
  var token = S.displayToken(hall);
  if (!token) { $("need-token").hidden = false; return; }

  var pagers = {windows: HallqPager.create($("windows"), $("windows-pages")),
                services: HallqPager.create($("services"), $("services-pages"))};
  HallqPager.turnEvery(PAGE_MS, [pagers.windows, pagers.services]);
  window.hallqPages = {intervalMs: PAGE_MS, windows: pagers.windows, services: pagers.services};

  // 线上取号: today's entrance code and its QR, read with the display's credential; asked again every few minutes,
  // so the new day's code appears soon after the hall's day turns. A refusal (an old server) hides the panel.
  var ENTRANCE_EVERY_MS = 5 * 60 * 1000;
  function loadEntrance() {
    fetch("/api/v1/halls/" + encodeURIComponent(hall) + "/entrance-code",
          {headers: {"Authorization": "Bearer " + token, "Accept": "application/json"}, cache: "no-store"})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (e) {
        if (!e) { showEntrance(null); return; }
        showEntrance(e);
      })
      .catch(function () { /* offline: keep what is shown; the next round asks again */ });
  }
  function showEntrance(e) {
    var box = $("entrance");
    box.hidden = !e;
    document.body.classList.toggle("has-entrance", !!e);
    if (!e) return;
    if ($("entrance-code").textContent === e.code) return;
    var svg = new DOMParser().parseFromString(e.qr_svg, "image/svg+xml").documentElement;
    svg.removeAttribute("width");
    svg.removeAttribute("height");
    $("entrance-qr").replaceChildren(document.importNode(svg, true));
    $("entrance-code").textContent = e.code;
    box.dataset.date = e.date;
  }
  loadEntrance();
  setInterval(loadEntrance, ENTRANCE_EVERY_MS);

  var announcer = HallqAnnouncer.create({
    chimeUrl: "/display/voice/chime.wav",
    speechUrl: function (v) { return "/display/voice/" + v.key + ".wav?s=" + encodeURIComponent(v.speech); },
    onChange: function (a) { $("sound").hidden = !a.blocked; },
    now: function () { return feed ? feed.serverNow() : Date.now(); },  // call times are the server's
    overrides: window.hallqAnnouncerOverrides  // a test's virtual clock and player (tests/browser)
  });
  window.hallqAnnouncer = announcer;  // tests and operators can inspect the queue

  // A zone matches a window's zone exactly or as its beginning: "一楼" is every area of the first floor.
  function inZone(zone) {
    if (!zones.length) return true;
    zone = zone || "";
    return zones.some(function (z) { return zone === z || zone.indexOf(z) === 0; });
  }

  function zoneServices() {
    var codes = {};
    Object.keys(board.windows).forEach(function (n) {
      var w = board.windows[n];
      if (inZone(w.zone)) (w.services || []).forEach(function (c) { codes[c] = true; });
    });
    return codes;
  }

  function renderLatest() {
    var box = $("latest");
    box.textContent = "";
    var c = board.latest;
    if (!c) { box.appendChild(S.el("span", "empty", "—")); return; }
    box.appendChild(S.el("span", "number", c.number));
    box.appendChild(S.el("span", "arrow", "请到"));
    box.appendChild(S.el("span", "to", S.windowLabel(c.window, c.name)));
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
      li.appendChild(S.el("span", "to", S.windowLabel(c.window, c.name)));
      ol.appendChild(li);
    });
  }

  // A window that is not serving shows why instead of a number (the number is gone from it anyway).
  var STATE_TEXT = {paused: "暂停服务", away: "暂时离岗", closed: "暂停服务"};

  function renderWindows() {
    var grid = $("windows");
    grid.textContent = "";
    var shown = 0;
    Object.keys(board.windows).map(Number).sort(function (a, b) { return a - b; }).forEach(function (n) {
      var w = board.windows[n];
      if (!inZone(w.zone)) return;
      var card = S.el("div", "window-card " + w.state);
      card.dataset.window = n;
      card.appendChild(S.el("span", "w-no", n + "号"));
      card.appendChild(S.el("span", "w-current", STATE_TEXT[w.state] || w.current || "—"));
      card.appendChild(S.el("span", "w-name", w.name && w.name.indexOf(n + "号") !== 0 ? w.name : ""));
      grid.appendChild(card);
      shown++;
    });
    pagers.windows.layout();
    return shown;
  }

  function renderServices() {
    var list = $("services");
    list.textContent = "";
    var mine = zones.length ? zoneServices() : null;
    board.order.forEach(function (code) {
      var s = board.services[code];
      if (!s || s.active === false || (mine && !mine[code])) return;
      var li = S.el("li");
      li.dataset.service = code;
      li.appendChild(S.el("span", "s-name", s.name));
      li.appendChild(S.el("span", "num", s.waiting + " 人"));
      li.appendChild(S.el("span", "num s-wait", s.waiting ? S.minutes(s.estimated_wait_s) : "—"));
      list.appendChild(li);
    });
    pagers.services.layout();
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

  function checkZone(shown) {
    if (!zones.length) return;
    $("no-zone").hidden = shown > 0;
    if (shown > 0) return;
    var all = [];  // in window-number order, which is the order people walk the hall in
    Object.keys(board.windows).map(Number).sort(function (a, b) { return a - b; }).forEach(function (n) {
      var z = board.windows[n].zone;
      if (z && all.indexOf(z) < 0) all.push(z);
    });
    $("zones").textContent = all.join("、") || "（未设置区域）";
  }

  function onSnapshot(snap) {
    board.windows = {};
    snap.windows.forEach(function (w) {
      board.windows[w.number] = {state: w.state, current: w.current ? w.current.number : null, name: w.name,
                                 zone: w.zone, services: w.services || []};
    });
    board.services = {};
    board.order = [];
    snap.services.forEach(function (s) { board.services[s.code] = s; board.order.push(s.code); });
    board.recent = snap.recent.filter(function (ev) { return inZone(ev.window && ev.window.zone); })
      .slice(0, RECENT_MAX).map(callOf);
    board.latest = board.recent[0] || null;
    renderLatest(); renderRecent(); checkZone(renderWindows()); renderServices(); renderNotices(snap.notices);
    document.body.dataset.ready = "1";  // tests and monitoring: the board holds a consistent state
  }

  function onEvent(ev, meta) {
    var w = ev.window && board.windows[ev.window.number];
    switch (ev.type) {
      case "ticket.called":
      case "ticket.recalled":
        if (w) w.current = ev.ticket.number;
        if (!inZone(ev.window.zone)) break;  // another zone's call: its own display shows and announces it
        var call = callOf(ev);
        board.latest = call;
        board.recent = [call].concat(board.recent.filter(function (c) { return c.number !== call.number; }))
          .slice(0, RECENT_MAX);
        renderLatest(); renderRecent(); renderWindows();
        var at = Date.parse(ev.at);
        var age = meta.serverNow - at;
        if (ev.voice && (!meta.replayed || age < REPLAY_ANNOUNCE_MAX_MS)) {
          announcer.enqueue(ev.voice, {at: at, recall: ev.type === "ticket.recalled", window: ev.window.number,
                                       ticket: ev.ticket.number});
        }
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
          board.windows[ev.window.number] = {state: ev.window.state, current: null, name: ev.window.name,
                                             zone: ev.window.zone, services: []};
        }
        renderWindows();
        break;
      case "service.updated":
        // Renamed, out of use, or 暂停今日取号 (closed_on): the board lists only services people can queue for.
        var sv = ev.service, known = board.services[sv.code];
        if (!known) {
          known = board.services[sv.code] = {waiting: 0, estimated_wait_s: 0};
          board.order.push(sv.code);
        }
        known.name = sv.name;
        known.active = sv.active !== false && !sv.closed_on;
        renderServices();
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

  feed = HallqFeed.start({
    hall: hall,
    auth: {token: token},
    onSnapshot: onSnapshot,
    onEvent: onEvent,
    onStatus: function (online) {
      $("offline").hidden = online;
      document.body.dataset.online = online ? "1" : "0";
      document.body.classList.toggle("is-offline", !online);
      if (online) S.showRefused(false);
    },
    onRefused: function () { S.showRefused(true); $("offline").hidden = true; }
  });
})();
