// judgeflow report viewer: sortable tables, views by URL hash, and the pair browser.
// Our own code, inlined into report.html. Every text from a run is model output or user
// input and is hostile: it is only ever set as text (createTextNode / textContent), never
// parsed as markup.
"use strict";
(function () {
  const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  const DECISIONS = [null, "A>B", "B>A", "A=B"];
  const OUTCOMES = ["correct", "incorrect", "tie"];
  const PAGE = 100;
  const VIEWS = ["overview", "judges", "compare", "solve", "pairs"];
  let D = null; // the decoded data
  let scoreCodes = null; // per judge: Int8Array of score codes (-1 = none)

  // ---- small DOM helpers --------------------------------------------------------------
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") node.className = v;
      else if (k === "text") node.textContent = v;
      else if (k.startsWith("data-")) node.setAttribute(k, String(v));
      else if (k === "href" || k === "title" || k === "type" || k === "value" || k === "id" || k === "for" || k === "name" || k === "placeholder") node.setAttribute(k, String(v));
      else if (k === "onclick" || k === "onchange" || k === "oninput") node.addEventListener(k.slice(2), v);
      else if (k === "open" || k === "checked" || k === "selected") node[k] = Boolean(v);
    }
    for (const c of children) {
      if (c === null || c === undefined || c === false) continue;
      node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    }
    return node;
  }

  // ---- a small, safe Markdown renderer ------------------------------------------------
  // Fenced code, headings, lists, paragraphs; inline `code` and **bold**. Builds DOM
  // nodes from text; nothing is ever interpreted as HTML.
  function inline(text, parent) {
    const re = /(`+)([\s\S]*?[^`])\1(?!`)|\*\*([^*\n]+)\*\*/g;
    let last = 0;
    let m;
    while ((m = re.exec(text)) !== null) {
      if (m.index > last) parent.appendChild(document.createTextNode(text.slice(last, m.index)));
      if (m[1]) parent.appendChild(el("code", { text: m[2] }));
      else parent.appendChild(el("strong", { text: m[3] }));
      last = re.lastIndex;
    }
    if (last < text.length) parent.appendChild(document.createTextNode(text.slice(last)));
    return parent;
  }

  function markdown(text) {
    const out = document.createDocumentFragment();
    const lines = String(text).split("\n");
    let i = 0;
    const fence = /^\s*(```+|~~~+)\s*([\w+#.-]*)\s*$/;
    const heading = /^(#{1,6})\s+(.*)$/;
    const item = /^\s*([-*+]|\d+[.)])\s+(.*)$/;
    while (i < lines.length) {
      const line = lines[i];
      const f = fence.exec(line);
      if (f) {
        const body = [];
        i++;
        while (i < lines.length && !lines[i].trim().startsWith(f[1])) body.push(lines[i++]);
        i++;
        out.appendChild(el("pre", { class: "code" }, el("code", { class: f[2] ? "lang-" + f[2] : null, text: body.join("\n") })));
        continue;
      }
      if (!line.trim()) { i++; continue; }
      const h = heading.exec(line);
      if (h) {
        out.appendChild(inline(h[2], el("h" + Math.min(6, h[1].length + 3), { class: "md-h" })));
        i++;
        continue;
      }
      if (item.test(line)) {
        const ordered = /^\s*\d/.test(line);
        const list = el(ordered ? "ol" : "ul");
        while (i < lines.length && item.test(lines[i])) {
          list.appendChild(inline(item.exec(lines[i])[2], el("li")));
          i++;
        }
        out.appendChild(list);
        continue;
      }
      const para = [];
      while (i < lines.length && lines[i].trim() && !fence.test(lines[i]) && !heading.test(lines[i]) && !item.test(lines[i])) para.push(lines[i++]);
      // Line breaks and indentation are kept (white-space: pre-wrap): model answers
      // often hold unfenced code, and single newlines are meant.
      out.appendChild(inline(para.join("\n"), el("p", { class: "md-p" })));
    }
    return out;
  }

  function folded(content, length) {
    const box = el("div", { class: "fold" }, content);
    if (length > 1500) {
      box.classList.add("folded");
      const btn = el("button", { type: "button", class: "unfold", text: "Show all" });
      btn.addEventListener("click", () => {
        const isFolded = box.classList.toggle("folded");
        btn.textContent = isFolded ? "Show all" : "Fold";
      });
      return el("div", {}, box, btn);
    }
    return box;
  }

  // ---- tables: sort by clicking a header ----------------------------------------------
  function sortable(table) {
    table.querySelectorAll("thead th").forEach((th, col) => {
      th.addEventListener("click", () => {
        const body = table.tBodies[0];
        const asc = th.dataset.sort !== "asc";
        table.querySelectorAll("thead th").forEach((t) => delete t.dataset.sort);
        th.dataset.sort = asc ? "asc" : "desc";
        const key = (tr) => {
          const td = tr.children[col];
          const v = td ? td.dataset.v : undefined;
          if (v === undefined || v === "") return null;
          const x = Number(v);
          return Number.isNaN(x) ? v.toLowerCase() : x;
        };
        const rows = Array.from(body.rows);
        rows.sort((a, b) => {
          const x = key(a), y = key(b);
          if (x === null && y === null) return 0;
          if (x === null) return 1; // blanks last either way
          if (y === null) return -1;
          const c = x < y ? -1 : x > y ? 1 : 0;
          return asc ? c : -c;
        });
        rows.forEach((r) => body.appendChild(r));
      });
    });
  }

  // ---- data ---------------------------------------------------------------------------
  async function decode() {
    const node = document.getElementById("jf-data");
    const bin = atob(node.textContent.trim());
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    const data = JSON.parse(await new Response(stream).text());
    node.textContent = ""; // the decoded copy is all we need
    return data;
  }

  function prepare() {
    scoreCodes = D.judges.map((j) => {
      const a = new Int8Array(j.score.length);
      for (let i = 0; i < j.score.length; i++) a[i] = j.score[i] === "." ? -1 : ALPHABET.indexOf(j.score[i]);
      return a;
    });
    D.pairs.category = D.pairs.src.map((s) => D.source_category[s]);
  }

  // A pair × judge as the filters need it; null when the judge has no score for the pair.
  function scoreOf(j, i) {
    const c = scoreCodes[j][i];
    if (c < 0) return null;
    return { outcome: OUTCOMES[c >> 4], ab: DECISIONS[(c >> 2) & 3], ba: DECISIONS[c & 3] };
  }

  function judgedDecision(j, order, i) {
    const ch = (order === "AB" ? D.judges[j].da : D.judges[j].db)[i];
    return ch === "." ? undefined : DECISIONS[Number(ch)];
  }

  function hasError(j, i) {
    const J = D.judges[j];
    return i in J.ea || i in J.eb;
  }

  function isFlip(s) {
    return s !== null && s.ab !== null && s.ba !== null && s.ab !== "A=B" && s.ba !== "A=B" && s.ab !== s.ba;
  }

  function noDecision(j, i, s) {
    const two = D.judges[j].orders !== 1;
    if (s !== null) return s.ab === null || (two && s.ba === null);
    return judgedDecision(j, "AB", i) === null || (two && judgedDecision(j, "BA", i) === null);
  }

  function outcomeMatches(want, j, i) {
    const s = scoreOf(j, i);
    switch (want) {
      case "correct": case "incorrect": case "tie": return s !== null && s.outcome === want;
      case "notcorrect": return s !== null && s.outcome !== "correct";
      case "nodec": return noDecision(j, i, s);
      case "error": return hasError(j, i);
      case "missing": return s === null;
      default: return true;
    }
  }

  function judgeMatches(st, j, i) {
    if (st.out && !outcomeMatches(st.out, j, i)) return false;
    if (st.flip && !isFlip(scoreOf(j, i))) return false;
    if (st.own !== "") {
      const own = D.judges[j].own.includes(D.pairs.rm[i]);
      if (own !== (st.own === "1")) return false;
    }
    if (!st.out && !st.flip && st.own === "" && st.j !== "" && scoreOf(j, i) === null && judgedDecision(j, "AB", i) === undefined && judgedDecision(j, "BA", i) === undefined) return false;
    return true;
  }

  function matches(st, i) {
    const P = D.pairs;
    if (st.cat && P.category[i] !== st.cat) return false;
    if (st.src !== "" && String(P.src[i]) !== st.src) return false;
    if (st.rm !== "" && String(P.rm[i]) !== st.rm) return false;
    if (st.j !== "") {
      if (!judgeMatches(st, Number(st.j), i)) return false;
    } else if (st.out || st.flip || st.own !== "") {
      let any = false;
      for (let j = 0; j < D.judges.length && !any; j++) any = judgeMatches(st, j, i);
      if (!any) return false;
    }
    if (st.x !== "" && st.y !== "") {
      const a = scoreOf(Number(st.x), i), b = scoreOf(Number(st.y), i);
      if (a === null || b === null) return false;
      const ra = a.outcome === "correct", rb = b.outcome === "correct";
      if (st.dis === "a" && !(ra && !rb)) return false;
      if (st.dis === "b" && !(rb && !ra)) return false;
      if (st.dis === "any" && ra === rb) return false;
    }
    if (st.q) {
      const q = D.texts[P.q[i]] || "";
      if (!q.toLowerCase().includes(st.q.toLowerCase())) return false;
    }
    return true;
  }

  // ---- state in the URL hash ----------------------------------------------------------
  const KEYS = ["j", "cat", "src", "rm", "out", "flip", "own", "x", "y", "dis", "q", "page", "open"];

  function parseHash() {
    const h = location.hash.replace(/^#/, "");
    const [view, query] = h.split("?");
    const p = new URLSearchParams(query || "");
    const st = { view: VIEWS.includes(view) ? view : (view.startsWith("judge-") ? "judges" : "overview") };
    for (const k of KEYS) st[k] = p.get(k) || "";
    if (st.x !== "" && st.y !== "" && !st.dis) st.dis = "all";
    return st;
  }

  function hashOf(st) {
    const p = new URLSearchParams();
    for (const k of KEYS) if (st[k] !== "" && st[k] !== undefined && st[k] !== null) p.set(k, st[k]);
    const q = p.toString();
    return "#pairs" + (q ? "?" + q : "");
  }

  // ---- the pair browser ---------------------------------------------------------------
  function select(name, label, options, value) {
    const s = el("select", { name: name, id: "f-" + name });
    for (const [v, text] of options) s.appendChild(el("option", { value: v, text: text, selected: String(v) === String(value) }));
    return el("label", { for: "f-" + name }, label + " ", s);
  }

  function filters(st) {
    const judges = [["", "any judge"], ...D.judges.map((j, k) => [String(k), j.label])];
    const cats = [["", "any"], ...Array.from(new Set(D.source_category)).map((c) => [c, c])];
    const srcs = [["", "any"], ...D.sources.map((s, k) => [String(k), s])];
    const models = [["", "any"], ...D.models.map((m, k) => [String(k), m])];
    const outs = [["", "any"], ["correct", "correct"], ["incorrect", "incorrect"], ["tie", "tie"], ["notcorrect", "not correct"], ["nodec", "no decision"], ["error", "failed call"], ["missing", "not scored"]];
    const own = [["", "any"], ["1", "judge's own family"], ["0", "other families"]];
    const dis = [["all", "all shared pairs"], ["any", "they disagree"], ["a", "only the first is right"], ["b", "only the second is right"]];
    const form = el("form", { id: "filters", class: "filters" },
      select("j", "judge", judges, st.j),
      select("out", "outcome", outs, st.out),
      el("label", { for: "f-flip" }, el("input", { type: "checkbox", id: "f-flip", name: "flip", checked: st.flip === "1" }), " position flip"),
      select("cat", "category", cats, st.cat),
      select("src", "source", srcs, st.src),
      select("rm", "response model", models, st.rm),
      select("own", "answers from", own, st.own),
      el("span", { class: "pairsel" },
        select("x", "compare", judges, st.x),
        select("y", "with", judges, st.y),
        select("dis", "show", dis, st.dis || "all")),
      el("label", { for: "f-q" }, "question contains ", el("input", { type: "search", id: "f-q", name: "q", value: st.q })),
      el("a", { href: "#pairs", class: "clear", text: "clear filters" }));
    const update = () => {
      const next = { page: "", open: "" };
      for (const k of ["j", "out", "cat", "src", "rm", "own", "x", "y", "dis", "q"]) next[k] = form.elements[k].value;
      next.flip = form.elements.flip.checked ? "1" : "";
      if (next.x === "" || next.y === "") next.dis = "";
      location.hash = hashOf(next);
    };
    form.addEventListener("change", update);
    form.addEventListener("submit", (e) => { e.preventDefault(); update(); });
    return form;
  }

  function badge(outcome) {
    const text = { correct: "✓ correct", incorrect: "✗ incorrect", tie: "= tie" }[outcome] || "not scored";
    return el("span", { class: "badge " + (outcome || "none"), text: text });
  }

  function dec(d) {
    return d === null ? "none" : d === undefined ? "–" : d;
  }

  function listView(st, root) {
    const t0 = performance.now();
    const n = D.pairs.id.length;
    const hits = [];
    for (let i = 0; i < n; i++) if (matches(st, i)) hits.push(i);
    const page = Math.max(0, Number(st.page) || 0);
    const shown = hits.slice(page * PAGE, page * PAGE + PAGE);
    const j = st.j === "" ? null : Number(st.j);
    const cols = ["#", "category", "source", "response model", "label"];
    if (j !== null) cols.push("outcome", "decisions (AB · BA, pair terms)");
    else if (st.x !== "" && st.y !== "") cols.push(D.judges[Number(st.x)].label, D.judges[Number(st.y)].label);
    else cols.push("judged correct by");
    cols.push("question");
    const table = el("table", { class: "pairs", id: "pair-list" }, el("thead", {}, el("tr", {}, ...cols.map((c) => el("th", { text: c })))));
    const body = el("tbody");
    for (const i of shown) {
      const P = D.pairs;
      // The number is a real link (keyboard, middle-click); the whole row also opens it.
      const cells = [el("td", {}, el("a", { href: hashOf({ ...st, open: String(i) }), text: String(i + 1) }))];
      for (const t of [P.category[i], D.sources[P.src[i]], D.models[P.rm[i]], P.label[i] === "a" ? "A>B" : "B>A"]) cells.push(el("td", { text: t }));
      if (j !== null) {
        const s = scoreOf(j, i);
        cells.push(el("td", {}, badge(s && s.outcome)));
        cells.push(el("td", { text: s ? dec(s.ab) + " · " + dec(s.ba) : "–" }));
      } else if (st.x !== "" && st.y !== "") {
        for (const k of [st.x, st.y]) {
          const s = scoreOf(Number(k), i);
          cells.push(el("td", {}, badge(s && s.outcome)));
        }
      } else {
        let right = 0, scored = 0;
        for (let k = 0; k < D.judges.length; k++) {
          const s = scoreOf(k, i);
          if (s) { scored++; right += s.outcome === "correct"; }
        }
        cells.push(el("td", { text: scored ? right + " / " + scored : "–" }));
      }
      const q = D.texts[P.q[i]] || "";
      cells.push(el("td", { class: "snippet", text: q.length > 140 ? q.slice(0, 140) + "…" : q }));
      const tr = el("tr", { class: "pair-row", "data-pair": P.id[i] }, ...cells);
      tr.addEventListener("click", () => { location.hash = hashOf({ ...st, open: String(i) }); });
      body.appendChild(tr);
    }
    table.appendChild(body);
    const pager = el("p", { class: "pager", id: "pair-count" },
      hits.length ? `pairs ${page * PAGE + 1}–${page * PAGE + shown.length} of ${hits.length}` : "no pair matches",
      page > 0 ? el("a", { href: hashOf({ ...st, page: String(page - 1), open: "" }), text: " ← previous" }) : null,
      (page + 1) * PAGE < hits.length ? el("a", { href: hashOf({ ...st, page: String(page + 1), open: "" }), text: " next →" }) : null,
      el("span", { class: "timing", text: ` (${(performance.now() - t0).toFixed(0)} ms)` }));
    root.append(pager, table);
  }

  function marked(text, spans, cls) {
    const pre = el("pre", { class: "raw" });
    let last = 0;
    for (let k = 0; k + 1 < spans.length; k += 2) {
      const s = spans[k], e = spans[k + 1];
      if (s < last) continue;
      if (s > last) pre.appendChild(document.createTextNode(text.slice(last, s)));
      pre.appendChild(el("mark", { class: cls, text: text.slice(s, e) }));
      last = e;
    }
    if (last < text.length) pre.appendChild(document.createTextNode(text.slice(last)));
    return pre;
  }

  function orderBox(j, i, order) {
    const J = D.judges[j];
    const t = (order === "AB" ? J.ta : J.tb)[i];
    const err = (order === "AB" ? J.ea : J.eb)[i];
    const spans = (order === "AB" ? J.ha : J.hb)[i] || [];
    const d = judgedDecision(j, order, i);
    const box = el("div", { class: "order", "data-order": order });
    box.appendChild(el("h5", { text: order === "AB" ? "Order AB: response A shown first" : "Order BA: response B shown first (answers swapped)" }));
    if (d === undefined && t < 0 && err === undefined) {
      box.appendChild(el("p", { class: "muted", text: J.orders === 1 && order === "BA" ? "single-order judge: not judged" : "no judgment recorded" }));
      return box;
    }
    const flipped = d === "A>B" ? "B>A" : d === "B>A" ? "A>B" : d;
    box.appendChild(el("p", { class: "decision-line" }, "parsed decision: ",
      el("b", { class: "decision", "data-decision": d === null || d === undefined ? "none" : d, text: dec(d) }),
      order === "BA" && d ? ` (in this order's terms; for the pair: ${flipped})` : ""));
    if (err !== undefined) box.appendChild(el("p", { class: "error", text: "call failed: " + D.texts[err] }));
    if (t >= 0) {
      const text = D.texts[t];
      box.appendChild(folded(marked(text, spans, d === null ? "verdict none" : "verdict"), text.length > 3000 ? 2000 : 0));
    } else box.appendChild(el("p", { class: "muted", text: "no reply text" }));
    return box;
  }

  function judgeBlock(j, i, open) {
    const J = D.judges[j];
    const s = scoreOf(j, i);
    const own = J.own.includes(D.pairs.rm[i]);
    const summary = el("summary", {},
      el("span", { class: "jname", text: J.label }), " ", badge(s && s.outcome),
      s ? el("span", { class: "muted", text: ` AB ${dec(s.ab)} · BA ${dec(s.ba)} (pair terms)${isFlip(s) ? " — position flip" : ""}` }) : null,
      own ? el("span", { class: "own", text: " ★ own family" }) : null);
    return el("details", { class: "judge-block", "data-judge": J.label, open: open }, summary,
      el("div", { class: "orders" }, orderBox(j, i, "AB"), orderBox(j, i, "BA")));
  }

  function pairView(st, root) {
    const i = Number(st.open);
    const P = D.pairs;
    if (!(i >= 0 && i < P.id.length)) { root.appendChild(el("p", { text: "no such pair" })); return; }
    const back = el("a", { href: hashOf({ ...st, open: "" }), class: "back", text: "← back to the list" });
    const label = P.label[i] === "a" ? "A>B" : "B>A";
    const head = el("div", { class: "pair-head", id: "pair-detail", "data-pair": P.id[i] },
      el("h3", { text: "Pair " + P.id[i] }),
      el("p", {}, `${P.category[i]} · ${D.sources[P.src[i]]} · answers by ${D.models[P.rm[i]]} · label `,
        el("b", { class: "label", text: label }), ` (response ${label[0]} is the verified-correct one)`));
    const q = D.texts[P.q[i]] || "";
    const question = el("section", { class: "question" }, el("h4", { text: "Question" }), folded(markdown(q), q.length));
    const answer = (side) => {
      const t = D.texts[side === "A" ? P.a[i] : P.b[i]] || "";
      const right = label[0] === side;
      return el("div", { class: "answer " + (right ? "right" : "wrong") },
        el("h4", { text: `Response ${side} — ${right ? "verified correct" : "verified wrong"}` }),
        folded(markdown(t), t.length));
    };
    const chosen = new Set([st.j, st.x, st.y].filter((v) => v !== "").map(Number));
    const judged = D.judges.map((_, j) => j).filter((j) => scoreOf(j, i) !== null || judgedDecision(j, "AB", i) !== undefined || judgedDecision(j, "BA", i) !== undefined);
    judged.sort((a, b) => (chosen.has(b) ? 1 : 0) - (chosen.has(a) ? 1 : 0));
    const blocks = judged.map((j) => judgeBlock(j, i, chosen.has(j) || judged.length <= 2));
    root.append(back, head, question, el("div", { class: "answers" }, answer("A"), answer("B")),
      el("h4", { text: `Judges (${judged.length})` }), ...blocks);
  }

  function renderPairs(st) {
    const root = document.getElementById("pairs-app");
    root.textContent = "";
    if (!D) { root.appendChild(el("p", { text: "Loading the pairs…" })); return; }
    root.appendChild(filters(st));
    const panel = el("div", { id: "pairs-panel" });
    root.appendChild(panel);
    if (st.open !== "") pairView(st, panel);
    else listView(st, panel);
  }

  // ---- views --------------------------------------------------------------------------
  function route() {
    const st = parseHash();
    for (const v of VIEWS) {
      const sec = document.getElementById("view-" + v);
      if (sec) sec.hidden = v !== st.view;
    }
    document.querySelectorAll("nav a").forEach((a) => a.classList.toggle("active", a.getAttribute("href") === "#" + st.view));
    if (st.view === "pairs") renderPairs(st);
    else if (location.hash.startsWith("#judge-")) {
      const target = document.getElementById(location.hash.slice(1));
      if (target) target.scrollIntoView();
    }
  }

  document.body.classList.add("js");
  document.querySelectorAll("table.sortable").forEach(sortable);
  window.addEventListener("hashchange", route);
  route();
  const status = document.getElementById("status");
  decode().then((data) => {
    D = data;
    prepare();
    status.textContent = "";
    document.body.dataset.ready = "1";
    route();
  }).catch((err) => {
    status.textContent = "The pair data could not be read: " + err;
    document.body.dataset.ready = "error";
  });
})();
