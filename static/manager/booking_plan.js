/* Manager settings page, 网上预约 panel: a service's booking plan (days, slots, horizon, cut-off) and the hall's
 * limit of open bookings per person. One block list serves every checked day: halls keep the same pattern on
 * their working days; a plan whose days differ is shown with the first day's blocks and a note. */
(function () {
  "use strict";

  var body = document.body;
  var hall = body.dataset.hall;
  var csrf = body.dataset.csrf;
  var $ = function (id) { return document.getElementById(id); };

  function api(method, path, data) {
    return fetch("/api/v1/halls/" + encodeURIComponent(hall) + path, {
      method: method, credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf},
      body: data === undefined ? undefined : JSON.stringify(data)
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) { if (!r.ok) throw j; return j; });
    });
  }

  function blocksText(blocks) {
    return blocks.map(function (b) { return b.start + "-" + b.end + "/" + b.minutes + "/" + b.capacity; })
      .join(", ");
  }

  // "09:00-12:00/30/4, 14:00-17:30/30/4" -> blocks; a malformed part throws with its text, shown in Chinese.
  function parseBlocks(text) {
    return text.split(/[,，]/).map(function (part) { return part.trim(); }).filter(Boolean).map(function (part) {
      var m = /^(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})\s*\/\s*(\d+)\s*\/\s*(\d+)$/.exec(part);
      if (!m) throw {title: "时段格式不对", detail: "“" + part + "” 应为 开始-结束/分钟/人数，如 09:00-12:00/30/4"};
      var pad = function (t) { return t.length === 4 ? "0" + t : t; };
      return {start: pad(m[1]), end: pad(m[2]), minutes: Number(m[3]), capacity: Number(m[4])};
    });
  }

  function state(text) { $("bk-state").textContent = text; }

  function show(plan) {
    var days = plan ? plan.days : {};
    var first = Object.keys(days).filter(function (d) { return days[d].length; }).sort()[0];
    var blocks = first ? days[first] : [];
    var same = true;
    document.querySelectorAll("input[name=bk-day]").forEach(function (box) {
      var mine = days[box.value] || [];
      box.checked = mine.length > 0;
      if (mine.length && blocksText(mine) !== blocksText(blocks)) same = false;
    });
    $("bk-blocks").value = blocksText(blocks);
    $("bk-horizon").value = plan ? plan.horizon_days : 7;
    $("bk-cutoff").value = plan ? plan.cutoff_min : 60;
    state(!plan ? "未开放网上预约 Not bookable" :
      "已开放网上预约 Bookable" + (same ? "" : "（各天时段不同，保存后统一为上面的时段）"));
  }

  function load() {
    var code = $("bk-service").value;
    if (!code) return Promise.resolve();
    return api("GET", "/services/" + encodeURIComponent(code) + "/booking").then(function (d) { show(d.plan); })
      .catch(HallqDom.showError);
  }

  function fillServices() {
    return api("GET", "/service-settings").then(function (d) {
      var select = $("bk-service");
      var current = select.value;
      select.textContent = "";
      d.services.forEach(function (s) {
        select.append(HallqDom.el("option", {value: s.code, text: s.name + "（" + s.code + "）"}));
      });
      if (current) select.value = current;
      return load();
    }).catch(HallqDom.showError);
  }

  $("bk-service").addEventListener("change", load);

  $("booking-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var plan;
    try {
      var blocks = parseBlocks($("bk-blocks").value);
      var days = {};
      document.querySelectorAll("input[name=bk-day]:checked").forEach(function (box) { days[box.value] = blocks; });
      plan = {days: days, horizon_days: Number($("bk-horizon").value), cutoff_min: Number($("bk-cutoff").value)};
    } catch (problem) {
      HallqDom.showError(problem);
      return;
    }
    api("PUT", "/services/" + encodeURIComponent($("bk-service").value) + "/booking", plan)
      .then(function (d) { show(d.plan); }).catch(HallqDom.showError);
  });

  $("bk-stop").addEventListener("click", function () {
    api("DELETE", "/services/" + encodeURIComponent($("bk-service").value) + "/booking")
      .then(function () { show(null); }).catch(HallqDom.showError);
  });

  function loadLimit() {
    return api("GET", "/settings").then(function (d) {
      $("bk-open-limit").value = d.booking_open_limit;
      $("bk-no-show-limit").value = d.no_show_limit;
      $("bk-suspend-days").value = d.no_show_suspend_days;
      $("rm-grace").value = d.remote_grace_min;
      $("rm-walk").value = d.remote_walk_ahead;
    }).catch(HallqDom.showError);
  }

  $("booking-limit-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    api("PATCH", "/settings", {booking_open_limit: Number($("bk-open-limit").value),
                               no_show_limit: Number($("bk-no-show-limit").value),
                               no_show_suspend_days: Number($("bk-suspend-days").value)})
      .then(loadLimit).catch(HallqDom.showError);
  });

  // 线上取号: the grace time of a held remote ticket and when its phone says "set off" (hall settings).
  $("remote-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    api("PATCH", "/settings", {remote_grace_min: Number($("rm-grace").value),
                               remote_walk_ahead: Number($("rm-walk").value)})
      .then(loadLimit).catch(HallqDom.showError);
  });

  fillServices();
  loadLimit();
})();
