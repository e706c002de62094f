// Keyboard shortcuts of the agent workspace; the list is in the page's help (#shortcuts).
(function () {
  "use strict";

  function isTyping(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }

  function click(selector) {
    var el = document.querySelector(selector);
    if (el) { el.click(); }
    return Boolean(el);
  }

  var current = -1;

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("tr[data-row]"));
  }

  function highlight(index) {
    var all = rows();
    if (!all.length) { return; }
    current = Math.max(0, Math.min(index, all.length - 1));
    all.forEach(function (row, i) { row.classList.toggle("current", i === current); });
    all[current].scrollIntoView({ block: "nearest" });
  }

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && target.id === "id_body") {
      event.preventDefault();
      click(event.shiftKey ? "#send-internal" : "#send-public");
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || isTyping(target)) { return; }
    var all = rows();
    switch (event.key) {
      case "?":
        var help = document.getElementById("shortcuts");
        if (help) { help.open = !help.open; if (help.open) { help.scrollIntoView(); } }
        break;
      case "q": click("[data-key='q']"); break;
      case "n": click("[data-key='n']"); break;
      case "e": click("[data-key='e']"); break;
      case "/":
        var search = document.querySelector("[data-key='/']");
        if (search) { search.focus(); } else { return; }
        break;
      case "j": highlight(current + 1); break;
      case "k": highlight(current - 1); break;
      case "o":
      case "Enter":
        if (current < 0 || !all[current]) { return; }
        var link = all[current].querySelector("a");
        if (link) { link.click(); }
        break;
      case "x":
        if (current < 0 || !all[current]) { return; }
        var box = all[current].querySelector("input[type=checkbox]");
        if (box) {
          box.checked = !box.checked;
          document.dispatchEvent(new Event("selection"));
        }
        break;
      case "r":
        var body = document.getElementById("id_body");
        if (body) { body.focus(); } else { return; }
        break;
      case "t": if (!click("[data-key='t']")) { return; } break;
      case "a": if (!click("[data-key='a']")) { return; } break;
      default: return;
    }
    event.preventDefault();
  });
})();
