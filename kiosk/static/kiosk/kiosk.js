/* hallq kiosk pages: pairing token, language and large-text switches, idle return home, no selection or
   right-click, on-screen keypads, taking a ticket through /api/v1 and showing it while it prints.
   The kiosk's device token lives in localStorage (set by /kiosk/pair?token=...). No network beyond the server. */
(function () {
  "use strict";
  var TOKEN_KEY = "hallq.kiosk.token", HALL_KEY = "hallq.kiosk.hall", LARGE_KEY = "hallq.kiosk.large";
  var IDLE_MS = 90 * 1000;        // an unattended page returns home after 90 s: the next person starts fresh
  var TICKET_IDLE_MS = 30 * 1000; // the on-screen ticket stays 30 s after the print result
  var PRINT_WAIT_MS = 20 * 1000;  // no print result by then counts as a failure (show the QR instead)
  var body = document.body, cfg = JSON.parse(document.getElementById("kiosk-config").textContent);
  var mobile = body.classList.contains("mobile");

  function token() { return localStorage.getItem(TOKEN_KEY); }
  // The API answers problems in this language (titles and details of refusals match the page).
  var LANG = cfg.lang === "en" ? "en" : "zh-Hans";
  function home() { return cfg.hall ? "/kiosk/" + cfg.hall + "/" : "/kiosk/"; }
  function t(key) { return (cfg.texts && cfg.texts[key]) || key; }
  window.hallqKiosk = { token: token, t: t };

  if (localStorage.getItem(LARGE_KEY) === "1") body.classList.add("large");
  document.querySelectorAll("[data-large]").forEach(function (b) {
    b.addEventListener("click", function () {
      var on = !body.classList.contains("large");
      body.classList.toggle("large", on);
      localStorage.setItem(LARGE_KEY, on ? "1" : "0");
    });
  });
  document.querySelectorAll("[data-lang]").forEach(function (b) {
    b.addEventListener("click", function () {
      document.cookie = "lang=" + b.getAttribute("data-lang") + "; path=/; max-age=31536000";
      location.reload();
    });
  });

  if (!mobile) {
    document.addEventListener("contextmenu", function (e) { e.preventDefault(); });
    document.addEventListener("selectstart", function (e) {
      if (!(e.target instanceof HTMLInputElement)) e.preventDefault();
    });
    var idleTimer = null, idleMs = IDLE_MS;
    var resetIdle = function () {
      clearTimeout(idleTimer);
      if (location.pathname !== home()) idleTimer = setTimeout(function () { location.href = home(); }, idleMs);
    };
    window.hallqKiosk.setIdle = function (ms) { idleMs = ms; resetIdle(); };
    ["pointerdown", "keydown", "touchstart"].forEach(function (ev) { document.addEventListener(ev, resetIdle); });
    resetIdle();
    var clock = document.querySelector("[data-clock]");
    var tick = function () {
      if (!clock) return;
      var d = new Date();
      clock.textContent = ("0" + d.getHours()).slice(-2) + ":" + ("0" + d.getMinutes()).slice(-2);
    };
    tick(); setInterval(tick, 15000);
  }

  // On-screen keypads: buttons with data-key type into the input named by the keypad's data-for.
  document.querySelectorAll(".keypad").forEach(function (pad) {
    var input = document.getElementById(pad.getAttribute("data-for"));
    pad.addEventListener("click", function (e) {
      var key = e.target.closest("[data-key]");
      if (!key || !input) return;
      var k = key.getAttribute("data-key");
      if (k === "del") input.value = input.value.slice(0, -1);
      else if (k === "clear") input.value = "";
      else if (input.value.length < (input.maxLength > 0 ? input.maxLength : 32)) input.value += k;
    });
  });

  function show(id) { document.getElementById(id).classList.add("on"); }
  function hide(id) { document.getElementById(id).classList.remove("on"); }
  document.querySelectorAll("[data-close]").forEach(function (b) {
    b.addEventListener("click", function () { hide(b.getAttribute("data-close")); });
  });

  function refuse(problem) {
    var box = document.getElementById("refusal");
    box.querySelector("[data-title]").textContent = problem.title || "";
    box.querySelector("[data-detail]").textContent = problem.detail || "";
    box.querySelector("[data-hint]").textContent = (cfg.hints || {})[problem.code] || (cfg.hints || {})._default || "";
    box.setAttribute("data-code", problem.code || "");
    show("refusal");
  }
  window.hallqKiosk.refuse = refuse;

  // The same rounded range as the paper ticket (kiosk/layout.py wait_range): a range is trusted more than a number.
  function waitRange(s) {
    var m = s / 60;
    if (m < 5) return cfg.lang === "en" ? "under 5 min" : "5分钟以内";
    var low = Math.max(5, Math.floor(m * 0.8 / 5) * 5), high = Math.max(low + 5, Math.ceil(m * 1.2 / 5) * 5);
    return cfg.lang === "en" ? low + "-" + high + " min" : "约" + low + "-" + high + "分钟";
  }

  function pollPrint(jobId, status) {
    var started = Date.now();
    var finish = function (ok, text) {
      status.textContent = text;
      status.className = "status " + (ok ? "ok" : "fail");
      window.hallqKiosk.setIdle && window.hallqKiosk.setIdle(TICKET_IDLE_MS);
    };
    var look = function () {
      fetch("/api/v1/print-jobs/" + jobId, { headers: { Authorization: "Bearer " + token(), "Accept-Language": LANG } })
        .then(function (r) { return r.json(); })
        .then(function (job) {
          if (job.status === "printed") return finish(true, t("printed"));
          if (job.status === "failed" || job.status === "expired") return finish(false, t("print_failed"));
          if (Date.now() - started > PRINT_WAIT_MS) return finish(false, t("print_failed"));
          setTimeout(look, 1000);
        })
        .catch(function () { setTimeout(look, 1000); });
    };
    look();
  }

  function showTicket(ticket, materials) {
    var box = document.getElementById("ticket");
    box.querySelector("[data-number]").textContent = ticket.number;
    box.querySelector("[data-service]").textContent = ticket.service_name;
    box.querySelector("[data-ahead]").textContent = ticket.ahead;
    box.querySelector("[data-wait]").textContent = waitRange(ticket.estimated_wait_s);
    box.querySelector("[data-qr]").src = "/kiosk/qr.svg?data=" + encodeURIComponent(ticket.track_url);
    box.querySelector("[data-preview]").src = "/kiosk/" + cfg.hall + "/tickets/" + ticket.track_token + "/preview.png";
    var list = box.querySelector("[data-materials]");
    list.innerHTML = "";
    (materials.length ? materials : [t("no_materials")]).forEach(function (m) {
      var li = document.createElement("li"); li.textContent = m; list.appendChild(li);
    });
    var status = box.querySelector("[data-print]");
    status.className = "status";
    if (ticket.print_job_id) { status.textContent = t("printing"); pollPrint(ticket.print_job_id, status); }
    else { status.textContent = t("no_printer"); status.className = "status fail"; }
    show("ticket");
  }

  // Take a ticket: body = {service, priority?, id_number?, phone?, appointment_code?}
  window.hallqKiosk.issue = function (body, materials) {
    if (!token()) { refuse({ title: t("not_paired"), detail: "", code: "login_required" }); return Promise.resolve(); }
    return fetch("/api/v1/halls/" + cfg.hall + "/tickets", {
      method: "POST", body: JSON.stringify(body),
      headers: { "Content-Type": "application/json", Authorization: "Bearer " + token(), "Accept-Language": LANG }
    }).then(function (r) {
      return r.json().then(function (data) {
        if (r.status === 201) showTicket(data, materials || []);
        else refuse(data);
      });
    }).catch(function () { refuse({ title: t("print_failed"), detail: "", code: "" }); });
  };

  // Pairing page: store a token from the URL, or send a paired kiosk to its hall.
  var pairing = document.getElementById("pairing");
  if (pairing) {
    var given = pairing.getAttribute("data-token");
    var check = function (tok) {
      return fetch("/api/v1/kiosks/me", { headers: { Authorization: "Bearer " + tok } }).then(function (r) {
        if (!r.ok) throw new Error("bad token");
        return r.json();
      });
    };
    var candidate = given || token();
    if (candidate) {
      check(candidate).then(function (me) {
        localStorage.setItem(TOKEN_KEY, candidate);
        localStorage.setItem(HALL_KEY, me.hall);
        location.replace("/kiosk/" + me.hall + "/");
      }).catch(function () {
        if (given) localStorage.removeItem(TOKEN_KEY);
        pairing.querySelector("[data-state]").textContent = t("not_paired");
      });
    } else {
      pairing.querySelector("[data-state]").textContent = t("not_paired");
    }
  }
})();

/* Page behaviours: department tabs, one-of-many chips, the issue form and appointment check-in. */
(function () {
  "use strict";
  var k = window.hallqKiosk;
  document.querySelectorAll("[data-tabs]").forEach(function (bar) {
    bar.addEventListener("click", function (e) {
      var tab = e.target.closest("[data-tab]");
      if (!tab) return;
      bar.querySelectorAll("[data-tab]").forEach(function (b) { b.classList.toggle("on", b === tab); });
      document.querySelectorAll("[data-pane]").forEach(function (p) {
        p.classList.toggle("on", p.getAttribute("data-pane") === tab.getAttribute("data-tab"));
      });
    });
  });
  document.querySelectorAll("[data-choice]").forEach(function (group) {
    group.addEventListener("click", function (e) {
      var chip = e.target.closest("[data-value]");
      if (!chip) return;
      group.querySelectorAll("[data-value]").forEach(function (c) { c.classList.toggle("on", c === chip); });
    });
  });
  var form = document.getElementById("issue-form");
  if (form) {
    var materials = JSON.parse(document.getElementById("materials").textContent);
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var body = { service: form.getAttribute("data-service") };
      var chosen = form.querySelector("[data-choice=priority] .on");
      if (chosen && chosen.getAttribute("data-value")) body.priority = chosen.getAttribute("data-value");
      var person = document.getElementById("person");
      if (person && person.value) {
        if (person.value.length === 11) body.phone = person.value; else body.id_number = person.value;
      }
      var button = form.querySelector("[data-confirm]");
      button.disabled = true;  // one tap, one ticket
      k.issue(body, materials).then(function () { button.disabled = false; if (person) person.value = ""; });
    });
  }
  var checkin = document.getElementById("checkin");
  if (checkin) {
    checkin.querySelector("[data-checkin]").addEventListener("click", function () {
      var code = document.getElementById("code").value;
      if (!code) return;
      var hall = checkin.getAttribute("data-hall");
      fetch("/kiosk/" + hall + "/appointments/" + encodeURIComponent(code),
            { headers: { "Accept-Language": document.documentElement.lang === "en" ? "en" : "zh-Hans" } })
        .then(function (r) {
        return r.json().then(function (found) {
          if (!r.ok) return k.refuse(found);  // the problem says the code is unknown
          return k.issue({ service: found.service, appointment_code: code }, []);
        });
      });
    });
  }
})();

/* Catalogue pages follow the hall's events: a guide or disclosure edited from any hall's settings page
   (guide.updated / disclosure.updated, published in every hall) re-renders the list or the page showing it;
   a deleted one returns to its list. Only a paired kiosk subscribes (its device token); phones do not.
   Runs once the page is parsed: the page's marker and feed.js come after this script. */
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  var marker = document.querySelector("[data-live-catalogue]");
  var token = window.hallqKiosk.token();
  var cfg = JSON.parse(document.getElementById("kiosk-config").textContent);
  if (!marker || !token || !window.HallqFeed || !cfg.hall) return;
  var kind = marker.getAttribute("data-live-catalogue"), key = marker.getAttribute("data-live-key");
  var back = marker.getAttribute("data-live-back");
  var WATCH = {guide: "guide.updated", guides: "guide.updated", disclosure: "disclosure.updated",
               disclosures: "disclosure.updated"};
  function touches(ev) {
    if (ev.type !== WATCH[kind]) return false;
    if (kind === "guide") return ev.guide && ev.guide.code === key;
    if (kind === "disclosure") return ev.disclosure && String(ev.disclosure.id) === key;
    return true;
  }
  window.HallqFeed.start({
    hall: cfg.hall, auth: {token: token},
    onStatus: function (online) { marker.setAttribute("data-live-online", online ? "1" : "0"); },
    onEvent: function (ev) {
      if (!touches(ev)) return;
      if (ev.change === "deleted" && back) location.replace(back);
      else location.reload();
    }
  });
});
