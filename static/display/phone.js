/* The citizen's phone page /t/<token>: live status of one ticket, a clear "到您了" state that alerts again on
   every recall, what to do when 已挂起 or 已过号, cancel, 补打 (the paper ticket printed again at the kiosk that
   printed it, for the citizen standing at it) and the rating link for the visit just finished, until it is rated.
   A remote ticket (线上取号) also shows its arrival panel: the entrance code typed or scanned, the alert to set off
   and the alert when it is held at the head of its queue.
   The server renders the first state with the same texts (display/templates/display/phone.html). */
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
  // "3号 综合窗口" (queue_server.storage.models.window_label): names repeat in a hall, the number does not.
  function windowLabel(number, name) {
    var no = number + "号";
    if (!name) return no + "窗口";
    return name.indexOf(no) === 0 ? name : no + " " + name;
  }
  var state = JSON.parse($("initial").textContent);
  // The call already announced on this page (window and call count): a recall raises the count and alerts again.
  var alerted = state.status === "called" ? {window: state.window, calls: state.call_count || 1} : null;
  var chime = null;

  // Browsers play sound only after the person touched the page once: the first touch readies the chime.
  function readyChime() {
    if (chime) return;
    try {
      chime = new Audio("/display/voice/chime.wav");
      chime.muted = true;
      chime.play().then(function () { chime.pause(); chime.muted = false; chime.currentTime = 0; })
        .catch(function () { chime.muted = false; });
    } catch (e) { chime = null; }
  }
  document.addEventListener("touchstart", readyChime, {once: true, passive: true});
  document.addEventListener("click", readyChime, {once: true});

  function alertCalled(again) {
    if (navigator.vibrate) navigator.vibrate(again ? [600, 200, 600, 200, 600] : [400, 200, 400, 200, 400]);
    try {
      var sound = chime || new Audio("/display/voice/chime.wav");
      sound.currentTime = 0;
      var played = sound.play();
      if (played && played.catch) played.catch(function () { /* not allowed without a touch: vibration only */ });
    } catch (e) { /* no audio */ }
    // Restart the pulse so a recall is seen even by someone already looking at the page.
    var box = $("called");
    box.classList.remove("pulse");
    void box.offsetWidth;
    box.classList.add("pulse");
    document.body.dataset.alerts = String(Number(document.body.dataset.alerts || 0) + 1);
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
    var calls = state.call_count || 1;
    $("called").hidden = !called;
    $("recalled").hidden = !(called && calls > 1);
    $("called-window").textContent = state.window_label || (state.window == null ? "" : state.window + "号窗口");
    $("called-window-en").textContent = state.window == null ? "" : state.window;
    $("waiting").hidden = state.status !== "waiting";
    $("guide-parked").hidden = state.status !== "parked";
    $("parked-auto").hidden = !state.parked_until_local;
    $("parked-hand").hidden = !!state.parked_until_local;
    $("parked-until").textContent = state.parked_until_local || "";
    $("guide-no-show").hidden = state.status !== "no_show";
    $("no-show-open").hidden = !state.no_show_until_local;
    $("no-show-late").hidden = !!state.no_show_until_local;
    $("no-show-until").textContent = state.no_show_until_local || "";
    $("ahead").textContent = state.ahead;
    $("wait").textContent = Math.max(1, Math.round((state.estimated_wait_s || 0) / 60)) + " 分钟 min";
    renderArrival();
    $("cancel").hidden = !OPEN[state.status];
    // 一次一评: the link names the visit and goes once it is rated (on the phone or the window's tablet).
    var visit = state.visit;
    $("rate").hidden = !(state.status === "finished" && visit && !visit.rated);
    $("rate-visit").textContent = visit ? visit.service_name + (visit.window_label ? " · " + visit.window_label : "") +
      " · " + visit.finished_at_local + " 办结" : "";
    $("rated").hidden = !(visit && visit.rated);
    $("rated-level").textContent = visit && visit.rated ? visit.rated_level_name : "";
    renderPaper();
    if (!called) { alerted = null; return; }
    if (!alerted || alerted.window !== state.window || calls > alerted.calls) {
      var again = !!alerted && alerted.window === state.window;
      alerted = {window: state.window, calls: calls};
      alertCalled(again);
    }
  }

  // 线上取号: a remote ticket waits for its citizen's arrival. Alert once when it is time to set off (people
  // ahead at or below the hall's walk_ahead) and again when the ticket is held at the head of its queue.
  var walkAlerted = false, heldAlerted = !!state.held;
  function renderArrival() {
    var awaiting = !!state.remote && !state.arrived && state.status === "waiting";
    var walk = awaiting && !state.held && state.ahead <= (state.walk_ahead || 0);
    $("arrival").hidden = !awaiting;
    $("held").hidden = !(awaiting && state.held);
    $("hold-until").textContent = state.hold_until_local || "";
    $("walk").hidden = !walk;
    $("arrived").hidden = !(state.remote && state.arrived && state.status === "waiting");
    $("guide-expired").hidden = !(state.remote && state.status === "expired");
    document.body.dataset.arrival = awaiting ? (state.held ? "held" : walk ? "walk" : "pending")
      : state.remote && state.arrived ? "arrived" : "";
    if (walk && !walkAlerted) { walkAlerted = true; buzz([300, 150, 300]); }
    if (awaiting && state.held && !heldAlerted) {
      heldAlerted = true;
      buzz([600, 200, 600, 200, 600]);
      var box = $("held");
      box.classList.remove("pulse");
      void box.offsetWidth;
      box.classList.add("pulse");
    }
  }

  function buzz(pattern) {
    if (navigator.vibrate) navigator.vibrate(pattern);
    try {
      var sound = chime || new Audio("/display/voice/chime.wav");
      sound.currentTime = 0;
      var played = sound.play();
      if (played && played.catch) played.catch(function () { /* not allowed without a touch */ });
    } catch (e) { /* no audio */ }
    document.body.dataset.alerts = String(Number(document.body.dataset.alerts || 0) + 1);
  }

  function arrive(code) {
    $("arrive-error").hidden = true;
    HallqRetry.fetch("/api/v1/track/" + encodeURIComponent(token) + "/arrive", {
      method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify({hall_code: code})
    }, showTrouble)
      .then(function (r) { return r.json().then(function (t) { return {ok: r.ok, body: t}; }); })
      .then(function (res) {
        if (!res.ok) {
          $("arrive-error").textContent = res.body.title + "：" + res.body.detail;
          $("arrive-error").hidden = false;
          return;
        }
        state = res.body; render();
      })
      .catch(function () {
        $("arrive-error").textContent = "网络不通，请稍后再试。Network problem, please try again.";
        $("arrive-error").hidden = false;
      });
  }

  $("arrive-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var code = $("hall-code").value.replace(/\D/g, "");
    if (!code) { $("hall-code").focus(); return; }
    arrive(code);
  });

  // Scanning: the entrance QR holds /arrive/<hall>?code=NNNNNN. Phones whose browser reads QR codes from a photo
  // (BarcodeDetector) offer the camera; others type the six digits printed under the QR.
  if ("BarcodeDetector" in window) {
    $("scan").hidden = false;
    $("scan-file").addEventListener("change", function () {
      var file = this.files && this.files[0];
      if (!file) return;
      createImageBitmap(file).then(function (image) {
        return new window.BarcodeDetector({formats: ["qr_code"]}).detect(image);
      }).then(function (codes) {
        var text = codes.length ? codes[0].rawValue : "";
        var m = /[?&]code=(\d+)/.exec(text) || /^(\d{6})$/.exec(text);
        if (!m) {
          $("arrive-error").textContent = "未识别到进厅码，请重拍或直接输入数字。No entrance code found: try again or type it.";
          $("arrive-error").hidden = false;
          return;
        }
        $("hall-code").value = m[1];
        arrive(m[1]);
      }).catch(function () {
        $("arrive-error").textContent = "无法识别，请直接输入数字。Could not read it: please type the code.";
        $("arrive-error").hidden = false;
      });
    });
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
      if (ev.type === "ticket.arrived") state.arrived = true;
      if (ev.type === "ticket.held") state.held = true;
      state.window = ev.window ? ev.window.number : ev.ticket.window;
      if (ev.window && ev.window.number != null) state.window_label = windowLabel(ev.window.number, ev.window.name);
      if (ev.ticket.call_count != null) state.call_count = ev.ticket.call_count;
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
