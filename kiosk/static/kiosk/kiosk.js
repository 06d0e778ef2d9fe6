/* hallq kiosk pages: pairing token, language and large-text switches, idle return home, no selection or
   right-click, on-screen keypads, taking a ticket through /api/v1 and showing it while it prints.
   The kiosk's device token lives in localStorage (set once by the pairing page, /pair). No network beyond the server. */
(function () {
  "use strict";
  var TOKEN_KEY = "hallq.kiosk.token", HALL_KEY = "hallq.kiosk.hall", LARGE_KEY = "hallq.kiosk.large";
  var TICKET_IDLE_MS = 30 * 1000; // the on-screen ticket stays 30 s after the print result
  var PRINT_WAIT_MS = 20 * 1000;  // a server that gives no print deadline: no print result by then is a failure
  var LATE_REPORT_MS = 5 * 1000;  // after 打印失败, still listen this long for a printed report already on its way
  var ISSUE_RETRY_MS = 30 * 1000; // retrying an issue by itself (same key) for this long, then say so
  var REQUEST_TIMEOUT_MS = 15 * 1000;  // a request with no answer by then is retried (same key: safe)
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
    // Idle return home (with its warning) and the hall's clock: session.js, which also provides setIdle.
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
    if (problem.code === "login_required" || problem.code === "forbidden") {
      // A revoked or refused kiosk: the citizen cannot fix that; say so plainly and send them to the desk.
      problem = { code: problem.code, title: t("error_refused"), detail: t("error_refused_detail") };
    }
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

  function api(method, url, body, extra) {
    var headers = { Authorization: "Bearer " + token(), "Accept-Language": LANG };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    Object.keys(extra || {}).forEach(function (k) { headers[k] = extra[k]; });
    var abort = typeof AbortController === "function" ? new AbortController() : null;
    var timer = abort ? setTimeout(function () { abort.abort(); }, REQUEST_TIMEOUT_MS) : null;
    return fetch(url, { method: method, headers: headers, body: body === undefined ? undefined : JSON.stringify(body),
                        signal: abort ? abort.signal : undefined })
      .finally(function () { clearTimeout(timer); });
  }

  // The print job's life is decided by the server (engine/queue/printing.py): it is printed by its deadline or
  // never by itself. The page counts down from the server's figure with its own clock, says 打印失败 then, and
  // offers 补打 (a new job). A printed report that still arrives a moment later (the paper did come out before
  // the deadline) turns the message back to 请取票.
  var FAILURES = { paper_out: "print_failed_paper_out", cover_open: "print_failed_cover_open" };
  var followed = 0;  // the job the page follows now; a newer one (补打) stops the older poll

  function followPrint(job, status, deadlineS, reprint) {
    var mine = ++followed;
    var button = document.querySelector("#ticket [data-reprint]");
    var deadline = Date.now() + (deadlineS == null ? PRINT_WAIT_MS : deadlineS * 1000);
    var told = false;
    button.hidden = true;
    var finish = function (ok, text, offerReprint) {
      status.textContent = text;
      status.className = "status " + (ok ? "ok" : "fail");
      status.setAttribute("data-job", String(job));
      button.hidden = !offerReprint;
      button.onclick = offerReprint ? function () { askReprint(job, status); } : null;
      window.hallqKiosk.setIdle && window.hallqKiosk.setIdle(TICKET_IDLE_MS);
    };
    var look = function () {
      if (mine !== followed) return;
      api("GET", "/api/v1/print-jobs/" + job)
        .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
        .then(function (j) {
          if (mine !== followed) return;
          if (j.status === "printed") return finish(true, t(reprint || j.reprint ? "reprinted" : "printed"), false);
          if (j.status === "cancelled") return finish(false, t("print_cancelled"), false);
          if (j.status === "failed" || j.status === "expired") {
            return finish(false, t(FAILURES[j.error] || "print_failed"), true);
          }
          next();
        })
        .catch(next);
    };
    var next = function () {
      var now = Date.now();
      if (now >= deadline && !told) { told = true; finish(false, t("print_failed"), true); }
      if (now < deadline + LATE_REPORT_MS) setTimeout(look, 1000);
    };
    look();
  }

  function askReprint(job, status) {
    var button = document.querySelector("#ticket [data-reprint]");
    button.hidden = true;
    status.className = "status";
    status.textContent = t("reprinting");
    api("POST", "/api/v1/print-jobs/" + job + "/reprint", {})
      .then(function (r) {
        return r.json().then(function (data) {
          if (r.ok) return followPrint(data.id, status, data.deadline_in_s, true);
          status.className = "status fail";
          status.textContent = (data.title || "") + (data.detail ? "：" + data.detail : "");
        });
      })
      .catch(function () {
        status.className = "status fail";
        status.textContent = t("print_failed");
        button.hidden = false;
      });
  }

  // The ticket's QR, drawn here (static/vendor/qrcode-generator, level M like the paper's) as an SVG data URL:
  // the server spends no time on a picture for each ticket. /kiosk/qr.svg draws it if the script did not load.
  function qrImage(text) {
    if (typeof window.qrcode !== "function") return "/kiosk/qr.svg?data=" + encodeURIComponent(text);
    var code = window.qrcode(0, "M");
    code.addData(text);
    code.make();
    var n = code.getModuleCount(), border = 2, path = "";
    for (var r = 0; r < n; r++) {
      for (var c = 0; c < n; c++) {
        if (code.isDark(r, c)) path += "M" + (c + border) + " " + (r + border) + "h1v1h-1z";
      }
    }
    var side = n + 2 * border;
    return "data:image/svg+xml," + encodeURIComponent(
      '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ' + side + " " + side + '" shape-rendering="crispEdges">'
      + '<rect width="100%" height="100%" fill="#fff"/><path fill="#000" d="' + path + '"/></svg>');
  }

  // The paper preview: the server places the printed layout's lines and QR in printer dots (kiosk/preview.py) and
  // the page draws them as SVG text with its own CJK font, and the QR the dialog shows; no picture of the ticket is
  // drawn on the server.
  var SVG = "http://www.w3.org/2000/svg";
  var previewFor = 0;  // a late answer for an earlier ticket never draws over the current one

  function svgNode(name, attrs, text) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, String(attrs[k])); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function drawPreview(holder, trackToken, qr) {
    var mine = ++previewFor;
    holder.innerHTML = "";
    fetch("/kiosk/" + cfg.hall + "/tickets/" + encodeURIComponent(trackToken) + "/preview")
      .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
      .then(function (p) {
        if (mine !== previewFor) return;
        var tall = parseFloat(getComputedStyle(holder).getPropertyValue("--preview-height")) || 280;
        var svg = svgNode("svg", { viewBox: "0 0 " + p.width + " " + p.height, height: tall,
                                   width: Math.round(tall * p.width / p.height), role: "img" });
        svg.appendChild(svgNode("rect", { x: 0, y: 0, width: p.width, height: p.height, fill: "#fff" }));
        p.lines.forEach(function (l) {
          // The printer's fixed column grid: each line is stretched to exactly the columns it prints in.
          svg.appendChild(svgNode("text", { x: l.x, y: l.y + l.size, "font-size": l.size, textLength: l.width,
                                            lengthAdjust: "spacingAndGlyphs", "font-weight": l.bold ? 700 : 400,
                                            "font-family": "Noto Sans CJK SC, sans-serif", fill: "#000",
                                            "data-line": "" }, l.text));
        });
        if (p.qr) {
          svg.appendChild(svgNode("image", { x: p.qr.x, y: p.qr.y, width: p.qr.size, height: p.qr.size,
                                             href: qr }));
        }
        holder.appendChild(svg);
        holder.setAttribute("data-drawn", trackToken);
      })
      .catch(function () { /* the on-screen ticket above says everything the paper does */ });
  }

  function showTicket(ticket, materials) {
    var box = document.getElementById("ticket");
    box.querySelector("[data-number]").textContent = ticket.number;
    box.querySelector("[data-service]").textContent = ticket.service_name;
    box.querySelector("[data-ahead]").textContent = ticket.ahead;
    box.querySelector("[data-wait]").textContent = waitRange(ticket.estimated_wait_s);
    var qr = qrImage(ticket.track_url);
    box.querySelector("[data-qr]").src = qr;
    drawPreview(box.querySelector("[data-preview]"), ticket.track_token, qr);
    var list = box.querySelector("[data-materials]");
    list.innerHTML = "";
    (materials.length ? materials : [t("no_materials")]).forEach(function (m) {
      var li = document.createElement("li"); li.textContent = m; list.appendChild(li);
    });
    var status = box.querySelector("[data-print]");
    status.className = "status";
    if (ticket.print_job_id) {
      status.textContent = t("printing");
      followPrint(ticket.print_job_id, status, ticket.print_deadline_s, false);
    } else {
      followed++;
      box.querySelector("[data-reprint]").hidden = true;
      status.textContent = t("no_printer"); status.className = "status fail";
    }
    show("ticket");
  }

  // An idempotency key per request: a retry (after a lost answer, a 502/503 or a dropped connection) sends the
  // same key and gets the ticket the first attempt made, so retrying by itself is safe. The key is kept until an
  // answer settles the request, so pressing 确认取号 again for the same choice is a retry too, never a 2nd ticket.
  var pendingIssue = null;

  function newKey() {
    var bytes = new Uint8Array(16);
    (window.crypto || window.msCrypto).getRandomValues(bytes);  // works on plain http, unlike randomUUID
    return "kiosk-" + Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function retryAfterMs(r, attempt) {
    var header = r && r.headers && Number(r.headers.get("Retry-After"));
    var backoff = Math.min(4000, 1000 * Math.pow(2, attempt));
    return header > 0 ? Math.min(10000, header * 1000) : backoff;
  }

  // Take a ticket: body = {service, priority?, id_number?, phone?, appointment_code?}
  window.hallqKiosk.issue = function (body, materials) {
    if (!token()) { refuse({ title: t("not_paired"), detail: "", code: "not_paired" }); return Promise.resolve(); }
    var wire = JSON.stringify(body);
    if (!pendingIssue || pendingIssue.body !== wire) pendingIssue = { body: wire, key: newKey() };
    var key = pendingIssue.key, started = Date.now(), busy = document.querySelector("[data-issuing]");
    var settled = function () { if (pendingIssue && pendingIssue.key === key) pendingIssue = null; hide("issuing"); };
    return new Promise(function (resolve) {
      var attempt = function (n) {
        api("POST", "/api/v1/halls/" + cfg.hall + "/tickets", body, { "Idempotency-Key": key })
          .then(function (r) {
            if (r.status >= 500) return again(n, r);  // a proxy's 502/504, a 503 while the database restarts
            return r.json().then(function (data) {
              settled();
              if (r.status === 201) showTicket(data, materials || []); else refuse(data);
              resolve();
            }, function () { return again(n, r); });
          })
          .catch(function () { again(n, null); });
      };
      var again = function (n, r) {
        var wait = retryAfterMs(r, n);
        if (Date.now() + wait - started > ISSUE_RETRY_MS) {
          hide("issuing");  // the key stays: pressing again asks for the same ticket
          refuse({ title: t("issue_unsure"), detail: t("issue_unsure_detail"), code: "issue_unsure" });
          document.querySelector("#refusal [data-hint]").textContent = t("issue_unsure_hint");
          return resolve();
        }
        busy.textContent = t("issue_retrying");
        show("issuing");
        setTimeout(function () { attempt(n + 1); }, wait);
      };
      attempt(0);
    });
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
    // 线上取号: a barcode scanner is a keyboard. It types the phone page's address and Enter: a ticket's track
    // token confirms that citizen's arrival; eight digits are a booking code (its page's QR), checked in as typed.
    var scanned = "";
    document.addEventListener("keydown", function (e) {
      if (e.key === "Enter") {
        var text = scanned;
        scanned = "";
        var m = /\/t\/([A-Za-z0-9_-]{8,64})/.exec(text);
        if (m) { confirmArrival(m[1]); return; }
        if (/^\d{8}$/.test(text)) { document.getElementById("code").value = text;
          checkin.querySelector("[data-checkin]").click(); }
        return;
      }
      if (e.key.length === 1) scanned = (scanned + e.key).slice(-200);
    });
    var confirmArrival = function (trackToken) {
      var hallCode = checkin.getAttribute("data-hall");
      fetch("/api/v1/halls/" + hallCode + "/arrivals", {method: "POST",
        headers: {"Authorization": "Bearer " + window.hallqKiosk.token(), "Content-Type": "application/json",
                  "Accept-Language": document.documentElement.lang === "en" ? "en" : "zh-Hans"},
        body: JSON.stringify({track_token: trackToken})})
        .then(function (r) {
          return r.json().then(function (body) {
            if (!r.ok) return k.refuse(body);
            document.getElementById("arrived-number").textContent = body.number;
            document.getElementById("arrived-ok").hidden = false;
          });
        });
    };
    // An ID or mobile number instead of the code: the server finds that person's booking to check in now.
    var checkInPerson = function (person) {
      var hall = checkin.getAttribute("data-hall");
      var body = person.length === 11 ? { phone: person } : { id_number: person };
      fetch("/api/v1/halls/" + hall + "/appointments/today", {method: "POST",
        headers: {"Authorization": "Bearer " + window.hallqKiosk.token(), "Content-Type": "application/json",
                  "Accept-Language": document.documentElement.lang === "en" ? "en" : "zh-Hans"},
        body: JSON.stringify(body)})
        .then(function (r) {
          return r.json().then(function (found) {
            if (!r.ok) return k.refuse(found);
            return k.issue({ service: found.service, appointment_code: found.code }, []);
          });
        });
    };
    checkin.querySelector("[data-checkin]").addEventListener("click", function () {
      var code = document.getElementById("code").value;
      if (!code) return;
      if (code.length === 11 || code.length === 15 || code.length === 18) { checkInPerson(code); return; }
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
