// Relais: the little script the pages need, written for this project. Pages work without it.
"use strict";
document.addEventListener("submit", function (event) {
  // Forms that remove something ask first.
  var form = event.target;
  var question = form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
document.addEventListener("focusin", function (event) {
  // One-time secrets are selected on focus so that copying is one keystroke.
  if (event.target.classList && event.target.classList.contains("copy")) {
    event.target.select();
  }
});

// The composer's live checks: as the text or the channels change, ask the server how each
// chosen network counts the text, and show the count and any problem before anything is sent.
(function () {
  var form = document.getElementById("composer");
  if (!form) { return; }
  var timer = null;
  function chosen() {
    var names = [];
    form.querySelectorAll("input[name=channel]:checked").forEach(function (box) { names.push(box.value); });
    return names;
  }
  function show(results) {
    var list = document.getElementById("live-problems");
    list.textContent = "";
    form.querySelectorAll("output.count").forEach(function (out) { out.textContent = ""; out.classList.remove("over"); });
    results.forEach(function (r) {
      var out = form.querySelector('output.count[data-channel="' + CSS.escape(r.channel) + '"]');
      if (out && r.limit !== null) {
        out.textContent = r.used + " / " + r.limit;
        if (r.over) { out.classList.add("over"); }
      }
      r.problems.forEach(function (p) {
        var item = document.createElement("li");
        item.textContent = p;
        list.appendChild(item);
      });
    });
    showPreviews(results);
  }
  // Each network's preview, built from the server's segments as text nodes (never as HTML).
  function showPreviews(results) {
    var box = document.getElementById("previews");
    if (!box || results.length === 0) { return; }
    box.textContent = "";
    results.forEach(function (r) {
      var card = document.createElement("article");
      card.className = "preview";
      card.setAttribute("data-network", r.network);
      var head = document.createElement("header");
      head.textContent = r.channel + " · " + r.network;
      card.appendChild(head);
      r.preview.forEach(function (part, i) {
        var p = document.createElement("div");
        p.className = "part";
        if (part.title) {
          var t = document.createElement("span");
          t.className = "title";
          t.textContent = part.title;
          p.appendChild(t);
        }
        part.visible.forEach(function (seg) { p.appendChild(segment(seg)); });
        if (part.folded.length > 0) {
          var more = document.createElement("span");
          more.className = "more";
          more.textContent = form.getAttribute("data-see-more");
          more.addEventListener("click", function () { p.classList.add("open"); more.hidden = true; });
          p.appendChild(more);
          var rest = document.createElement("span");
          rest.className = "folded";
          part.folded.forEach(function (seg) { rest.appendChild(segment(seg)); });
          p.appendChild(rest);
        }
        if (i === 0 && r.media > 0) {
          var attach = document.createElement("div");
          attach.className = "attach";
          attach.textContent = "▣ × " + r.media;
          p.appendChild(attach);
        }
        card.appendChild(p);
      });
      box.appendChild(card);
    });
  }
  function segment(seg) {
    var span = document.createElement("span");
    span.className = seg.kind;
    span.textContent = seg.shown;
    if (seg.target) { span.title = seg.target; }
    return span;
  }
  function request() {
    var variants = {};
    form.querySelectorAll("textarea[data-variant]").forEach(function (area) {
      var name = area.getAttribute("data-variant");
      var label = area.closest("label");
      if (label) { label.hidden = chosen().indexOf(name) < 0 && area.value === ""; }
      if (area.value.trim() !== "") { variants[name] = area.value; }
    });
    var media = [];
    form.querySelectorAll("input[name=media]:checked").forEach(function (box) { media.push(box.value); });
    var uploads = [];
    var files = document.getElementById("compose-upload");
    if (files && files.files) {
      Array.prototype.forEach.call(files.files, function (f) { uploads.push({ type: f.type, size: f.size }); });
    }
    return {
      channels: chosen(),
      text: form.querySelector("textarea[name=text]").value,
      first_comment: form.querySelector("textarea[name=first_comment]").value,
      variants: variants,
      media: media,
      uploads: uploads
    };
  }
  function check() {
    var token = form.querySelector("input[name=csrf]").value;
    fetch(form.getAttribute("data-check"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": token },
      body: JSON.stringify(request())
    }).then(function (answer) { return answer.ok ? answer.json() : []; }).then(show).catch(function () {});
  }
  function later() {
    clearTimeout(timer);
    timer = setTimeout(check, 250);
  }
  form.addEventListener("input", later);
  form.addEventListener("change", later);
  check();
})();

// The calendar: drag a planned post onto another day to move it there (it keeps its time of
// day). Without a pointer, each post's "Move" form does the same.
(function () {
  var table = document.querySelector("table.calendar");
  if (!table) { return; }
  var token = table.getAttribute("data-csrf");
  var dragged = null;
  table.addEventListener("dragstart", function (event) {
    var post = event.target.closest && event.target.closest("[data-move]");
    if (!post) { return; }
    dragged = post.getAttribute("data-move");
    event.dataTransfer.setData("text/plain", dragged);
  });
  table.addEventListener("dragover", function (event) {
    var cell = event.target.closest && event.target.closest("td[data-day]");
    if (cell && dragged) { event.preventDefault(); cell.classList.add("drop"); }
  });
  table.addEventListener("dragleave", function (event) {
    var cell = event.target.closest && event.target.closest("td[data-day]");
    if (cell) { cell.classList.remove("drop"); }
  });
  table.addEventListener("drop", function (event) {
    var cell = event.target.closest && event.target.closest("td[data-day]");
    if (!cell || !dragged) { return; }
    event.preventDefault();
    var body = new URLSearchParams();
    body.set("day", cell.getAttribute("data-day"));
    fetch(dragged, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/x-www-form-urlencoded", "X-CSRF-Token": token },
      body: body.toString()
    }).then(function () { window.location.reload(); });
    dragged = null;
  });
})();

// Listening's stream: every 15 seconds, ask how many mentions arrived after the newest one the
// page shows (under the same filters), and offer them with a link; the page never reloads by
// itself. Without the script, the stream is simply as it was when loaded.
(function () {
  var box = document.getElementById("mentions-live");
  if (!box || !window.fetch) { return; }
  var address = box.getAttribute("data-poll");
  var line = box.querySelector("span");
  function say(answer) {
    if (!answer || !answer.count) { return; }
    var text = answer.capped ? box.getAttribute("data-capped")
      : answer.count === 1 ? box.getAttribute("data-one") : box.getAttribute("data-many");
    line.textContent = text.replace("{n}", String(answer.count));
    box.hidden = false;
  }
  function ask() {
    if (document.hidden) { return; }
    fetch(address, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (answer) { return answer.ok ? answer.json() : null; })
      .then(say)
      .catch(function () {});
  }
  setInterval(ask, 15000);
})();
