// The public booking page: loads free slots, groups them by day in the visitor's
// own time zone, and books the chosen one through the booking API.
"use strict";

(function () {
  const root = document.getElementById("booking");
  const form = document.getElementById("booking-form");
  const slotsBox = document.getElementById("slots");
  const extraBox = document.getElementById("extra-fields");
  const chosen = document.getElementById("chosen-slot");
  const result = document.getElementById("result");
  const button = document.getElementById("book-button");
  const url = root.dataset.availabilityUrl;
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";

  const dayKey = new Intl.DateTimeFormat("en-CA", {
    timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit",
  });
  const dayLabel = new Intl.DateTimeFormat(undefined, {
    timeZone: zone, weekday: "long", day: "numeric", month: "long",
  });
  const timeLabel = new Intl.DateTimeFormat(undefined, {
    timeZone: zone, hour: "numeric", minute: "2-digit",
  });
  const fullLabel = new Intl.DateTimeFormat(undefined, {
    timeZone: zone, weekday: "long", day: "numeric", month: "long", year: "numeric",
    hour: "numeric", minute: "2-digit",
  });

  let extraFields = [];

  function el(tag, attributes, text) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      node.setAttribute(name, value);
    }
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function say(kind, message) {
    result.className = kind;
    result.textContent = message;
  }

  function renderSlots(items) {
    slotsBox.replaceChildren();
    slotsBox.setAttribute("aria-busy", "false");
    if (items.length === 0) {
      slotsBox.append(el("p", {}, "There are no free times right now. Please check again later."));
      button.disabled = true;
      return;
    }
    button.disabled = false;
    const days = new Map();
    for (const item of items) {
      const key = dayKey.format(new Date(item.start));
      if (!days.has(key)) days.set(key, []);
      days.get(key).push(item);
    }
    let index = 0;
    for (const [key, slots] of days) {
      const details = el("details", { class: "day", "data-day": key });
      if (index === 0) details.open = true;
      const count = slots.length === 1 ? "1 time" : slots.length + " times";
      details.append(el("summary", {}, dayLabel.format(new Date(slots[0].start)) + " (" + count + ")"));
      const group = el("div", { class: "times", role: "group", "aria-label": dayLabel.format(new Date(slots[0].start)) });
      for (const slot of slots) {
        index += 1;
        const id = "slot-" + index;
        const wrapper = el("div", { class: "time" });
        const input = el("input", { type: "radio", name: "slot", id: id, value: slot.start });
        input.dataset.end = slot.end;
        input.addEventListener("change", () => {
          chosen.textContent = "Chosen: " + fullLabel.format(new Date(slot.start));
        });
        wrapper.append(input, el("label", { for: id }, timeLabel.format(new Date(slot.start))));
        group.append(wrapper);
      }
      details.append(group);
      slotsBox.append(details);
    }
  }

  function renderExtraFields(fields) {
    extraFields = fields;
    extraBox.replaceChildren();
    fields.forEach((field, position) => {
      const id = "extra-" + position;
      const box = el("div", { class: "field" });
      const words = field.name.replace(/[._]+/g, " ").trim();
      const label = el("label", { for: id }, words.charAt(0).toUpperCase() + words.slice(1));
      const input = el("input", { id: id, name: field.name, maxlength: "2000", "aria-describedby": id + "-error" });
      input.dataset.extra = field.name;
      box.append(label, input);
      if (field.default === null) {
        input.required = true;
      } else {
        label.append(" (optional)");
      }
      box.append(el("p", { class: "field-error", id: id + "-error" }));
      extraBox.append(box);
    });
  }

  async function loadSlots() {
    slotsBox.setAttribute("aria-busy", "true");
    const response = await fetch(url, { headers: { Accept: "application/json" } });
    const body = await readJson(response);
    if (!response.ok) {
      throw new Error(problem(response, body));
    }
    renderSlots(body.items);
    return body;
  }

  async function readJson(response) {
    try {
      return await response.json();
    } catch (error) {
      return {};
    }
  }

  function problem(response, body) {
    if (response.status === 429) {
      const wait = response.headers.get("Retry-After");
      return "Too many attempts from your network. Please try again" +
        (wait ? " in " + wait + " seconds." : " shortly.");
    }
    return body.message || "Something went wrong (" + response.status + ").";
  }

  function clearFieldErrors() {
    for (const node of form.querySelectorAll("[aria-invalid]")) node.removeAttribute("aria-invalid");
    for (const node of form.querySelectorAll(".field-error")) node.textContent = "";
  }

  function fieldError(input, message) {
    input.setAttribute("aria-invalid", "true");
    const target = document.getElementById(input.getAttribute("aria-describedby"));
    if (target) target.textContent = message;
  }

  function inputFor(field) {
    if (field === "name") return form.elements.namedItem("name");
    if (field === "email") return form.elements.namedItem("email");
    if (field && field.startsWith("substitutionData.")) {
      const name = field.slice("substitutionData.".length);
      return extraBox.querySelector('[data-extra="' + CSS.escape(name) + '"]');
    }
    return null;
  }

  function checkLocally(slot) {
    let firstBad = null;
    const required = [form.elements.namedItem("name"), form.elements.namedItem("email")]
      .concat(Array.from(extraBox.querySelectorAll("input[required]")));
    for (const input of required) {
      if (!input.value.trim()) {
        fieldError(input, "Please fill this in.");
        firstBad = firstBad || input;
      }
    }
    const email = form.elements.namedItem("email");
    if (email.value.trim() && !email.checkValidity()) {
      fieldError(email, "Please enter an e-mail address like name@example.com.");
      firstBad = firstBad || email;
    }
    if (!slot) {
      say("error", "Please choose a time first.");
      return slotsBox;
    }
    return firstBad;
  }

  async function book(event) {
    event.preventDefault();
    clearFieldErrors();
    say("", "");
    const slot = form.querySelector('input[name="slot"]:checked');
    const bad = checkLocally(slot);
    if (bad === slotsBox) {
      result.focus();
      return;
    }
    if (bad) {
      say("error", "Please correct the marked fields.");
      bad.focus();
      return;
    }
    const substitutionData = {};
    for (const input of extraBox.querySelectorAll("input[data-extra]")) {
      if (input.value.trim()) substitutionData[input.dataset.extra] = input.value.trim();
    }
    const payload = {
      time: { start: slot.value, end: slot.dataset.end },
      name: form.elements.namedItem("name").value.trim(),
      email: form.elements.namedItem("email").value.trim(),
      substitutionData: substitutionData,
    };
    button.disabled = true;
    say("", "Booking…");
    try {
      const response = await fetch(url, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify(payload),
      });
      if (response.ok) {
        form.hidden = true;
        say("ok", "Booked! " + fullLabel.format(new Date(payload.time.start)) + " (" + zone +
          "). An invitation is on its way to " + payload.email + ".");
        result.focus();
        return;
      }
      const body = await readJson(response);
      if (response.status === 409 || body.code === "slot_not_offered") {
        say("error", "Sorry, that time is no longer free. Please choose another one.");
        await loadSlots();
      } else if (response.status === 422) {
        let first = null;
        for (const error of body.errors || []) {
          const input = inputFor(error.field);
          if (input) {
            fieldError(input, error.message || "Please check this field.");
            first = first || input;
          }
        }
        say("error", "Please correct the marked fields.");
        if (first) {
          first.focus();
          return;
        }
      } else {
        say("error", problem(response, body));
      }
      result.focus();
    } catch (error) {
      say("error", "Could not reach the server. Please check your connection and try again.");
    } finally {
      button.disabled = false;
    }
  }

  document.getElementById("visitor-zone").textContent = zone;
  form.hidden = false;
  form.addEventListener("submit", book);
  loadSlots()
    .then((body) => renderExtraFields(body.additionalFields || []))
    .catch((error) => {
      slotsBox.setAttribute("aria-busy", "false");
      slotsBox.replaceChildren(el("p", {}, error.message));
      say("error", error.message);
    });
})();
