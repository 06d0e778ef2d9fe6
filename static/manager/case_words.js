/* The 差评 loop's words and formats, shared by the case list (cases.js) and the case page (case.js): status names,
 * step names, the hall's clock, and the /api/v1 call with the session cookie and the CSRF header. */
(function () {
  "use strict";
  var body = document.body;
  var timeZone = body.dataset.tz || undefined;  // the hall's clock, not the browser's

  var STATUS = {open: "待回访 open", followed_up: "已回访 followed up", rectified: "已整改 rectified",
                closed: "已办结 closed", appealed: "申诉中 appealed", excluded: "申诉成立 excluded"};
  var STEP = {follow_up: "回访核实 follow-up call", rectify: "整改 fix", feedback: "反馈 feedback",
              appeal: "申诉 appeal", appeal_upheld: "申诉成立 appeal upheld",
              appeal_rejected: "申诉驳回 appeal rejected"};

  function when(iso) {
    if (!iso) return "–";
    return new Date(iso).toLocaleString("zh-CN", {timeZone: timeZone, year: "numeric", month: "2-digit",
                                                  day: "2-digit", hour: "2-digit", minute: "2-digit"});
  }

  function left(c) {
    if (c.days_left == null) return "–";
    if (c.overdue) return "已超期 " + (-c.days_left) + " 天 overdue";
    return c.days_left === 0 ? "今日到期 due today" : c.days_left + " 天 days";
  }

  function reason(r) {
    return r.tags.concat(r.text ? [r.text] : []).join("、") || "–";
  }

  function api(method, url, data) {
    return fetch(url, {
      method: method, credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": body.dataset.csrf},
      body: data === undefined ? undefined : JSON.stringify(data)
    }).then(function (r) {
      if (r.status === 401) { window.location.href = "/manager/login"; throw new Error("signed out"); }
      return r.json().catch(function () { return {}; }).then(function (j) {
        if (!r.ok) throw j;
        return j;
      });
    });
  }

  window.HallqCases = {STATUS: STATUS, STEP: STEP, when: when, left: left, reason: reason, api: api};
})();
