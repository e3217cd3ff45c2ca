// Archibald Studio: live updates by server-sent events. A change re-renders the live part of
// the page on the server (the same template) and swaps it in; the end of a run reloads the
// page once so its outputs show. Without JavaScript every page still works (reload it).
(function () {
  "use strict";
  var box = document.getElementById("live");
  if (!box || !window.EventSource || box.dataset.finished === "1") { return; }
  var source = new EventSource(box.dataset.events);
  var busy = false, again = false;
  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    fetch(box.dataset.live, { credentials: "same-origin" }).then(function (r) {
      return r.ok ? r.text() : null;
    }).then(function (html) {
      if (html !== null) { box.innerHTML = html; }
    }).finally(function () {
      busy = false;
      if (again) { again = false; refresh(); }
    });
  }
  source.addEventListener("change", refresh);
  source.addEventListener("end", function () {
    source.close();
    location.reload();  // the page as it is now finished: outputs, totals, buttons
  });
})();
