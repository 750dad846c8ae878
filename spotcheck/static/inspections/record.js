/* Autosave of the phone page: every few seconds and on blur/change the fields of forms marked
   data-draft are sent to the draft URL (last write wins) and always kept in localStorage, so a lost
   connection loses nothing: an unsent local draft is restored on the next load and sent again. */
(function () {
  "use strict";
  var root = document.querySelector("[data-draft-url]");
  if (!root || !document.querySelector("form[data-draft]")) return;
  var url = root.getAttribute("data-draft-url");
  var key = "spotcheck-draft-" + root.getAttribute("data-inspection");
  var csrf = root.getAttribute("data-csrf");
  var statusEl = document.getElementById("save-status");
  var forms = Array.prototype.slice.call(document.querySelectorAll("form[data-draft]"));
  var lastSent = null;
  var timer = null;

  function show(text, offline) {
    if (!statusEl) return;
    statusEl.textContent = text;
    statusEl.parentNode.classList.toggle("offline", !!offline);
  }
  function hhmmss(d) { return d.toTimeString().slice(0, 8); }

  function collect() {
    var out = {};
    forms.forEach(function (f) {
      Array.prototype.forEach.call(f.elements, function (el) {
        if (!el.name || el.name === "csrfmiddlewaretoken" || el.name === "next") return;
        if (el.type === "file" || el.type === "hidden" || el.type === "submit" || el.type === "button") return;
        var k = f.id + ":" + el.name;
        if (el.type === "radio") {
          if (!(k in out)) out[k] = "";
          if (el.checked) out[k] = el.value;
        } else if (el.type === "checkbox") {
          if (!(k in out)) out[k] = [];
          if (el.checked) out[k].push(el.value);
        } else {
          out[k] = el.value;
        }
      });
    });
    return out;
  }

  function apply(data) {
    if (!data) return;
    forms.forEach(function (f) {
      Array.prototype.forEach.call(f.elements, function (el) {
        var k = f.id + ":" + el.name;
        if (!el.name || !(k in data) || el.type === "file" || el.type === "hidden") return;
        var v = data[k];
        if (el.type === "radio") el.checked = (el.value === v);
        else if (el.type === "checkbox") el.checked = Array.isArray(v) && v.indexOf(el.value) >= 0;
        else if (typeof v === "string") el.value = v;
      });
    });
  }

  function readLocal() {
    try { return JSON.parse(localStorage.getItem(key) || "null"); } catch (e) { return null; }
  }
  function writeLocal(data, synced, savedAt) {
    var row = { data: data, synced: synced, at: new Date().toISOString(), saved_at: savedAt || "" };
    try { localStorage.setItem(key, JSON.stringify(row)); }
    catch (e) { /* storage full or disabled: the server copy still counts */ }
  }

  function send(force) {
    var data = collect();
    var body = JSON.stringify(data);
    if (!force && body === lastSent) return;
    writeLocal(data, false);
    if (!navigator.onLine) { show("离线：草稿已暂存在本机，恢复网络后自动上传", true); return; }
    fetch(url, {
      method: "POST", credentials: "same-origin", keepalive: true,
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf }, body: body
    }).then(function (r) {
      if (r.status === 409 || r.status === 403 || r.status === 404) {
        // The record can no longer take a draft (already entered, or no longer ours): stop.
        clearInterval(loop);
        try { localStorage.removeItem(key); } catch (e) { /* ignore */ }
        show("草稿未保存：该检查已不能再修改草稿", true);
        throw new Error("closed");
      }
      if (!r.ok) throw new Error(String(r.status));
      return r.json();
    }).then(function (answer) {
      lastSent = body;
      writeLocal(data, true, answer && answer.saved_at);
      show("草稿已自动保存 " + hhmmss(new Date()), false);
    }).catch(function (err) {
      if (err && err.message === "closed") return;
      show("网络中断：草稿已暂存在本机，恢复网络后自动上传", true);
    });
  }

  function soon() { clearTimeout(timer); timer = setTimeout(function () { send(false); }, 600); }

  // Restore: an unsent local draft wins, and so does a sent one the server confirmed after the copy
  // this page was rendered with (a reload racing the last save); otherwise the server's draft.
  var server = null;
  var node = document.getElementById("draft-data");
  if (node) { try { server = JSON.parse(node.textContent); } catch (e) { server = null; } }
  var local = readLocal();
  var serverAt = server && server.saved_at ? Date.parse(server.saved_at) : 0;
  var localNewer = local && local.saved_at && Date.parse(local.saved_at) > serverAt;
  if (local && local.data && (local.synced === false || localNewer)) {
    apply(local.data);
    show("已恢复本机暂存的草稿（" + (local.at || "").slice(11, 19) + "），正在上传…", true);
    setTimeout(function () { send(true); }, 200);
  } else if (server && server.data && Object.keys(server.data).length) {
    apply(server.data);
    lastSent = JSON.stringify(collect());
    if (server.saved_at) show("已载入服务器上的草稿", false);
  } else {
    lastSent = JSON.stringify(collect());
  }

  forms.forEach(function (f) {
    // Every keystroke is kept on the phone at once; the server copy follows (debounced + every 4 s).
    f.addEventListener("input", function () { writeLocal(collect(), false); });
    f.addEventListener("change", soon);
    f.addEventListener("focusout", soon);
    f.addEventListener("submit", function () {
      // The submitted form's fields are now a record, not a draft.
      var data = collect();
      Object.keys(data).forEach(function (k) { if (k.indexOf(f.id + ":") === 0) delete data[k]; });
      writeLocal(data, false);
      lastSent = null;
      try {
        fetch(url, { method: "POST", credentials: "same-origin", keepalive: true,
          headers: { "Content-Type": "application/json", "X-CSRFToken": csrf }, body: JSON.stringify(data) });
      } catch (e) { /* best effort */ }
    });
  });
  var loop = setInterval(function () { send(false); }, 4000);
  window.addEventListener("online", function () { send(true); });
  window.addEventListener("offline", function () { show("离线：草稿已暂存在本机，恢复网络后自动上传", true); });

  // Capture time of a photo/video: the moment the file was chosen.
  document.querySelectorAll("input[type=file][data-captured]").forEach(function (input) {
    input.addEventListener("change", function () {
      var target = document.getElementById(input.getAttribute("data-captured"));
      if (target) {
        var d = new Date(), pad = function (n) { return (n < 10 ? "0" : "") + n; };
        target.value = d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " +
          pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds());
      }
    });
  });
})();
