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
