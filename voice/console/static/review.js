// Conversation review: the filters (kept in the page's address, so a view can be shared), the
// conversations that match (GET /staff/console/conversations) and one transcript at a time
// (GET /staff/console/conversations/{id}), with what the bot understood of each customer message.

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
  startPage,
  timeOfDay,
  when,
} from "./console.js";

const LOW_CONFIDENCE = 0.6;
const DEFAULT_DAYS = 6; // a week up to today, unless the address asks for more
const TEXT = {
  searching: "正在查询…",
  found: (shown, total) => (shown < total ? `共 ${total} 个会话，显示最新的 ${shown} 个` : `共 ${total} 个会话`),
  none: "没有符合条件的会话",
  openLabel: (at) => `查看 ${at} 开始的会话记录`,
  loading: "正在读取会话记录…",
  missing: "该会话记录不存在或已被清理",
  entries: (n) => `共 ${n} 条消息`,
  noIntents: "无",
  yes: "有",
  no: "无",
  fallbacks: (n) => (n ? `${n} 次` : "无"),
  intent: "意图",
  confidence: "置信度",
  faq: "常见问题",
  asr: "语音识别置信度",
  lowConfidence: "低置信度",
  viaCall: "通话",
  summary: {
    id: "会话编号",
    channel: "渠道",
    time: "时间",
    turns: "客户消息",
    intents: "意图",
    faqs: "常见问题",
    forms: "业务办理",
    outcome: "结果",
  },
};

const form = document.getElementById("filters");
const rows = document.getElementById("result-rows");
const status = document.getElementById("results-status");
const pageMessage = document.getElementById("page-message");
const panel = document.getElementById("transcript-panel");
const transcript = document.getElementById("transcript");
const transcriptStatus = document.getElementById("transcript-status");
const summaryList = document.getElementById("transcript-summary");
let opened = null; // the row whose transcript is shown

function intentsOf(summary) {
  return summary.intents.length ? summary.intents.map(intentTitle).join("、") : TEXT.noIntents;
}

function row(summary) {
  const tr = element("tr");
  tr.dataset.id = summary.sender_id;
  tr.dataset.channel = summary.channel;
  tr.dataset.outcome = summary.outcome;
  const at = when(summary.started_at);
  const head = element("th", "started");
  head.scope = "row";
  const button = element("button", "link-button", at);
  button.type = "button";
  button.setAttribute("aria-label", TEXT.openLabel(at));
  button.addEventListener("click", () => open(summary, tr));
  head.append(button);
  tr.append(head);
  const cells = [
    LABELS.channel[summary.channel] || summary.channel,
    summary.customer_turns,
    intentsOf(summary),
    TEXT.fallbacks(summary.fallbacks),
    LABELS.outcome[summary.outcome] || summary.outcome,
  ];
  for (const text of cells) {
    tr.append(element("td", "", text));
  }
  return tr;
}

function offer(listId, names) {
  const list = document.getElementById(listId);
  list.replaceChildren(...[...new Set(names)].sort().map((name) => Object.assign(element("option"), { value: name })));
}

async function search() {
  const query = queryOf(form);
  history.replaceState(null, "", query.toString() ? `?${query}` : location.pathname);
  say(pageMessage, "");
  say(status, TEXT.searching);
  document.body.dataset.state = "loading";
  try {
    const found = await getJson(`/staff/console/conversations?${query}`);
    learnTitles(found);
    rows.replaceChildren(...found.conversations.map(row));
    say(status, found.total ? TEXT.found(found.conversations.length, found.total) : TEXT.none);
    offer("intent-choices", found.conversations.flatMap((s) => s.intents));
    offer("faq-choices", found.conversations.flatMap((s) => s.faqs));
    document.body.dataset.state = "ready";
  } catch (error) {
    rows.replaceChildren();
    say(status, "");
    say(pageMessage, error.message);
    document.body.dataset.state = "error";
  }
}

function describe(summary) {
  const forms = Object.entries(summary.forms).map(([name, state]) => `${name}（${LABELS.form[state] || state}）`);
  const items = [
    [TEXT.summary.id, summary.sender_id],
    [TEXT.summary.channel, LABELS.channel[summary.channel] || summary.channel],
    [TEXT.summary.time, `${when(summary.started_at)} – ${timeOfDay(summary.ended_at)}`],
    [TEXT.summary.turns, summary.customer_turns],
    [TEXT.summary.intents, intentsOf(summary)],
    [TEXT.summary.faqs, summary.faqs.join("、") || TEXT.noIntents],
    [TEXT.summary.forms, forms.join("、") || TEXT.noIntents],
    [TEXT.summary.outcome, LABELS.outcome[summary.outcome] || summary.outcome],
  ];
  summaryList.replaceChildren(
    ...items.flatMap(([term, value]) => {
      const group = element("div");
      group.append(element("dt", "", term), element("dd", "", value));
      return [group];
    }),
  );
}

function understood(entry) {
  const parts = [];
  if (entry.intent) {
    const intent = element("span", "nlu-intent");
    intent.dataset.intent = entry.intent;
    const title = intentTitle(entry.intent);
    intent.textContent = title === entry.intent ? `${TEXT.intent} ${title}` : `${TEXT.intent} ${title}（${entry.intent}）`;
    parts.push(intent);
  }
  if (typeof entry.confidence === "number") {
    const low = entry.confidence < LOW_CONFIDENCE;
    const confidence = element("span", low ? "nlu-confidence low" : "nlu-confidence");
    confidence.dataset.value = String(entry.confidence);
    confidence.textContent = `${TEXT.confidence} ${decimal(entry.confidence)}${low ? `（${TEXT.lowConfidence}）` : ""}`;
    parts.push(confidence);
  }
  if (entry.faq) {
    parts.push(element("span", "nlu-faq", `${TEXT.faq} ${entry.faq}`));
  }
  if (typeof entry.asr_confidence === "number") {
    const asr = element("span", "nlu-asr", `${TEXT.asr} ${decimal(entry.asr_confidence)}`);
    asr.dataset.value = String(entry.asr_confidence);
    parts.push(asr);
  }
  if (!parts.length) {
    return null;
  }
  const line = element("p", "entry-nlu");
  line.append(...parts);
  return line;
}

function entryItem(entry) {
  const item = element("li", `entry entry-${entry.from}`);
  item.dataset.from = entry.from;
  item.dataset.via = entry.via;
  const meta = element("p", "entry-meta");
  const who = entry.from === "agent" && entry.agent ? `${LABELS.from.agent} ${entry.agent}` : LABELS.from[entry.from];
  meta.append(element("span", "entry-who", who || entry.from));
  if (typeof entry.ts === "number") {
    const time = element("time", "", timeOfDay(entry.ts));
    time.dateTime = new Date(entry.ts * 1000).toISOString();
    meta.append(time);
  }
  if (entry.via === "call") {
    meta.append(element("span", "entry-via", TEXT.viaCall));
  }
  item.append(meta, element("p", "entry-text", entry.text));
  const nlu = entry.from === "customer" ? understood(entry) : null;
  if (nlu) {
    item.append(nlu);
  }
  return item;
}

async function open(summary, tr) {
  if (opened) {
    opened.removeAttribute("aria-current");
  }
  opened = tr;
  tr.setAttribute("aria-current", "true");
  panel.hidden = false;
  panel.dataset.id = summary.sender_id;
  panel.dataset.state = "loading";
  describe(summary);
  transcript.replaceChildren();
  say(transcriptStatus, TEXT.loading);
  panel.focus();
  try {
    const found = await getJson(`/staff/console/conversations/${encodeURIComponent(summary.sender_id)}`);
    learnTitles(found);
    transcript.replaceChildren(...found.entries.map(entryItem));
    say(transcriptStatus, TEXT.entries(found.entries.length));
    panel.dataset.state = "ready";
  } catch (error) {
    say(transcriptStatus, error.status === 404 ? TEXT.missing : error.message);
    panel.dataset.state = "error";
  }
}

function close() {
  panel.hidden = true;
  if (opened) {
    opened.removeAttribute("aria-current");
    opened.querySelector("button").focus();
    opened = null;
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  close();
  search();
});
form.addEventListener("reset", () => setTimeout(search, 0));
document.getElementById("transcript-close").addEventListener("click", close);
panel.addEventListener("keydown", (event) => {
  if (event.key === "Escape") {
    close();
  }
});

async function start() {
  const given = new URLSearchParams(location.search);
  if (![...given.keys()].length) {
    given.set("since", bankDate(-DEFAULT_DAYS));
  }
  await startPage(form, given, pageMessage, search);
}

start();
