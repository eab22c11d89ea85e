// 意图例句: every editable intent (GET /staff/console/api/intents), one intent's examples
// (GET …/intents/{name}/examples) and adding (POST), changing (PUT) and removing (DELETE) one, each
// refusal shown next to the example it is about.

import { element, getJson, say, sendJson, signedIn } from "./console.js";
import { clear, refusal, savedNotice, showHistory, showProblems } from "./content.js";

const API = "/staff/console/api/intents";
const KINDS = [
  ["task", "业务办理"],
  ["conversation", "对话"],
  ["inform", "补充信息（客户在办理过程中回答的内容）"],
  ["out_of_scope", "超出服务范围（智能助手会婉拒）"],
];
const TEXT = {
  loading: "正在读取…",
  intents: (n) => `共 ${n} 个意图`,
  intentButton: (intent) => `${intent.title}（${intent.name}）· ${intent.count} 句`,
  title: (intent) => `${intent.title}（${intent.name}）`,
  hint: (intent, limits) =>
    `保存在 ${intent.file}。每个意图至少保留 ${limits.min_examples} 个例句；一个例句不超过 ${limits.max_chars} 个字。` +
    "形如 [1234](card_tail) 的是实体标注：方括号里是客户说的内容，圆括号里是实体名，修改时请保留。",
  addHint: "写客户会怎么说，一次一句；同一句话不能同时是别的意图的例句或常见问题的问法。",
  count: (n) => `共 ${n} 个例句`,
  edit: "修改",
  remove: "删除",
  save: "保存",
  cancel: "取消",
  editLabel: (text) => `修改例句“${text}”`,
  removeLabel: (text) => `删除例句“${text}”`,
  confirmRemove: (text) => `确定删除例句“${text}”吗？`,
  editing: "修改例句",
};

const state = { intent: null, etag: "", limits: { min_examples: 0, max_chars: 0 }, buttons: new Map() };
const pageMessage = document.getElementById("page-message");
const panelMessage = document.getElementById("panel-message");
const saveMessage = document.getElementById("save-message");
const newExample = document.getElementById("new-example");
const newProblems = document.getElementById("problems-new");

async function loadIntents() {
  const status = document.getElementById("list-status");
  say(status, TEXT.loading);
  try {
    const answer = await getJson(API);
    state.limits = answer.limits;
    const groups = KINDS.map(([kind, title]) => {
      const members = answer.intents.filter((intent) => intent.kind === kind);
      if (!members.length) {
        return null;
      }
      const group = element("section", "intent-group");
      const heading = element("h2", "", title);
      heading.id = `kind-${kind}`;
      group.setAttribute("aria-labelledby", heading.id);
      const list = element("ul", "intent-list");
      for (const intent of members) {
        const button = element("button", "button small", TEXT.intentButton(intent));
        button.type = "button";
        button.setAttribute("aria-pressed", String(intent.name === state.intent));
        button.addEventListener("click", () => openIntent(intent.name));
        state.buttons.set(intent.name, button);
        const item = element("li");
        item.append(button);
        list.append(item);
      }
      group.append(heading, list);
      return group;
    }).filter(Boolean);
    document.getElementById("intent-groups").replaceChildren(...groups);
    say(status, TEXT.intents(answer.intents.length));
  } catch (error) {
    say(status, "");
    say(pageMessage, error.message);
  }
}

function exampleItem(text) {
  const item = element("li");
  const view = element("div", "example-row");
  view.append(element("span", "example-text", text));
  const edit = element("button", "button small", TEXT.edit);
  edit.type = "button";
  edit.setAttribute("aria-label", TEXT.editLabel(text));
  const remove = element("button", "button small", TEXT.remove);
  remove.type = "button";
  remove.setAttribute("aria-label", TEXT.removeLabel(text));
  view.append(edit, remove);
  const problems = element("ul", "field-problems");
  problems.setAttribute("role", "alert");
  item.append(view, problems);

  edit.addEventListener("click", () => {
    const formRow = element("form", "example-row");
    const label = element("label", "visually-hidden", TEXT.editLabel(text));
    const input = element("input");
    input.type = "text";
    input.value = text;
    input.maxLength = 200;
    input.id = `edit-${Math.random().toString(36).slice(2)}`;
    label.htmlFor = input.id;
    const save = element("button", "button small primary", TEXT.save);
    save.type = "submit";
    const cancel = element("button", "button small", TEXT.cancel);
    cancel.type = "button";
    formRow.append(label, input, save, cancel);
    view.hidden = true;
    item.insertBefore(formRow, problems);
    input.focus();
    cancel.addEventListener("click", () => {
      formRow.remove();
      view.hidden = false;
      showProblems(problems, []);
      edit.focus();
    });
    formRow.addEventListener("submit", async (event) => {
      event.preventDefault();
      await change("PUT", { old: text, text: input.value }, problems, input);
    });
  });
  remove.addEventListener("click", async () => {
    if (window.confirm(TEXT.confirmRemove(text))) {
      await change("DELETE", { text }, problems, null);
    }
  });
  return item;
}

function showIntent(answer) {
  const intent = answer.intent;
  state.intent = intent.name;
  state.etag = answer.etag;
  say(document.getElementById("intent-title"), TEXT.title(intent));
  say(document.getElementById("intent-hint"), TEXT.hint(intent, state.limits));
  say(document.getElementById("new-example-hint"), TEXT.addHint);
  say(document.getElementById("examples-status"), TEXT.count(intent.examples.length));
  document.getElementById("examples").replaceChildren(...intent.examples.map(exampleItem));
  for (const [name, button] of state.buttons) {
    button.setAttribute("aria-pressed", String(name === intent.name));
  }
}

async function openIntent(name) {
  clear(panelMessage);
  clear(saveMessage);
  showProblems(newProblems, [], newExample);
  try {
    const answer = await getJson(`${API}/${encodeURIComponent(name)}/examples`);
    if (answer.limits) {
      state.limits = answer.limits;
    }
    showIntent(answer);
    showHistory(document.getElementById("history-section"), document.getElementById("history"), answer.history);
    const panel = document.getElementById("intent-panel");
    panel.hidden = false;
    panel.focus();
    history.replaceState(null, "", `?intent=${encodeURIComponent(name)}`);
  } catch (error) {
    say(pageMessage, error.message);
  }
}

// POST/PUT/DELETE one example; problems go to ``problems`` (next to the example or the add field).
async function change(method, fields, problems, field) {
  clear(panelMessage);
  clear(saveMessage);
  showProblems(problems, [], field);
  try {
    const answer = await sendJson(method, `${API}/${encodeURIComponent(state.intent)}/examples`, {
      ...fields,
      etag: state.etag,
    });
    if (answer.status === 422) {
      showProblems(problems, answer.body.problems || [], field);
      if (field) {
        field.focus();
      }
      return false;
    }
    if (!answer.ok) {
      say(panelMessage, refusal(answer));
      return false;
    }
    showIntent(answer.body);
    savedNotice(saveMessage, answer.body.notice);
    await Promise.all([loadIntents(), refreshHistory()]);
    return true;
  } catch (error) {
    say(panelMessage, error.message);
    return false;
  }
}

async function refreshHistory() {
  try {
    const answer = await getJson(`${API}/${encodeURIComponent(state.intent)}/examples`);
    showHistory(document.getElementById("history-section"), document.getElementById("history"), answer.history);
  } catch {
    // shown on the next open
  }
}

document.getElementById("add-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  if (await change("POST", { text: newExample.value }, newProblems, newExample)) {
    newExample.value = "";
    newExample.focus();
  }
});

async function start() {
  try {
    await signedIn();
  } catch (error) {
    say(pageMessage, error.message);
    return;
  }
  await loadIntents();
  const wanted = new URLSearchParams(location.search).get("intent");
  if (wanted) {
    await openIntent(wanted);
  }
  document.body.dataset.state = "ready";
}

start();
