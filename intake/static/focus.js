// Where the keyboard and screen-reader focus goes when a page loads: the error summary when a
// step came back with errors, else the heading of a new step or of the crisis help, so a
// screen reader starts reading where the page changed. Nothing else runs on the public pages.
(function () {
  "use strict";
  function place() {
    var target = document.getElementById("error-summary");
    if (!target && !window.location.hash) {
      target = document.querySelector("h1[data-autofocus]");
    }
    if (target) {
      target.focus();
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", place);
  } else {
    place();
  }
})();
