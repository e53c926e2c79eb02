// Small progressive enhancements; every page works without them, and the server checks
// every rule again.
"use strict";

document.addEventListener("submit", (event) => {
  const form = event.target;
  // A button may ask its own question (Cancel beside Retry now in one form).
  const button = event.submitter;
  const question =
    (button && button.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});

function webhookForm(form) {
  const sync = form.querySelector("#synchronous");
  const tx = form.querySelector("#in_transaction");
  const object = form.querySelector("#event_object");
  const projectFilter = form.querySelector("#project_filter");
  const testButton = form.querySelector("#test-button");
  const dialog = form.querySelector("#test-dialog");
  const rows = form.querySelector(".header-rows");
  const addHeader = form.querySelector(".add-header");

  // Transaction execution is only possible with Synchronous.
  const syncChanged = () => {
    tx.disabled = !sync.checked;
    if (!sync.checked) tx.checked = false;
  };
  // Only project and phase events can be narrowed to projects.
  const singleProject = form.querySelector("#project");
  const initiator = form.querySelector("#initiator_user");
  const triggers = form.querySelector("#trigger_fields");
  // The Test dialog asks for a user for User webhooks, for a project for project and phase
  // ones; Hookline's own events are tested with an example.
  const subjects = form.querySelectorAll(".test-subject");
  const objectChanged = () => {
    const operational = ["webhook", "delivery"].includes(object.value);
    for (const select of [projectFilter, singleProject]) {
      select.disabled = !["project", "phase"].includes(object.value);
      if (select.disabled) select.value = "";
    }
    // Hookline makes operational events after the fact: no user, no change to stop.
    initiator.disabled = operational;
    if (operational) initiator.value = "";
    sync.disabled = operational;
    if (operational) sync.checked = false;
    syncChanged();
    // Trigger fields are the chosen object's.
    triggers.querySelectorAll("optgroup").forEach((g) => {
      const own = g.dataset.object === object.value;
      g.disabled = !own;
      g.hidden = !own;
      if (!own) g.querySelectorAll("option").forEach((o) => { o.selected = false; });
    });
    subjects.forEach((s) => { s.hidden = !s.dataset.for.split(" ").includes(object.value); });
  };
  // Test appears once the four required fields (*) are filled.
  const required = ["#wording", "#url", "#verb", "#event_action", "#event_object"].map((s) => form.querySelector(s));
  const refreshTest = () => {
    if (testButton) testButton.hidden = !required.every((f) => f && f.value.trim() !== "");
  };

  sync.addEventListener("change", syncChanged);
  object.addEventListener("change", objectChanged);
  form.addEventListener("input", refreshTest);
  form.addEventListener("change", refreshTest);
  syncChanged();
  objectChanged();
  refreshTest();

  if (testButton && dialog) {
    testButton.addEventListener("click", () => dialog.showModal());
    dialog.querySelector(".close-dialog").addEventListener("click", () => dialog.close());
  }

  // Header rows: add and remove.
  let next = rows.children.length + 1;
  const renumber = (row) => {
    const n = next++;
    row.querySelectorAll("input, select, label").forEach((el) => {
      for (const attr of ["id", "for"]) {
        const value = el.getAttribute(attr);
        if (value) el.setAttribute(attr, value.replace(/-\d+$/, "-" + n));
      }
    });
  };
  rows.addEventListener("click", (event) => {
    if (!event.target.classList.contains("remove-header")) return;
    const row = event.target.closest(".header-row");
    if (rows.children.length > 1) {
      row.remove();
    } else {
      row.querySelectorAll("input").forEach((i) => { i.value = ""; });
    }
  });
  addHeader.hidden = false;
  addHeader.addEventListener("click", () => {
    const template = rows.lastElementChild;
    const row = template.cloneNode(true);
    row.querySelectorAll("input").forEach((i) => { i.value = ""; i.type = "text"; i.placeholder = i.name === "header_name" ? "Name, e.g. Authorization" : "Value"; });
    row.querySelector("select").value = "plain";
    renumber(row);
    rows.appendChild(row);
    row.querySelector("input").focus();
  });
  rows.addEventListener("change", (event) => {
    if (event.target.name !== "header_kind") return;
    const value = event.target.closest(".header-row").querySelector("[name=header_value]");
    value.type = event.target.value === "secret" ? "password" : "text";
  });
}

document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("webhook-form");
  if (form) webhookForm(form);
});
