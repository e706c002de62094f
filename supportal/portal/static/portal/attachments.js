// Attachments by drag and drop, by browsing, and by pasting a screenshot.
// Progressive enhancement: the <input type="file" multiple> stays the form's real field; this
// script only adds files to it (through a DataTransfer) and lists them with a Remove button.
(function () {
  "use strict";

  function sizeText(bytes) {
    var units = ["B", "KB", "MB", "GB"];
    var value = bytes;
    var unit = 0;
    while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit += 1; }
    return (unit ? value.toFixed(1) : value) + " " + units[unit];
  }

  function setUp(box) {
    var input = box.querySelector("input[type=file]");
    var zone = box.querySelector("[data-dropzone]");
    var list = box.querySelector("[data-file-list]");
    var hint = box.querySelector("[data-dropzone-hint]");
    if (!input || !zone || !list || typeof DataTransfer === "undefined") { return; }
    var maxBytes = parseInt(box.dataset.maxBytes, 10);
    var nameMax = parseInt(box.dataset.nameMax, 10);
    var chosen = [];
    var refusals = [];
    zone.classList.add("enhanced");
    hint.hidden = false;

    function refusal(file) {
      if (nameMax && file.name.length > nameMax) {
        return box.dataset.msgNameTooLong.replace("{name}", file.name);
      }
      if (maxBytes && file.size > maxBytes) {
        return box.dataset.msgTooBig.replace("{name}", file.name).replace("{size}", sizeText(file.size));
      }
      return "";
    }

    function render() {
      var transfer = new DataTransfer();
      chosen.forEach(function (file) { transfer.items.add(file); });
      input.files = transfer.files;
      list.textContent = "";
      chosen.forEach(function (file, index) {
        var item = document.createElement("li");
        item.textContent = file.name + " (" + sizeText(file.size) + ") ";
        var remove = document.createElement("button");
        remove.type = "button";
        remove.className = "link";
        remove.textContent = box.dataset.msgRemove;
        remove.setAttribute("aria-label", box.dataset.msgRemove + " " + file.name);
        remove.addEventListener("click", function () { chosen.splice(index, 1); render(); });
        item.appendChild(remove);
        list.appendChild(item);
      });
      refusals.forEach(function (message) {
        var item = document.createElement("li");
        item.className = "refused";
        item.setAttribute("role", "alert");
        item.textContent = message;
        list.appendChild(item);
      });
    }

    function add(files) {
      refusals = [];
      Array.prototype.forEach.call(files, function (file) {
        var reason = refusal(file);
        if (reason) { refusals.push(reason); } else { chosen.push(file); }
      });
      render();
    }

    input.addEventListener("change", function () {
      var files = Array.prototype.slice.call(input.files);
      chosen = chosen.filter(function (file) { return files.indexOf(file) === -1; });
      add(files);
    });
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (event) {
        event.preventDefault();
        zone.classList.add("dragging");
      });
    });
    ["dragleave", "drop"].forEach(function (name) {
      zone.addEventListener(name, function () { zone.classList.remove("dragging"); });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      if (event.dataTransfer && event.dataTransfer.files.length) { add(event.dataTransfer.files); }
    });
    // A pasted screenshot arrives as an image without a useful name: give it one.
    var form = box.closest("form");
    (form || document).addEventListener("paste", function (event) {
      var items = (event.clipboardData && event.clipboardData.items) || [];
      var pasted = [];
      Array.prototype.forEach.call(items, function (item) {
        if (item.kind !== "file") { return; }
        var file = item.getAsFile();
        if (!file) { return; }
        if (file.type.indexOf("image/") === 0) {
          var stamp = new Date().toISOString().replace(/[:T]/g, "-").slice(0, 19);
          var extension = (file.type.split("/")[1] || "png").replace("jpeg", "jpg");
          file = new File([file], "screenshot-" + stamp + "." + extension, { type: file.type });
        }
        pasted.push(file);
      });
      if (pasted.length) {
        event.preventDefault();
        add(pasted);
      }
    });
  }

  document.querySelectorAll("[data-attachments]").forEach(setUp);
})();
