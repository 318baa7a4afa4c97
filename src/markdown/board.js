"use strict";
// Filters, search and open steps, kept in the URL hash
// (#status=verified&phase=Phase%202&owner=Ada&q=storage&open=S04) so that a
// link shows the same view. Without this script the page shows everything.
(function () {
  var form = document.getElementById("filters");
  if (!form) return;
  var steps = Array.prototype.slice.call(document.querySelectorAll("details.step"));
  var groups = Array.prototype.slice.call(document.querySelectorAll(".phase-group"));
  var count = document.getElementById("shown");
  var fields = ["status", "phase", "owner", "q"];
  form.hidden = false;

  function stateFromHash() {
    var hash = location.hash.replace(/^#/, "");
    var state = { open: [] };
    if (hash.indexOf("=") < 0) {
      // A plain anchor (#step-S04, from the timeline): open that step.
      if (hash.indexOf("step-") === 0) state.open = [decodeURIComponent(hash.slice(5))];
      state.anchor = true;
      return state;
    }
    var params = new URLSearchParams(hash);
    fields.forEach(function (f) { state[f] = params.get(f) || ""; });
    state.open = (params.get("open") || "").split(",").filter(Boolean);
    return state;
  }

  function writeHash() {
    var params = new URLSearchParams();
    fields.forEach(function (f) {
      var v = form.elements[f].value;
      if (v) params.set(f, v);
    });
    var open = steps.filter(function (s) { return s.open; }).map(function (s) { return s.dataset.id; });
    if (open.length) params.set("open", open.join(","));
    var text = params.toString();
    history.replaceState(null, "", text ? "#" + text : location.pathname + location.search);
  }

  function apply() {
    var want = {};
    fields.forEach(function (f) { want[f] = form.elements[f].value; });
    var words = want.q.toLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0;
    steps.forEach(function (s) {
      var d = s.dataset;
      var ok = (!want.status || d.status === want.status) &&
        (!want.phase || d.phase === want.phase) &&
        (!want.owner || d.owner === want.owner) &&
        words.every(function (w) { return d.search.indexOf(w) >= 0; });
      s.hidden = !ok;
      if (ok) shown++;
    });
    groups.forEach(function (g) {
      g.hidden = !g.querySelector("details.step:not([hidden])");
    });
    count.value = shown === steps.length
      ? "All " + steps.length + " steps"
      : shown + " of " + steps.length + " steps";
  }

  function load() {
    var state = stateFromHash();
    if (!state.anchor) {
      fields.forEach(function (f) {
        var el = form.elements[f];
        el.value = state[f];
        // A value the page does not offer (an old link) means "any".
        if (el.value !== state[f]) el.value = "";
      });
    }
    steps.forEach(function (s) {
      if (state.open.indexOf(s.dataset.id) >= 0) s.open = true;
    });
    apply();
    if (state.anchor && state.open.length) {
      var target = document.getElementById("step-" + state.open[0]);
      if (target) target.scrollIntoView();
    }
  }

  form.addEventListener("input", function () { apply(); writeHash(); });
  form.addEventListener("change", function () { apply(); writeHash(); });
  form.addEventListener("submit", function (e) { e.preventDefault(); });
  form.addEventListener("reset", function () {
    setTimeout(function () { apply(); writeHash(); }, 0);
  });
  steps.forEach(function (s) {
    s.addEventListener("toggle", writeHash);
  });
  window.addEventListener("hashchange", load);
  load();

  // Served by `git ledger serve`: reload when the ledger or HEAD moves.
  var live = document.querySelector('meta[name="ledger-version"]');
  if (live && /^https?:$/.test(location.protocol)) {
    document.documentElement.classList.add("is-live");
    setInterval(function () {
      fetch("/version", { cache: "no-store" })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (v) {
          if (v !== null && v.trim() !== live.content) location.reload();
        })
        .catch(function () {});
    }, 2000);
  }
})();
