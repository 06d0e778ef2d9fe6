/* Manager settings page: staff accounts, devices and their tokens, alert limits. Every change is a /api/v1 call
 * with the session cookie and X-CSRF-Token; refusals show the server's Chinese problem title and detail. */
(function () {
  "use strict";

  var body = document.body;
  var hall = body.dataset.hall;
  var csrf = body.dataset.csrf;
  var timeZone = body.dataset.tz || undefined;
  var ROLE = {staff: "窗口人员 staff", viewer: "只读 viewer", manager: "大厅管理员 manager"};
  var KIND = {kiosk: "自助终端 kiosk", display: "综合屏 display", rater: "评价器 rating tablet"};
  var LIMITS = [
    ["queue_length", "默认等候人数预警值 Queue length"], ["ticket_wait_min", "等候超时（分钟） Wait limit (min)"],
    ["service_min", "办理超时（分钟） Service limit (min)"], ["window_idle_min", "窗口空闲（分钟） Idle (min)"],
    ["pause_min", "暂停过久（分钟） Pause (min)"], ["cap_percent", "号源将满（%） Cap nearly reached (%)"]
  ];

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else if (k === "onclick") node.addEventListener("click", attrs[k]);
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { node.appendChild(c); });
    return node;
  }

  function showError(problem) {
    var box = document.getElementById("action-error");
    box.textContent = (problem && problem.title) ? problem.title + "：" + problem.detail : "操作失败 failed";
    box.hidden = false;
    setTimeout(function () { box.hidden = true; }, 6000);
  }

  function api(method, path, data) {
    return fetch("/api/v1/halls/" + encodeURIComponent(hall) + path, {
      method: method, credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf},
      body: data === undefined ? undefined : JSON.stringify(data)
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) { if (!r.ok) throw j; return j; });
    });
  }

  function loadStaff() {
    return api("GET", "/staff").then(function (d) {
      var tbody = document.querySelector("#staff tbody");
      tbody.replaceChildren();
      d.staff.forEach(function (s) {
        var role = el("select", {"aria-label": "角色 role"});
        Object.keys(ROLE).forEach(function (r) {
          var o = el("option", {value: r, text: ROLE[r]});
          o.selected = r === s.role;
          role.appendChild(o);
        });
        role.addEventListener("change", function () {
          api("PATCH", "/staff/" + s.user_no, {role: role.value}).then(loadStaff).catch(function (p) {
            showError(p); loadStaff();
          });
        });
        tbody.appendChild(el("tr", {"data-user": s.user_no}, [
          el("td", {text: s.user_no}), el("td", {text: s.name}), el("td", {}, [role]),
          el("td", {"class": "state", text: s.active ? "启用 active" : "停用 inactive"}),
          el("td", {}, [
            el("button", {text: s.active ? "停用 Deactivate" : "启用 Activate", onclick: function () {
              api("PATCH", "/staff/" + s.user_no, {active: !s.active}).then(loadStaff).catch(showError);
            }}),
            el("button", {text: "重置密码 Reset password", onclick: function () {
              var pw = window.prompt("新密码（至少 8 位） New password (8+)");
              if (pw) api("PATCH", "/staff/" + s.user_no, {password: pw}).catch(showError);
            }})
          ])
        ]));
      });
    }).catch(showError);
  }

  function loadDevices() {
    return api("GET", "/devices").then(function (d) {
      var tbody = document.querySelector("#devices tbody");
      tbody.replaceChildren();
      d.devices.forEach(function (dev) {
        var seen = dev.last_seen_at ? new Date(dev.last_seen_at).toLocaleString("zh-CN", {timeZone: timeZone}) : "–";
        var row = el("tr", {"data-device": String(dev.id)}, [
          el("td", {text: dev.name}), el("td", {text: KIND[dev.kind] || dev.kind}),
          el("td", {text: dev.window == null ? "–" : String(dev.window)}), el("td", {text: seen}),
          el("td", {text: dev.printer_state || "–"}),
          el("td", {"class": "state", text: dev.active ? "有效 active" : "已吊销 revoked"}), el("td")
        ]);
        if (dev.active) {
          row.lastChild.appendChild(el("button", {text: "吊销令牌 Revoke", onclick: function () {
            if (!window.confirm("吊销后该设备立即无法使用。 Revoke this device's token?")) return;
            api("POST", "/devices/" + dev.id + "/revoke").then(loadDevices).catch(showError);
          }}));
        }
        tbody.appendChild(row);
      });
    }).catch(showError);
  }

  function loadLimits() {
    return api("GET", "/alert-limits").then(function (d) {
      var form = document.getElementById("limits-form");
      form.replaceChildren();
      LIMITS.forEach(function (pair) {
        form.appendChild(el("label", {}, [document.createTextNode(pair[1] + " "),
          el("input", {type: "number", name: pair[0], value: String(d.limits[pair[0]]), min: "1"})]));
      });
      form.appendChild(el("button", {type: "submit", text: "保存 Save"}));
      form.onsubmit = function (ev) {
        ev.preventDefault();
        var limits = {services: d.limits.services};
        LIMITS.forEach(function (pair) { limits[pair[0]] = Number(form.elements[pair[0]].value); });
        api("PUT", "/alert-limits", {limits: limits}).then(loadLimits).catch(showError);
      };
    }).catch(showError);
  }

  var WEEKDAY = ["", "周一 Mon", "周二 Tue", "周三 Wed", "周四 Thu", "周五 Fri", "周六 Sat", "周日 Sun"];
  var DAY_KIND = {holiday: "闭厅 holiday", workday: "调休上班 working day"};

  function loadHours() {
    return api("GET", "/hours").then(function (d) {
      var form = document.getElementById("hours-form");
      form.replaceChildren();
      for (var i = 1; i <= 7; i++) {
        var text = (d.opening_hours[String(i)] || []).map(function (p) { return p[0] + "-" + p[1]; }).join(", ");
        form.appendChild(el("label", {}, [document.createTextNode(WEEKDAY[i] + " "),
          el("input", {"data-weekday": String(i), value: text, size: "36",
                       placeholder: "休息 closed（例 08:30-12:00, 14:00-17:30）"})]));
      }
      form.appendChild(el("button", {type: "submit", text: "保存办理时间 Save hours"}));
      form.onsubmit = function (ev) {
        ev.preventDefault();
        var hours = {};
        for (var j = 1; j <= 7; j++) {
          // Not form.elements["1"]: a numeric key there is an index, not a name.
          var raw = form.querySelector('input[data-weekday="' + j + '"]').value.trim();
          hours[String(j)] = raw ? raw.split(/[,，]/).map(function (part) {
            return part.trim().split(/\s*[-–~]\s*/);
          }) : [];
        }
        api("PUT", "/hours", {opening_hours: hours}).then(loadHours).catch(showError);
      };
      var list = document.getElementById("calendar");
      list.replaceChildren();
      d.calendar.forEach(function (day) {
        list.appendChild(el("li", {"data-day": day.day}, [
          document.createTextNode(day.day + " " + (DAY_KIND[day.kind] || day.kind) + " " + day.name + " "),
          el("button", {text: "删除 Remove", onclick: function () {
            api("POST", "/calendar-days", {day: day.day, kind: null}).then(loadHours).catch(showError);
          }})
        ]));
      });
    }).catch(showError);
  }

  document.getElementById("day-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    api("POST", "/calendar-days", {day: document.getElementById("day-date").value,
                                   kind: document.getElementById("day-kind").value,
                                   name: document.getElementById("day-name").value})
      .then(function () { ev.target.reset(); loadHours(); }).catch(showError);
  });

  document.getElementById("staff-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    api("POST", "/staff", {
      user_no: document.getElementById("sf-user").value, name: document.getElementById("sf-name").value,
      role: document.getElementById("sf-role").value, password: document.getElementById("sf-password").value
    }).then(function () { ev.target.reset(); loadStaff(); }).catch(showError);
  });

  document.getElementById("device-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var win = document.getElementById("df-window").value;
    api("POST", "/devices", {
      kind: document.getElementById("df-kind").value, name: document.getElementById("df-name").value,
      window: win === "" ? null : Number(win)
    }).then(function (d) {
      var box = document.getElementById("new-token");
      box.textContent = "令牌只显示这一次，请立即配置到设备上 (shown once): " + d.token;
      box.hidden = false;
      ev.target.reset();
      loadDevices();
    }).catch(showError);
  });

  document.getElementById("feed-status").textContent = "";
  loadStaff(); loadDevices(); loadLimits(); loadHours();
})();
