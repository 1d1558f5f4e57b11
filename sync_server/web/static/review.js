/* Keyboard shortcuts for reviewing one entry at a time (the form works without them):
 * A approve and save, R reject, I has issues (both move to the reason, Enter saves),
 * N skip to the next entry. Keys typed into a field are left alone. */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("decide-one");
    if (!form) return;
    var reason = form.querySelector("input[name=reason]");
    function pick(value) {
      var radio = form.querySelector("input[name=decision][value=" + value + "]");
      if (radio) radio.checked = true;
    }
    document.addEventListener("keydown", function (event) {
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      var target = event.target;
      if (target && (target.tagName === "INPUT" && target.type !== "radio" || target.tagName === "TEXTAREA" || target.tagName === "SELECT")) return;
      var key = event.key.toLowerCase();
      if (key === "a") { event.preventDefault(); pick("approved"); form.requestSubmit(); }
      else if (key === "r") { event.preventDefault(); pick("rejected"); reason.focus(); }
      else if (key === "i") { event.preventDefault(); pick("has_issues"); reason.focus(); }
      else if (key === "n") {
        var skip = document.getElementById("skip");
        if (skip) { event.preventDefault(); window.location.href = skip.href; }
      }
    });
  });
})();
