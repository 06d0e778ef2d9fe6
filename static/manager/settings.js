/* Manager settings page: staff accounts, devices and their tokens, alert limits, hours and holidays, the
 * announcement, the hall's time zone and priority ratio, priority categories and departments, 办事指南 items
 * (create, edit every field, delete) and 政务公开 documents. Every change is a
 * /api/v1 call with the session cookie and X-CSRF-Token; refusals show the server's Chinese problem title and
 * detail. The page follows the hall's events (feed.js), so a change made elsewhere shows here too. */
(function () {
  "use strict";

  var body = document.body;
  var hall = body.dataset.hall;
  var csrf = body.dataset.csrf;
  var timeZone = body.dataset.tz || undefined;
  var ROLE = {staff: "窗口人员 staff", viewer: "只读 viewer", manager: "大厅管理员 manager"};
  var WINDOW_STATE = {open: "开放 open", paused: "暂停服务 paused", away: "离岗 away", closed: "关闭 closed"};
  var KIND = {kiosk: "自助终端 kiosk", display: "综合屏 display", rater: "评价器 rating tablet"};
  var LIMITS = [
    ["queue_length", "默认等候人数预警值 Queue length"], ["ticket_wait_min", "等候超时（分钟） Wait limit (min)"],
    ["service_min", "办理超时（分钟） Service limit (min)"], ["window_idle_min", "窗口空闲（分钟） Idle (min)"],
    ["pause_min", "暂停过久（分钟） Pause (min)"], ["cap_percent", "号源将满（%） Cap nearly reached (%)"]
  ];

  var el = HallqDom.el;

  var showError = HallqDom.showError;

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

  function showPairingCode(d) {
    var box = document.getElementById("new-token");
    var until = new Date(d.expires_at).toLocaleTimeString("zh-CN", {timeZone: timeZone, hour12: false});
    box.replaceChildren(
      el("span", {text: "「" + d.device.name + "」配对码 Pairing code: "}),
      el("strong", {"data-pairing-code": "", text: d.code}),
      el("span", {text: "。请在该设备的浏览器中打开 " + location.origin + "/pair 并输入此码；" + until +
        " 前有效，只能使用一次。 Open /pair on the device and type the code (single use, valid until " + until + ")."}));
    box.hidden = false;
    loadDevices();
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
        // A device is paired by a one-time code typed at /pair on the device: no token ever travels in a URL.
        row.lastChild.appendChild(el("button", {text: "配对码 Pairing code", "data-pair": "", onclick: function () {
          api("POST", "/devices/" + dev.id + "/pairing-code").then(showPairingCode).catch(showError);
        }}));
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

  var SERVICE_LIMITS = ["ticket_wait_min", "service_min"];
  var currentLimits = null;

  function serviceLimitsForm(limits) {
    var tbody = document.querySelector("#service-limits tbody");
    tbody.replaceChildren();
    var own = limits.services || {};
    serviceList.forEach(function (svc) {
      var cells = SERVICE_LIMITS.map(function (key) {
        var v = own[svc.code] && own[svc.code][key] != null ? String(own[svc.code][key]) : "";
        return el("td", {}, [el("input", {type: "number", min: "1", value: v, "data-key": key,
                                          placeholder: String(limits[key]), "aria-label": key})]);
      });
      tbody.appendChild(el("tr", {"data-service": svc.code}, [el("td", {text: svc.name})].concat(cells)));
    });
  }

  document.getElementById("service-limits-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    if (!currentLimits) return;
    var services = {};
    document.querySelectorAll("#service-limits tbody tr").forEach(function (row) {
      var values = {};
      row.querySelectorAll("input[data-key]").forEach(function (input) {
        if (input.value !== "") values[input.dataset.key] = Number(input.value);
      });
      if (Object.keys(values).length) services[row.dataset.service] = values;
    });
    var limits = Object.assign({}, currentLimits, {services: services});
    api("PUT", "/alert-limits", {limits: limits}).then(loadLimits).catch(showError);
  });

  function loadLimits() {
    return api("GET", "/alert-limits").then(function (d) {
      currentLimits = d.limits;
      serviceLimitsForm(d.limits);
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
      ev.target.reset();
      // The browser on the device is paired by a code; the token itself is for a kiosk's print agent only
      // (its token file, docs/kiosk.md) and is not shown for other devices.
      var agentToken = d.device.kind === "kiosk" ? d.token : null;
      return api("POST", "/devices/" + d.device.id + "/pairing-code").then(function (code) {
        showPairingCode(code);
        if (agentToken) {
          document.getElementById("new-token").appendChild(el("span", {"class": "agent-token",
            text: " 打印代理令牌（只显示这一次，写入终端的令牌文件）Print agent token, shown once: " + agentToken}));
        }
      });
    }).catch(showError);
  });

  var voiceDefault = {template: "", repeats: 2};

  // The example the server will speak is rendered by the server (display/voice.py); while typing, the screen
  // text is previewed here with the same spacing so the manager sees at once where the numbers land.
  function previewText(template) {
    return template.replace(/\{ticket\}/g, " A001 ").replace(/\{window\}/g, " 3 ").replace(/\s+/g, " ").trim();
  }

  function showVoice(d) {
    voiceDefault = {template: d.default_template, repeats: d.default_repeats};
    document.getElementById("vf-template").value = d.template || "";
    document.getElementById("vf-repeats").value = d.repeats == null ? "" : String(d.repeats);
    document.getElementById("vf-default").textContent = d.default_template + "，" + d.default_repeats + " 次";
    document.getElementById("vf-example").textContent = d.example.text;
    document.getElementById("vf-speech").textContent = d.example.speech;
  }

  function loadVoice() {
    return api("GET", "/voice").then(showVoice).catch(showError);
  }

  function saveVoice(template, repeats) {
    return api("PUT", "/voice", {template: template, repeats: repeats}).then(showVoice).catch(showError);
  }

  document.getElementById("vf-template").addEventListener("input", function (ev) {
    document.getElementById("vf-example").textContent = previewText(ev.target.value || voiceDefault.template);
    document.getElementById("vf-speech").textContent = "保存后显示 shown after saving";
  });
  document.getElementById("voice-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var template = document.getElementById("vf-template").value.trim();
    var repeats = document.getElementById("vf-repeats").value;
    saveVoice(template === "" ? null : template, repeats === "" ? null : Number(repeats));
  });
  document.getElementById("vf-reset").addEventListener("click", function () { saveVoice(null, null); });

  function loadHall() {
    return api("GET", "/settings").then(function (d) {
      document.getElementById("hf-timezone").value = d.timezone;
      document.getElementById("hf-ratio").value = String(d.priority_ratio);
      timeZone = d.timezone;
    }).catch(showError);
  }

  document.getElementById("hall-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    api("PATCH", "/settings", {timezone: document.getElementById("hf-timezone").value.trim(),
                               priority_ratio: Number(document.getElementById("hf-ratio").value)})
      .then(loadHall).catch(showError);
  });

  function loadPriorities() {
    return api("GET", "/priorities").then(function (d) {
      var tbody = document.querySelector("#priorities tbody");
      tbody.replaceChildren();
      d.priorities.forEach(function (p) {
        var name = el("input", {value: p.name, maxlength: "64", "aria-label": "名称 name"});
        var weight = el("input", {type: "number", min: "1", max: "9", value: String(p.weight),
                                  "aria-label": "权重 weight"});
        tbody.appendChild(el("tr", {"data-priority": p.code}, [
          el("td", {text: p.code}), el("td", {}, [name]), el("td", {}, [weight]),
          el("td", {}, [el("button", {text: "保存 Save", onclick: function () {
            api("PATCH", "/priorities/" + encodeURIComponent(p.code), {name: name.value, weight: Number(weight.value)})
              .then(loadPriorities).catch(showError);
          }})])
        ]));
      });
    }).catch(showError);
  }

  document.getElementById("priority-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    api("POST", "/priorities", {code: document.getElementById("pf-code").value,
                                name: document.getElementById("pf-name").value,
                                weight: Number(document.getElementById("pf-weight").value)})
      .then(function () { ev.target.reset(); loadPriorities(); }).catch(showError);
  });

  function loadDepartments() {
    return api("GET", "/departments").then(function (d) {
      departmentList = d.departments;
      if (!editing) fillDepartments(null);
      var tbody = document.querySelector("#departments tbody");
      tbody.replaceChildren();
      d.departments.forEach(function (dep) {
        var path = "/departments/" + encodeURIComponent(dep.code);
        var name = el("input", {value: dep.name, maxlength: "128", "aria-label": "名称 name"});
        tbody.appendChild(el("tr", {"data-department": dep.code, "class": dep.active ? "" : "inactive"}, [
          el("td", {text: dep.code}), el("td", {}, [name]),
          el("td", {"class": "state", text: dep.active ? "启用 active" : "停用 inactive"}),
          el("td", {}, [
            el("button", {text: "改名 Rename", onclick: function () {
              api("PATCH", path, {name: name.value}).then(loadDepartments).catch(showError);
            }}),
            el("button", {text: dep.active ? "停用 Deactivate" : "启用 Activate", onclick: function () {
              api("PATCH", path, {active: !dep.active}).then(loadDepartments).catch(showError);
            }})
          ])
        ]));
      });
    }).catch(showError);
  }

  document.getElementById("department-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    api("POST", "/departments", {code: document.getElementById("dpf-code").value,
                                 name: document.getElementById("dpf-name").value})
      .then(function () { ev.target.reset(); loadDepartments(); }).catch(showError);
  });

  var serviceList = [];
  var departmentList = [];
  var editing = null;  // the code of the service the form edits; null: the form adds a new one

  function slotsText(slots) {
    return (slots || []).map(function (q) { return q.start + "-" + q.end + "=" + q.limit; }).join(", ");
  }

  // "08:30-10:00=40, 14:00-16:00=30" -> [{start, end, limit}]; a malformed part is sent as it is so the server's
  // refusal (分时段限额不正确) explains the format, rather than the page guessing.
  function parseSlots(text) {
    if (!text.trim()) return [];
    return text.split(/[,，]/).map(function (part) {
      var m = part.trim().match(/^(\S+?)\s*[-–~]\s*(\S+?)\s*=\s*(\d+)$/);
      return m ? {start: m[1], end: m[2], limit: Number(m[3])} : {start: part.trim(), end: "", limit: 0};
    });
  }

  function numberOrNull(id) {
    var v = document.getElementById(id).value;
    return v === "" ? null : Number(v);
  }

  function hoursInputs() {
    var box = document.getElementById("svf-hours");
    if (box.querySelector("input[data-sweekday]")) return;
    for (var i = 1; i <= 7; i++) {
      box.appendChild(el("label", {}, [document.createTextNode(WEEKDAY[i] + " "),
        el("input", {"data-sweekday": String(i), size: "30", placeholder: "休息 closed"})]));
    }
  }

  function fillDepartments(current) {
    var select = document.getElementById("svf-department");
    select.replaceChildren(el("option", {value: "", text: "无 none"}));
    departmentList.forEach(function (d) {
      if (!d.active && d.code !== current) return;  // a service may keep a retired department, not join one
      var o = el("option", {value: d.code, text: d.name + (d.active ? "" : "（停用）")});
      o.selected = d.code === current;
      select.appendChild(o);
    });
  }

  function fillServiceForm(svc) {
    editing = svc ? svc.code : null;
    var f = function (id) { return document.getElementById(id); };
    f("svf-title").textContent = svc ? "编辑事项 Edit " + svc.code : "新增事项 New service";
    f("svf-submit").textContent = svc ? "保存事项 Save service" : "新增事项 Add service";
    f("svf-cancel").hidden = !svc;
    f("svf-code").value = svc ? svc.code : "";
    f("svf-code").readOnly = !!svc;
    f("svf-name").value = svc ? svc.name : "";
    f("svf-prefix").value = svc ? svc.prefix : "";
    f("svf-start").value = svc ? String(svc.number_start) : "1";
    f("svf-end").value = svc ? String(svc.number_end) : "999";
    f("svf-wrap").checked = svc ? svc.number_wrap : false;
    f("svf-cap").value = svc && svc.daily_cap != null ? String(svc.daily_cap) : "";
    f("svf-slots").value = svc ? slotsText(svc.slot_quotas) : "";
    f("svf-warn").value = svc && svc.warning_threshold != null ? String(svc.warning_threshold) : "";
    f("svf-duration").value = String(Math.round((svc ? svc.standard_duration_s : 600) / 60));
    f("svf-person").value = svc && svc.person_limit != null ? String(svc.person_limit) : "";
    f("svf-stop").value = String(svc ? svc.stop_issue_before_close_min : 0);
    f("svf-green").checked = svc ? svc.green_channel : false;
    f("svf-guide").value = svc && svc.guide_code ? svc.guide_code : "";
    fillDepartments(svc ? svc.department : null);
    hoursInputs();
    var own = svc ? svc.opening_hours : null;
    f("svf-own-hours").checked = own != null;
    for (var i = 1; i <= 7; i++) {
      var input = document.querySelector('#svf-hours input[data-sweekday="' + i + '"]');
      input.value = own ? (own[String(i)] || []).map(function (p) { return p[0] + "-" + p[1]; }).join(", ") : "";
      input.disabled = own == null;
    }
  }

  function serviceFormData() {
    var own = document.getElementById("svf-own-hours").checked;
    var hours = null;
    if (own) {
      hours = {};
      for (var i = 1; i <= 7; i++) {
        var raw = document.querySelector('#svf-hours input[data-sweekday="' + i + '"]').value.trim();
        hours[String(i)] = raw ? raw.split(/[,，]/).map(function (p) { return p.trim().split(/\s*[-–~]\s*/); }) : [];
      }
    }
    return {
      name: document.getElementById("svf-name").value, prefix: document.getElementById("svf-prefix").value.trim(),
      number_start: numberOrNull("svf-start"), number_end: numberOrNull("svf-end"),
      number_wrap: document.getElementById("svf-wrap").checked, daily_cap: numberOrNull("svf-cap"),
      slot_quotas: parseSlots(document.getElementById("svf-slots").value),
      warning_threshold: numberOrNull("svf-warn"), person_limit: numberOrNull("svf-person"),
      standard_duration_s: Math.round((numberOrNull("svf-duration") || 0) * 60),
      stop_issue_before_close_min: numberOrNull("svf-stop") || 0,
      green_channel: document.getElementById("svf-green").checked,
      department: document.getElementById("svf-department").value || null,
      guide_code: document.getElementById("svf-guide").value.trim() || null, opening_hours: hours
    };
  }

  function loadServices() {
    return api("GET", "/service-settings").then(function (d) {
      serviceList = d.services;
      var tbody = document.querySelector("#service-list tbody");
      tbody.replaceChildren();
      d.services.forEach(function (svc) {
        var dept = departmentList.filter(function (x) { return x.code === svc.department; })[0];
        tbody.appendChild(el("tr", {"data-service": svc.code, "class": svc.active ? "" : "inactive"}, [
          el("td", {text: svc.code}), el("td", {text: svc.name + (svc.green_channel ? "（绿色通道）" : "")}),
          el("td", {text: svc.prefix + " " + svc.number_start + "–" + svc.number_end + (svc.number_wrap ? " ↻" : "")}),
          el("td", {text: svc.daily_cap == null ? "不限" : String(svc.daily_cap)}),
          el("td", {text: svc.warning_threshold == null ? "默认" : String(svc.warning_threshold)}),
          el("td", {text: Math.round(svc.standard_duration_s / 60) + " 分钟"}),
          el("td", {text: dept ? dept.name : (svc.department || "–")}), el("td", {text: svc.guide_code || "–"}),
          el("td", {"class": "state", text: svc.active ? "启用 active" : "停用 inactive"}),
          el("td", {}, [
            el("button", {text: "编辑 Edit", onclick: function () {
              fillServiceForm(svc);
              document.getElementById("service-form").scrollIntoView();
            }}),
            el("button", {text: svc.active ? "停用 Deactivate" : "启用 Activate", onclick: function () {
              api("PATCH", "/services/" + encodeURIComponent(svc.code), {active: !svc.active})
                .then(loadServices).catch(showError);
            }})
          ])
        ]));
      });
      if (currentLimits) serviceLimitsForm(currentLimits);
      var pick = document.getElementById("wf-services");
      pick.replaceChildren();
      d.services.forEach(function (svc) { pick.appendChild(el("option", {value: svc.code, text: svc.name})); });
    }).catch(showError);
  }

  document.getElementById("svf-own-hours").addEventListener("change", function (ev) {
    document.querySelectorAll("#svf-hours input[data-sweekday]").forEach(function (i) {
      i.disabled = !ev.target.checked;
    });
  });
  document.getElementById("svf-cancel").addEventListener("click", function () { fillServiceForm(null); });
  document.getElementById("service-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var data = serviceFormData();
    var done = editing
      ? api("PATCH", "/services/" + encodeURIComponent(editing), data)
      : api("POST", "/services", Object.assign({code: document.getElementById("svf-code").value.trim()}, data));
    done.then(function () { fillServiceForm(null); loadServices(); }).catch(showError);
  });

  function loadWindows() {
    return api("GET", "/windows").then(function (windows) {
      var tbody = document.querySelector("#window-list tbody");
      tbody.replaceChildren();
      windows.forEach(function (w) {
        var name = el("input", {value: w.name, maxlength: "64", "aria-label": "名称 name"});
        var zone = el("input", {value: w.zone, maxlength: "32", "aria-label": "区域 zone"});
        var actions = [el("button", {text: "保存 Save", onclick: function () {
          api("PATCH", "/windows/" + w.number, {name: name.value, zone: zone.value})
            .then(loadWindows).catch(showError);
        }})];
        if (w.staff) {
          // A clerk who left signed in holds the window: free it so someone else can sign in (audited).
          actions.push(el("button", {"class": "release", text: "释放窗口 Free window", onclick: function () {
            if (!window.confirm("确定释放 " + w.label + "？工号 " + w.staff + " 将被退出登录，窗口关闭，其他人员可登录。\n" +
                                "Free " + w.label + "? " + w.staff + " is signed out and the window closes.")) return;
            api("POST", "/windows/" + w.number + "/release").then(loadWindows).catch(showError);
          }}));
        }
        tbody.appendChild(el("tr", {"data-window": String(w.number)}, [
          el("td", {text: w.label}), el("td", {}, [name]), el("td", {}, [zone]),
          el("td", {"class": "services", text: w.services.join("、")}),
          el("td", {"class": "signed-in", text: w.staff
            ? "工号 " + w.staff + " · " + (WINDOW_STATE[w.state] || w.state) : "无人登录 nobody"}),
          el("td", {}, actions)
        ]));
      });
    }).catch(showError);
  }

  document.getElementById("window-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var picked = Array.prototype.map.call(document.getElementById("wf-services").selectedOptions,
                                          function (o) { return {service: o.value}; });
    api("POST", "/windows", {number: numberOrNull("wf-number"), name: document.getElementById("wf-name").value,
                             zone: document.getElementById("wf-zone").value, services: picked})
      .then(function () { ev.target.reset(); loadWindows(); }).catch(showError);
  });

  var GUIDE_TEXT = ["basic_code", "name", "agency", "theme", "keywords", "location", "hours", "conditions",
                    "legal_basis", "consult_phone", "complaint_phone"];
  var GUIDE_NUMBERS = ["legal_limit_days", "promised_limit_days", "visits"];
  var GUIDE_FLAGS = ["appointment", "online", "self_service"];
  var guideEditing = null;  // the code of the guide in the form; null while creating one

  function findingList(findings) {
    return el("ul", {"class": "findings"}, findings.map(function (f) {
      return el("li", {"data-code": f.code, text: "第" + f.rule + "条 " + f.message});
    }));
  }

  function setFindings(findings) {
    document.getElementById("gf-findings").replaceWith(findingList(findings));
    document.querySelector("#guide-form ul.findings").id = "gf-findings";
  }

  // A refusal is shown next to the form it refuses, in the server's Chinese title and detail.
  function formError(id, problem) {
    var box = document.getElementById(id);
    if (!problem) { box.hidden = true; box.textContent = ""; return; }
    box.textContent = (problem && problem.title) ? problem.title + "：" + problem.detail : "操作失败 failed";
    box.hidden = false;
    box.scrollIntoView({block: "nearest"});
  }

  function loadGuides() {
    var q = document.getElementById("gs-q").value.trim();
    return Promise.all([api("GET", "/guides" + (q ? "?q=" + encodeURIComponent(q) : "")), api("GET", "/guide-findings")])
      .then(function (both) {
        var byCode = {};
        both[1].forEach(function (g) { byCode[g.code] = g.findings; });
        document.getElementById("guide-summary").textContent =
          "（" + both[1].length + " 项指南有质量问题 guides with findings）";
        var tbody = document.querySelector("#guide-list tbody");
        tbody.replaceChildren();
        both[0].forEach(function (g) {
          var found = byCode[g.code] || [];
          tbody.appendChild(el("tr", {"data-guide": g.code}, [
            el("td", {text: g.code}), el("td", {text: g.name}),
            found.length ? el("td", {"class": "findings"}, [findingList(found)])
                         : el("td", {"class": "ok", text: "无 none"}),
            el("td", {}, [el("button", {text: "编辑 Edit", onclick: function () { editGuide(g.code); }})])
          ]));
        });
      }).catch(showError);
  }

  function cell(input) { return el("td", {}, [input]); }

  function removeButton() {
    return el("button", {type: "button", text: "删除 Remove", onclick: function (ev) {
      ev.target.closest("tr").remove();
    }});
  }

  function addMaterial(m) {
    m = m || {name: "", original: 1, copies: 0, required: true, source: ""};
    var required = el("input", {type: "checkbox", "data-field": "required", "aria-label": "必需 required"});
    required.checked = m.required !== false;
    var form = el("input", {type: "checkbox", "data-field": "form", "aria-label": "表格类材料 form"});
    form.checked = !!m.form;
    var row = el("tr", {"data-material": ""}, [
      cell(el("input", {"data-field": "name", value: m.name || "", maxlength: "200", "aria-label": "材料名称 name"})),
      cell(el("input", {"data-field": "original", type: "number", min: "0", max: "99", value: String(m.original == null ? 1 : m.original),
                        "aria-label": "原件份数 originals"})),
      cell(el("input", {"data-field": "copies", type: "number", min: "0", max: "99", value: String(m.copies || 0),
                        "aria-label": "复印件份数 copies"})),
      cell(required),
      cell(el("input", {"data-field": "source", value: m.source || "", maxlength: "200", "aria-label": "来源 source"})),
      cell(form),
      cell(el("input", {"data-field": "blank_form", value: m.blank_form || "", maxlength: "500",
                        placeholder: "/kiosk/files/…", "aria-label": "空白表格链接 blank form link"})),
      cell(el("input", {"data-field": "sample", value: m.sample || "", maxlength: "500",
                        placeholder: "/kiosk/files/…", "aria-label": "示例样表链接 sample link"})),
      cell(removeButton())
    ]);
    row.extra = m;  // fields this form does not show are sent back as they were
    document.querySelector("#gf-materials tbody").appendChild(row);
  }

  function addFaq(f) {
    f = f || {q: "", a: ""};
    document.querySelector("#gf-faq tbody").appendChild(el("tr", {"data-faq": ""}, [
      cell(el("input", {"data-field": "q", value: f.q || "", "aria-label": "问题 question"})),
      cell(el("textarea", {"data-field": "a", rows: "2", "aria-label": "解答 answer"}, [document.createTextNode(f.a || "")])),
      cell(removeButton())
    ]));
  }

  function countOf(input) {
    var v = input.value.trim();
    return v === "" ? 0 : Number(v);
  }

  function fillDepartmentSelect(selected) {
    var sel = document.getElementById("gf-department_code");
    sel.replaceChildren(el("option", {value: "", text: "无 none"}));
    departmentList.forEach(function (d) { sel.appendChild(el("option", {value: d.code, text: d.code + " " + d.name})); });
    if (selected && !departmentList.some(function (d) { return d.code === selected; })) {
      sel.appendChild(el("option", {value: selected, text: selected}));
    }
    sel.value = selected || "";
  }

  function fillGuideForm(g) {
    var form = document.getElementById("guide-form");
    formError("gf-error", null);
    var code = document.getElementById("gf-code");
    code.value = g.code || "";
    code.readOnly = !!guideEditing;  // the code is the key services link by: fixed once created
    document.getElementById("gf-title").textContent = guideEditing ? "编辑指南 Edit " + g.code : "新建指南 New guide";
    GUIDE_TEXT.forEach(function (k) { document.getElementById("gf-" + k).value = g[k] || ""; });
    GUIDE_NUMBERS.forEach(function (k) {
      document.getElementById("gf-" + k).value = g[k] == null ? "" : String(g[k]);
    });
    GUIDE_FLAGS.forEach(function (k) { document.getElementById("gf-" + k).checked = !!g[k]; });
    document.getElementById("gf-item_type").value = g.item_type || "20";
    fillDepartmentSelect(g.department_code);
    form.querySelectorAll("[data-target]").forEach(function (box) {
      box.checked = (g.target || []).indexOf(box.value) >= 0;
    });
    document.querySelector("#gf-materials tbody").replaceChildren();
    (g.materials || []).forEach(addMaterial);
    document.getElementById("gf-process").value = (g.process || []).join("\n");
    var fee = g.fee || {};
    document.getElementById("gf-fee-charged").checked = !!fee.charged;
    document.getElementById("gf-fee-standard").value = fee.standard || "";
    document.getElementById("gf-fee-basis").value = fee.basis || "";
    document.querySelector("#gf-faq tbody").replaceChildren();
    (g.faq || []).forEach(addFaq);
    document.getElementById("gf-delete").hidden = !guideEditing;
    form.hidden = false;
  }

  function guideData() {
    var form = document.getElementById("guide-form");
    var data = {};
    GUIDE_TEXT.forEach(function (k) { data[k] = document.getElementById("gf-" + k).value; });
    GUIDE_NUMBERS.forEach(function (k) { data[k] = numberOrNull("gf-" + k); });
    if (data.visits === null) delete data.visits;
    GUIDE_FLAGS.forEach(function (k) { data[k] = document.getElementById("gf-" + k).checked; });
    data.item_type = document.getElementById("gf-item_type").value;
    data.department_code = document.getElementById("gf-department_code").value;
    data.target = Array.prototype.filter.call(form.querySelectorAll("[data-target]"), function (b) { return b.checked; })
      .map(function (b) { return b.value; });
    data.materials = Array.prototype.map.call(form.querySelectorAll("#gf-materials tr[data-material]"), function (row) {
      var get = function (f) { return row.querySelector("[data-field=" + f + "]"); };
      return Object.assign({}, row.extra, {
        name: get("name").value, original: countOf(get("original")), copies: countOf(get("copies")),
        required: get("required").checked, source: get("source").value, form: get("form").checked,
        blank_form: get("blank_form").value.trim() || null, sample: get("sample").value.trim() || null
      });
    });
    data.process = document.getElementById("gf-process").value.split("\n")
      .map(function (s) { return s.trim(); }).filter(function (s) { return s; });
    data.fee = {charged: document.getElementById("gf-fee-charged").checked,
                standard: document.getElementById("gf-fee-standard").value,
                basis: document.getElementById("gf-fee-basis").value};
    data.faq = Array.prototype.map.call(form.querySelectorAll("#gf-faq tr[data-faq]"), function (row) {
      return {q: row.querySelector("[data-field=q]").value, a: row.querySelector("[data-field=a]").value};
    });
    return data;
  }

  function editGuide(code) {
    return api("GET", "/guides/" + encodeURIComponent(code)).then(function (g) {
      guideEditing = code;
      fillGuideForm(g);
      return api("GET", "/guides/" + encodeURIComponent(code) + "/findings").then(function (found) {
        setFindings(found);
        document.getElementById("guide-form").scrollIntoView();
      });
    }).catch(showError);
  }

  document.getElementById("guide-search").addEventListener("submit", function (ev) {
    ev.preventDefault();
    loadGuides();
  });
  document.getElementById("gf-new").addEventListener("click", function () {
    guideEditing = null;
    fillGuideForm({fee: {charged: false, standard: "不收费"}, target: ["自然人"], visits: 1});
    setFindings([]);
    document.getElementById("gf-code").focus();
  });
  document.getElementById("gf-add-material").addEventListener("click", function () { addMaterial(null); });
  document.getElementById("gf-add-faq").addEventListener("click", function () { addFaq(null); });
  document.getElementById("gf-close").addEventListener("click", function () {
    guideEditing = null;
    document.getElementById("guide-form").hidden = true;
  });
  document.getElementById("gf-delete").addEventListener("click", function () {
    if (!guideEditing || !window.confirm("确定删除指南 " + guideEditing + "？ Delete this guide?")) return;
    api("DELETE", "/guides/" + encodeURIComponent(guideEditing)).then(function () {
      guideEditing = null;
      document.getElementById("guide-form").hidden = true;
      loadGuides();
    }).catch(function (p) { formError("gf-error", p); });
  });
  document.getElementById("guide-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var data = guideData();
    var done = guideEditing ? api("PATCH", "/guides/" + encodeURIComponent(guideEditing), data)
      : api("POST", "/guides", Object.assign(data, {code: document.getElementById("gf-code").value}));
    done.then(function (d) {
      formError("gf-error", null);
      guideEditing = d.guide.code;
      fillGuideForm(d.guide);
      setFindings(d.findings);
      loadGuides();
    }).catch(function (p) { formError("gf-error", p); });
  });

  // 政务公开: documents every hall shows; the form creates one or edits the one picked from the list.
  var DOC_TEXT = ["index_no", "doc_no", "title", "publisher", "written_on", "body"];
  var docEditing = null;  // the id of the document in the form; null while creating one

  function loadDisclosures() {
    var q = document.getElementById("ds-q").value.trim();
    return api("GET", "/disclosures" + (q ? "?q=" + encodeURIComponent(q) : "")).then(function (docs) {
      var tbody = document.querySelector("#disclosure-list tbody");
      tbody.replaceChildren();
      docs.forEach(function (d) {
        tbody.appendChild(el("tr", {"data-disclosure": String(d.id)}, [
          el("td", {text: d.index_no}), el("td", {text: d.title}), el("td", {text: d.category}),
          el("td", {text: d.written_on || ""}),
          el("td", {}, [el("button", {text: "编辑 Edit", onclick: function () { editDisclosure(d.id); }})])
        ]));
      });
    }).catch(showError);
  }

  function addAttachment(a) {
    a = a || {name: "", url: ""};
    document.querySelector("#df-attachments tbody").appendChild(el("tr", {"data-attachment": ""}, [
      cell(el("input", {"data-field": "name", value: a.name || "", "aria-label": "附件名称 name"})),
      cell(el("input", {"data-field": "url", value: a.url || "", "aria-label": "链接 link"})),
      cell(removeButton())
    ]));
  }

  function fillDisclosureForm(d) {
    formError("df-error", null);
    document.getElementById("df-title-head").textContent = docEditing ? "编辑文件 Edit " + d.index_no : "新建文件 New document";
    DOC_TEXT.forEach(function (k) { document.getElementById("df-" + k).value = d[k] || ""; });
    document.getElementById("df-category").value = d.category || document.getElementById("df-category").options[0].value;
    document.querySelector("#df-attachments tbody").replaceChildren();
    (d.attachments || []).forEach(addAttachment);
    document.getElementById("df-delete").hidden = !docEditing;
    var form = document.getElementById("disclosure-form");
    form.hidden = false;
    form.scrollIntoView();
  }

  function editDisclosure(id) {
    return api("GET", "/disclosures/" + id).then(function (d) {
      docEditing = d.id;
      fillDisclosureForm(d);
    }).catch(showError);
  }

  document.getElementById("disclosure-search").addEventListener("submit", function (ev) {
    ev.preventDefault();
    loadDisclosures();
  });
  document.getElementById("df-new").addEventListener("click", function () {
    docEditing = null;
    fillDisclosureForm({});
  });
  document.getElementById("df-add-attachment").addEventListener("click", function () { addAttachment(null); });
  document.getElementById("df-close").addEventListener("click", function () {
    docEditing = null;
    document.getElementById("disclosure-form").hidden = true;
  });
  document.getElementById("df-delete").addEventListener("click", function () {
    if (!docEditing || !window.confirm("确定删除该文件？ Delete this document?")) return;
    api("DELETE", "/disclosures/" + docEditing).then(function () {
      docEditing = null;
      document.getElementById("disclosure-form").hidden = true;
      loadDisclosures();
    }).catch(function (p) { formError("df-error", p); });
  });
  document.getElementById("disclosure-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var data = {};
    DOC_TEXT.forEach(function (k) { data[k] = document.getElementById("df-" + k).value; });
    if (!data.written_on) data.written_on = null;
    data.category = document.getElementById("df-category").value;
    data.attachments = Array.prototype.map.call(document.querySelectorAll("#df-attachments tr[data-attachment]"),
      function (row) {
        return {name: row.querySelector("[data-field=name]").value, url: row.querySelector("[data-field=url]").value};
      });
    var done = docEditing ? api("PATCH", "/disclosures/" + docEditing, data) : api("POST", "/disclosures", data);
    done.then(function (d) {
      docEditing = d.id;
      fillDisclosureForm(d);
      loadDisclosures();
    }).catch(function (p) { formError("df-error", p); });
  });

  function loadAll() {
    return Promise.all([loadStaff(), loadDevices(), loadLimits(), loadHours(), loadVoice(), loadHall(),
                        loadPriorities(), loadDepartments().then(loadServices), loadWindows(), loadGuides(),
                        loadDisclosures()]);
  }

  // Another manager's change (or an admin's) arrives as an event: re-read what it touched, so two open settings
  // pages never overwrite each other with stale values they did not see.
  // Only the part an event names is re-read: a form someone is typing in elsewhere on the page stays as it is.
  var HALL_PARTS = {opening_hours: loadHours, calendar_day: loadHours, announcement: loadVoice, settings: loadHall,
                    priority: loadPriorities, department: loadDepartments};

  function onEvent(ev) {
    if (ev.type === "staff.updated") loadStaff();
    else if (ev.type === "service.updated") loadServices();
    else if (ev.type === "window.updated") loadWindows();
    else if (ev.type === "guide.updated") loadGuides();
    else if (ev.type === "disclosure.updated") loadDisclosures();
    else if (ev.type === "device.updated") loadDevices();
    else if (ev.type === "hall.updated") {
      Object.keys(HALL_PARTS).forEach(function (key) { if (ev[key] !== undefined) HALL_PARTS[key](); });
    }
  }

  function setStatus(online) {
    var s = document.getElementById("feed-status");
    s.textContent = online ? "在线 online" : "离线 offline";
    s.className = "status " + (online ? "online" : "offline");
  }

  // The first snapshot follows the load by a moment: re-reading then would reset forms the manager has begun to
  // fill. Later snapshots (a reconnect after a long gap) mean events were missed, so everything is re-read.
  var snapshots = 0;
  fillServiceForm(null);
  loadAll().then(function () {
    HallqFeed.start({
      hall: hall, auth: {},
      onEvent: onEvent,
      onSnapshot: function () { if (snapshots++ > 0) loadAll(); },
      onStatus: setStatus
    });
  });
})();
