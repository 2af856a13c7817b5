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
  }
  function check() {
    var token = form.querySelector("input[name=csrf]").value;
    fetch(form.getAttribute("data-check"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": token },
      body: JSON.stringify({ channels: chosen(), text: form.querySelector("textarea[name=text]").value })
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
