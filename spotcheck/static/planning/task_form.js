/* 检查组构成 on the task form: “添加一行” appends an empty team row in the browser (a copy of the formset's
   empty form, <template id="slots-empty">) and counts it in the management form. Without JavaScript the button
   posts the form and the page comes back with one more row (planning.views, forms.ADD_SLOT). */
(function () {
  "use strict";

  function start() {
    var button = document.getElementById("slots-add");
    var template = document.getElementById("slots-empty");
    var rows = document.getElementById("slots-rows");
    if (!button || !template || !rows) return;
    var prefix = button.getAttribute("data-prefix") || "slots";
    var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
    var max = document.getElementById("id_" + prefix + "-MAX_NUM_FORMS");
    if (!total) return;

    function limit() { return max ? parseInt(max.value, 10) || 0 : 0; }
    function refresh() { button.disabled = limit() > 0 && parseInt(total.value, 10) >= limit(); }

    button.addEventListener("click", function (event) {
      event.preventDefault();
      var n = parseInt(total.value, 10) || 0;
      if (limit() > 0 && n >= limit()) { refresh(); return; }
      rows.insertAdjacentHTML("beforeend", template.innerHTML.replace(/__prefix__/g, String(n)));
      total.value = String(n + 1);
      refresh();
      var added = rows.lastElementChild && rows.lastElementChild.querySelector("select, input");
      if (added) added.focus();
    });
    refresh();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
