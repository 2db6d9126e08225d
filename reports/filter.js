// polystat: narrow the Trends and Provenance pages by metric, group, source, language and
// year, in the browser, from file:// too (no server, no framework, no network).
//
// The pages mark what can be filtered with data attributes (reports/pages/common.py,
// filter_attributes): data-filter on each trend block or table row, and space-separated
// tokens in data-group, data-source, data-lang and data-year. The metric box matches the
// metric id or any text of the block. Filters can be set in the address, as a query:
// trends.html?lang=zh&year=2020 (the address follows the form where the browser allows).
(function () {
  "use strict";
  var FIELDS = [["group", "Group"], ["source", "Source"], ["lang", "Language"],
                ["year", "Year"]];
  var items = Array.prototype.slice.call(document.querySelectorAll("[data-filter]"));
  if (!items.length) {
    return;
  }
  var params = new URLSearchParams(window.location.search);
  var form = document.createElement("form");
  form.className = "ps-filter";
  form.setAttribute("role", "search");
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  var metric = field(form, "metric", "Metric or text", document.createElement("input"));
  metric.type = "search";
  metric.value = params.get("metric") || "";
  var selects = FIELDS.map(function (pair) {
    var select = field(form, pair[0], pair[1], document.createElement("select"));
    fillOptions(select, tokens(pair[0]), params.get(pair[0]) || "");
    return select;
  });
  var count = document.createElement("output");
  count.setAttribute("aria-live", "polite");
  form.appendChild(count);
  var main = document.querySelector("main") || document.body;
  var header = main.querySelector(".ps-title");
  main.insertBefore(form, header ? header.nextSibling : main.firstChild);
  form.addEventListener("input", apply);
  form.addEventListener("change", apply);
  apply();

  function field(parent, name, text, control) {
    var label = document.createElement("label");
    label.textContent = text + " ";
    control.name = name;
    label.appendChild(control);
    parent.appendChild(label);
    return control;
  }

  function tokens(name) {
    var seen = {};
    items.forEach(function (item) {
      (item.getAttribute("data-" + name) || "").split(" ").forEach(function (token) {
        if (token) { seen[token] = true; }
      });
    });
    return Object.keys(seen).sort(function (a, b) {
      var numbers = /^\d+$/.test(a) && /^\d+$/.test(b);
      return numbers ? Number(a) - Number(b) : a.localeCompare(b, "en", {numeric: true});
    });
  }

  function fillOptions(select, values, chosen) {
    select.appendChild(new Option("any", ""));
    values.forEach(function (value) {
      select.appendChild(new Option(value.replace(/_/g, " "), value, false, value === chosen));
    });
  }

  function matches(item) {
    var wanted = metric.value.trim().toLowerCase();
    if (wanted && (item.getAttribute("data-metric") || "").toLowerCase() !== wanted &&
        item.textContent.toLowerCase().indexOf(wanted) < 0) {
      return false;
    }
    return selects.every(function (select) {
      if (!select.value) { return true; }
      var have = (item.getAttribute("data-" + select.name) || "").split(" ");
      return have.indexOf(select.value) >= 0;
    });
  }

  function apply() {
    var shown = 0;
    items.forEach(function (item) {
      var keep = matches(item);
      item.hidden = !keep;
      shown += keep ? 1 : 0;
    });
    count.textContent = shown + " of " + items.length + " shown";
    remember();
  }

  function remember() {
    var query = new URLSearchParams();
    [metric].concat(selects).forEach(function (control) {
      if (control.value) { query.set(control.name, control.value); }
    });
    var text = query.toString();
    try {
      window.history.replaceState(null, "", (text ? "?" + text : window.location.pathname) +
                                  window.location.hash);
    } catch (error) {
      // some browsers refuse to change a file:// address: the filter works all the same
    }
  }
})();
