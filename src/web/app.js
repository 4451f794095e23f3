// verbatim's page: no framework, no network but this server. Corpus text is
// only ever inserted as text nodes; offsets count Unicode scalar values, so
// strings are split with Array.from (code points), never by UTF-16 units.
"use strict";

const $ = (sel) => document.querySelector(sel);
const el = (tag, attrs = {}, ...children) => {
  const n = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") n.className = v;
    else if (k === "text") n.textContent = v;
    else if (k.startsWith("on")) n.addEventListener(k.slice(2), v);
    else n.setAttribute(k, v);
  }
  for (const c of children) if (c != null) n.append(c);
  return n;
};

async function api(method, path, body) {
  const opts = { method, headers: {} };
  if (body !== undefined) {
    opts.headers["content-type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  const r = await fetch(path, opts);
  const data = await r.json().catch(() => null);
  if (!r.ok) throw new Error(data && data.error ? `${data.error.message} (${data.error.code})` : `HTTP ${r.status}`);
  return data;
}

// Text with marks: `ranges` are [{start, end, kind}] in document chars; `base` is the text's own start.
function marked(text, base, ranges) {
  const chars = Array.from(text);
  const frag = document.createDocumentFragment();
  const sorted = [...ranges].sort((a, b) => a.start - b.start || (a.kind === "answer" ? -1 : 1));
  let at = 0;
  for (const r of sorted) {
    const s = r.start - base, e = r.end - base;
    if (s < at || e > chars.length || s >= e) continue;
    frag.append(chars.slice(at, s).join(""));
    frag.append(el("mark", { class: r.kind || "term", text: chars.slice(s, e).join("") }));
    at = e;
  }
  frag.append(chars.slice(at).join(""));
  return frag;
}

const permalink = (c) => `/p/${encodeURIComponent(c.passage_id)}?start=${c.start}&end=${c.end}`;
// The passage's anchor in its document view: the passage id's own number.
const anchorOf = (passageId) => passageId.slice(passageId.lastIndexOf(":") + 1);
const docLink = (c) => `/d/${encodeURIComponent(c.doc_id)}?start=${c.start}&end=${c.end}#${anchorOf(c.passage_id)}`;
// One line a reporter can paste: the exact words, where they are, the
// permalink to the span, and the original's address.
const citationText = (c, text) =>
  `${text ? `“${text}” — ` : ""}${c.label} (${c.passage_id}, chars ${c.start}–${c.end}). ${location.origin}${permalink(c)}${c.url ? ` Source: ${c.url}` : ""}`;

// A button that copies `text()` and says so.
function copier(label, text, cls = "copy") {
  const b = el("button", { type: "button", class: `secondary ${cls}`, text: label });
  b.addEventListener("click", async () => {
    const t = text();
    try { await navigator.clipboard.writeText(t); }
    catch {
      const ta = el("textarea"); ta.value = t; document.body.append(ta); ta.select();
      document.execCommand("copy"); ta.remove();
    }
    b.textContent = "Copied";
    setTimeout(() => { b.textContent = label; }, 1500);
  });
  return b;
}
const copyButton = (c, text) => copier("Copy citation", () => citationText(c, text));

// Where a text is: the label (a link to the cited span), the passage id,
// then the actions on one line: the whole document, the original, copy.
function citeLine(c, text, extra = []) {
  return el("div", { class: "cite" },
    el("p", { class: "where" },
      // The reader's ¶ only; the passage id is in the permalink and in
      // what "Copy citation" copies.
      el("a", { class: "label", href: permalink(c), title: `Permalink to passage ${c.passage_id}`, text: c.label }), " ",
      c.passage_kind === "caption" ? el("span", { class: "badge kind", text: "caption" }) : null,
      // A scanned page: the text is what OCR read, with its confidence.
      c.ocr_confidence != null ? el("span", {
        class: "badge kind",
        title: "This page is a scan: the text is what OCR read. Check a low figure against the scan.",
        text: `OCR ${c.ocr_confidence}%`,
      }) : null),
    el("div", { class: "actions" },
      el("a", { href: docLink(c), text: "Document" }),
      c.url ? el("a", { href: c.url, rel: "noreferrer", text: "Source" }) : null,
      ...extra, copyButton(c, text)));
}

function showError(box, err) {
  box.replaceChildren(el("p", { class: "error", role: "alert", text: err.message }));
}

// ---- tabs and URL state ----
const TABS = ["ask", "search", "check", "docs"];
function selectTab(name, focus = false) {
  for (const t of TABS) {
    const on = t === name;
    $(`#panel-${t}`).hidden = !on;
    const tab = $(`#tab-${t}`);
    tab.setAttribute("aria-selected", String(on));
    tab.tabIndex = on ? 0 : -1;
    if (on && focus) tab.focus();
  }
  $("#panel-passage").hidden = true;
  $("#panel-document").hidden = true;
  if (name === "docs") loadDocs();
}
// A passage or document view belongs to the documents: that tab is marked.
function showView(panel) {
  for (const t of TABS) {
    $(`#panel-${t}`).hidden = true;
    const tab = $(`#tab-${t}`);
    tab.setAttribute("aria-selected", String(t === "docs"));
    tab.tabIndex = t === "docs" ? 0 : -1;
  }
  $("#panel-passage").hidden = panel !== "passage";
  $("#panel-document").hidden = panel !== "document";
}
function setUrl(params, path = "/") {
  const qs = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== "" && v != null)).toString();
  history.pushState(null, "", qs ? `${path}?${qs}` : path);
}

// ---- ask ----
async function ask(question) {
  const box = $("#ask-results");
  $("#home").hidden = true;
  box.replaceChildren(el("p", { class: "summary", text: "Looking in the sources…" }));
  try {
    const r = await api("POST", "/v1/ask", { question, limit: 3 });
    box.replaceChildren();
    if (r.status === "no_answer") {
      const msg = el("div", { class: "no-answer", role: "status" },
        el("strong", { text: "No answer in these sources." }),
        el("p", { text: r.explanation || "The sources do not cover enough of the question to answer it." }));
      box.append(msg);
      if (r.related.length) {
        box.append(el("h3", { text: "Nearest passages — none confirmed as an answer" }));
        for (const h of r.related) {
          // "Possibly relevant": the reader (or the answerability model)
          // rates the passage as likely to hold the answer, below the bar
          // for giving it as one. Still not an answer.
          const card = el("article", { class: `card ${h.possibly_relevant ? "maybe" : "not-answer"}` },
            el("span", { class: "badge", text: h.possibly_relevant ? "Possibly relevant — not confirmed" : "Not an answer" }),
            el("blockquote", { text: h.text }), citeLine(h.citation, h.text));
          if (h.similar.length) {
            card.append(el("details", { class: "similar" },
              el("summary", { text: `${h.similar.length} more like this` }),
              ...h.similar.map((s) => el("div", { class: "similar-hit" },
                el("blockquote", { text: s.text }), citeLine(s.citation, s.text)))));
          }
          box.append(card);
        }
      }
      return;
    }
    // The best answer stands apart; the rest are other passages, and any
    // the answerability model scores low says so.
    r.answers.forEach((a, i) => {
      const card = el("article", { class: `card answer${i === 0 ? " top" : ""}${a.strong ? "" : " weak"}` });
      if (!a.strong) card.append(el("span", { class: "badge", text: "Weak match — may not answer the question" }));
      card.append(el("blockquote", {}, marked(a.text, a.citation.start, a.highlights)));
      const ctxBox = el("div", { class: "context", hidden: "" });
      const toggle = el("button", { type: "button", class: "secondary", text: "Context", "aria-expanded": "false", "aria-label": "Show in context" });
      toggle.addEventListener("click", () => showContext(a, ctxBox, toggle));
      card.append(citeLine(a.citation, a.text, [toggle]), ctxBox);
      // Near-identical answers (a templated line, a restated sentence) come
      // folded under the best-ranked one.
      if (a.similar.length) {
        card.append(el("details", { class: "similar" },
          el("summary", { text: `${a.similar.length} more like this` }),
          ...a.similar.map((s) => el("div", { class: "similar-hit" },
            el("blockquote", { text: s.text }), citeLine(s.citation, s.text)))));
      }
      if (i === 0) box.append(el("h2", { class: "answer-head", text: a.strong ? "Answer" : "Best passage" }));
      if (i === 1) box.append(el("h3", { class: "others", text: "Other passages" }));
      box.append(card);
    });
  } catch (e) { showError(box, e); }
}

async function showContext(a, box, toggle) {
  const open = toggle.getAttribute("aria-expanded") === "true";
  toggle.setAttribute("aria-expanded", String(!open));
  toggle.textContent = open ? "Context" : "Hide context";
  toggle.setAttribute("aria-label", open ? "Show in context" : "Hide context");
  box.hidden = open;
  if (open || box.childElementCount) return;
  try {
    const p = await api("GET", `/v1/passages/${encodeURIComponent(a.passage_id)}`);
    const [prev, next] = await Promise.all([p.previous, p.next].map((id) =>
      id ? api("GET", `/v1/passages/${encodeURIComponent(id)}`).catch(() => null) : null));
    if (prev) box.append(el("p", { class: "neighbour", text: prev.text }));
    box.append(el("p", {}, marked(p.text, p.citation.start,
      [{ start: a.citation.start, end: a.citation.end, kind: "answer" }])));
    if (next) box.append(el("p", { class: "neighbour", text: next.text }));
  } catch (e) { showError(box, e); }
}

// ---- search ----
async function search(q, doc, kind, offset) {
  const box = $("#search-results");
  const params = new URLSearchParams({ q, limit: "10", offset: String(offset) });
  if (doc) params.set("doc", doc);
  if (kind) params.set("kind", kind);
  box.replaceChildren(el("p", { class: "summary", text: "Searching…" }));
  try {
    const r = await api("GET", `/v1/search?${params}`);
    const exp = new URLSearchParams(params); exp.delete("limit"); exp.delete("offset"); exp.set("format", "csv");
    box.replaceChildren(el("p", { class: "summary" },
      `${r.total} passage${r.total === 1 ? "" : "s"} match. `,
      el("a", { href: `/v1/search/export?${exp}`, text: "Export all hits as CSV" })));
    if (r.read_as != null) {
      const how = el("p", { class: "read-as" }, "Read as: ", el("code", { text: r.read_as || "(nothing)" }));
      if (r.dropped.length) how.append(` — ignored: ${r.dropped.join(" ")}`);
      box.append(how);
    }
    // Near-identical passages come folded under the best-ranked one.
    const body = (h) => [
      h.section ? el("div", { class: "cite", text: h.section }) : null,
      el("blockquote", {}, marked(h.text, h.citation.start, h.highlights)),
      citeLine(h.citation, h.text)];
    let shown = 0;
    for (const h of r.hits) {
      const card = el("article", { class: "card hit" }, ...body(h));
      if (h.similar.length) {
        card.append(el("details", { class: "similar" },
          el("summary", { text: `${h.similar.length} more like this` }),
          ...h.similar.map((s) => el("div", { class: "similar-hit" }, ...body(s)))));
      }
      box.append(card);
      shown += 1 + h.similar.length;
    }
    const pager = el("nav", { class: "pager", "aria-label": "Pages" });
    if (offset > 0) pager.append(el("button", { type: "button", class: "secondary", text: "← Previous",
      onclick: () => runSearch(Math.max(0, offset - 10)) }));
    if (r.total > 0) pager.append(el("span", { class: "summary", text: `${offset + 1}–${offset + shown} of ${r.total}` }));
    if (offset + shown < r.total) pager.append(el("button", { type: "button", class: "secondary", text: "Next →",
      onclick: () => runSearch(offset + 10) }));
    box.append(pager);
  } catch (e) { showError(box, e); }
}
function runSearch(offset = 0) {
  const q = $("#search-input").value.trim(), doc = $("#search-doc").value, kind = $("#search-kind").value;
  if (!q) return;
  setUrl({ q, doc, kind, offset: offset || "" });
  search(q, doc, kind, offset);
}

// ---- quote checks ----
// An ellipsis or a [bracket] in the quote is the writer's own mark: what it
// stands for reads as neutral, never as an error.
function renderDiff(diff) {
  const p = el("p", { class: "diff" });
  diff.forEach((d, i) => {
    if (i > 0) p.append(" ");
    const editorial = /^\[.*\]$/.test(d.quote);
    if (d.op === "equal") p.append(d.source);
    else if (d.op === "delete" && d.quote === "…") p.append(el("span", { class: "elided", title: "left out, marked by the quote's ellipsis", text: `… ${d.source} …` }));
    else if (editorial) p.append(el("span", { class: "elided", title: "an editorial bracket, not counted against the quote", text: d.source ? `${d.quote} (for “${d.source}”)` : d.quote }));
    else if (d.op === "insert") p.append(el("ins", { title: "in the quote, not in the source", text: d.quote }));
    else if (d.op === "delete") p.append(el("del", { title: "in the source, not in the quote", text: d.source }));
    else p.append(el("del", { title: "source", text: d.source }), " ", el("ins", { title: "quote", text: d.quote }));
  });
  return p;
}
function checkCard(c, id) {
  const card = el("article", { class: "card check", ...(id ? { id } : {}) },
    el("div", {}, el("span", { class: `verdict ${c.verdict}`, text: c.verdict.replace("_", " ") }), " ",
      el("q", { text: c.quote })));
  const notes = (m) => m.notes.length ? el("ul", { class: "notes" }, ...m.notes.map((n) => el("li", { class: `note ${n.kind}`, text: n.text }))) : null;
  if (c.pieces && c.pieces.length) {
    card.append(el("p", { class: "summary", text: `Not one passage: the quote joins ${c.pieces.length} pieces from different places.` }));
    const list = el("ol", { class: "pieces" });
    for (const p of c.pieces) {
      list.append(el("li", { class: p.verbatim ? "piece verbatim" : "piece altered" },
        el("span", { class: "badge", text: p.verbatim ? "verbatim" : "not word for word" }), " ",
        p.verbatim ? el("q", { text: p.text }) : renderDiff(p.diff),
        citeLine(p.citation, p.text)));
    }
    card.append(list);
    const n = notes(c.match);
    if (n) card.append(n);
  } else if (c.match) {
    card.append(el("p", { class: "summary", text: `Closest source (similarity ${c.match.similarity.toFixed(3)}):` }));
    card.append(renderDiff(c.match.diff));
    const extra = c.verdict === "verbatim" ? [] : [copier("Copy the source’s exact wording", () => c.match.text, "copy-wording")];
    card.append(citeLine(c.match.citation, c.match.text, extra));
    const n = notes(c.match);
    if (n) card.append(n);
  } else if (c.verdict === "not_checked") {
    card.append(el("p", { text: "Not checked: the quotation is longer than a quote check takes." }));
  } else {
    card.append(el("p", { text: "Nothing in the sources is close enough to this quote." }));
    for (const h of c.candidates) card.append(el("div", { class: "cite not-answer" },
      el("span", { class: "badge", text: "Nearest passage, not a match" }), el("a", { href: permalink(h.citation), text: h.citation.label })));
  }
  return card;
}
// The draft as written, each quotation marked where it sits and coloured
// by its verdict; a mark links to its result.
function draftView(text, quotes) {
  const chars = Array.from(text);
  const box = el("div", { class: "draft", "aria-label": "The draft, each quotation marked by its verdict" });
  let at = 0;
  quotes.forEach((q, i) => {
    if (q.start < at || q.end > chars.length || q.start >= q.end) return;
    box.append(chars.slice(at, q.start).join(""));
    box.append(el("a", { href: `#quote-${i + 1}`, class: `q ${q.verdict}`, title: q.verdict.replace("_", " "), text: chars.slice(q.start, q.end).join("") }));
    at = q.end;
  });
  box.append(chars.slice(at).join(""));
  return box;
}
// The draft check as a spreadsheet file, from the same endpoint.
function csvButton(text, includeShort, box) {
  const b = el("button", { type: "button", class: "secondary csv", text: "Download CSV" });
  b.addEventListener("click", async () => {
    try {
      const r = await fetch("/v1/quotes/check-draft?format=csv", {
        method: "POST", headers: { "content-type": "application/json" },
        body: JSON.stringify({ text, include_short: includeShort }),
      });
      if (!r.ok) throw new Error(`HTTP ${r.status}`);
      const a = el("a", { href: URL.createObjectURL(await r.blob()), download: "verbatim-quotes.csv" });
      document.body.append(a); a.click(); a.remove();
    } catch (e) { showError(box, e); }
  });
  return b;
}
// The citations this draft view showed, re-checked against the sources as
// they are now: each result card says whether its source text is still
// there, moved, changed or gone.
function recheckButton(quotes, box) {
  const b = el("button", { type: "button", class: "secondary recheck", text: "Re-check citations" });
  b.addEventListener("click", async () => {
    const shown = quotes.map((q, i) => [q, i]).filter(([q]) => q.match);
    try {
      const r = await api("POST", "/v1/citations/verify",
        { citations: shown.map(([q]) => ({ ...q.match.citation, text: q.match.text })) });
      const said = {
        exact: () => "Re-checked: the source still reads this at the cited place.",
        moved: (v) => `Re-checked: the source text moved (${v.citations.length} place${v.citations.length === 1 ? "" : "s"}).`,
        changed: () => "Re-checked: the source changed at this place; it now reads:",
        gone: () => "Re-checked: the source text is no longer in the sources.",
      };
      r.results.forEach((v, k) => {
        const card = document.getElementById(`quote-${shown[k][1] + 1}`);
        if (!card) return;
        card.querySelector(".recheck-result")?.remove();
        const line = el("div", { class: `recheck-result ${v.status}`, role: "status" },
          el("span", { class: `verdict ${v.status}`, text: v.status }), " ", said[v.status](v));
        if (v.citations.length) line.append(citeLine(v.citations[0], v.text));
        if (v.status === "changed" && v.text) line.append(el("q", { text: v.text }));
        card.append(line);
      });
      b.textContent = "Re-check again";
    } catch (e) { showError(box, e); }
  });
  return b;
}
// One quote is checked as given, marks and all; only a draft is searched
// for quotations. The reader says which: the page never guesses.
async function check(text, mode, includeShort) {
  const box = $("#check-results");
  box.replaceChildren(el("p", { class: "summary", text: "Checking…" }));
  try {
    if (mode === "draft") {
      const r = await api("POST", "/v1/quotes/check-draft", { text, include_short: includeShort });
      const count = {};
      for (const q of r.quotes) count[q.verdict] = (count[q.verdict] || 0) + 1;
      const tally = Object.entries(count).map(([v, n]) => `${n} ${v.replace("_", " ")}`).join(", ");
      const results = el("div", { class: "draft-results" }, ...r.quotes.map((q, i) => checkCard(q, `quote-${i + 1}`)));
      box.replaceChildren(
        el("div", { class: "draft-bar" },
          el("p", { class: "summary", text: `${r.quotes.length} quotation${r.quotes.length === 1 ? "" : "s"} found.` }),
          tally ? el("p", { class: "tally", text: tally }) : null,
          r.quotes.length ? csvButton(text, includeShort, box) : null,
          r.quotes.some((q) => q.match) ? recheckButton(r.quotes, box) : null),
        el("div", { class: "draft-check" }, draftView(text, r.quotes), results));
    } else {
      box.replaceChildren(checkCard(await api("POST", "/v1/quotes/check", { quote: text.trim() })));
    }
  } catch (e) { showError(box, e); }
}
function checkMode() { return $("#check-mode-draft").checked ? "draft" : "quote"; }

// ---- documents ----
// A document's metadata as a reader wants it: who published it, where,
// when, its fact lines, then its kind.
function readerMeta(d) {
  const meta = el("dl", { class: "meta" });
  const row = (k, v) => { if (v != null && v !== "") meta.append(el("dt", { text: k }), el("dd", {}, v)); };
  row("Source", d.source);
  if (d.url) row("URL", el("a", { href: d.url, rel: "noreferrer", text: d.url }));
  row("Published", d.published);
  row("Author", d.author);
  for (const f of d.facts) row(f.key, f.value);
  row("Kind", d.kind);
  return meta;
}
// The first page of the document list (with the corpus's totals); more
// pages load on request.
let docsLoaded = null;
function docCard(d) {
  // The index's own details last, folded away.
  const meta = readerMeta(d);
  const details = el("details", { class: "internal" }, el("summary", { text: "Index details" }),
    el("dl", { class: "meta" },
      el("dt", { text: "id" }), el("dd", { text: d.doc_id }),
      el("dt", { text: "passages" }), el("dd", { text: String(d.passages) }),
      el("dt", { text: "version" }), el("dd", { text: d.doc_version })));
  return el("article", { class: "card doc" }, el("h3", {},
    el("a", { href: `/d/${encodeURIComponent(d.doc_id)}`, text: d.title })),
    d.lead ? el("p", { class: "lead", text: d.lead }) : null, meta, details);
}
// Appends a page's cards, and a button for the next page when there is one.
function showDocPage(box, page, shown) {
  box.append(...page.documents.map(docCard));
  shown += page.documents.length;
  if (!page.next_cursor) return;
  const more = el("button", { type: "button", class: "more",
    text: `Show more documents (${shown} of ${page.total} shown)` });
  more.addEventListener("click", async () => {
    more.disabled = true;
    try {
      const next = await api("GET", `/v1/documents?cursor=${encodeURIComponent(page.next_cursor)}`);
      more.remove();
      showDocPage(box, next, shown);
    } catch (e) {
      more.disabled = false;
      showError(box, e);
    }
  });
  box.append(more);
}
function loadDocs() {
  if (!docsLoaded) docsLoaded = api("GET", "/v1/documents");
  return docsLoaded.then((page) => {
    const box = $("#docs-list");
    if (!box.childElementCount) showDocPage(box, page, 0);
    return page;
  }).catch((e) => showError($("#docs-list"), e));
}

// ---- home: what is loaded, and questions the sources answer ----
function fillHome(page) {
  const box = $("#home");
  if (!page || !Array.isArray(page.documents) || box.childElementCount) return;
  const plural = (n, w) => `${n} ${w}${n === 1 ? "" : "s"}`;
  const list = Object.entries(page.kinds).sort((a, b) => b[1] - a[1])
    .map(([k, n]) => plural(n, k.replace(/-/g, " "))).join(", ");
  box.append(el("p", { class: "loaded" }, `Loaded: ${plural(page.total, "document")} (${list}). `,
    el("a", { href: "/?tab=docs", text: "See them" })));
  const questions = page.documents.flatMap((d) => d.questions).slice(0, 3);
  if (questions.length) {
    box.append(el("h2", { class: "examples-head", text: "Try a question the sources answer" }),
      el("ul", { class: "examples" }, ...questions.map((q) =>
        el("li", {}, el("a", { href: `/?ask=${encodeURIComponent(q)}`, text: q })))));
  }
}

async function fillFilters() {
  const page = await loadDocs();
  if (!page || !Array.isArray(page.documents)) return;
  fillHome(page);
  // The document filter offers the first page; `doc:ID` in the query
  // reaches any other.
  for (const d of page.documents) $("#search-doc").append(el("option", { value: d.doc_id, text: d.title }));
  for (const k of Object.keys(page.kinds).sort()) $("#search-kind").append(el("option", { value: k, text: k }));
}

// ---- passage permalink view ----
async function showPassage(id, start, end) {
  showView("passage");
  const box = $("#passage-view");
  try {
    const p = await api("GET", `/v1/passages/${encodeURIComponent(id)}`);
    const s = Number.isFinite(start) ? start : p.citation.start;
    const e = Number.isFinite(end) ? end : p.citation.end;
    const body = el("blockquote", {}, marked(p.text, p.citation.start, [{ start: s, end: e, kind: "cited" }]));
    const nav = el("nav", { class: "pager", "aria-label": "Neighbouring passages" });
    if (p.previous) nav.append(el("a", { href: `/p/${encodeURIComponent(p.previous)}`, text: "← Previous passage" }));
    nav.append(el("a", { href: docLink({ ...p.citation, start: s, end: e }), text: "Whole document" }));
    if (p.next) nav.append(el("a", { href: `/p/${encodeURIComponent(p.next)}`, text: "Next passage →" }));
    box.replaceChildren(
      el("h2", { text: p.citation.title }),
      p.section ? el("p", { class: "summary", text: p.section }) : null,
      el("article", { class: "card passage" }, body,
        citeLine({ ...p.citation, start: s, end: e, label: p.citation.label },
          // The cited span, by code point (offsets count Unicode scalar values).
          Array.from(p.text).slice(s - p.citation.start, e - p.citation.start).join(""))),
      nav);
    const m = box.querySelector("mark.cited");
    if (m) { m.id = "cited"; m.tabIndex = -1; m.scrollIntoView({ block: "center" }); m.focus({ preventScroll: true }); }
  } catch (err) { showError(box, err); }
}

// ---- whole-document view ----
// Every passage in order, numbered as a reader counts (captions are not),
// each with an anchor (#p{n}) and a link to itself; headings as written.
async function showDocument(id, start, end) {
  showView("document");
  const box = $("#document-view");
  try {
    const d = await api("GET", `/v1/documents/${encodeURIComponent(id)}`);
    const chars = Array.from(d.text);
    const cited = Number.isFinite(start) && Number.isFinite(end) && start < end
      ? [{ start, end, kind: "cited" }] : [];
    const meta = readerMeta(d);
    const body = el("div", { class: "doc-body" });
    let section = null;
    for (const p of d.outline) {
      if (p.section && p.section !== section && p.section !== d.title) {
        body.append(el("h3", { class: "doc-section", text: p.section }));
      }
      section = p.section;
      const text = chars.slice(p.start, p.end).join("");
      const anchor = anchorOf(p.passage_id);
      const num = p.paragraph != null ? `¶${p.paragraph}` : "Caption";
      const c = { passage_id: p.passage_id, start: p.start, end: p.end };
      body.append(el("div", { class: `para ${p.kind}`, id: anchor },
        el("a", { class: "pnum", href: `#${anchor}`, "aria-label": `${num}, ${p.passage_id}`, text: num }),
        el("p", {}, marked(text, p.start, cited)),
        el("a", { class: "plink", href: permalink(c), "aria-label": `Cite ${num}`, text: "cite" })));
    }
    box.replaceChildren(el("h2", { text: d.title }), meta, body);
    const m = box.querySelector("mark.cited");
    const target = m || (location.hash && document.getElementById(location.hash.slice(1)));
    if (m) { m.id = "cited"; m.tabIndex = -1; }
    if (target) { target.scrollIntoView({ block: "center" }); if (m) m.focus({ preventScroll: true }); }
  } catch (err) { showError(box, err); }
}

// ---- routing ----
function route() {
  const url = new URL(location.href);
  const p = url.searchParams;
  const pm = url.pathname.match(/^\/p\/(.+)$/);
  const dm = url.pathname.match(/^\/d\/(.+)$/);
  const num = (k) => (p.has(k) && p.get(k) !== "" ? Number(p.get(k)) : NaN);
  // A malformed escape (`/p/%E0%A4%A`) is looked up as typed, so the view
  // says the passage is not found instead of staying blank.
  const decode = (s) => { try { return decodeURIComponent(s); } catch { return s; } };
  if (pm) {
    showPassage(decode(pm[1]), num("start"), num("end"));
  } else if (dm) {
    showDocument(decode(dm[1]), num("start"), num("end"));
  } else if (p.has("q")) {
    selectTab("search");
    $("#search-input").value = p.get("q");
    $("#search-doc").value = p.get("doc") || "";
    $("#search-kind").value = p.get("kind") || "";
    search(p.get("q"), p.get("doc") || "", p.get("kind") || "", Number(p.get("offset") || 0));
  } else if (p.has("check")) {
    selectTab("check");
    const mode = p.get("mode") === "draft" ? "draft" : "quote";
    $(`#check-mode-${mode}`).checked = true;
    $("#check-input").value = p.get("check");
    check(p.get("check"), mode, p.get("short") === "1");
  } else if (p.has("ask")) {
    selectTab("ask");
    $("#ask-input").value = p.get("ask");
    ask(p.get("ask"));
  } else {
    const tab = p.get("tab") && TABS.includes(p.get("tab")) ? p.get("tab") : "ask";
    selectTab(tab);
    if (tab === "ask") { $("#home").hidden = false; $("#ask-results").replaceChildren(); }
  }
}

document.addEventListener("DOMContentLoaded", () => {
  for (const t of TABS) {
    $(`#tab-${t}`).addEventListener("click", () => { setUrl(t === "ask" ? {} : { tab: t }); selectTab(t); });
  }
  $(".tabs").addEventListener("keydown", (e) => {
    const i = TABS.findIndex((t) => $(`#tab-${t}`).getAttribute("aria-selected") === "true");
    if (e.key === "ArrowRight" || e.key === "ArrowLeft") {
      const n = TABS[(i + (e.key === "ArrowRight" ? 1 : TABS.length - 1)) % TABS.length];
      setUrl({ tab: n }); selectTab(n, true); e.preventDefault();
    }
  });
  $("#ask-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const q = $("#ask-input").value.trim();
    if (q) { setUrl({ ask: q }); ask(q); }
  });
  $("#search-form").addEventListener("submit", (e) => { e.preventDefault(); runSearch(0); });
  $("#check-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const t = $("#check-input").value;
    const mode = checkMode();
    if (t.trim()) {
      setUrl({ check: t, mode: mode === "draft" ? "draft" : "", short: $("#check-short").checked ? "1" : "" });
      check(t, mode, $("#check-short").checked);
    }
  });
  window.addEventListener("popstate", route);
  fillFilters().then(route);
});
