// Relais: the inbox pages' script, written for this project. The pages work without it (reload
// by hand, forms for every action); with it, the columns follow the live events, the keyboard
// works the common actions, the reply box counts as the network does, and members see who
// else is answering.
"use strict";
(function () {
  var columns = document.getElementById("inbox-columns");
  var conversation = document.getElementById("conversation");
  if (!columns && !conversation) { return; }
  var root = columns || conversation;
  var csrf = root.getAttribute("data-csrf");

  function post(url, fields) {
    var body = new URLSearchParams();
    Object.keys(fields).forEach(function (k) { body.set(k, fields[k]); });
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      redirect: "manual",
      headers: { "Content-Type": "application/x-www-form-urlencoded", "X-CSRF-Token": csrf },
      body: body.toString()
    });
  }

  function postJson(url, data) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(data)
    }).then(function (answer) { return answer.ok ? answer.json() : null; });
  }

  function browserZone() {
    try { return Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { return ""; }
  }
  document.querySelectorAll("input.browser-tz").forEach(function (input) { input.value = browserZone(); });

  // ----- The columns: swapped in again when the live events say something changed. -----
  var selectedId = null;
  function rows() { return Array.prototype.slice.call(document.querySelectorAll("#inbox-columns li.conv")); }
  function select(row) {
    rows().forEach(function (r) { r.classList.remove("selected"); r.removeAttribute("aria-current"); });
    if (!row) { selectedId = null; return; }
    selectedId = row.getAttribute("data-id");
    row.classList.add("selected");
    row.setAttribute("aria-current", "true");
    row.scrollIntoView({ block: "nearest" });
  }
  function selectedRow() {
    if (!selectedId) { return null; }
    return rows().filter(function (r) { return r.getAttribute("data-id") === selectedId; })[0] || null;
  }
  function refreshColumns() {
    if (!columns) { return; }
    columns.querySelectorAll("section.column[data-fragment]").forEach(function (section) {
      var body = section.querySelector(".column-body");
      fetch(section.getAttribute("data-fragment"), { credentials: "same-origin" })
        .then(function (answer) { return answer.ok ? answer.text() : null; })
        .then(function (html) {
          if (html === null || !body) { return; }
          // The server's own escaped HTML; the scroll position and the selection are kept.
          var top = body.scrollTop;
          body.innerHTML = html;
          body.scrollTop = top;
          var again = selectedRow();
          if (again) { again.classList.add("selected"); again.setAttribute("aria-current", "true"); }
        })
        .catch(function () {});
    });
  }
  var refreshTimer = null;
  function refreshSoon() {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(refreshColumns, 200);
  }

  // The browser reconnects by itself when the stream ends, with the last event's id.
  var events = root.getAttribute("data-events");
  if (events && window.EventSource) {
    var source = new EventSource(events);
    source.addEventListener("changed", function (event) {
      if (columns) { refreshSoon(); return; }
      var ids = [];
      try { ids = JSON.parse(event.data).ids || []; } catch (e) { return; }
      var notice = document.getElementById("conv-changed");
      if (notice && ids.indexOf(conversation.getAttribute("data-id")) >= 0 && !justActed()) {
        notice.hidden = false;
      }
    });
  }

  // ----- The conversation: reply count, canned replies, presence. -----
  var reply = document.getElementById("reply-text");
  var lastOwnAction = 0;
  function justActed() { return Date.now() - lastOwnAction < 4000; }
  if (reply) {
    var countTimer = null;
    var counter = document.getElementById("reply-count");
    var problem = document.getElementById("reply-problem");
    var countUrl = reply.getAttribute("data-count");
    var count = function () {
      postJson(countUrl, { text: reply.value }).then(function (answer) {
        if (!answer) { return; }
        counter.textContent = answer.count;
        counter.classList.toggle("over", answer.over);
        problem.textContent = answer.problem || "";
      }).catch(function () {});
    };
    reply.addEventListener("input", function () {
      clearTimeout(countTimer);
      countTimer = setTimeout(count, 250);
    });
    var picker = document.getElementById("canned-picker");
    var choose = function () {
      var select = document.getElementById("canned-select");
      var option = select && select.options[select.selectedIndex];
      var text = option && option.getAttribute("data-text");
      if (!text) { return; }
      reply.value = reply.value.trim() === "" ? text : reply.value.replace(/\s+$/, "") + "\n\n" + text;
      reply.dispatchEvent(new Event("input"));
      reply.focus();
    };
    if (picker) {
      picker.addEventListener("submit", function (event) { event.preventDefault(); choose(); });
      picker.querySelector("select").addEventListener("change", choose);
    }
  }
  var presenceUrl = conversation && conversation.getAttribute("data-presence");
  if (presenceUrl) {
    var line = document.getElementById("presence");
    var wasReplying = false;
    var ping = function () {
      var replying = !!(reply && reply.value.trim() !== "");
      wasReplying = replying;
      postJson(presenceUrl, { replying: replying }).then(function (answer) {
        if (!answer || !line) { return; }
        var parts = answer.others.map(function (o) {
          var text = line.getAttribute(o.replying ? "data-replying" : "data-reading");
          return text.replace("{name}", o.name);
        });
        line.textContent = parts.join(" ");
        line.hidden = parts.length === 0;
      }).catch(function () {});
    };
    ping();
    setInterval(function () { if (!document.hidden) { ping(); } }, 10000);
    if (reply) {
      reply.addEventListener("input", function () {
        // Say so at once when writing starts or stops, not at the next round.
        if ((reply.value.trim() !== "") !== wasReplying) { ping(); }
      });
    }
  }
  document.addEventListener("submit", function () { lastOwnAction = Date.now(); });

  // ----- Keyboard shortcuts, ignored while typing in a field. -----
  function typing(target) {
    if (!target || !target.tagName) { return false; }
    var tag = target.tagName.toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable;
  }
  function submitKeyed(key) {
    var form = document.querySelector('form[data-key="' + key + '"]');
    if (!form) { return false; }
    lastOwnAction = Date.now();
    var button = form.querySelector("button[data-default]") || form.querySelector("button[type=submit]");
    if (form.requestSubmit) { form.requestSubmit(button || undefined); } else { form.submit(); }
    return true;
  }
  function focusKeyed(key) {
    var field = document.querySelector('[data-key="' + key + '"]');
    if (!field || field.tagName.toLowerCase() === "form") { return false; }
    field.focus();
    return true;
  }
  function actOnSelected(key) {
    var row = selectedRow();
    if (!row) { return false; }
    var href = row.getAttribute("data-href");
    var done;
    if (key === "e") { done = post(href + "/status", { status: "closed" }); }
    else if (key === "p") { done = post(href + "/status", { status: "pending" }); }
    else if (key === "a") { done = post(href + "/assign", { assignee: "me" }); }
    else if (key === "s") { done = post(href + "/snooze", { preset: "1h", tz: browserZone() }); }
    if (!done) { return false; }
    done.then(refreshColumns, refreshColumns);
    return true;
  }
  function toggleHelp() {
    var help = document.getElementById("shortcuts-help");
    if (!help) { return; }
    var shown = help.classList.toggle("overlay");
    help.open = shown;
  }
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) { return; }
    var key = event.key;
    var handled = false;
    if (key === "?") { toggleHelp(); handled = true; }
    else if (key === "Escape") {
      var help = document.getElementById("shortcuts-help");
      if (help && help.classList.contains("overlay")) { toggleHelp(); handled = true; }
    } else if (columns) {
      var all = rows();
      var at = all.indexOf(selectedRow());
      if (key === "j") { select(all[Math.min(at + 1, all.length - 1)] || null); handled = all.length > 0; }
      else if (key === "k") { select(all[Math.max(at - 1, 0)] || null); handled = all.length > 0; }
      else if (key === "Enter" || key === "o") {
        var row = selectedRow();
        if (row) { window.location.href = row.getAttribute("data-href"); handled = true; }
      } else if (key === "e" || key === "p" || key === "a" || key === "s") { handled = actOnSelected(key); }
    } else if (conversation) {
      if (key === "r" || key === "t" || key === "n") { handled = focusKeyed(key); }
      else if (key === "e" || key === "p" || key === "a" || key === "s") { handled = submitKeyed(key); }
    }
    if (handled) { event.preventDefault(); }
  });
})();
