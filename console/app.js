// Live refresh: the overview polls its JSON; the class list reloads its
// rows. Nothing else runs in the page.
(function () {
  "use strict";
  function get(o, path) {
    return path.split(".").reduce(function (v, k) { return v == null ? v : v[k]; }, o);
  }
  function cell(tr, text) {
    var td = document.createElement("td");
    td.textContent = text;
    tr.appendChild(td);
  }
  var overview = document.getElementById("overview");
  if (overview) {
    setInterval(function () {
      fetch("/admin/overview.json", { credentials: "same-origin" }).then(function (r) {
        if (r.status === 401) { location.href = "/admin/login"; return null; }
        return r.json();
      }).then(function (o) {
        if (!o) return;
        overview.querySelectorAll("[data-k]").forEach(function (el) {
          var v = get(o, el.dataset.k);
          if (typeof v === "boolean") v = v ? el.dataset.yes : el.dataset.no;
          else if (el.dataset.fmt === "mb") v = (v / 1e6).toFixed(1) + " MB";
          el.textContent = v;
        });
        var body = document.getElementById("commands");
        body.textContent = "";
        o.traffic.commands.forEach(function (c) {
          var tr = document.createElement("tr");
          cell(tr, c.cmd); cell(tr, c.rate); cell(tr, c.p99_ms);
          body.appendChild(tr);
        });
      }).catch(function () {});
    }, 2000);
  }
  if (document.querySelector("[data-refresh=classes]")) {
    setInterval(function () {
      fetch(location.href, { credentials: "same-origin" }).then(function (r) {
        return r.ok ? r.text() : null;
      }).then(function (html) {
        if (!html) return;
        var doc = new DOMParser().parseFromString(html, "text/html");
        ["classes", "edurooms"].forEach(function (id) {
          var now = document.getElementById(id), next = doc.getElementById(id);
          if (now && next) now.replaceWith(next);
        });
      }).catch(function () {});
    }, 3000);
  }
})();
