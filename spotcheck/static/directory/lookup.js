/* Search boxes of the 回避登记 form (input[data-lookup]): typing part of a name or code lists the matching
   inspectors or institutions of the user's own area (JSON from the directory:lookup endpoint); picking one
   puts its code into the box. Without JavaScript the box simply takes the code (or a whole, unique name). */
(function () {
  "use strict";

  function setup(input) {
    var url = input.getAttribute("data-lookup");
    var list = document.createElement("ul");
    list.id = input.id + "_suggestions";
    list.className = "lookup-list";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    var chosen = document.createElement("div");
    chosen.className = "muted lookup-chosen";
    chosen.setAttribute("aria-live", "polite");
    input.insertAdjacentElement("afterend", list);
    list.insertAdjacentElement("afterend", chosen);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);

    var timer = null;
    var asked = 0;
    var items = [];
    var active = -1;

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function note(text) {
      var li = document.createElement("li");
      li.className = "lookup-note";
      li.textContent = text;
      list.appendChild(li);
    }

    function mark(i) {
      var options = list.querySelectorAll("li[role=option]");
      Array.prototype.forEach.call(options, function (li, n) {
        li.setAttribute("aria-selected", n === i ? "true" : "false");
      });
      active = i;
      if (i >= 0 && options[i]) {
        input.setAttribute("aria-activedescendant", options[i].id);
        options[i].scrollIntoView({ block: "nearest" });
      }
    }

    function pick(i) {
      var row = items[i];
      if (!row) return;
      input.value = row.code;
      chosen.textContent = "已选择：" + row.name + "（" + row.code + "）" + (row.detail ? " · " + row.detail : "");
      close();
    }

    function show(answer) {
      items = answer.results || [];
      list.textContent = "";
      items.forEach(function (row, i) {
        var li = document.createElement("li");
        li.id = list.id + "_" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.appendChild(document.createTextNode(row.name));
        var code = document.createElement("span");
        code.className = "lookup-code";
        code.textContent = row.code + (row.detail ? " · " + row.detail : "");
        li.appendChild(code);
        li.addEventListener("mousedown", function (e) { e.preventDefault(); pick(i); });
        list.appendChild(li);
      });
      if (!items.length) note("没有找到，请换个写法，或直接填写编号");
      else if (answer.more) note("结果较多，只列出前 " + items.length + " 个，请输入更多文字");
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      active = -1;
    }

    function ask() {
      var q = input.value.trim();
      if (!q) { close(); return; }
      var mine = ++asked;
      fetch(url + "?q=" + encodeURIComponent(q), { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.json(); })
        .then(function (answer) { if (mine === asked) show(answer); })
        .catch(function () { if (mine === asked) close(); });  // the box still takes a code typed by hand
    }

    input.addEventListener("input", function () {
      chosen.textContent = "";
      clearTimeout(timer);
      timer = setTimeout(ask, 250);
    });
    input.addEventListener("keydown", function (e) {
      if (list.hidden) { if (e.key === "ArrowDown") { ask(); e.preventDefault(); } return; }
      if (e.key === "ArrowDown") { mark(Math.min(active + 1, items.length - 1)); e.preventDefault(); }
      else if (e.key === "ArrowUp") { mark(Math.max(active - 1, 0)); e.preventDefault(); }
      else if (e.key === "Enter" && active >= 0) { pick(active); e.preventDefault(); }
      else if (e.key === "Escape") { close(); e.preventDefault(); }
    });
    input.addEventListener("blur", function () { setTimeout(close, 150); });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("input[data-lookup]"), setup);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
