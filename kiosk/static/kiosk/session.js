/* hallq kiosk: one citizen's session. A kiosk is shared: what one person set up must not greet the next.
   - The header clock shows the hall's time (timezone and clock from the server), not the kiosk PC's.
   - An unattended page warns for 10 s ("继续" keeps it) and then returns home; home, 完成 and that idle return
     end the session: 大字模式 and English switch off for the next person.
   - 返回 goes back to the page this one was opened from (else to its parent, the link's own address).
   Loaded after kiosk.js, whose ticket dialog sets a shorter idle time through window.hallqKiosk.setIdle. */
(function () {
  "use strict";
  var LARGE_KEY = "hallq.kiosk.large";
  var IDLE_MS = 90 * 1000;       // an unattended page returns home after 90 s
  var WARN_MS = 10 * 1000;       // ... after a 10 s warning with 继续
  var body = document.body, cfg = JSON.parse(document.getElementById("kiosk-config").textContent);
  var k = window.hallqKiosk || {};
  function t(key) { return (cfg.texts && cfg.texts[key]) || key; }
  function home() { return cfg.hall ? "/kiosk/" + cfg.hall + "/" : "/kiosk/"; }
  var atHome = location.pathname === home();

  function endSession() {
    localStorage.setItem(LARGE_KEY, "0");
    document.cookie = "lang=; path=/; max-age=0";
  }
  k.endSession = endSession;
  document.addEventListener("click", function (e) {
    if (e.target.closest("[data-home], [data-done], [data-error-home]")) endSession();
  }, true);

  // 返回: the page it came from on this kiosk, when there is one; its parent page otherwise. The site sends
  // Referrer-Policy: no-referrer, so a tap on a kiosk link notes the page it leaves in this tab's sessionStorage
  // and the next page takes the note (a page opened any other way has none and goes to its parent).
  var ref = "";
  try {
    ref = sessionStorage.getItem("hallq.kiosk.from") || "";
    sessionStorage.removeItem("hallq.kiosk.from");
  } catch (err) { ref = ""; }  // storage refused: 返回 goes to the parent page
  document.addEventListener("click", function (e) {
    var link = e.target.closest("a[href]");
    if (!link || link.hasAttribute("data-back")) return;
    try { sessionStorage.setItem("hallq.kiosk.from", location.href); } catch (err) { /* parent page then */ }
  }, true);
  document.querySelectorAll("[data-back]").forEach(function (b) {
    b.addEventListener("click", function (e) {
      var same = ref && ref.indexOf(location.origin + "/kiosk/") === 0 && ref.indexOf("/kiosk/pair") < 0
        && ref.split("#")[0] !== location.href.split("#")[0];
      if (same && history.length > 1) { e.preventDefault(); history.back(); }
    });
  });

  // The hall's clock: the server's time when the page was made, run on by this PC's clock from there.
  var clock = document.querySelector("[data-clock]");
  var skew = typeof cfg.server_ms === "number" ? cfg.server_ms - Date.now() : 0;
  var format = null;
  try {
    format = new Intl.DateTimeFormat("zh-CN", { timeZone: cfg.timezone || undefined, hour: "2-digit",
                                                minute: "2-digit", hourCycle: "h23" });
  } catch (err) { format = null; }  // an unknown zone: fall back to the PC's own
  function tick() {
    if (!clock) return;
    var d = new Date(Date.now() + skew);
    clock.textContent = format ? format.format(d)
      : ("0" + d.getHours()).slice(-2) + ":" + ("0" + d.getMinutes()).slice(-2);
    clock.setAttribute("data-zone", cfg.timezone || "");
  }
  tick(); setInterval(tick, 5000);

  // Idle: warn 10 s before returning home; any touch (继续 included) starts the wait again.
  var overlay = document.createElement("div");
  overlay.className = "overlay idle-warning";
  overlay.id = "idle-warning";
  overlay.setAttribute("role", "alertdialog");
  overlay.innerHTML = '<div class="dialog"><h2 data-idle-text></h2><p><span class="count" data-idle-count></span> '
    + '<span data-idle-unit></span></p><button class="btn ok" type="button" data-idle-continue></button></div>';
  overlay.querySelector("[data-idle-text]").textContent = t("idle_warning");
  overlay.querySelector("[data-idle-unit]").textContent = t("idle_seconds");
  overlay.querySelector("[data-idle-continue]").textContent = t("continue");
  body.appendChild(overlay);
  var count = overlay.querySelector("[data-idle-count]");
  var idleMs = IDLE_MS, warnTimer = null, stepTimer = null, left = 0;

  function sessionUntouched() {
    // At home with nothing switched on or typed, there is nothing to end and no reason to warn.
    if (!atHome) return false;
    var typed = Array.prototype.some.call(document.querySelectorAll("input"), function (i) { return i.value; });
    return !body.classList.contains("large") && cfg.lang !== "en" && !typed;
  }
  function goHome() {
    endSession();
    if (atHome) location.reload(); else location.href = home();
  }
  function step() {
    count.textContent = String(left);
    if (left <= 0) { goHome(); return; }
    left -= 1;
    stepTimer = setTimeout(step, 1000);
  }
  function warn() {
    if (sessionUntouched()) return;
    left = Math.round(Math.min(WARN_MS, idleMs) / 1000);
    overlay.classList.add("on");
    step();
  }
  function resetIdle() {
    clearTimeout(warnTimer); clearTimeout(stepTimer);
    overlay.classList.remove("on");
    warnTimer = setTimeout(warn, Math.max(0, idleMs - WARN_MS));
  }
  k.setIdle = function (ms) { idleMs = ms; resetIdle(); };
  ["pointerdown", "keydown", "touchstart"].forEach(function (ev) { document.addEventListener(ev, resetIdle); });
  overlay.querySelector("[data-idle-continue]").addEventListener("click", resetIdle);
  resetIdle();
})();
