// Small enhancements of the portal's forms; every form works without this file.
(function () {
  "use strict";

  // A live character counter under a textarea: data-counter names the output element.
  function setUpCounter(field) {
    var output = document.getElementById(field.dataset.counter);
    var limit = parseInt(field.dataset.counterLimit, 10);
    if (!output || !limit) { return; }
    var format = new Intl.NumberFormat(document.documentElement.lang || undefined);
    // With the JavaScript catalogue (/jsi18n/), each number takes its language's plural form
    // ("1 znak", "3 znaky", "5 znaků"); without it, the page's own one-form templates.
    var plurals = typeof ngettext === "function" && typeof interpolate === "function";
    function counted(count) {
      var values = { count: format.format(count), limit: format.format(limit) };
      if (!plurals) {
        return output.dataset.template
          .replace("{count}", values.count).replace("{limit}", values.limit);
      }
      return interpolate(ngettext(
        "%(count)s of %(limit)s character", "%(count)s of %(limit)s characters", limit
      ), values, true);
    }
    function over(count) {
      if (!plurals) {
        return output.dataset.over.replace("{over}", format.format(count));
      }
      return interpolate(ngettext(
        "%(over)s character over the limit", "%(over)s characters over the limit", count
      ), { over: format.format(count) }, true);
    }
    function update() {
      // Line breaks count once, as the server counts them.
      var count = field.value.replace(/\r\n/g, "\n").length;
      var text = counted(count);
      if (count > limit) {
        text += " — " + over(count - limit);
      }
      output.textContent = text;
      output.classList.toggle("over", count > limit);
      field.setAttribute("aria-invalid", count > limit ? "true" : "false");
    }
    field.addEventListener("input", update);
    update();
  }

  // Custom fields asked for one request type only: shown when that type is chosen.
  function setUpTypeFields(form) {
    var select = form.querySelector("select[name=request_type]");
    if (!select) { return; }
    var fields = form.querySelectorAll("[data-request-type]");
    function update() {
      fields.forEach(function (field) {
        var matches = field.dataset.requestType === select.value;
        field.hidden = !matches;
        field.querySelectorAll("input, select, textarea").forEach(function (input) {
          input.disabled = !matches;
        });
      });
    }
    select.addEventListener("change", update);
    update();
  }

  // Priorities: only those the customer's contract allows for the chosen product (the server
  // refuses any other; this saves the customer the refusal).
  function setUpPriorities(form) {
    var product = form.querySelector("select[name=product]");
    var priority = form.querySelector("select[data-allowed-by-product]");
    if (!priority) { return; }
    var allowed;
    try { allowed = JSON.parse(priority.dataset.allowedByProduct); } catch (e) { return; }
    function update() {
      var key = product ? product.value : "";
      var ids = (allowed[key] || allowed[""] || []).map(String);
      var firstAllowed = null;
      Array.prototype.forEach.call(priority.options, function (option) {
        var ok = option.value === "" || ids.indexOf(option.value) >= 0;
        option.hidden = !ok;
        option.disabled = !ok;
        if (ok && option.value && firstAllowed === null) { firstAllowed = option; }
      });
      var chosen = priority.options[priority.selectedIndex];
      if (chosen && chosen.disabled) {
        priority.value = firstAllowed ? firstAllowed.value : "";
      }
    }
    if (product) { product.addEventListener("change", update); }
    update();
  }

  document.querySelectorAll("textarea[data-counter]").forEach(setUpCounter);
  document.querySelectorAll("form[data-request-form]").forEach(setUpPriorities);
  document.querySelectorAll("form[data-request-form]").forEach(setUpTypeFields);
  var errors = document.querySelector("[data-focus-on-load]");
  if (errors) { errors.focus(); }
})();
