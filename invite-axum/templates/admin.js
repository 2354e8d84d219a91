// The admin page's interactions: every button calls the JSON API, then the page reloads to
// show the server's answer. No framework; native <dialog>, buttons and checkboxes, so the
// page is usable with the keyboard alone.
(function () {
  "use strict";
  const body = document.body;
  const base = body.dataset.base || "";
  const i18n = JSON.parse(body.dataset.i18n || "{}");
  const lang = document.documentElement.lang;
  const orgEl = document.getElementById("org");
  const org = orgEl ? orgEl.dataset.org : null;
  const $ = (id) => document.getElementById(id);

  async function api(method, path, payload) {
    const init = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
    if (payload !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(payload);
    }
    const r = await fetch(base + path, init);
    let json = null;
    try { json = await r.json(); } catch (_) { json = null; }
    return { ok: r.ok, status: r.status, json };
  }

  function errorText(err) {
    if (!err) return "";
    const local = (i18n.errors || {})[err.code];
    if (lang !== "en" && local) return local + " (" + err.message + ")";
    return err.message || local || err.code;
  }

  function flash(text, isError) {
    const f = $("flash");
    if (!f) return;
    f.textContent = text;
    f.className = isError ? "error" : "ok";
  }

  const reload = () => window.location.reload();

  // The reminder switch.
  const reminders = $("reminders");
  if (reminders) {
    reminders.addEventListener("change", async () => {
      const r = await api("PUT", "/api/orgs/" + org + "/reminders", { enabled: reminders.checked });
      if (r.ok) reload();
      else { reminders.checked = !reminders.checked; flash(errorText(r.json && r.json.error), true); }
    });
  }

  // Selection: the dry run fills the confirmation, the confirmation runs it.
  const confirmDialog = $("confirm-dialog");
  let pending = null;
  async function confirmSelection(action, ids) {
    if (!ids.length) { flash(i18n.will_skip || "", true); return; }
    const r = await api("POST", "/api/orgs/" + org + "/invitations/selection", { action, ids, dry_run: true });
    if (!r.ok) { flash(errorText(r.json && r.json.error), true); return; }
    const run = r.json;
    const list = $("confirm-list");
    list.replaceChildren();
    const okIds = [];
    // The dry run's figures: what the commit would send and the seats it needs free.
    const by = (ch) => run.messages.filter((m) => m.channel === ch).length;
    $("confirm-messages").textContent = String(run.messages.length);
    $("confirm-email").textContent = String(by("email"));
    $("confirm-sms").textContent = String(by("sms"));
    $("confirm-seats").textContent = String(run.seats_needed);
    for (const o of run.answers) {
      const row = document.querySelector('tr[data-id="' + o.input + '"]');
      const li = document.createElement("li");
      const who = row ? row.dataset.address : o.input;
      if (o.ok) {
        okIds.push(o.input);
        li.textContent = who + ": " + (action === "resend" ? i18n.will_resend : i18n.will_delete);
        li.className = "ok";
      } else {
        li.textContent = who + ": " + i18n.will_skip + " (" + errorText(o.error) + ")";
        li.className = "err";
      }
      list.appendChild(li);
    }
    const title = $("confirm-title");
    title.textContent = title.dataset[action];
    $("confirm-ok").disabled = okIds.length === 0;
    pending = { action, ids: okIds };
    confirmDialog.showModal();
  }
  if (confirmDialog) {
    $("confirm-form").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      if (!pending) return;
      const r = await api("POST", "/api/orgs/" + org + "/invitations/selection", { action: pending.action, ids: pending.ids });
      const failed = r.ok ? r.json.filter((o) => !o.ok) : [];
      if (r.ok && failed.length === 0) { reload(); return; }
      const list = $("confirm-list");
      list.replaceChildren();
      for (const o of (r.ok ? failed : [{ input: "", error: r.json && r.json.error }])) {
        const li = document.createElement("li");
        li.className = "err";
        li.textContent = errorText(o.error);
        list.appendChild(li);
      }
      $("confirm-ok").disabled = true;
      confirmDialog.addEventListener("close", reload, { once: true });
    });
  }
  document.querySelectorAll("[data-selection]").forEach((b) =>
    b.addEventListener("click", () => {
      const ids = Array.from(document.querySelectorAll(".pick:checked")).map((c) => c.value);
      confirmSelection(b.dataset.selection, ids);
    }));
  const selectAll = $("select-all");
  if (selectAll) selectAll.addEventListener("change", () =>
    document.querySelectorAll(".pick").forEach((c) => { c.checked = selectAll.checked; }));

  // The invite dialog (also the access editor of one row).
  const dialog = $("invite-dialog");
  function openInvite(editId) {
    const form = $("invite-form");
    form.reset();
    $("invite-results").replaceChildren();
    $("edit-id").value = editId || "";
    $("address-fields").hidden = !!editId;
    $("level-label").hidden = true;
    const list = $("address-list");
    while (list.children.length > 1) list.lastChild.remove();
    dialog.showModal();
    const first = editId ? $("type-user") : list.querySelector("input");
    if (first) first.focus();
  }
  function access(form) {
    const type = form.querySelector('input[name="type"]:checked').value;
    const a = { type };
    if (type === "admin") a.permission_level = $("permission-level").value;
    const grid = $("client-grid");
    if (grid) {
      a.grants = [];
      grid.querySelectorAll("tr[data-client]").forEach((tr) => {
        const c = tr.querySelector("input:checked");
        if (c && c.value) a.grants.push({ client: tr.dataset.client, role: c.value });
      });
    } else {
      a.role = form.querySelector('input[name="role"]:checked').value;
    }
    return a;
  }
  if (dialog) {
    $("invite-open").addEventListener("click", () => openInvite(null));
    $("add-address").addEventListener("click", () => {
      const list = $("address-list");
      const input = document.createElement("input");
      input.type = "text";
      input.name = "address";
      input.className = "address-input";
      input.autocomplete = "off";
      input.setAttribute("aria-label", list.firstElementChild.getAttribute("aria-label").replace(/\d+$/, String(list.children.length + 1)));
      list.appendChild(input);
      input.focus();
    });
    document.querySelectorAll('input[name="type"]').forEach((r) =>
      r.addEventListener("change", () => { $("level-label").hidden = $("type-admin").checked === false; }));
    let changed = false;
    $("invite-form").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const form = ev.target;
      const results = $("invite-results");
      results.replaceChildren();
      const editId = $("edit-id").value;
      if (editId) {
        const r = await api("PUT", "/api/invitations/" + editId + "/access", { access: access(form) });
        if (r.ok) { reload(); return; }
        const li = document.createElement("li");
        li.className = "err";
        li.textContent = errorText(r.json && r.json.error);
        results.appendChild(li);
        return;
      }
      const addresses = Array.from(form.querySelectorAll(".address-input")).map((i) => i.value.trim()).filter((v) => v);
      const r = await api("POST", "/api/orgs/" + org + "/invitations/bulk", { addresses, access: access(form) });
      if (!r.ok) {
        const li = document.createElement("li");
        li.className = "err";
        li.textContent = errorText(r.json && r.json.error);
        results.appendChild(li);
        return;
      }
      let allOk = true;
      for (const o of r.json) {
        const li = document.createElement("li");
        if (o.ok) { changed = true; li.className = "ok"; li.textContent = o.input + ": " + i18n.invited_ok; }
        else { allOk = false; li.className = "err"; li.textContent = o.input + ": " + errorText(o.error); }
        results.appendChild(li);
      }
      if (allOk) reload();
    });
    dialog.addEventListener("close", () => { if (changed) reload(); });
  }
  document.querySelectorAll("dialog .close").forEach((b) =>
    b.addEventListener("click", () => b.closest("dialog").close()));

  // Row buttons.
  const paths = { resend: "resend", send_follow_up: "follow-up", mark_completed: "mark-completed" };
  document.querySelectorAll("button.act").forEach((b) =>
    b.addEventListener("click", async () => {
      const action = b.dataset.action;
      const id = b.dataset.id;
      if (action === "cancel") { confirmSelection("cancel", [id]); return; }
      if (action === "edit_access") { openInvite(id); return; }
      const r = await api("POST", "/api/invitations/" + id + "/" + paths[action]);
      if (r.ok) reload();
      else flash(errorText(r.json && r.json.error), true);
    }));
})();
