/* Rating tablet (评价器) and the citizen's QR rating page.
 *
 * Tablet (data-mode="device"): the device token is kept in localStorage by the pairing page (/pair, a one-time
 * code; an unpaired tablet is sent there), never taken from the address. The tablet reads
 * GET /api/v1/rating/pending, then follows its window's events on /live (static/js/feed.js) instead of polling: a
 * finish, a sign-in or sign-out at the window and a rating of its visit made on the citizen's phone
 * (evaluation.rated carries the window) re-read it at once; so does every (re)connection, which is when events
 * could have been missed.
 * Phone (data-mode="qr"): rates the ticket of the track token in the page with POST /api/v1/track/{token}/rating.
 */
(function () {
  "use strict";
  const THANKS_MS = 5000;
  const mode = document.body.dataset.mode;
  const $ = (id) => document.getElementById(id);
  const token = localStorage.getItem("hallq.rater_token");
  if (mode === "device" && !token) {
    window.location.replace("/pair");
    return;
  }
  let pending = null;
  let level = null;
  let showingThanks = false;
  let feed = null;

  function show(id) {
    ["idle", "ask", "thanks"].forEach((s) => { $(s).hidden = s !== id; });
  }

  function error(text) {
    $("rate-error").textContent = text;
    $("rate-error").hidden = !text;
  }

  async function call(method, path, data) {
    const headers = {};
    if (mode === "device") headers.Authorization = "Bearer " + token;
    if (data) headers["Content-Type"] = "application/json";
    const resp = await fetch("/api/v1" + path, { method: method, headers: headers, body: data ? JSON.stringify(data) : undefined });
    const json = await resp.json().catch(() => null);
    if (!resp.ok) throw new Error(json && json.title ? json.title + "：" + (json.detail || "") : "提交失败 (" + resp.status + ")");
    return json;
  }

  function resetAsk() {
    level = null;
    $("reason").hidden = true;
    $("confirm").hidden = true;
    $("submit-row").hidden = true;
    document.querySelectorAll("[data-level]").forEach((b) => b.removeAttribute("aria-pressed"));
    $("reason-text").value = "";
    document.querySelectorAll("[data-tag]").forEach((b) => b.setAttribute("aria-pressed", "false"));
    error("");
  }

  async function poll() {
    if (mode !== "device" || showingThanks) return;
    try {
      const state = await call("GET", "/rating/pending");
      // A read that started before the citizen's rating was sent answers after it: the thanks stay on screen.
      if (showingThanks) return;
      follow(state);
      $("idle-window").textContent = state.window_label;  // "3号 综合窗口": names repeat in a hall
      $("idle-staff").textContent = state.staff ? "工号 " + state.staff + "　" + state.staff_name : "";
      const next = state.pending;
      if (!next) { pending = null; show("idle"); return; }
      if (!pending || pending.leg_id !== next.leg_id) {
        pending = next;
        resetAsk();
        $("ask-ticket").textContent = next.ticket_no + "　" + next.service_name;
      }
      show("ask");
    } catch (e) {
      $("idle-window").textContent = e.message;
      show("idle");
    }
  }

  function follow(state) {
    if (feed || !window.HallqFeed) return;
    feed = window.HallqFeed.start({
      hall: state.hall,
      window: state.window,
      auth: {token: token},
      onEvent: function () { poll(); },
      onSnapshot: function () { poll(); },
      onStatus: function (online) {
        document.body.dataset.online = online ? "1" : "0";
        if (online) poll();  // back after a drop: whatever happened meanwhile is read once
      }
    });
  }

  async function submit() {
    const tags = Array.from(document.querySelectorAll('[data-tag][aria-pressed="true"]')).map((b) => b.dataset.tag);
    const data = { level: level, tags: tags, text: $("reason-text").value };
    try {
      if (mode === "device") await call("POST", "/rating", Object.assign(data, { leg_id: pending.leg_id }));
      else await call("POST", "/track/" + encodeURIComponent(document.body.dataset.track) + "/rating", data);
    } catch (e) {
      error(e.message);
      return;
    }
    showingThanks = true;
    show("thanks");
    if (mode === "qr" && $("visit")) $("visit").hidden = true;
    if (mode === "device") setTimeout(() => { showingThanks = false; pending = null; poll(); }, THANKS_MS);
  }

  // On the phone (QR) nothing is sent on the first tap: a small screen is easily mis-tapped, and a rating cannot
  // be taken back (一次一评). The chosen level is shown with 提交 and 重新选择; a 差评 also asks for its reason.
  // The tablet at the window sends a good rating at once (the clerk's citizen is in front of it).
  document.querySelectorAll("[data-level]").forEach((b) => b.addEventListener("click", () => {
    level = Number(b.dataset.level);
    error("");
    document.querySelectorAll("[data-level]").forEach((o) => o.setAttribute("aria-pressed", String(o === b)));
    const bad = level >= 4;
    if (!bad && mode !== "qr") { submit(); return; }
    $("confirm").hidden = mode !== "qr";
    $("confirm-level").textContent = b.firstChild.textContent.trim() + (bad ? "（差评 poor）" : "");
    $("reason").hidden = !bad;
    $("submit-row").hidden = false;
    $("reason-submit").textContent = bad ? "确认提交差评 Submit" : "确认提交 Submit";
    if (bad) $("reason-text").focus(); else $("reason-submit").focus();
  }));
  $("change-level").addEventListener("click", () => { resetAsk(); });
  document.querySelectorAll("[data-tag]").forEach((b) => b.addEventListener("click", () => {
    b.setAttribute("aria-pressed", b.getAttribute("aria-pressed") === "true" ? "false" : "true");
  }));
  $("reason-submit").addEventListener("click", () => {
    const picked = document.querySelector('[data-tag][aria-pressed="true"]');
    if (level >= 4 && !picked && !$("reason-text").value.trim()) {
      error("请选择原因或填写意见 Please give a reason");
      return;
    }
    submit();
  });

  window.hallqRater = { onEvent: poll };
  if (mode === "device") {
    show("idle");
    poll();
  } else if (document.body.dataset.state === "ask") {
    show("ask");
  } else {
    show(null);  // already rated, or nothing finished yet: the server-rendered section says so
  }
})();
