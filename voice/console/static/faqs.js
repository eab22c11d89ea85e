// 常见问题: the list with search (GET /staff/console/api/faqs?q=), one FAQ's edit form (GET/PUT
// /staff/console/api/faqs/{id}, POST for a new one, PUT …/enabled to switch it off or on) with each
// problem next to its field, its history, and what is not yet published (GET …/faqs/diff).

import { ApiError, element, getJson, say, sendJson, signedIn } from "./console.js";
import { FIELD_LABELS, clear, refusal, savedNotice, showHistory, showProblems } from "./content.js";

const API = "/staff/console/api/faqs";
const FIELDS = ["id", "category", "questions", "answer", "answer_voice", "enabled"];
const TEXT = {
  loading: "正在读取…",
  found: (shown, total) => (shown < total ? `找到 ${shown} 个（共 ${total} 个）` : `共 ${total} 个常见问题`),
  none: "没有找到符合条件的常见问题",
  on: "启用",
  off: "已停用",
  openLabel: (id) => `编辑常见问题 ${id}`,
  editTitle: (id) => `编辑常见问题：${id}`,
  newTitle: "新增常见问题",
  disable: "停用",
  enable: "启用",
  switchedOff: "已停用。",
  switchedOn: "已启用。",
  otherProblems: "还有以下问题：",
  notPublished: "还没有发布过任何版本，发布后这里会列出之后的修改",
  noChanges: "没有未发布的修改",
  changes: (n) => `共 ${n} 个常见问题有未发布的修改`,
  added: "新增",
  removed: "删除",
  changed: "修改",
  switchedOffDiff: "停用",
  switchedOnDiff: "重新启用",
  phrasingsAdded: (list) => `新增问法：${list.map((q) => `“${q}”`).join("、")}`,
  phrasingsRemoved: (list) => `删去问法：${list.map((q) => `“${q}”`).join("、")}`,
  empty: "（空）",
};

const form = document.getElementById("faq-form");
const editor = document.getElementById("editor");
const input = (name) => document.getElementById(`f-${name}`);
const problemsOf = (name) => document.getElementById(`problems-${name}`);
const formMessage = document.getElementById("form-message");
const saveMessage = document.getElementById("save-message");
const toggle = document.getElementById("toggle-faq");
const pageMessage = document.getElementById("page-message");

const state = { etag: "", listEtag: "", editing: null, enabled: true }; // etag: the version the form was filled from

function row(faq) {
  const tr = element("tr");
  const idCell = element("td");
  const open = element("button", "link-button", faq.id);
  open.type = "button";
  open.setAttribute("aria-label", TEXT.openLabel(faq.id));
  open.addEventListener("click", () => openFaq(faq.id));
  idCell.append(open, element("span", "faq-category", faq.category));
  tr.append(idCell, element("td", "", faq.questions[0] || ""));
  tr.append(element("td", "", faq.questions.length));
  tr.append(element("td", faq.enabled ? "" : "status-off", faq.enabled ? TEXT.on : TEXT.off));
  return tr;
}

async function loadList() {
  const status = document.getElementById("list-status");
  say(status, TEXT.loading);
  const query = document.getElementById("q").value.trim();
  try {
    const answer = await getJson(`${API}?q=${encodeURIComponent(query)}`);
    state.listEtag = answer.etag;
    document.getElementById("faq-rows").replaceChildren(...answer.faqs.map(row));
    say(status, answer.faqs.length ? TEXT.found(answer.faqs.length, answer.total) : TEXT.none);
  } catch (error) {
    say(status, "");
    say(pageMessage, error.message);
  }
}

function clearProblems() {
  for (const name of FIELDS) {
    showProblems(problemsOf(name), [], input(name));
  }
  clear(formMessage);
}

function fill(faq) {
  input("id").value = faq.id;
  input("category").value = faq.category;
  input("questions").value = faq.questions.join("\n");
  input("answer").value = faq.answer;
  input("answer_voice").value = faq.answer_voice;
  input("enabled").checked = faq.enabled;
  state.enabled = faq.enabled;
  toggle.textContent = faq.enabled ? TEXT.disable : TEXT.enable;
}

async function openFaq(id) {
  clearProblems();
  clear(saveMessage);
  try {
    const answer = await getJson(`${API}/${encodeURIComponent(id)}`);
    state.editing = id;
    state.etag = answer.etag;
    fill(answer.faq);
    input("id").readOnly = true;
    toggle.hidden = false;
    say(document.getElementById("editor-title"), TEXT.editTitle(id));
    showHistory(document.getElementById("history-section"), document.getElementById("history"), answer.history);
    editor.hidden = false;
    editor.dataset.state = "ready";
    editor.focus();
    history.replaceState(null, "", `?id=${encodeURIComponent(id)}`);
  } catch (error) {
    say(pageMessage, error instanceof ApiError ? error.message : String(error));
  }
}

function newFaq() {
  clearProblems();
  clear(saveMessage);
  state.editing = null;
  state.etag = state.listEtag;
  fill({ id: "", category: "", questions: [], answer: "", answer_voice: "", enabled: true });
  input("id").readOnly = false;
  toggle.hidden = true;
  say(document.getElementById("editor-title"), TEXT.newTitle);
  document.getElementById("history-section").hidden = true;
  editor.hidden = false;
  input("id").focus();
}

function formFields() {
  return {
    id: input("id").value.trim(),
    category: input("category").value,
    questions: input("questions").value.split("\n").map((line) => line.trim()).filter(Boolean),
    answer: input("answer").value,
    answer_voice: input("answer_voice").value,
    enabled: input("enabled").checked,
  };
}

// 422: each problem under its field; anything else in the form's message.
function showRefusal(answer) {
  if (answer.status !== 422) {
    say(formMessage, refusal(answer));
    return;
  }
  const byField = new Map();
  for (const problem of answer.body.problems || []) {
    const field = FIELDS.includes(problem.field) ? problem.field : "";
    byField.set(field, [...(byField.get(field) || []), problem]);
  }
  for (const name of FIELDS) {
    showProblems(problemsOf(name), byField.get(name) || [], input(name));
  }
  const other = byField.get("") || [];
  say(formMessage, other.length ? `${TEXT.otherProblems}${other.map((p) => p.message).join("；")}` : "");
  const first = FIELDS.find((name) => byField.has(name));
  if (first) {
    input(first).focus();
  }
}

async function afterSave(answer, message) {
  state.etag = answer.body.etag;
  state.editing = answer.body.faq.id;
  fill(answer.body.faq);
  input("id").readOnly = true;
  toggle.hidden = false;
  say(document.getElementById("editor-title"), TEXT.editTitle(state.editing));
  savedNotice(saveMessage, message ? `${message}${answer.body.notice}` : answer.body.notice);
  await Promise.all([loadList(), loadDiff(), refreshHistory()]);
}

async function refreshHistory() {
  if (!state.editing) {
    return;
  }
  try {
    const answer = await getJson(`${API}/${encodeURIComponent(state.editing)}`);
    showHistory(document.getElementById("history-section"), document.getElementById("history"), answer.history);
  } catch {
    // the list and the notice are enough; the history shows on the next open
  }
}

async function save(event) {
  event.preventDefault();
  editor.dataset.state = "saving";
  clearProblems();
  clear(saveMessage);
  const fields = formFields();
  const body = { ...fields, etag: state.etag };
  try {
    const answer = state.editing
      ? await sendJson("PUT", `${API}/${encodeURIComponent(state.editing)}`, body)
      : await sendJson("POST", API, body);
    if (answer.ok) {
      await afterSave(answer, "");
    } else {
      showRefusal(answer);
    }
  } catch (error) {
    say(formMessage, error.message);
  }
  editor.dataset.state = "ready";
}

async function switchOnOff() {
  clearProblems();
  clear(saveMessage);
  const enabled = !state.enabled;
  try {
    const answer = await sendJson("PUT", `${API}/${encodeURIComponent(state.editing)}/enabled`, {
      etag: state.etag,
      enabled,
    });
    if (answer.ok) {
      await afterSave(answer, enabled ? TEXT.switchedOn : TEXT.switchedOff);
    } else {
      showRefusal(answer);
    }
  } catch (error) {
    say(formMessage, error.message);
  }
}

function shown(value) {
  if (value === true) {
    return TEXT.on;
  }
  if (value === false) {
    return TEXT.off;
  }
  return value === "" || value === null || value === undefined ? TEXT.empty : String(value);
}

function changeItem(change) {
  const item = element("li", `diff-item diff-${change.kind}`);
  const head = element("p", "diff-head");
  let kind = TEXT[change.kind];
  if (change.switched_off) {
    kind = TEXT.switchedOffDiff;
  } else if (change.switched_on) {
    kind = TEXT.switchedOnDiff;
  }
  head.append(element("strong", "diff-kind", kind), " ");
  const open = element("button", "link-button", change.id);
  open.type = "button";
  open.addEventListener("click", () => openFaq(change.id));
  head.append(change.kind === "removed" ? element("span", "", change.id) : open);
  item.append(head);
  if (change.kind !== "changed") {
    return item;
  }
  const details = element("ul", "diff-fields");
  for (const [name, values] of Object.entries(change.fields)) {
    const line = element("li");
    line.append(element("span", "diff-field", `${FIELD_LABELS[name] || name}：`));
    if (name === "questions") {
      const parts = [];
      if (values.added.length) {
        parts.push(TEXT.phrasingsAdded(values.added));
      }
      if (values.removed.length) {
        parts.push(TEXT.phrasingsRemoved(values.removed));
      }
      line.append(parts.join("；") || "顺序调整");
    } else {
      line.append(element("del", "", shown(values.old)), " → ", element("ins", "", shown(values.new)));
    }
    details.append(line);
  }
  item.append(details);
  return item;
}

async function loadDiff() {
  const status = document.getElementById("diff-status");
  try {
    const answer = await getJson(`${API}/diff`);
    document.getElementById("diff").replaceChildren(...answer.changes.map(changeItem));
    if (!answer.published) {
      say(status, TEXT.notPublished);
    } else {
      say(status, answer.changes.length ? TEXT.changes(answer.changes.length) : TEXT.noChanges);
    }
  } catch (error) {
    say(status, error.message);
  }
}

document.getElementById("search-form").addEventListener("submit", (event) => {
  event.preventDefault();
  loadList();
});
document.getElementById("new-faq").addEventListener("click", newFaq);
document.getElementById("close-editor").addEventListener("click", () => {
  editor.hidden = true;
  history.replaceState(null, "", location.pathname);
});
form.addEventListener("submit", save);
toggle.addEventListener("click", switchOnOff);

async function start() {
  try {
    await signedIn();
  } catch (error) {
    say(pageMessage, error.message);
    return;
  }
  await Promise.all([loadList(), loadDiff()]);
  const wanted = new URLSearchParams(location.search).get("id");
  if (wanted) {
    await openFaq(wanted);
  }
  document.body.dataset.state = "ready";
}

start();
