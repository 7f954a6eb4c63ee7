"use strict";
// gpu2mlu report.html: filters and the side-by-side diff view. Without this script the page
// shows every section in full. Everything here reads the page's own markup (data-* attributes
// and text); nothing is fetched and no markup is built from strings.
(function () {
  var doc = document;
  var bar = doc.getElementById("filters");
  if (!bar) return;
  doc.documentElement.classList.add("js");
  bar.hidden = false;

  var qFile = doc.getElementById("q-file");
  var qRule = doc.getElementById("q-rule");
  var qId = doc.getElementById("q-id");
  var out = doc.getElementById("q-count");
  var all = function (sel, root) { return Array.prototype.slice.call((root || doc).querySelectorAll(sel)); };
  var words = function (s) { return s ? s.split(" ") : []; };

  var sections = all("section.file");
  var changeRows = all("#changes tbody tr");
  var findingRows = all("#findings tbody tr");
  var skippedRows = all("#skipped tbody tr");

  // What each file holds: rule families of its changes, IDs of its findings (Map: any path is a key).
  var files = new Map();
  var entry = function (path) {
    if (!files.has(path)) files.set(path, { rules: new Set(), ids: new Set() });
    return files.get(path);
  };
  changeRows.forEach(function (r) { words(r.dataset.r).forEach(function (x) { entry(r.dataset.file).rules.add(x); }); });
  findingRows.forEach(function (r) { entry(r.dataset.file).ids.add(r.dataset.id); });
  // A file section names all its rules and finding IDs, also those of table rows a big run leaves out.
  sections.forEach(function (s) {
    var e = entry(s.dataset.file);
    words(s.dataset.r).forEach(function (x) { e.rules.add(x); });
    words(s.dataset.ids).forEach(function (x) { e.ids.add(x); });
  });
  var cut = doc.querySelector(".cut") !== null;

  function fileMatches(path, q, rule, id) {
    if (q && path.toLowerCase().indexOf(q) < 0) return false;
    var e = files.get(path);
    if (rule && !(e && e.rules.has(rule))) return false;
    if (id && !(e && e.ids.has(id))) return false;
    return true;
  }

  function showRows(rows, test) {
    var shown = 0;
    rows.forEach(function (r) { var ok = test(r); r.hidden = !ok; if (ok) shown++; });
    if (rows.length) {
      var none = rows[0].closest("section").querySelector("p.none");
      if (none) none.hidden = shown > 0;
    }
    return shown;
  }

  function apply() {
    var q = qFile.value.trim().toLowerCase(), rule = qRule.value, id = qId.value;
    var match = function (r) { return fileMatches(r.dataset.file, q, rule, id); };
    var nFiles = showRows(sections, match);
    var nChanges = showRows(changeRows, function (r) { return match(r) && (!rule || words(r.dataset.r).indexOf(rule) >= 0); });
    var nFindings = showRows(findingRows, function (r) { return match(r) && (!id || r.dataset.id === id); });
    var nSkipped = showRows(skippedRows, match);
    var noFile = doc.querySelector("#diffs > p.none");
    if (noFile) noFile.hidden = nFiles > 0 || !sections.length;
    // A picked rule: its lines stay bright, other changed lines step back; its badges are outlined.
    sections.forEach(function (s) { s.classList.toggle("focus", !!rule); });
    all(".diff [data-r]").forEach(function (r) {
      r.classList.toggle("hit", !!rule && words(r.dataset.r).indexOf(rule) >= 0);
    });
    all("a.b").forEach(function (b) { b.classList.toggle("on", !!rule && b.textContent === rule); });
    var filtered = q || rule || id;
    out.textContent = (filtered ? "Showing " : "All shown: ") +
      nFiles + " of " + sections.length + " changed files \u00b7 " +
      nChanges + " of " + changeRows.length + " changed lines \u00b7 " +
      nFindings + " of " + findingRows.length + " findings \u00b7 " +
      nSkipped + " of " + skippedRows.length + " skipped files" +
      (cut ? " on this page (it leaves out part of this big run: see the notes)" : "");
  }

  function pick(select, value) {
    var known = Array.prototype.some.call(select.options, function (o) { return o.value === value; });
    if (!known) {
      var o = doc.createElement("option");
      o.value = value; o.textContent = value;
      select.appendChild(o);
    }
    select.value = select.value === value ? "" : value;  // a second click shows all again
    apply();
  }

  // Typing in a big report: filter once the typing pauses rather than on every key.
  var timer = null, big = changeRows.length + sections.length > 3000;
  qFile.addEventListener("input", function () {
    if (!big) { apply(); return; }
    clearTimeout(timer);
    timer = setTimeout(apply, 150);
  });
  qRule.addEventListener("change", apply);
  qId.addEventListener("change", apply);
  doc.getElementById("q-reset").addEventListener("click", function () {
    qFile.value = ""; qRule.value = ""; qId.value = ""; apply();
  });
  doc.addEventListener("click", function (ev) {
    var a = ev.target.closest ? ev.target.closest("a.b, a[data-fid]") : null;
    if (!a) return;
    ev.preventDefault();
    if (a.classList.contains("b")) pick(qRule, a.textContent);
    else { pick(qId, a.dataset.fid); doc.getElementById("findings").scrollIntoView(); }
  });

  // Expand / collapse every file diff.
  var setOpen = function (open) { all("section.file details").forEach(function (d) { d.open = open; }); };
  var opener = doc.getElementById("d-open"), closer = doc.getElementById("d-close");
  if (opener) opener.addEventListener("click", function () { setOpen(true); });
  if (closer) closer.addEventListener("click", function () { setOpen(false); });

  // Side by side: built from the unified lines on first use, as a three-column grid (removed |
  // added | rules). Removed and added runs pair up line by line; the anchors (#fN-LM) move to
  // whichever view is shown.
  var built = false, anchors = [];
  var kindOf = function (line) {
    var c = line.classList;
    return c.contains("d") ? "d" : c.contains("a") ? "a" : c.contains("h") || c.contains("nn") ? "full" : "ctx";
  };
  function half(line, number) {
    if (!line) {
      var gap = doc.createElement("div");
      gap.className = "l gap";
      return gap;
    }
    var copy = line.cloneNode(true);
    copy.removeAttribute("id");
    var rl = copy.querySelector(".rl");
    if (rl) rl.remove();
    // the number shown on this side, drawn with its +/- marker
    copy.removeAttribute("data-o");
    copy.removeAttribute("data-n");
    if (number) copy.setAttribute("data-n", number);
    return copy;
  }
  function buildView(uni) {
    var view = doc.createElement("div");
    view.className = "diff sbs";
    view.hidden = true;
    var dels = [], adds = [];
    function pair(left, right) {
      var l = half(left, left && left.getAttribute("data-o"));
      var r = half(right, right && right.getAttribute("data-n"));
      r.classList.add("rt");
      var rules = doc.createElement("div");
      rules.className = "rls";
      var seen = new Set();
      [left, right].forEach(function (line) {
        if (!line) return;
        all("a.b", line).forEach(function (b) {
          if (!seen.has(b.textContent)) { seen.add(b.textContent); rules.appendChild(b.cloneNode(true)); }
        });
      });
      view.appendChild(l); view.appendChild(r); view.appendChild(rules);
      var src = left || right;
      if (src.id) anchors.push([src, l, src.id]);
    }
    function flush() {
      for (var i = 0; i < Math.max(dels.length, adds.length); i++) pair(dels[i], adds[i]);
      dels = []; adds = [];
    }
    Array.prototype.forEach.call(uni.children, function (line) {
      var kind = kindOf(line);
      if (kind === "d") { dels.push(line); return; }
      if (kind === "a") { adds.push(line); return; }
      flush();
      if (kind === "ctx") { pair(line, line); return; }
      var copy = line.cloneNode(true);  // hunk header or "no newline" marker: the full width
      copy.classList.add("full");
      view.appendChild(copy);
    });
    flush();
    uni.parentNode.appendChild(view);
  }
  function setView(sbs) {
    if (sbs && !built) { all(".diff.uni").forEach(buildView); built = true; }
    all(".diff.uni").forEach(function (t) { t.hidden = sbs; });
    all(".diff.sbs").forEach(function (t) { t.hidden = !sbs; });
    anchors.forEach(function (a) {
      a[0].removeAttribute("id"); a[1].removeAttribute("id");
      (sbs ? a[1] : a[0]).id = a[2];
    });
    doc.getElementById("v-uni").setAttribute("aria-pressed", String(!sbs));
    doc.getElementById("v-sbs").setAttribute("aria-pressed", String(sbs));
    if (qRule.value) apply();  // new lines get their rule highlighting
  }
  doc.getElementById("v-uni").addEventListener("click", function () { setView(false); });
  doc.getElementById("v-sbs").addEventListener("click", function () { setView(true); });

  apply();
})();
