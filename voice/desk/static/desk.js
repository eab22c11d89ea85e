// The agent desk: the waiting queue, the conversations this agent holds, and their calls, over
// one websocket (/staff/desk/ws). The socket, the status line and notices, and the call's audio
// (the agent's microphone and the caller's voice as 20 ms binary frames of 16 kHz 16-bit
// little-endian mono PCM) are the customer page's modules under /static/.
import { CallAudio, callAudioSupported, microphoneProblem } from "/static/call-audio.js";
import { clockTime, length, nearBottom, noticeBar, pad, scrollToEnd, sendsOnEnter, statusLine } from "/static/page.js";
import { Socket } from "/static/socket.js";

const MAX_TEXT = 500;
const NOTICE_MS = 10000;
const DRAIN_MS = 300;
const STRAY_ERRORS_MS = 5000; // frames still on their way when a call ends are refused: not worth a notice
const LOGIN_URL = "/staff/login?next=/staff/desk";
const DESK_ROLES = ["agent", "admin"];

export const TEXT = {
  title: "坐席工作台",
  agent: (name) => `坐席 ${name}`,
  available: { on: "在线", off: "暂停接单" },
  hours: (hours, open) => `服务时间 ${hours} · ${open ? "服务中" : "非服务时间"}`,
  status: {
    connecting: "正在连接…",
    open: "已连接",
    reconnecting: "连接中断，正在重连…",
    offline: "网络已断开，恢复后将自动重连…",
    stuck: "连接中断，正在重连…如长时间无法连接，请刷新页面。",
    signedOut: "登录已失效，请重新登录。",
    forbidden: "您的账号没有坐席权限，无法使用坐席工作台。",
  },
  channel: { chat: "文字", call: "通话" },
  urgent: "紧急",
  waited: "已等待",
  take: "接入",
  taking: "接入中…",
  takeLabel: (ticket) => `接入 ${ticket}`,
  ticket: (ticket) => `工单 ${ticket}`,
  noTicket: "未编号",
  summary: { reason: "原因", customer: "客户", intents: "诉求", filled: "已提供", last: "最后一句" },
  list: "、",
  heldCount: (n, max) => (max ? `${n}/${max}` : String(n)),
  unread: (n) => `${n} 条未读`,
  inCall: "通话中",
  from: { customer: "客户", bot: "智能助手", me: "我", agent: (name) => `客服 ${name}` },
  viaCall: "通话",
  counter: (used, max) => `${used}/${max}`,
  call: {
    states: {
      waiting: "等待接听",
      connecting: "正在接通…",
      joined: "通话中",
      left: "已离开",
      ended: "已结束",
    },
    indicator: (ticket) => `通话中：${ticket}`,
    busyNote: "您正在另一通话中，请先离开该通话。",
    micDenied: "无法使用麦克风，请在浏览器中允许使用麦克风后再试。",
    micMissing: "无法使用麦克风：没有检测到麦克风，请连接后再试。",
    unsupported: "无法使用麦克风：当前浏览器不支持通话（需要麦克风和 AudioWorklet，并通过 HTTPS 打开本页）。",
    audioFailed: "通话音频未能启动，请重试。",
    dropped: "连接中断，通话已断开。",
  },
  announce: {
    queue: (n) => `等待队列中有 ${n} 位客户`,
    waiting: (w) =>
      `新的等待客户：${w.ticket || TEXT.noTicket}，${TEXT.channel[w.channel] || TEXT.channel.chat}${
        w.priority === "urgent" ? "，紧急" : ""
      }`,
    taken: (ticket) => `已接入 ${ticket}`,
    message: (ticket, text) => `${ticket} 客户新消息：${text}`,
    callWaiting: (ticket) => `${ticket} 的来电等待接听`,
  },
  released: {
    left: "客户已离开",
    given_back: "已转回机器人",
    closed: "会话已结束",
    other: "会话已结束",
  },
  releasedNotice: (ticket, how) => `${ticket}：${TEXT.released[how] || TEXT.released.other}`,
  errors: {
    csrf: "登录已失效，请重新登录。",
    taken: "该客户已被其他坐席接入。",
    too_many: (max) => (max ? `已达到同时接待上限（${max} 个会话）。` : "已达到同时接待上限。"),
    not_held: "该会话已不在您的接待中。",
    no_call: "该会话当前没有可接听的通话。",
    assistant_unavailable: "智能助手暂时不可用，请稍后再试。",
    bad_message: "操作未能完成，请检查内容后重试。",
    other: "操作未能完成，请稍后再试。",
  },
  tooLong: (max) => `消息最多 ${max} 个字，请分几次发送。`,
  notLive: "连接中断，暂时无法发送，请稍候重试。",
  noteRequired: "请填写处理结果。",
  noteTooLong: (max) => `处理结果最多 ${max} 个字。`,
  logoutFailed: "退出失败，请稍后重试。",
};

const $ = (id) => document.getElementById(id);
const ui = {
  agentName: $("agent-name"),
  hours: $("hours"),
  available: $("available"),
  availableText: $("available-text"),
  logout: $("logout"),
  callIndicator: $("call-indicator"),
  status: $("status"),
  notice: $("notice"),
  noticeLogin: $("notice-login"),
  noticeClose: $("notice-close"),
  announcer: $("announcer"),
  queue: $("queue"),
  queueTitle: $("queue-title"),
  queueCount: $("queue-count"),
  queueEmpty: $("queue-empty"),
  held: $("held"),
  heldCount: $("held-count"),
  heldEmpty: $("held-empty"),
  conversation: $("conversation"),
  noConversation: $("no-conversation"),
  conversationBody: $("conversation-body"),
  conversationInfo: $("conversation-info"),
  giveBack: $("give-back"),
  closeConversation: $("close-conversation"),
  closeForm: $("close-form"),
  closeNote: $("close-note"),
  closeError: $("close-error"),
  closeCancel: $("close-cancel"),
  summary: $("summary"),
  callBar: $("call-bar"),
  callState: $("call-state"),
  joinCall: $("join-call"),
  leaveCall: $("leave-call"),
  callNote: $("call-note"),
  transcript: $("transcript"),
  composerForm: $("composer-form"),
  composer: $("composer"),
  counter: $("composer-counter"),
};

const state = {
  me: null, // {username, name, role, csrf} from /staff/me
  stopped: false, // signed out, or not allowed: no more reconnecting
  available: true, // what this page wants; sent after every welcome
  welcomed: false,
  maxConversations: 0,
  queue: [], // the latest waiting list, in the server's order
  queueSeen: false, // the first queue after a welcome is announced as a count only
  taking: new Set(), // ids this page asked to take and has not seen held yet
  convs: new Map(), // id → conversation (see conversation())
  heldIds: [], // the held conversations, in the server's order
  tickets: new Map(), // id → ticket, kept after a conversation leaves (for the notices)
  selected: null,
  call: null, // the joined call: {id, audio: CallAudio}
  lastCallActivity: 0,
  lastSay: null, // {id, text}: put back into the composer if the server refuses it
  sent: 0,
  received: 0,
};

const setStatus = statusLine(ui.status, TEXT.status);
const notices = noticeBar({
  notice: ui.notice,
  close: ui.noticeClose,
  ms: NOTICE_MS,
  onShow: ({ login = false }) => {
    ui.noticeLogin.hidden = !login;
    document.body.dataset.notice = "shown";
  },
  onClear: () => {
    ui.noticeLogin.hidden = true;
    delete document.body.dataset.notice;
  },
});
const showNotice = notices.show; // (text, {login, sticky})
const socket = new Socket("/staff/desk/ws", {
  setStatus,
  onEvent: (event) => onEvent(event),
  onAudio: (pcm) => onAudio(pcm),
  onDropped: () => dropped(),
  prepare: () => prepareSocket(),
  onOpen: () => socket.sendJson({ type: "hello", csrf: state.me.csrf }),
  stopped: () => state.stopped,
});
const sendJson = (event) => socket.sendJson(event);

// ------------------------------------------------------------------ helpers

function mmss(since) {
  const start = Number(since);
  const seconds = Number.isFinite(start) && start > 0 ? Math.max(0, Math.floor(Date.now() / 1000 - start)) : 0;
  return `${pad(Math.floor(seconds / 60))}:${pad(seconds % 60)}`;
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function strings(value) {
  return Array.isArray(value) ? value.filter((v) => typeof v === "string" && v) : [];
}

function ticketOf(id) {
  return state.convs.get(id)?.ticket || state.tickets.get(id) || state.queue.find((w) => w.id === id)?.ticket || TEXT.noTicket;
}

function conversation(id) {
  let conv = state.convs.get(id);
  if (!conv) {
    conv = { id, channel: "chat", ticket: "", summary: {}, messages: [], unread: 0, call: null, draft: "", busy: false };
    state.convs.set(id, conv);
  }
  return conv;
}

function selectedConv() {
  return state.selected ? state.convs.get(state.selected) || null : null;
}

function isBusy(button) {
  return button.getAttribute("aria-disabled") === "true";
}

function setBusy(button, busy) {
  if (busy) button.setAttribute("aria-disabled", "true");
  else button.removeAttribute("aria-disabled");
}

// ------------------------------------------------------------------ announcements and title

let announceTimer = 0;
function announce(text) {
  clearTimeout(announceTimer);
  ui.announcer.textContent = "";
  announceTimer = setTimeout(() => {
    ui.announcer.textContent = text;
  }, 50);
}

function updateTitle() {
  const waiting = state.queue.length;
  const unread = state.heldIds.some((id) => state.convs.get(id)?.unread);
  document.title = `${unread ? "● " : ""}${waiting ? `(${waiting}) ` : ""}${TEXT.title}`;
}

// ------------------------------------------------------------------ header

function showAgent() {
  const name = state.me?.name || state.me?.username || "";
  ui.agentName.textContent = name ? TEXT.agent(name) : "";
}

function showAvailable() {
  const on = state.available;
  ui.available.setAttribute("aria-checked", String(on));
  ui.available.dataset.on = String(on);
  ui.availableText.textContent = on ? TEXT.available.on : TEXT.available.off;
  document.body.dataset.available = on ? "on" : "off";
}

function toggleAvailable() {
  state.available = !state.available;
  showAvailable();
  if (socket.live) sendJson({ type: "available", on: state.available });
}

function showHours(hours, open) {
  if (typeof hours !== "string" || !hours) {
    ui.hours.textContent = "";
    return;
  }
  ui.hours.textContent = TEXT.hours(hours, Boolean(open));
  ui.hours.dataset.open = String(Boolean(open));
}

function goToLogin() {
  state.stopped = true;
  location.assign(LOGIN_URL);
}

async function logout() {
  if (ui.logout.disabled) return;
  ui.logout.disabled = true;
  let done = false;
  for (let attempt = 0; attempt < 2 && !done; attempt += 1) {
    try {
      const answer = await fetch("/staff/logout", {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRF-Token": state.me?.csrf || "", Accept: "application/json" },
      });
      if (answer.ok || answer.status === 401) done = true;
      else if (answer.status === 403 && attempt === 0) await loadMe(); // a stale token: fetch the current one
    } catch {
      break;
    }
  }
  if (!done) {
    ui.logout.disabled = false;
    showNotice(TEXT.logoutFailed);
    return;
  }
  state.stopped = true;
  if (state.call) release(state.call);
  socket.close();
  location.assign("/staff/login");
}

// ------------------------------------------------------------------ queue

function summaryList(summary, className) {
  const s = summary && typeof summary === "object" ? summary : {};
  const rows = [
    ["reason", typeof s.reason === "string" ? s.reason : ""],
    ["customer", typeof s.customer === "string" ? s.customer : ""],
    ["intents", strings(s.intents).join(TEXT.list)],
    ["filled", strings(s.filled).join(TEXT.list)],
    ["last", typeof s.last === "string" && s.last ? `“${s.last}”` : ""],
  ];
  const dl = el("dl", className);
  for (const [key, value] of rows) {
    if (!value) continue;
    const row = el("div", "summary-row");
    row.dataset.field = key;
    row.append(el("dt", "", TEXT.summary[key]), el("dd", "", value));
    dl.append(row);
  }
  return dl;
}

function badges(item) {
  const box = el("span", "badges");
  const channel = item.channel === "call" ? "call" : "chat";
  const badge = el("span", `badge badge-${channel}`, TEXT.channel[channel]);
  badge.dataset.channel = channel;
  box.append(badge);
  if (item.priority === "urgent") box.append(el("span", "badge badge-urgent", TEXT.urgent));
  return box;
}

function queueItem(item) {
  const li = el("li", "queue-item");
  li.dataset.id = item.id;
  li.dataset.channel = item.channel === "call" ? "call" : "chat";
  li.dataset.priority = item.priority === "urgent" ? "urgent" : "normal";
  li.dataset.since = String(item.since ?? "");

  const head = el("div", "queue-head");
  head.append(el("span", "ticket", item.ticket || TEXT.noTicket), badges(item));
  const wait = el("span", "wait");
  wait.append(el("span", "wait-label", TEXT.waited), " ");
  const time = el("span", "wait-time", mmss(item.since));
  time.setAttribute("role", "timer");
  time.setAttribute("aria-live", "off");
  wait.append(time);
  head.append(wait);

  const take = el("button", "take", state.taking.has(item.id) ? TEXT.taking : TEXT.take);
  take.type = "button";
  take.setAttribute("aria-label", TEXT.takeLabel(item.ticket || TEXT.noTicket));
  setBusy(take, state.taking.has(item.id));
  take.addEventListener("click", () => takeCustomer(item.id, take));

  li.append(head, summaryList(item.summary, "summary summary-compact"), take);
  li.signature = JSON.stringify(item) + state.taking.has(item.id);
  return li;
}

function renderQueue() {
  const active = document.activeElement;
  const focusedLi = ui.queue.contains(active) ? active.closest("li[data-id]") : null;
  const focusedId = focusedLi?.dataset.id;
  const focusedIndex = focusedLi ? [...ui.queue.children].indexOf(focusedLi) : -1;
  const existing = new Map([...ui.queue.children].map((li) => [li.dataset.id, li]));
  const items = state.queue.map((item) => {
    const old = existing.get(item.id);
    const signature = JSON.stringify(item) + state.taking.has(item.id);
    return old && old.signature === signature ? old : queueItem(item);
  });
  const unchanged = items.length === ui.queue.children.length && items.every((li, i) => ui.queue.children[i] === li);
  if (!unchanged) ui.queue.replaceChildren(...items);

  const count = state.queue.length;
  ui.queueCount.textContent = String(count);
  ui.queueEmpty.hidden = count > 0;
  ui.queue.hidden = count === 0;
  document.body.dataset.queue = String(count);
  updateTitle();

  // Focus stays on the same customer's button, or moves to the next one when that customer left.
  if (focusedLi && !ui.queue.contains(document.activeElement) && !state.taking.has(focusedId)) {
    const same = items.find((li) => li.dataset.id === focusedId);
    const next = same || items[Math.min(focusedIndex, items.length - 1)];
    (next?.querySelector("button.take") || ui.queueTitle).focus();
  }
}

function onQueue(list) {
  const items = (Array.isArray(list) ? list : []).filter((w) => w && typeof w.id === "string" && w.id);
  const before = new Set(state.queue.map((w) => w.id));
  state.queue = items;
  for (const w of items) if (w.ticket) state.tickets.set(w.id, w.ticket);
  renderQueue();
  if (!state.queueSeen) {
    state.queueSeen = true;
    if (items.length) announce(TEXT.announce.queue(items.length));
    return;
  }
  const fresh = items.filter((w) => !before.has(w.id));
  if (fresh.length) announce(fresh.map(TEXT.announce.waiting).join("；"));
}

function takeCustomer(id, button) {
  if (isBusy(button)) return;
  if (!socket.live || !sendJson({ type: "take", id })) {
    showNotice(TEXT.notLive);
    return;
  }
  state.taking.add(id);
  button.textContent = TEXT.taking;
  setBusy(button, true);
}

function tick() {
  for (const li of ui.queue.children) {
    const time = li.querySelector(".wait-time");
    if (time) time.textContent = mmss(li.dataset.since);
  }
}

// ------------------------------------------------------------------ held conversations

function onHeld(list) {
  const items = (Array.isArray(list) ? list : []).filter((c) => c && typeof c.id === "string" && c.id);
  const ids = items.map((c) => c.id);
  for (const item of items) {
    const conv = conversation(item.id);
    conv.channel = item.channel === "call" ? "call" : "chat";
    if (typeof item.ticket === "string") conv.ticket = item.ticket;
    if (item.summary && typeof item.summary === "object") conv.summary = item.summary;
    if (typeof item.call === "string") conv.call = item.call;
    if (conv.ticket) state.tickets.set(conv.id, conv.ticket);
  }
  for (const id of state.heldIds) if (!ids.includes(id)) dropConversation(id);
  state.heldIds = ids;

  const taken = ids.find((id) => state.taking.has(id));
  for (const id of ids) state.taking.delete(id);
  if (taken) {
    select(taken);
    announce(TEXT.announce.taken(ticketOf(taken)));
    ui.composer.focus();
  } else if (!state.selected || !ids.includes(state.selected)) {
    select(ids[0] ?? null);
  } else {
    renderConversation(false);
  }
  renderHeld();
}

function renderHeld() {
  const focusedId = ui.held.contains(document.activeElement)
    ? document.activeElement.closest("li[data-id]")?.dataset.id
    : null;
  const items = state.heldIds.map((id) => {
    const conv = state.convs.get(id);
    const li = el("li", "held-item");
    li.dataset.id = id;
    li.dataset.channel = conv.channel;
    if (conv.call) li.dataset.call = conv.call;
    const button = el("button", "held-select");
    button.type = "button";
    if (id === state.selected) button.setAttribute("aria-current", "true");
    const top = el("span", "held-top");
    top.append(el("span", "ticket", conv.ticket || TEXT.noTicket), badges(conv));
    if (state.call?.id === id || conv.call === "joined") top.append(el("span", "badge badge-live", TEXT.inCall));
    if (conv.unread) {
      const unread = el("span", "unread", String(conv.unread));
      unread.setAttribute("aria-label", TEXT.unread(conv.unread));
      top.append(unread);
      li.dataset.unread = String(conv.unread);
    }
    const who = typeof conv.summary?.customer === "string" ? conv.summary.customer : "";
    button.append(top);
    if (who) button.append(el("span", "held-customer", who));
    button.addEventListener("click", () => select(id));
    li.append(button);
    return li;
  });
  ui.held.replaceChildren(...items);
  ui.heldCount.textContent = TEXT.heldCount(state.heldIds.length, state.maxConversations);
  ui.heldEmpty.hidden = state.heldIds.length > 0;
  ui.held.hidden = state.heldIds.length === 0;
  if (focusedId) ui.held.querySelector(`li[data-id="${CSS.escape(focusedId)}"] button`)?.focus();
  renderCallIndicator();
  updateTitle();
}

function dropConversation(id) {
  const conv = state.convs.get(id);
  if (conv?.ticket) state.tickets.set(id, conv.ticket);
  if (state.call?.id === id) release(state.call);
  state.convs.delete(id);
  state.heldIds = state.heldIds.filter((other) => other !== id);
  state.taking.delete(id);
  if (state.selected === id) {
    const focusWasInside = ui.conversation.contains(document.activeElement);
    select(state.heldIds[0] ?? null);
    if (focusWasInside) {
      (state.selected ? ui.composer : ui.held.querySelector("button") || ui.queueTitle).focus();
    }
  }
}

function onReleased(event) {
  if (typeof event.id !== "string") return;
  const ticket = ticketOf(event.id);
  dropConversation(event.id); // often gone already: "held" without it may come first
  renderHeld();
  showNotice(TEXT.releasedNotice(ticket, event.how));
}

// ------------------------------------------------------------------ the selected conversation

function select(id) {
  const previous = selectedConv();
  if (previous) previous.draft = ui.composer.value;
  if (state.selected !== id) hideCloseForm(false);
  state.selected = id && state.convs.has(id) ? id : null;
  const conv = selectedConv();
  if (conv) conv.unread = 0;
  ui.composer.value = conv ? conv.draft : "";
  updateCounter();
  renderConversation(true);
  renderHeld();
}

function renderConversation(full) {
  const conv = selectedConv();
  ui.noConversation.hidden = conv !== null;
  ui.conversationBody.hidden = conv === null;
  ui.conversation.dataset.id = conv ? conv.id : "";
  if (!conv) {
    ui.transcript.replaceChildren();
    return;
  }
  ui.conversationInfo.replaceChildren(el("span", "ticket", conv.ticket || TEXT.noTicket), badges(conv));
  const summary = summaryList(conv.summary, "summary");
  summary.id = "summary";
  ui.summary.replaceWith(summary);
  ui.summary = summary;
  setBusy(ui.giveBack, conv.busy);
  setBusy(ui.closeConversation, conv.busy);
  renderCall();
  if (full) renderTranscript(conv);
}

function messageElement(m) {
  const node = el("div", `msg msg-${m.from}`);
  node.dataset.from = m.from;
  node.dataset.via = m.via;
  if (m.via === "call") node.classList.add("via-call");
  const meta = el("div", "msg-meta");
  meta.append(el("span", "msg-who", whoSaid(m)));
  if (m.via === "call") {
    const via = el("span", "msg-via");
    via.append(phoneIcon(), TEXT.viaCall);
    meta.append(via);
  }
  const time = el("time", "msg-time");
  const when = clockTime(m.ts);
  time.textContent = when.text;
  time.dateTime = when.iso;
  meta.append(time);
  node.append(meta, el("div", "msg-text", m.text));
  return node;
}

const PHONE_PATH =
  "M6.6 10.8a15.1 15.1 0 0 0 6.6 6.6l2.2-2.2c.3-.3.7-.4 1-.2 1.1.4 2.3.6 3.6.6.6 0 1 .4 1 1V20c0 .6-.4 1-1 1C10.6 21 3 13.4 3 4c0-.6.4-1 1-1h3.5c.6 0 1 .4 1 1 0 1.3.2 2.5.6 3.6.1.3 0 .7-.2 1l-2.3 2.2Z";

function phoneIcon() {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("width", "12");
  svg.setAttribute("height", "12");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  const path = document.createElementNS(ns, "path");
  path.setAttribute("fill", "currentColor");
  path.setAttribute("d", PHONE_PATH);
  svg.append(path);
  return svg;
}

function whoSaid(m) {
  if (m.from === "customer") return TEXT.from.customer;
  if (m.from === "bot") return TEXT.from.bot;
  const mine = !m.agent || m.agent === state.me?.name || m.agent === state.me?.username;
  return mine ? TEXT.from.me : TEXT.from.agent(m.agent);
}

function normalize(m) {
  const from = m.from === "customer" || m.from === "agent" ? m.from : "bot";
  return {
    from,
    text: String(m.text ?? ""),
    ts: m.ts,
    via: m.via === "call" ? "call" : "chat",
    agent: typeof m.agent === "string" ? m.agent : "",
  };
}

function renderTranscript(conv) {
  // Busy while the whole conversation is put back, so that screen readers do not read it all.
  ui.transcript.setAttribute("aria-busy", "true");
  const fragment = document.createDocumentFragment();
  for (const m of conv.messages) fragment.append(messageElement(m));
  ui.transcript.replaceChildren(fragment);
  ui.transcript.scrollTop = ui.transcript.scrollHeight;
  requestAnimationFrame(() => ui.transcript.removeAttribute("aria-busy"));
}

function appendToTranscript(m) {
  const stick = nearBottom(ui.transcript) || m.from === "agent";
  ui.transcript.append(messageElement(m));
  if (stick) scrollToEnd(ui.transcript);
}

function onHistory(event) {
  if (typeof event.id !== "string") return;
  const conv = conversation(event.id);
  conv.messages = (Array.isArray(event.messages) ? event.messages : []).filter((m) => m && typeof m === "object").map(normalize);
  conv.unread = 0;
  if (state.selected === conv.id) renderTranscript(conv);
  else if (!state.selected && state.heldIds.includes(conv.id)) select(conv.id);
  renderHeld();
}

function onMessage(event) {
  if (typeof event.id !== "string") return;
  const conv = conversation(event.id);
  const m = normalize(event);
  conv.messages.push(m);
  if (state.selected === conv.id) {
    appendToTranscript(m);
    if (m.from === "agent" && state.lastSay?.id === conv.id) state.lastSay = null;
    return;
  }
  if (m.from !== "agent") conv.unread += 1;
  if (m.from === "customer") announce(TEXT.announce.message(ticketOf(conv.id), m.text));
  if (state.heldIds.includes(conv.id)) renderHeld();
}

// ------------------------------------------------------------------ composer and actions

function updateCounter() {
  const used = length(ui.composer.value.trim());
  ui.counter.textContent = TEXT.counter(used, MAX_TEXT);
  ui.counter.classList.toggle("over", used > MAX_TEXT);
  ui.composer.setAttribute("aria-invalid", String(used > MAX_TEXT));
}

function submitSay() {
  const conv = selectedConv();
  const text = ui.composer.value.trim();
  if (!conv || !text) return;
  if (length(text) > MAX_TEXT) {
    showNotice(TEXT.tooLong(MAX_TEXT));
    return;
  }
  if (!socket.live || !sendJson({ type: "say", id: conv.id, text })) {
    showNotice(TEXT.notLive);
    return;
  }
  state.lastSay = { id: conv.id, text };
  ui.composer.value = "";
  conv.draft = "";
  updateCounter();
  ui.composer.focus();
}

function giveBack() {
  const conv = selectedConv();
  if (!conv || isBusy(ui.giveBack)) return;
  if (!socket.live || !sendJson({ type: "give_back", id: conv.id })) {
    showNotice(TEXT.notLive);
    return;
  }
  hideCloseForm(false);
  conv.busy = true;
  renderConversation(false);
}

function showCloseForm() {
  const conv = selectedConv();
  if (!conv || isBusy(ui.closeConversation)) return;
  ui.closeForm.hidden = false;
  ui.closeConversation.setAttribute("aria-expanded", "true");
  setCloseError("");
  ui.closeNote.focus();
}

function hideCloseForm(refocus) {
  ui.closeForm.hidden = true;
  ui.closeConversation.setAttribute("aria-expanded", "false");
  ui.closeNote.value = "";
  setCloseError("");
  if (refocus) ui.closeConversation.focus();
}

function setCloseError(text) {
  ui.closeError.textContent = text;
  ui.closeNote.setAttribute("aria-invalid", String(Boolean(text)));
}

function confirmClose() {
  const conv = selectedConv();
  if (!conv) return;
  const note = ui.closeNote.value.trim();
  if (!note) {
    setCloseError(TEXT.noteRequired);
    ui.closeNote.focus();
    return;
  }
  if (length(note) > MAX_TEXT) {
    setCloseError(TEXT.noteTooLong(MAX_TEXT));
    ui.closeNote.focus();
    return;
  }
  if (!socket.live || !sendJson({ type: "close", id: conv.id, note })) {
    setCloseError(TEXT.notLive);
    return;
  }
  conv.busy = true;
  hideCloseForm(false);
  renderConversation(false);
  ui.closeConversation.focus();
}

// ------------------------------------------------------------------ calls

function callStateOf(conv) {
  if (state.call?.id === conv.id && conv.call !== "joined") return "connecting";
  return conv.call || (conv.channel === "call" ? "waiting" : "");
}

function renderCall() {
  const conv = selectedConv();
  if (!conv) return;
  const focused = document.activeElement;
  const shown = callStateOf(conv);
  ui.callBar.hidden = !shown;
  ui.callBar.dataset.state = shown;
  ui.callState.textContent = shown ? TEXT.call.states[shown] : "";
  const mine = state.call?.id === conv.id;
  const joinable = shown === "waiting" || shown === "left";
  ui.joinCall.hidden = mine || !joinable;
  ui.leaveCall.hidden = !(mine || conv.call === "joined");
  const elsewhere = state.call !== null && !mine;
  ui.joinCall.disabled = !socket.live || elsewhere;
  ui.callNote.textContent = elsewhere && joinable ? TEXT.call.busyNote : "";
  // The button that had the focus went away: the other one takes it, or the composer.
  if ((focused === ui.joinCall || focused === ui.leaveCall) && (focused.hidden || focused.disabled)) {
    const other = focused === ui.joinCall ? ui.leaveCall : ui.joinCall;
    (other.hidden || other.disabled ? ui.composer : other).focus();
  }
}

function renderCallIndicator() {
  const call = state.call;
  ui.callIndicator.hidden = !call;
  ui.callIndicator.textContent = call ? TEXT.call.indicator(ticketOf(call.id)) : "";
  document.body.dataset.call = !call ? "idle" : state.convs.get(call.id)?.call === "joined" ? "joined" : "connecting";
}

function refreshCall() {
  renderCall();
  renderHeld();
}

async function joinCall() {
  const conv = selectedConv();
  if (!conv || !socket.live) return;
  if (state.call) {
    if (state.call.id !== conv.id) showNotice(TEXT.call.busyNote);
    return;
  }
  if (!callAudioSupported()) {
    showNotice(TEXT.call.unsupported);
    return;
  }
  const call = { id: conv.id, audio: new CallAudio() };
  state.call = call;
  refreshCall();
  ui.leaveCall.focus();
  call.audio.startContext();
  try {
    await call.audio.openMicrophone();
  } catch (err) {
    if (state.call === call) abandon(call, TEXT.call[microphoneProblem(err)]);
    return;
  }
  if (state.call !== call) {
    release(call);
    return;
  }
  if (!sendJson({ type: "join_call", id: call.id })) {
    abandon(call, TEXT.notLive);
    return;
  }
  try {
    await call.audio.connect(
      () => state.call === call,
      (pcm) => {
        // Frames go out once the server has put the agent on the call.
        if (state.call === call && state.convs.get(call.id)?.call === "joined" && socket.sendAudio(pcm)) {
          state.sent += 1;
          document.body.dataset.audioSent = String(state.sent);
        }
      }
    );
  } catch (err) {
    console.error("desk call audio:", err);
    if (state.call === call) {
      sendJson({ type: "leave_call", id: call.id });
      abandon(call, TEXT.call.audioFailed);
    }
  }
}

function release(call, drainMs = 0) {
  call.audio.close(drainMs);
  if (state.call === call) state.call = null;
  state.lastCallActivity = Date.now();
  refreshCall();
}

// This page gives up its call before it got going (no microphone, no audio).
function abandon(call, message) {
  release(call);
  if (!ui.joinCall.hidden && !ui.joinCall.disabled) ui.joinCall.focus();
  showNotice(message);
}

function leaveCall() {
  const conv = selectedConv();
  const call = state.call;
  const id = call?.id || (conv?.call === "joined" ? conv.id : null);
  if (!id) return;
  sendJson({ type: "leave_call", id });
  if (call) release(call);
}

function onCall(event) {
  if (typeof event.id !== "string" || typeof event.state !== "string") return;
  const conv = conversation(event.id);
  const before = conv.call;
  conv.call = event.state;
  const call = state.call?.id === event.id ? state.call : null;
  if (call && (event.state === "left" || event.state === "ended")) release(call, DRAIN_MS);
  if (event.state === "waiting" && before !== "waiting") announce(TEXT.announce.callWaiting(ticketOf(event.id)));
  if (state.selected === event.id) renderCall();
  renderHeld();
}

function onAudio(pcm) {
  state.received += 1;
  document.body.dataset.audioReceived = String(state.received);
  state.call?.audio.play(pcm);
}

// ------------------------------------------------------------------ server events

function onWelcome(event) {
  socket.greeted(); // live
  state.queueSeen = false;
  const agent = event.agent && typeof event.agent === "object" ? event.agent : {};
  if (state.me && typeof agent.name === "string" && agent.name) state.me.name = agent.name;
  showAgent();
  const max = Number(event.max_conversations);
  state.maxConversations = Number.isInteger(max) && max > 0 ? max : 0;
  showHours(event.hours, event.open);
  if (typeof event.available === "boolean" && !state.welcomed) state.available = event.available;
  state.welcomed = true;
  showAvailable();
  sendJson({ type: "available", on: state.available });
  for (const conv of state.convs.values()) conv.busy = false;
  renderHeld();
  renderConversation(false);
}

function onError(event) {
  const code = typeof event.code === "string" ? event.code : "";
  const id = typeof event.id === "string" ? event.id : null;
  if (id) {
    state.taking.delete(id);
    const conv = state.convs.get(id);
    if (conv) conv.busy = false;
  }
  if (code === "csrf") {
    state.stopped = true;
    setStatus("signedOut");
    showNotice(TEXT.errors.csrf, { login: true, sticky: true });
    socket.close();
    return;
  }
  if (code === "bad_message" && !id && (state.call || Date.now() - state.lastCallActivity < STRAY_ERRORS_MS)) return;
  if (code === "bad_message" && id && state.lastSay?.id === id) {
    if (state.selected === id && !ui.composer.value) {
      ui.composer.value = state.lastSay.text;
      updateCounter();
    }
    state.lastSay = null;
  }
  if (code === "no_call" && id && state.call?.id === id) release(state.call);
  if (code === "not_held" && id && state.heldIds.includes(id)) {
    dropConversation(id);
  }
  const text = code === "too_many" ? TEXT.errors.too_many(state.maxConversations) : TEXT.errors[code] || TEXT.errors.other;
  showNotice(text);
  renderQueue();
  renderHeld();
  renderConversation(false);
  // A refused take whose customer already left the queue: the focus went with its button.
  if ((code === "taken" || code === "too_many") && (!document.activeElement || document.activeElement === document.body)) {
    (ui.queue.querySelector("button.take") || ui.queueTitle).focus();
  }
}

function onEvent(event) {
  switch (event.type) {
    case "welcome":
      onWelcome(event);
      break;
    case "queue":
      onQueue(event.waiting);
      break;
    case "held":
      onHeld(event.conversations);
      break;
    case "history":
      onHistory(event);
      break;
    case "message":
      onMessage(event);
      break;
    case "call":
      onCall(event);
      break;
    case "released":
      onReleased(event);
      break;
    case "available":
      if (typeof event.on === "boolean") {
        state.available = event.on;
        showAvailable();
      }
      break;
    case "error":
      onError(event);
      break;
  }
}

// ------------------------------------------------------------------ connection

// "ok", "signed_out", "forbidden" or "unreachable".
async function loadMe() {
  let answer;
  try {
    answer = await fetch("/staff/me", { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } });
  } catch {
    return "unreachable";
  }
  if (answer.status === 401) return "signed_out";
  if (answer.status === 403) return "forbidden";
  if (!answer.ok) return "unreachable";
  let me;
  try {
    me = await answer.json();
  } catch {
    return "unreachable";
  }
  if (!me || typeof me.csrf !== "string" || typeof me.username !== "string") return "unreachable";
  if (!DESK_ROLES.includes(me.role)) return "forbidden";
  state.me = { username: me.username, name: typeof me.name === "string" ? me.name : "", role: me.role, csrf: me.csrf };
  showAgent();
  return "ok";
}

// Before each opening of the socket ("open", "later" or "never": see socket.js).
async function prepareSocket() {
  // The session may have ended, or its token changed, while the socket was down.
  const me = await loadMe();
  if (me === "signed_out") {
    goToLogin();
    return "never";
  }
  if (me === "forbidden") {
    state.stopped = true;
    setStatus("forbidden");
    return "never";
  }
  return state.me ? "open" : "later";
}

// The socket closed (socket.js opens a new one unless stopped).
function dropped() {
  state.taking.clear();
  if (state.call) {
    release(state.call);
    showNotice(TEXT.call.dropped);
  }
  renderQueue();
  renderConversation(false);
}

// ------------------------------------------------------------------ start

function start() {
  document.title = TEXT.title;
  ui.noticeLogin.href = LOGIN_URL;
  showAvailable();
  updateCounter();
  renderQueue();
  renderHeld();
  renderConversation(false);

  ui.available.addEventListener("click", toggleAvailable);
  ui.logout.addEventListener("click", logout);
  ui.callIndicator.addEventListener("click", () => {
    if (state.call) {
      select(state.call.id);
      ui.leaveCall.focus();
    }
  });
  ui.noticeClose.addEventListener("click", notices.clear);

  sendsOnEnter(ui.composerForm, ui.composer, submitSay);
  ui.composer.addEventListener("input", () => {
    updateCounter();
    const conv = selectedConv();
    if (conv) conv.draft = ui.composer.value;
  });

  ui.giveBack.addEventListener("click", giveBack);
  ui.closeConversation.addEventListener("click", () => (ui.closeForm.hidden ? showCloseForm() : hideCloseForm(true)));
  ui.closeForm.addEventListener("submit", (e) => {
    e.preventDefault();
    confirmClose();
  });
  ui.closeCancel.addEventListener("click", () => hideCloseForm(true));
  ui.closeForm.addEventListener("keydown", (e) => {
    if (e.key === "Escape") {
      e.preventDefault();
      hideCloseForm(true);
    }
  });
  ui.closeNote.addEventListener("input", () => {
    if (ui.closeError.textContent && ui.closeNote.value.trim()) setCloseError("");
  });

  ui.joinCall.addEventListener("click", joinCall);
  ui.leaveCall.addEventListener("click", leaveCall);

  setInterval(tick, 1000);
  socket.start();
}

start();
