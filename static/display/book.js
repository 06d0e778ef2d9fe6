// 网上预约 on the phone: /book/<hall> books a slot, /book/manage/<token> moves, cancels or checks it in. Both
// pages are rendered by the server; this script only walks the steps and talks to the public booking API.
"use strict";
(function () {
  const body = document.body;
  const hall = body.dataset.hall;
  const token = body.dataset.token;  // only on the manage page
  const $ = (id) => document.getElementById(id);
  const error = $("error");

  function showError(problem) {
    // problem+json carries a Chinese title and detail (Accept-Language defaults to zh-Hans).
    error.textContent = problem && problem.detail ? problem.title + "：" + problem.detail
      : "网络不通，请稍后再试。Network problem, please try again.";
    error.hidden = false;
  }

  async function call(method, url, data) {
    const init = {method, headers: {"Accept": "application/json"}};
    if (data !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(data);
    }
    let response;
    try {
      response = await fetch(url, init);
    } catch (e) {
      showError(null);
      return null;
    }
    const json = await response.json().catch(() => null);
    if (!response.ok) {
      showError(json);
      return null;
    }
    error.hidden = true;
    return json;
  }

  function timeOf(iso) { return iso.slice(11, 16); }

  // The slots of one day as radio buttons; full or past cut-off ones are shown but cannot be chosen.
  async function loadSlots(service, day, box, none, onPick) {
    box.textContent = "";
    none.hidden = true;
    const loading = $("slots-loading");
    if (loading) loading.hidden = false;
    const json = await call("GET", `/api/v1/halls/${hall}/services/${service}/slots?date=${day}`);
    if (loading) loading.hidden = true;
    if (!json) return;
    let offered = 0;
    for (const slot of json.slots) {
      const usable = slot.open && slot.left > 0;
      offered += usable ? 1 : 0;
      const label = document.createElement("label");
      label.className = "choice slot" + (usable ? "" : " full");
      const input = document.createElement("input");
      input.type = "radio";
      input.name = "slot";
      input.value = slot.start;
      input.disabled = !usable;
      input.addEventListener("change", () => onPick(slot.start));
      const text = document.createElement("span");
      text.textContent = `${timeOf(slot.start)}–${timeOf(slot.end)} ` +
        (usable ? `余 ${slot.left}` : (slot.open ? "已约满" : "已截止"));
      label.append(input, text);
      box.append(label);
    }
    none.hidden = offered > 0;
  }

  function bookPage() {
    const form = $("book");
    if (!form) return;
    let service = null, day = null, slot = null;
    const submit = $("submit");
    const ready = () => {
      const person = $("id_number").value.trim() || $("phone").value.trim();
      submit.disabled = !(service && day && slot && person);
    };
    form.querySelectorAll("input[name=service]").forEach((radio) => radio.addEventListener("change", () => {
      service = radio.value; day = null; slot = null;
      form.querySelectorAll("[data-materials]").forEach((el) => { el.hidden = el.dataset.materials !== service; });
      form.querySelectorAll("[data-days]").forEach((el) => {
        el.hidden = el.dataset.days !== service;
        el.querySelectorAll("input").forEach((i) => { i.checked = false; });
      });
      $("step-day").hidden = false;
      $("step-slot").hidden = true;
      $("step-person").hidden = true;
      ready();
    }));
    form.querySelectorAll("input[name=day]").forEach((radio) => radio.addEventListener("change", () => {
      day = radio.value; slot = null;
      $("step-slot").hidden = false;
      loadSlots(service, day, $("slots"), $("slots-none"), (start) => {
        slot = start;
        $("step-person").hidden = false;
        ready();
      });
      ready();
    }));
    ["id_number", "phone"].forEach((id) => $(id).addEventListener("input", ready));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      submit.disabled = true;
      const idNumber = $("id_number").value.trim();
      const person = idNumber ? {id_number: idNumber} : {phone: $("phone").value.trim()};
      const booked = await call("POST", `/api/v1/halls/${hall}/appointments`,
        {service, slot_start: slot, ...person});
      if (booked) {
        location.replace(new URL(booked.manage_url).pathname);  // the same page whatever the public host
      } else {
        ready();
      }
    });
  }

  // The phone remembers the bookings it manages at a hall, so the entrance QR's page (/arrive/<hall>, take.js)
  // can check them in; only the token is kept, in the phone's own storage.
  const BOOKINGS = "hallq.bookings." + hall;
  function remember(status) {
    try {
      const kept = JSON.parse(localStorage.getItem(BOOKINGS) || "[]").filter((t) => t !== token);
      localStorage.setItem(BOOKINGS, JSON.stringify(status === "booked" ? kept.concat([token]).slice(-5) : kept));
    } catch (e) { /* private mode: the typed code still works */ }
  }

  function checkIn() {
    const form = $("checkin-form");
    if (!form) return;
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const go = $("checkin-go");
      go.disabled = true;
      const ticket = await call("POST", `/api/v1/appointments/${token}/check-in`,
        {hall_code: $("hall-code").value.trim()});
      if (ticket) {
        remember("checked_in");
        location.replace(new URL(ticket.track_url).pathname);  // the ticket's phone page, whatever the host
      } else {
        go.disabled = false;
      }
    });
  }

  function managePage() {
    if (!token) return;
    remember($("booking").dataset.status);
    checkIn();
    const cancel = $("cancel");
    if (cancel) {
      cancel.addEventListener("click", () => { $("cancel-confirm").hidden = false; cancel.hidden = true; });
      $("cancel-no").addEventListener("click", () => { $("cancel-confirm").hidden = true; cancel.hidden = false; });
      $("cancel-yes").addEventListener("click", async () => {
        if (await call("POST", `/api/v1/appointments/${token}/cancel`)) location.reload();
      });
    }
    const move = $("move");
    if (!move) return;
    let slot = null;
    const confirm = $("move-confirm");
    move.querySelectorAll("input[name=day]").forEach((radio) => radio.addEventListener("change", () => {
      slot = null;
      confirm.disabled = true;
      loadSlots(body.dataset.service, radio.value, $("slots"), $("slots-none"), (start) => {
        slot = start;
        confirm.disabled = false;
      });
    }));
    confirm.addEventListener("click", async () => {
      confirm.disabled = true;
      if (await call("POST", `/api/v1/appointments/${token}/move`, {slot_start: slot})) location.reload();
    });
  }

  bookPage();
  managePage();
})();
