/* Staff console (呼叫器): keyboard-first window caller.
 *
 * Every action is a POST to the existing /api/v1 routes with the session cookie and the X-CSRF-Token header
 * (one write path). The view comes from GET /api/v1/halls/{hall}/windows/{n}/console.
 *
 * Live: static/js/feed.js follows the hall's /live events with the session cookie; each one refreshes the view
 * at once (coalesced). While the feed is online the view is also re-read every LIVE_POLL_MS as a safety net;
 * offline it falls back to polling every POLL_MS, so a clerk never works from a stale list.
 */
(function () {
  "use strict";
  const POLL_MS = 3000;
  const LIVE_POLL_MS = 30000;
  const body = document.body;
  const hall = body.dataset.hall;
  const windowNo = Number(body.dataset.window);
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const $ = (id) => document.getElementById(id);
  let view = null;
  let busy = false;
  // One key pressed while an operation is still in flight runs right after it (type-ahead), instead of being
  // dropped: a clerk who sees the number appear and presses the next key should not have to press it twice.
  let queued = null;
  let pollTimer = null;
  let pollMs = POLL_MS;
  let autoTimer = null;
  let refreshQueued = false;

  const STATES = { open: "开放 Open", paused: "暂停服务 Paused", away: "离岗 Away", closed: "关闭 Closed" };
  // Every state a clerk can meet, in words (never the raw code).
  const STATUS = { waiting: "等候中 Waiting", called: "已呼叫 Called", serving: "办理中 Serving", parked: "已挂起 Parked",
    finished: "已办结 Finished", no_show: "已过号 No-show", cancelled: "已取消 Cancelled", expired: "已过期 Expired" };
  // A transfer target's state: the clerk sees where the citizen would be sent before sending them.
  const TARGET_STATE = { open: "开放", paused: "暂停服务", away: "离岗", closed: "未开放" };
  // Why an operation is off right now, said once under the state so a disabled key is never a mystery.
  const HINTS = {
    paused: "暂停服务中：按 F9 恢复服务后才能呼叫 Paused: press F9 to resume before calling",
    away: "离岗中：按 F11 回岗后才能操作 Away: press F11 when you are back",
    closed: "窗口未开放 The window is closed",
  };

  function say(text, kind) {
    const el = $("message");
    el.textContent = text;
    el.className = kind || "info";
  }

  function mmss(s) {
    if (s === null || s === undefined) return "—";
    const m = Math.floor(s / 60);
    return m + "分" + String(s % 60).padStart(2, "0") + "秒";
  }

  async function api(method, path, data) {
    const opts = { method: method, credentials: "same-origin", headers: { "X-CSRF-Token": csrf } };
    if (data !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(data);
    }
    let resp;
    try {
      resp = await HallqRetry.fetch("/api/v1" + path, opts, function (waiting) {
        if (waiting) say(waiting, "warn");
      });
    } catch (e) {
      throw new Error("网络连接失败，请稍后重试 Network error");
    }
    if (resp.status === 401) {
      window.location.href = "/staff/login?hall=" + encodeURIComponent(hall);
      throw new Error("请重新登录 Please sign in again");
    }
    if (resp.status === 204) return null;
    let json = null;
    try { json = await resp.json(); } catch (e) { json = null; }
    if (!resp.ok) {
      // problem+json: show title and detail, never anything else (no stack traces reach the client).
      const msg = json && json.title ? json.title + "：" + (json.detail || "") : "操作失败 (" + resp.status + ")";
      throw new Error(msg);
    }
    return json;
  }

  function render(v) {
    view = v;
    const w = v.window;
    $("window-state").textContent = (STATES[w.state] || w.state) + (w.reason ? "（" + w.reason + "）" : "");
    $("window-state").className = "state " + w.state;
    $("state-hint").textContent = HINTS[w.state] || "";
    $("state-hint").hidden = !HINTS[w.state];
    const cur = v.current;
    const box = $("current-body");
    if (!cur) {
      box.className = "empty";
      box.textContent = "空闲 Free";
    } else {
      box.className = "ticket " + cur.status;
      box.innerHTML = "";
      const add = (cls, text) => { const d = document.createElement("div"); d.className = cls; d.textContent = text; box.appendChild(d); };
      add("number", cur.number);
      add("service", cur.service_name);
      add("status", STATUS[cur.status] || cur.status);
      add("waited", "等候 Waited: " + mmss(cur.waited_s) + (cur.serving_s !== null ? " · 办理 Serving: " + mmss(cur.serving_s) : ""));
      if (cur.priority_name) add("priority", "绿色通道 Priority: " + cur.priority_name);
      if (cur.person) add("person", "办事人 Citizen: " + cur.person);
      cur.notes.forEach((n) => add("note", "记录 History: " + n));
    }
    $("recalls-left").textContent = cur && cur.status === "called" ? "(" + cur.recalls_left + ")" : "";
    const rows = $("queue-rows");
    rows.innerHTML = "";
    v.queues.forEach((q) => {
      const tr = document.createElement("tr");
      // 线上取号: remote tickets not yet in the hall wait but are not called; say how many of the count they are.
      const away = q.not_arrived ? "（" + q.not_arrived + " 未到达 not here）" : "";
      [q.service_name + "（" + q.prefix + "）", String(q.waiting) + away, q.waiting ? mmss(q.longest_wait_s) : "—"].forEach((t) => {
        const td = document.createElement("td"); td.textContent = t; tr.appendChild(td);
      });
      rows.appendChild(tr);
    });
    const parked = $("parked-list");
    parked.innerHTML = "";
    v.parked.forEach((p) => {
      const li = document.createElement("li");
      li.textContent = p.number + " " + p.service_name + (p.returns_in_s !== null ? "（" + mmss(p.returns_in_s) + "后自动回到队列）" : "");
      parked.appendChild(li);
    });
    const missed = $("no-show-list");
    missed.innerHTML = "";
    v.no_shows.forEach((t) => {
      const li = document.createElement("li");
      li.dataset.ticket = t.number;
      li.textContent = noShowText(t);
      missed.appendChild(li);
    });
    $("no-show-empty").hidden = v.no_shows.length > 0;
    $("served").textContent = String(v.today.served);
    $("avg-service").textContent = mmss(v.today.average_service_s);
    $("btn-pause").firstChild.textContent = w.state === "paused" ? "恢复 Resume " : "暂停 Pause ";
    $("btn-away").firstChild.textContent = w.state === "away" ? "回岗 Back " : "离岗 Away ";
    // Only what the window's and the ticket's state allow: calling needs an open window (the server refuses
    // window_not_open otherwise); while 离岗 nothing but 回岗 (F11), the clerk is not at the counter.
    const here = w.state !== "away" && w.state !== "closed";
    const has = (...st) => here && cur && st.includes(cur.status);
    const open = w.state === "open";
    const enable = { "call-next": open && !cur, recall: has("called") && cur.recalls_left > 0, start: has("called"),
      finish: has("called", "serving"), "no-show": has("called"), park: has("called", "serving"),
      resume: here && v.parked.length > 0, transfer: has("called", "serving"), pause: here,
      "call-specific": open && !cur, reactivate: here && v.no_shows.length > 0 };
    document.querySelectorAll("button[data-op]").forEach((b) => { b.disabled = !enable[b.dataset.op]; });
    scheduleAutoCall();
    body.dataset.ready = "1";
  }

  function noShowText(t) {
    const ago = Math.max(1, Math.round(t.missed_s / 60));
    const left = Math.max(0, Math.floor(t.reactivate_left_s / 60));
    return t.number + " " + t.service_name + (t.window_label ? " · " + t.window_label : "") + " · " + ago +
      " 分钟前过号，还可恢复 " + left + " 分钟";
  }

  async function refresh() {
    try {
      render(await api("GET", "/halls/" + hall + "/windows/" + windowNo + "/console"));
    } catch (e) {
      say(e.message, "error");
    }
  }

  function onEvent() {
    // Coalesce a burst of events into one refresh.
    if (refreshQueued) return;
    refreshQueued = true;
    setTimeout(() => { refreshQueued = false; refresh(); }, 50);
  }

  function setPollMs(ms) {
    pollMs = ms;
    if (pollTimer) clearInterval(pollTimer);
    pollTimer = setInterval(refresh, pollMs);
  }

  // ---- dialogs: Enter confirms, Esc cancels ----
  function ask(title, fields) {
    const dlg = $("dialog");
    $("dialog-title").textContent = title;
    const holder = $("dialog-fields");
    holder.innerHTML = "";
    fields.forEach((f) => {
      const label = document.createElement("label");
      label.textContent = f.label + " ";
      let input;
      if (f.options) {
        input = document.createElement("select");
        if (f.placeholder) {
          // No choice is made for the clerk: an empty first option that the form refuses to submit.
          const o = document.createElement("option"); o.value = ""; o.textContent = f.placeholder; input.appendChild(o);
          input.required = true;
        }
        f.options.forEach(([value, text]) => {
          const o = document.createElement("option"); o.value = value; o.textContent = text; input.appendChild(o);
        });
      } else {
        input = document.createElement("input");
        input.type = f.type || "text";
        if (f.required) input.required = true;
        if (f.min !== undefined) input.min = f.min;
        if (f.max !== undefined) input.max = f.max;
      }
      input.name = f.name;
      input.id = "field-" + f.name;
      if (f.value !== undefined) input.value = f.value;
      label.appendChild(input);
      holder.appendChild(label);
    });
    return new Promise((resolve) => {
      const form = $("dialog-form");
      const done = (result) => {
        form.onsubmit = null; form.onkeydown = null; dlg.oncancel = null; $("dialog-cancel").onclick = null;
        dlg.close();
        resolve(result);
      };
      form.onsubmit = (ev) => {
        ev.preventDefault();
        const out = {};
        holder.querySelectorAll("input,select").forEach((i) => { out[i.name] = i.value.trim(); });
        done(out);
      };
      dlg.oncancel = (ev) => { ev.preventDefault(); done(null); };
      // Enter confirms from a select too (browsers submit implicitly only from text inputs).
      form.onkeydown = (ev) => {
        if (ev.key === "Enter" && ev.target.tagName === "SELECT") { ev.preventDefault(); form.requestSubmit(); }
      };
      $("dialog-cancel").onclick = () => done(null);
      dlg.showModal();
      const first = holder.querySelector("input,select");
      if (first) { first.focus(); if (first.select) first.select(); }
    });
  }

  // ---- operations ----
  const winPath = () => "/halls/" + hall + "/windows/" + windowNo;
  const cur = () => view && view.current;

  const ops = {
    "call-next": async () => {
      const r = await api("POST", winPath() + "/call-next");
      return r ? "已呼叫 Called " + r.ticket.number : "没有等候的号票 Nobody is waiting";
    },
    recall: async () => {
      const r = await api("POST", "/tickets/" + cur().id + "/recall");
      const left = Math.max(0, view.recall_limit + 1 - r.ticket.call_count);
      return "重呼 Recalled " + r.ticket.number + "，还可重呼 " + left + " 次 recalls left";
    },
    start: async () => "开始办理 Serving " + (await api("POST", "/tickets/" + cur().id + "/start")).ticket.number,
    finish: async () => {
      const a = await ask("办结 Finish " + cur().number, [
        { name: "outcome", label: "结果 Outcome", options: [["done", "1 办结 Done"], ["returned", "2 退办 Returned"], ["consult", "3 咨询 Consultation"]] },
        { name: "case_no", label: "办件编号 Case no. (可选 optional)" },
      ]);
      if (!a) return null;
      const r = await api("POST", "/tickets/" + cur().id + "/finish", { outcome: a.outcome, case_no: a.case_no || null });
      return "已办结 Finished " + r.ticket.number + "，请办事人评价 Please ask for a rating";
    },
    "no-show": async () => "过号 No-show " + (await api("POST", "/tickets/" + cur().id + "/no-show")).ticket.number,
    park: async () => {
      const a = await ask("挂起 Park " + cur().number, [{ name: "minutes", label: "几分钟后回到队列 Return after (min)", type: "number", value: "15", min: 1, max: 480 }]);
      if (!a) return null;
      const r = await api("POST", "/tickets/" + cur().id + "/park", { minutes: Number(a.minutes) || null });
      return "已挂起 Parked " + r.ticket.number;
    },
    resume: async () => {
      let id = view.parked[0].id;
      if (view.parked.length > 1) {
        const a = await ask("回呼挂起的号票 Return a parked ticket", [{ name: "id", label: "号票 Ticket", options: view.parked.map((p) => [String(p.id), p.number + " " + p.service_name]) }]);
        if (!a) return null;
        id = Number(a.id);
      }
      return "已回到队列 Back in the queue: " + (await api("POST", "/tickets/" + id + "/resume")).ticket.number;
    },
    transfer: async () => {
      // Not the ticket's own service (the server refuses it); windows by "N号 name" with their state.
      const own = cur().service;
      const options = view.transfer_services.filter((s) => s.code !== own).map((s) => ["s:" + s.code, "事项 " + s.name])
        .concat(view.transfer_windows.map((w) => ["w:" + w.number, "窗口 " + w.label + "（" +
          (w.staff || w.state !== "closed" ? TARGET_STATE[w.state] || w.state : "无人登录") + "）"]));
      const a = await ask("转移 Transfer " + cur().number, [{ name: "target", label: "转到 To", options: options,
        placeholder: "— 请选择事项或窗口 Choose a service or window —" }]);
      if (!a) return null;
      const [kind, value] = a.target.split(":");
      const data = kind === "s" ? { service: value } : { window: Number(value) };
      const r = await api("POST", "/tickets/" + cur().id + "/transfer", data);
      return "已转移 Transferred " + r.ticket.number + " → " + r.ticket.service_name;
    },
    reactivate: async () => {
      // The citizen whose number was passed turns up: back in the queue with the original queue time.
      const a = await ask("恢复过号 Reactivate a no-show", [{ name: "id", label: "过号号票 Ticket",
        options: view.no_shows.map((t) => [String(t.id), noShowText(t)]) }]);
      if (!a) return null;
      const r = await api("POST", "/tickets/" + Number(a.id) + "/reactivate");
      return "已恢复 " + r.ticket.number + "，按原取号时间回到队列 Back in the queue with its original time";
    },
    pause: async () => {
      if (view.window.state === "paused") {
        await api("POST", winPath() + "/resume");
        return "已恢复服务 Resumed";
      }
      const a = await ask("暂停服务 Pause", [{ name: "reason", label: "原因 Reason", value: "临时离开" }]);
      if (!a) return null;
      await api("POST", winPath() + "/pause", { reason: a.reason });
      return "已暂停服务 Paused";
    },
    "call-specific": async () => {
      const a = await ask("指定呼叫 Call a number（将记录审计 audited）", [
        { name: "ticket_no", label: "票号 Number", required: true },
        { name: "reason", label: "原因 Reason", required: true },
      ]);
      if (!a) return null;
      const r = await api("POST", winPath() + "/call", { ticket_no: a.ticket_no.toUpperCase(), reason: a.reason });
      return "已呼叫 Called " + r.ticket.number;
    },
    away: async () => {
      if (view.window.state === "away") {
        await api("POST", winPath() + "/back");
        return "已回岗 Back at the window";
      }
      await api("POST", winPath() + "/away");
      return "已离岗 Away";
    },
  };

  // Why a key does nothing now, in words the clerk can act on.
  function whyNot(op) {
    const w = view.window;
    if (HINTS[w.state]) return HINTS[w.state];
    const c = view.current;
    if ((op === "call-next" || op === "call-specific") && c) {
      return "请先办结、过号或挂起当前号票 " + c.number + " Finish, mark no-show or park " + c.number + " first";
    }
    if (op === "recall" && c && c.status === "called") return "重呼次数已用完，请按 F5 过号 No recalls left: press F5";
    if (op === "resume") return "没有挂起的号票 No parked tickets";
    if (op === "reactivate") return "今日没有可恢复的过号号票 No no-show ticket to reactivate";
    if (!c) return "当前没有号票，请先按 F1 呼叫 No ticket: press F1 to call";
    return "号票 " + c.number + " " + (STATUS[c.status] || "") + "，不能执行此操作 Not possible in this state";
  }

  async function run(op) {
    if (!view) return;
    if (busy) { queued = op; return; }
    const button = document.querySelector('[data-op="' + op + '"]');
    if (button && button.disabled) {
      say(whyNot(op), "error");
      return;
    }
    busy = true;
    cancelAutoCall();
    let text = null;
    let failed = false;
    try {
      text = await ops[op]();
    } catch (e) {
      text = e.message;
      failed = true;
    }
    // Re-read before accepting the next key and before saying what happened: a key pressed on a stale view
    // would act on the ticket that just left the window.
    await refresh();
    busy = false;
    if (text) say(text, failed ? "error" : "ok");
    const next = queued;
    queued = null;
    if (next) await run(next);
  }

  // ---- auto-call: when the window is free and open, call the next ticket after N seconds ----
  const auto = $("autocall");
  const autoS = $("autocall-s");
  auto.checked = localStorage.getItem("hallq.autocall") === "1";
  autoS.value = localStorage.getItem("hallq.autocall_s") || autoS.value;
  auto.addEventListener("change", () => { localStorage.setItem("hallq.autocall", auto.checked ? "1" : "0"); cancelAutoCall(); scheduleAutoCall(); });
  autoS.addEventListener("change", () => { localStorage.setItem("hallq.autocall_s", autoS.value); cancelAutoCall(); scheduleAutoCall(); });

  function cancelAutoCall() {
    if (autoTimer) { clearTimeout(autoTimer); autoTimer = null; }
  }

  function scheduleAutoCall() {
    const free = view && !view.current && view.window.state === "open";
    if (!auto.checked || !free) { cancelAutoCall(); return; }
    if (autoTimer) return;
    const s = Math.max(3, Number(autoS.value) || 10);
    autoTimer = setTimeout(() => {
      autoTimer = null;
      const waiting = view.queues.reduce((n, q) => n + q.waiting, 0);
      if (waiting > 0 && !view.current && view.window.state === "open") run("call-next");
    }, s * 1000);
  }

  // ---- keys: F1..F10 (F11 away); the browser's own F-key actions are suppressed on this page ----
  const KEYS = {};
  document.querySelectorAll("[data-key]").forEach((b) => { KEYS[b.dataset.key] = b.dataset.op || "away"; });
  document.addEventListener("keydown", (ev) => {
    // Shift+F5 (恢复过号) sits on the 过号 key; the browser's own Shift+F5 (reload) is suppressed with the rest.
    const op = KEYS[(ev.shiftKey ? "Shift+" : "") + ev.key];
    if (!op) return;
    ev.preventDefault();
    if ($("dialog").open) return;
    run(op);
  });
  document.querySelectorAll("button[data-op]").forEach((b) => b.addEventListener("click", () => run(b.dataset.op)));
  $("btn-away").addEventListener("click", () => run("away"));

  window.hallqConsole = { refresh: refresh, onEvent: onEvent, setPollMs: setPollMs };
  refresh();
  setPollMs(POLL_MS);
  if (window.HallqFeed) {
    window.HallqFeed.start({
      hall: hall,
      auth: {},  // the console's session cookie travels with the connection
      onEvent: onEvent,
      onSnapshot: onEvent,
      onStatus: function (online) {
        $("live").textContent = online ? "实时 live" : "离线，轮询中 offline, polling";
        $("live").className = "live " + (online ? "on" : "off");
        body.dataset.live = online ? "1" : "0";
        setPollMs(online ? LIVE_POLL_MS : POLL_MS);
        if (online) onEvent();  // catch up on anything missed while offline
      }
    });
  }
})();
