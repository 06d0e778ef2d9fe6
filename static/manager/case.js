/* One 差评 case: what was rated, the deadline (red when past), every step with its time, person and text, the
 * form for the one step the case's state allows (回访 -> 整改 -> 反馈), and 申诉 with its 复核. The server decides
 * who may decide an appeal (never the one who filed it, only a higher role); the page says so in advance and
 * shows the server's refusal in its own words. The hall's /live feed re-reads the case when it moves. */
(function () {
  "use strict";
  var C = window.HallqCases;
  var el = HallqDom.el;
  var body = document.body;
  var hall = body.dataset.hall;
  var caseId = body.dataset["case"];
  var me = body.dataset.me;
  var current = null;

  // state -> [action verb, title, button]
  var NEXT = {
    open: ["follow-up", "回访核实 Follow-up call", "记录回访 Record the call"],
    followed_up: ["rectify", "整改 Fix", "记录整改 Record the fix"],
    rectified: ["feedback", "反馈 Feedback to the citizen", "记录反馈并办结 Record feedback and close"]
  };
  var APPEALABLE = {open: 1, followed_up: 1, rectified: 1};

  function text(id, value) { document.getElementById(id).textContent = value; }

  function render(c) {
    current = c;
    var r = c.rating;
    var status = document.getElementById("c-status");
    status.textContent = C.STATUS[c.status] || c.status;
    status.className = "case-status status-" + c.status;
    text("c-service", c.service_name);
    text("c-window", c.window_label || "–");
    text("c-department", c.department || "–");
    text("c-ticket", r.ticket_no);
    text("c-level", r.level + " " + r.level_name);
    text("c-reason", C.reason(r));
    text("c-rated", C.when(r.rated_at));
    var due = document.getElementById("c-due");
    due.textContent = c.due_on + "（" + C.left(c) + "）";
    due.className = c.overdue ? "overdue" : "";
    document.getElementById("case-summary").classList.toggle("overdue", c.overdue);

    var steps = document.getElementById("steps");
    steps.replaceChildren();
    c.actions.forEach(function (a) {
      steps.appendChild(el("li", {"data-kind": a.kind}, [
        el("strong", {text: C.STEP[a.kind] || a.kind}),
        el("time", {text: " " + C.when(a.at) + " "}),
        el("span", {"class": "actor", text: a.actor}),
        el("p", {"class": "note", text: a.note})
      ]));
    });
    if (!c.actions.length) steps.appendChild(el("li", {"class": "hint", text: "尚无记录 No steps yet"}));
    var next = NEXT[c.status];
    if (next && c.overdue) {
      steps.appendChild(el("li", {"class": "overdue pending-step", text: "超期未完成：" + next[1] + " · overdue"}));
    }

    var box = document.getElementById("next-step");
    box.hidden = !next;
    if (next) {
      text("next-title", next[1]);
      text("step-submit", next[2]);
      box.classList.toggle("overdue", c.overdue);
    }

    var appeal = document.getElementById("appeal-box");
    var appealForm = document.getElementById("appeal-form");
    var decideForm = document.getElementById("decide-form");
    appeal.hidden = !(c.status in APPEALABLE) && c.status !== "appealed";
    appealForm.hidden = !(c.status in APPEALABLE);
    decideForm.hidden = c.status !== "appealed";
    var mine = c.appeal_by === me;
    document.getElementById("decide-uphold").disabled = mine;
    document.getElementById("decide-reject").disabled = mine;
    text("appeal-hint", c.status === "appealed"
      ? (mine ? "您提出的申诉须由角色更高的其他人员复核。 You filed this appeal: someone with a higher role decides it."
              : "申诉人 " + c.appeal_by + "；复核人须为其他人员且角色更高。 Filed by " + c.appeal_by + ".")
      : "申诉须由申诉人以外、角色更高的人员复核；申诉成立的差评不计入统计。");
  }

  function load() {
    return C.api("GET", "/api/v1/evaluation-cases/" + caseId).then(render).catch(HallqDom.showError);
  }

  function post(verb, data) {
    return C.api("POST", "/api/v1/evaluation-cases/" + caseId + "/" + verb, data).then(function (c) {
      render(c);
      return c;
    }).catch(HallqDom.showError);
  }

  document.getElementById("step-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var next = NEXT[current.status];
    var note = document.getElementById("step-note");
    post(next[0], {note: note.value}).then(function (c) { if (c) note.value = ""; });
  });
  document.getElementById("appeal-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var note = document.getElementById("appeal-note");
    post("appeal", {note: note.value}).then(function (c) { if (c) note.value = ""; });
  });
  function decide(upheld) {
    var note = document.getElementById("decide-note");
    if (!note.reportValidity()) return;
    post("decide-appeal", {note: note.value, upheld: upheld}).then(function (c) { if (c) note.value = ""; });
  }
  document.getElementById("decide-uphold").addEventListener("click", function () { decide(true); });
  document.getElementById("decide-reject").addEventListener("click", function () { decide(false); });

  load().then(function () {
    HallqFeed.start({
      hall: hall, auth: {},
      onEvent: function (ev) {
        if (ev.type === "evaluation.case_updated" && ev["case"] && String(ev["case"].id) === String(caseId)) load();
      },
      onSnapshot: load,
      onStatus: function (up) {
        var s = document.getElementById("feed-status");
        s.textContent = up ? "在线 online" : "离线 offline";
        s.className = "status " + (up ? "online" : "offline");
      }
    });
  });
})();
