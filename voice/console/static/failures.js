// What the bot failed (待改进): the filters (kept in the page's address), the failed customer messages
// grouped by meaning (GET /staff/console/api/failures), and for each group or message: assign it to an
// FAQ or an intent (POST …/failures/assign, the suggestion preselected) or dismiss it (POST …/dismiss);
// a dismissed one can be opened again (POST …/reopen).
// Refusals are shown next to the message they are about; an assignment takes effect after 发布.

import {
  LABELS,
  bankDate,
  decimal,
  element,
  getJson,
  intentTitle,
  learnTitles,
  queryOf,
  say,
  sendJson,
  startPage,
  when,
} from "./console.js";

const DEFAULT_DAYS = 29; // the last 30 days, unless the address asks for others
const REASONS = {
  fallback: "未理解",
  low_confidence: "低置信度",
  rephrased: "客户换了说法",
  asked_for_human: "要求转人工",
};
const TEXT = {
  searching: "正在查找并分组，第一次可能需要十几秒…",
  found: (messages, groups, total, limit) =>
    (total > limit ? `共 ${total} 条，按时间取最新的 ${limit} 条，` : `共 ${messages} 条消息，`) + `分成 ${groups} 组`,
  none: { open: "没有待处理的消息", assigned: "没有已归入的消息", dismissed: "没有已忽略的消息" },
  counts: (c) => `符合条件的消息：待处理 ${c.open} 条，已归入 ${c.assigned} 条，已忽略 ${c.dismissed} 条`,
  method: {
    encoder: "（按语义相似度分组）",
    ngram: "（语义模型暂不可用，按字面相似度分组）",
  },
  group: (n, size) => `第 ${n} 组 · ${size} 条消息`,
  suggestion: "建议归入：",
  noSuggestion: "暂无建议，请从列表中选择",
  score: (score) => `相似度 ${decimal(score, 2)}`,
  nearest: (text) => `最接近的说法：“${text}”`,
  pickerLabel: (n) => `第 ${n} 组归入到`,
  choose: "请选择常见问题或意图…",
  faqs: "常见问题",
  intents: "意图",
  faqOption: (t) => `${t.category ? `【${t.category}】` : ""}${t.title}（${t.name}）${t.enabled ? "" : "（已停用）"}`,
  intentOption: (t) => `${t.title}（${t.name}）`,
  faqTarget: (t) => `常见问题“${t.title}”（${t.name}）`,
  intentTarget: (t) => `意图“${t.title}”（${t.name}）`,
  assignGroup: "全部归入",
  dismissGroup: "全部忽略",
  assignGroupLabel: (n) => `把第 ${n} 组的待处理消息全部归入所选的常见问题或意图`,
  dismissGroupLabel: (n) => `忽略第 ${n} 组的全部消息`,
  assignOne: "归入",
  dismissOne: "忽略",
  assignOneLabel: (text) => `把“${text}”归入本组所选的常见问题或意图`,
  dismissOneLabel: (text) => `忽略“${text}”`,
  reopenGroup: "全部重新打开",
  reopenGroupLabel: (n) => `把第 ${n} 组已忽略的消息全部重新打开`,
  reopenOne: "重新打开",
  reopenOneLabel: (text) => `重新打开“${text}”，放回待处理`,
  pickFirst: "请先选择要归入的常见问题或意图",
  understood: (intent, confidence) => `识别为 ${intentTitle(intent)}，置信度 ${decimal(confidence, 2)}`,
  notUnderstood: "未识别出意图",
  asr: (value) => `语音识别置信度 ${decimal(value, 2)}`,
  rephrased: (r) => `客户随后说：“${r.text}”（识别为 ${intentTitle(r.intent)}）`,
  personal: "含卡号、手机号、证件号或验证码，不能原样归入",
  transcript: "查看会话",
  transcriptLabel: (id) => `在会话回顾中查看会话 ${id} 当天的会话`,
  assigned: (target, staff, at) => `已归入 ${target}（${staff}，${when(at)}）`,
  dismissed: (staff, at) => `已忽略（${staff}，${when(at)}）`,
  published: (n) => `已生效（正在运行的第 ${n} 版已包含）`,
  removed: "这句话已不在常见问题或意图例句中（可能被删除或回滚），可以重新归入",
  waiting: (n) => `待发布：发布第 ${n} 版后生效`,
  done: (n, target, version) => `已把 ${n} 条消息归入 ${target}，发布第 ${version} 版后生效`,
  dismissedDone: (n) => `已忽略 ${n} 条消息`,
  reopenedDone: (n) => `已重新打开 ${n} 条消息，放回待处理`,
  someRefused: (n) => `${n} 条未能处理，原因见该条消息下方`,
  working: "正在保存…",
  badRequest: "页面上的消息已过时，请重新查询后再试",
  nextVersion: (n) => `第 ${n} 版`,
};

const form = document.getElementById("filters");
const groupsList = document.getElementById("groups");
const resultsStatus = document.getElementById("results-status");
const actionStatus = document.getElementById("action-status");
const counts = document.getElementById("counts");
const pageMessage = document.getElementById("page-message");
const nextVersionText = document.getElementById("next-version");
const dayOf = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit" });

let targets = new Map(); // "faq:<id>" | "intent:<name>" → {kind, name, title, category, enabled}
let nextVersion = 1;
const problems = new Map(); // message key → problems the last assign or dismiss came back with

function targetText(name) {
  const target = targets.get(name);
  if (!target) {
    return name;
  }
  return target.kind === "faq" ? TEXT.faqTarget(target) : TEXT.intentTarget(target);
}

function picker(id, groupNumber, suggestion) {
  const label = element("label", "visually-hidden", TEXT.pickerLabel(groupNumber));
  label.htmlFor = id;
  const select = element("select", "target-picker");
  select.id = id;
  select.append(Object.assign(element("option", "", TEXT.choose), { value: "" }));
  for (const [kind, title, describe] of [
    ["faq", TEXT.faqs, TEXT.faqOption],
    ["intent", TEXT.intents, TEXT.intentOption],
  ]) {
    const group = element("optgroup");
    group.label = title;
    for (const [name, target] of targets) {
      if (target.kind === kind) {
        group.append(Object.assign(element("option", "", describe(target)), { value: name }));
      }
    }
    select.append(group);
  }
  if (suggestion && targets.has(suggestion.target)) {
    select.value = suggestion.target;
  }
  return [label, select];
}

function reasonTags(reasons) {
  const list = element("ul", "reason-tags");
  list.setAttribute("aria-label", "原因");
  for (const [reason, count] of reasons) {
    const item = element("li", "reason-tag", count > 1 ? `${REASONS[reason] || reason} ${count}` : REASONS[reason] || reason);
    item.dataset.reason = reason;
    list.append(item);
  }
  return list;
}

function problemList(keyOrNone) {
  const list = element("ul", "problems");
  list.setAttribute("role", "alert");
  for (const problem of (keyOrNone && problems.get(keyOrNone)) || []) {
    list.append(element("li", "", problem.message));
  }
  return list;
}

function showProblems(list, found) {
  list.replaceChildren(...found.map((text) => element("li", "", text)));
}

function reviewLink(message) {
  const day = dayOf.format(new Date(message.at * 1000));
  const query = new URLSearchParams({ since: day, until: day, channel: message.channel });
  const link = element("a", "button small", TEXT.transcript);
  link.href = `/staff/console/review?${query}`;
  link.setAttribute("aria-label", TEXT.transcriptLabel(message.conversation_id));
  return link;
}

function effect(message) {
  if (!message.in_sources) {
    return TEXT.removed;
  }
  return message.published_in ? TEXT.published(message.published_in) : TEXT.waiting(nextVersion);
}

function messageItem(message, select) {
  const item = element("li", "failed-message");
  item.dataset.key = message.key;
  item.dataset.status = message.status;
  item.append(element("p", "failed-text", message.text));
  const meta = element("p", "failed-meta");
  const parts = [when(message.at), LABELS.channel[message.channel] || message.channel];
  parts.push(message.intent && message.intent !== "nlu_fallback" ? TEXT.understood(message.intent, message.confidence) : TEXT.notUnderstood);
  if (message.asr_confidence !== undefined) {
    parts.push(TEXT.asr(message.asr_confidence));
  }
  meta.textContent = parts.join(" · ");
  item.append(meta, reasonTags(message.reasons.map((reason) => [reason, 1])));
  if (message.rephrased_as) {
    item.append(element("p", "rephrased", TEXT.rephrased(message.rephrased_as)));
  }
  if (message.personal) {
    item.append(element("p", "personal-note", TEXT.personal));
  }
  if (message.decision) {
    const decided = message.status === "assigned"
      ? `${TEXT.assigned(targetText(message.decision.target), message.decision.staff, message.decision.at)} · ${effect(message)}`
      : TEXT.dismissed(message.decision.staff, message.decision.at);
    item.append(element("p", "decision", decided));
  }
  const actions = element("div", "message-actions");
  actions.append(reviewLink(message));
  const list = problemList(message.key);
  if (message.status !== "assigned" || !message.in_sources) {
    const assign = element("button", "button small assign-one", TEXT.assignOne);
    assign.type = "button";
    assign.disabled = message.personal;
    assign.setAttribute("aria-label", TEXT.assignOneLabel(message.text));
    assign.addEventListener("click", () => assignKeys([message.key], select, list, assign));
    actions.append(assign);
  }
  if (message.status === "open") {
    const dismiss = element("button", "button small dismiss-one", TEXT.dismissOne);
    dismiss.type = "button";
    dismiss.setAttribute("aria-label", TEXT.dismissOneLabel(message.text));
    dismiss.addEventListener("click", () => dismissKeys([message.key], list, dismiss));
    actions.append(dismiss);
  }
  if (message.status === "dismissed") {
    const reopen = element("button", "button small reopen-one", TEXT.reopenOne);
    reopen.type = "button";
    reopen.setAttribute("aria-label", TEXT.reopenOneLabel(message.text));
    reopen.addEventListener("click", () => reopenKeys([message.key], list, reopen));
    actions.append(reopen);
  }
  item.append(actions, list);
  return item;
}

function groupItem(group, number) {
  const item = element("li", "failure-group card");
  item.dataset.id = group.id;
  item.dataset.size = group.size;
  const head = element("div", "group-head");
  const title = element("h3", "", TEXT.group(number, group.size));
  title.id = `group-${group.id}`;
  title.tabIndex = -1;
  item.setAttribute("aria-labelledby", title.id);
  head.append(title, reasonTags(Object.entries(group.reasons)));
  item.append(head);

  const suggestion = element("p", "suggestion");
  if (group.suggestion && targets.has(group.suggestion.target)) {
    suggestion.append(
      element("span", "", TEXT.suggestion),
      element("strong", "suggested-target", targetText(group.suggestion.target)),
      element("span", "", ` · ${TEXT.score(group.suggestion.score)} · ${TEXT.nearest(group.suggestion.nearest)}`),
    );
    suggestion.dataset.target = group.suggestion.target;
  } else {
    suggestion.textContent = TEXT.noSuggestion;
  }
  item.append(suggestion);

  const [label, select] = picker(`target-${group.id}`, number, group.suggestion);
  const groupProblems = problemList(null);
  const pending = group.messages.filter((message) => message.status !== "assigned" || !message.in_sources);
  const controls = element("div", "group-controls");
  controls.append(label, select);
  if (pending.length) {
    const assign = element("button", "button primary small assign-group", TEXT.assignGroup);
    assign.type = "button";
    assign.setAttribute("aria-label", TEXT.assignGroupLabel(number));
    assign.addEventListener("click", () => assignKeys(pending.map((m) => m.key), select, groupProblems, assign));
    controls.append(assign);
  }
  const open = group.messages.filter((message) => message.status === "open");
  if (open.length) {
    const dismiss = element("button", "button small dismiss-group", TEXT.dismissGroup);
    dismiss.type = "button";
    dismiss.setAttribute("aria-label", TEXT.dismissGroupLabel(number));
    dismiss.addEventListener("click", () => dismissKeys(open.map((m) => m.key), groupProblems, dismiss));
    controls.append(dismiss);
  }
  const dismissed = group.messages.filter((message) => message.status === "dismissed");
  if (dismissed.length) {
    const reopen = element("button", "button small reopen-group", TEXT.reopenGroup);
    reopen.type = "button";
    reopen.setAttribute("aria-label", TEXT.reopenGroupLabel(number));
    reopen.addEventListener("click", () => reopenKeys(dismissed.map((m) => m.key), groupProblems, reopen));
    controls.append(reopen);
  }
  if (!pending.length) {
    select.disabled = true;
  }
  item.append(controls, groupProblems);
  const messages = element("ul", "failed-messages");
  messages.setAttribute("aria-label", "客户消息");
  messages.append(...group.messages.map((message) => messageItem(message, select)));
  item.append(messages);
  return item;
}

async function assignKeys(keys, select, where, button) {
  if (!select.value) {
    showProblems(where, [TEXT.pickFirst]);
    select.setAttribute("aria-invalid", "true");
    select.focus();
    return;
  }
  select.removeAttribute("aria-invalid");
  await decide("/staff/console/api/failures/assign", { keys, target: select.value }, where, button);
}

async function dismissKeys(keys, where, button) {
  await decide("/staff/console/api/failures/dismiss", { keys }, where, button);
}

async function reopenKeys(keys, where, button) {
  await decide("/staff/console/api/failures/reopen", { keys }, where, button);
}

async function decide(path, body, where, button) {
  say(actionStatus, TEXT.working);
  showProblems(where, []);
  button.disabled = true;
  let answer;
  try {
    answer = await sendJson("POST", path, body);
  } catch (error) {
    say(actionStatus, "");
    showProblems(where, [error.message]);
    button.disabled = false;
    return;
  }
  button.disabled = false;
  const reply = answer.body || {};
  if (answer.status === 400 || answer.status === 409 || answer.status === 423) {
    say(actionStatus, "");
    showProblems(where, [answer.status === 400 ? TEXT.badRequest : reply.problem || TEXT.badRequest]);
    return;
  }
  for (const refused of reply.refused || []) {
    problems.set(refused.key, refused.problems);
  }
  for (const key of reply.done || []) {
    problems.delete(key);
  }
  const done = (reply.done || []).length;
  const refusedCount = (reply.refused || []).length;
  let said = TEXT.dismissedDone(done);
  if (body.target) {
    said = TEXT.done(done, targetText(body.target), reply.version);
  } else if (path.endsWith("/reopen")) {
    said = TEXT.reopenedDone(done);
  }
  say(actionStatus, [done ? said : "", refusedCount ? TEXT.someRefused(refusedCount) : ""].filter(Boolean).join("；"));
  if (!done) {
    // nothing changed: show the refusals where they belong without reloading
    for (const refused of reply.refused || []) {
      const item = groupsList.querySelector(`li.failed-message[data-key="${CSS.escape(refused.key)}"]`);
      if (item) {
        showProblems(item.querySelector(".problems"), refused.problems.map((problem) => problem.message));
      }
    }
    if (!refusedCount) {
      showProblems(where, [TEXT.badRequest]);
    }
    return;
  }
  await search(false);
}

async function loadTargets() {
  const found = await getJson("/staff/console/api/targets");
  learnTitles(found);
  targets = new Map(found.targets.map((target) => [target.target, target]));
}

async function search(clearStatus = true) {
  const query = queryOf(form);
  history.replaceState(null, "", query.toString() ? `?${query}` : location.pathname);
  say(pageMessage, "");
  if (clearStatus) {
    say(actionStatus, "");
  }
  say(resultsStatus, TEXT.searching);
  document.body.dataset.state = "loading";
  try {
    if (!targets.size) {
      await loadTargets();
    }
    const found = await getJson(`/staff/console/api/failures?${query}`);
    learnTitles(found);
    nextVersion = found.next_version;
    nextVersionText.textContent = TEXT.nextVersion(nextVersion);
    groupsList.replaceChildren(...found.groups.map((group, index) => groupItem(group, index + 1)));
    const messages = found.groups.reduce((sum, group) => sum + group.size, 0);
    const status = query.get("status") || "open";
    say(resultsStatus, messages ? TEXT.found(messages, found.groups.length, found.total, found.limit) + TEXT.method[found.method] : TEXT.none[status]);
    say(counts, TEXT.counts(found.counts));
    document.body.dataset.state = "ready";
    document.body.dataset.method = found.method;
  } catch (error) {
    groupsList.replaceChildren();
    say(resultsStatus, "");
    say(pageMessage, error.message);
    document.body.dataset.state = "error";
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  problems.clear();
  search();
});
form.addEventListener("reset", () =>
  setTimeout(() => {
    problems.clear();
    search();
  }, 0),
);

async function start() {
  const given = new URLSearchParams(location.search);
  if (![...given.keys()].length) {
    given.set("since", bankDate(-DEFAULT_DAYS));
  }
  await startPage(form, given, pageMessage, search);
}

start();
