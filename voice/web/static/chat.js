// The chat page: one websocket to the server (protocol: voice/web/protocol.py), the message
// list, the composer and an outbox that keeps every message until the server acknowledges it.
import { createCall } from "./call.js";
import { clockTime, length, nearBottom, noticeBar, scrollToEnd, sendsOnEnter, statusLine } from "./page.js";
import { Socket } from "./socket.js";

export const TEXT = {
  title: "智能客服",
  subtitle: "白条 · 金条 · 信用卡 · 转账",
  logLabel: "对话记录",
  customerSaid: "您：",
  botSaid: "客服：",
  agentSaid: (name) => `人工客服${name}：`,
  agentName: (name) => `人工客服 ${name}`,
  viaCall: "语音",
  pending: "发送中",
  failed: "未发送",
  typing: "客服正在输入…",
  quickReplies: "快捷回复",
  inputLabel: "输入消息",
  inputPlaceholder: "请输入您的问题",
  send: "发送",
  counter: (used, max) => `${used}/${max} 字`,
  closeNotice: "关闭提示",
  status: {
    connecting: "正在连接…",
    open: "已连接",
    reconnecting: "连接已断开，正在重新连接…",
    offline: "网络已断开，网络恢复后将自动重新连接。",
    stuck: "仍在尝试重新连接。如长时间无法连接，请刷新页面。",
  },
  errors: {
    too_long: (max) => `消息最多${max}个字，请分几次发送。`,
    rate_limited: (seconds) =>
      seconds ? `您发送得有点快，请稍等${seconds}秒，消息将自动重新发送。` : "您发送得有点快，请稍等片刻再试。",
    bad_message: "消息未能发送，请修改后重试。",
    stale_button: "这个选项已失效，请直接输入您的问题。",
    assistant_unavailable: "系统繁忙，请稍后再试。",
    call_unavailable: "语音通话暂不可用，请稍后再试，或直接输入文字咨询。",
    call_busy: "已有一通语音通话正在进行，请先挂断后再试。",
    other: "操作未能完成，请稍后再试。",
  },
  call: {
    title: "语音通话",
    button: "语音通话",
    hangup: "挂断",
    keypad: "拨号键盘",
    key: (k) => (k === "*" ? "星号键" : k === "#" ? "井号键" : `数字键 ${k}`),
    heard: "正在识别：",
    states: {
      connecting: "正在接通…",
      started: "已接通",
      listening: "正在聆听，请讲",
      thinking: "正在处理，请稍候…",
      speaking: "客服正在讲话",
      agent: "人工客服已接入通话",
    },
    ended: {
      caller_hung_up: "通话已结束。",
      agent_closed: "人工客服已结束通话。",
      goodbye: "通话已结束，感谢您的来电。",
      no_input: "长时间没有听到您的声音，通话已结束。",
      max_call_length: "通话时长已达上限，通话已结束。",
      assistant_unavailable: "系统繁忙，通话已结束，请稍后再试。",
      error: "通话出现问题，已结束，请稍后再试。",
      other: "通话已结束。",
    },
    unavailable: {
      no_speech_model: "语音通话暂不可用：服务器未安装中文语音识别模型。",
      no_voice: "语音通话暂不可用：服务器未安装语音合成。",
      other: "语音通话暂不可用，请稍后再试。",
    },
    unsupported: "当前浏览器不支持语音通话（需要麦克风和 AudioWorklet，并通过 HTTPS 打开本页），请使用最新版浏览器。",
    elsewhere: "另一个页面正在语音通话中。",
    micDenied: "无法使用麦克风，请允许浏览器使用麦克风后再试。",
    micMissing: "没有检测到麦克风，请连接麦克风后再试。",
    audioFailed: "语音通话未能启动，请稍后再试。",
    dropped: "网络连接中断，通话已结束。",
  },
};

const OUTBOX_KEY = "chat-outbox";
const ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
const DEFAULT_MAX_TEXT = 500;
const COUNTER_FROM = 0.9; // the counter shows from 90 % of max_text
const NOTICE_MS = 12000;
const URL_RE = /https?:\/\/[^\s<>"'\u3000-\u303f\uff00-\uffef]+/g; // stops at CJK punctuation
const TRAILING_PUNCT = /[.,;:!?'")\]}]+$/;

const $ = (id) => document.getElementById(id);
const ui = {
  messages: $("messages"),
  typing: $("typing"),
  composer: $("composer"),
  input: $("input"),
  counter: $("counter"),
  status: $("status"),
  notice: $("notice"),
  noticeClose: $("notice-close"),
};

const state = {
  holdTimer: 0, // while set, new messages wait in the outbox (the server asked to slow down)
  maxText: DEFAULT_MAX_TEXT,
  outbox: loadOutbox(), // [{type, id, text | payload+title, shown, ts}], oldest first
  customerBubbles: new Map(), // customer message id → its element
};

const setStatus = statusLine(ui.status, TEXT.status);
const notices = noticeBar({ notice: ui.notice, close: ui.noticeClose, ms: NOTICE_MS });
const showNotice = notices.show;
const socket = new Socket("/ws", {
  setStatus,
  onEvent: (event) => onEvent(event),
  onAudio: (pcm) => call.audio(pcm),
  onDropped: () => dropped(),
});
const sendJson = (event) => socket.sendJson(event);

const call = createCall({
  TEXT,
  sendJson,
  sendAudio: (pcm) => socket.sendAudio(pcm),
  isLive: () => socket.live,
  notice: (text) => showNotice(text),
});

// ------------------------------------------------------------------ wording

function lookup(path) {
  return path.split(".").reduce((node, key) => (node == null ? node : node[key]), TEXT);
}

function applyText() {
  document.title = TEXT.title;
  for (const el of document.querySelectorAll("[data-t]")) el.textContent = lookup(el.dataset.t);
  for (const el of document.querySelectorAll("[data-t-label]")) el.setAttribute("aria-label", lookup(el.dataset.tLabel));
  for (const el of document.querySelectorAll("[data-t-placeholder]")) el.placeholder = lookup(el.dataset.tPlaceholder);
}

// ------------------------------------------------------------------ outbox

function newId() {
  const bytes = crypto.getRandomValues(new Uint8Array(22));
  return Array.from(bytes, (b) => ID_ALPHABET[b & 63]).join("");
}

function loadOutbox() {
  try {
    const saved = JSON.parse(sessionStorage.getItem(OUTBOX_KEY) || "[]");
    return Array.isArray(saved) ? saved.filter((m) => m && typeof m.id === "string") : [];
  } catch {
    return [];
  }
}

function saveOutbox() {
  try {
    if (state.outbox.length) sessionStorage.setItem(OUTBOX_KEY, JSON.stringify(state.outbox));
    else sessionStorage.removeItem(OUTBOX_KEY);
  } catch {
    // storage full or disabled: the outbox still lives for this page
  }
}

function takeFromOutbox(id) {
  const entry = state.outbox.find((m) => m.id === id);
  if (entry) {
    state.outbox = state.outbox.filter((m) => m !== entry);
    saveOutbox();
  }
  return entry;
}

function wire(entry) {
  return entry.type === "button"
    ? { type: "button", id: entry.id, payload: entry.payload, title: entry.title }
    : { type: "message", id: entry.id, text: entry.text };
}

function queue(entry) {
  state.outbox.push(entry);
  saveOutbox();
  appendMessage({ from: "customer", text: entry.shown, ts: entry.ts, id: entry.id, via: "chat" }, "pending");
  if (socket.live && !state.holdTimer) sendJson(wire(entry));
}

// Told to slow down: send nothing for a while, then everything still unacknowledged, in order
// (the server acknowledges again, without answering again, what it already took).
function holdOutbox(ms) {
  clearTimeout(state.holdTimer);
  state.holdTimer = setTimeout(() => {
    state.holdTimer = 0;
    if (socket.live) for (const entry of state.outbox) sendJson(wire(entry));
  }, ms);
}

// ------------------------------------------------------------------ messages

function setTime(el, ts) {
  const when = clockTime(ts);
  const time = el.querySelector(".msg-time");
  time.dateTime = when.iso;
  time.textContent = when.text;
}

// Text with its http(s) URLs as links; newlines stay as they are (the CSS keeps them as breaks).
function fillText(node, text, withLinks) {
  node.replaceChildren();
  if (!withLinks) {
    node.textContent = text;
    return;
  }
  let last = 0;
  for (const match of text.matchAll(URL_RE)) {
    const raw = match[0].replace(TRAILING_PUNCT, "");
    let url = null;
    try {
      url = new URL(raw);
    } catch {
      continue;
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") continue;
    node.append(text.slice(last, match.index));
    const a = document.createElement("a");
    a.href = url.href;
    a.textContent = raw;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    node.append(a);
    last = match.index + raw.length;
  }
  node.append(text.slice(last));
}

function setDelivery(el, delivery) {
  el.classList.toggle("pending", delivery === "pending");
  el.classList.toggle("failed", delivery === "failed");
  const label = el.querySelector(".msg-state");
  if (label) label.textContent = delivery === "pending" ? TEXT.pending : delivery === "failed" ? TEXT.failed : "";
}

function renderMessage(m, delivery = "sent") {
  const fromAgent = m.from === "agent";
  const fromBot = m.from === "bot" || fromAgent; // both speak for the bank, on the left
  const el = document.createElement("div");
  el.className = `msg ${fromBot ? "msg-bot" : "msg-customer"}`;
  if (fromAgent) el.classList.add("msg-agent");
  if (m.via === "call") el.classList.add("via-call");

  const bubble = document.createElement("div");
  bubble.className = "msg-bubble";
  const who = document.createElement("span");
  who.className = "visually-hidden";
  const agentName = String(m.agent ?? "");
  who.textContent = fromAgent ? TEXT.agentSaid(agentName) : fromBot ? TEXT.botSaid : TEXT.customerSaid;
  const text = document.createElement("div");
  text.className = "msg-text";
  fillText(text, String(m.text ?? ""), fromBot);
  bubble.append(who, text);
  if (fromAgent) {
    const name = document.createElement("div");
    name.className = "msg-name";
    name.setAttribute("aria-hidden", "true");
    name.textContent = TEXT.agentName(agentName);
    el.append(name);
  }

  const meta = document.createElement("div");
  meta.className = "msg-meta";
  if (m.via === "call") {
    const via = document.createElement("span");
    via.className = "msg-via";
    via.textContent = TEXT.viaCall;
    meta.append(via);
  }
  meta.append(document.createElement("time"));
  meta.lastChild.className = "msg-time";
  if (!fromBot) {
    const status = document.createElement("span");
    status.className = "msg-state";
    meta.append(status);
  }
  el.append(bubble, meta);
  setTime(el, m.ts);

  if (!fromBot && typeof m.id === "string" && m.id) {
    el.dataset.id = m.id;
    state.customerBubbles.set(m.id, el);
  }
  setDelivery(el, delivery);
  return el;
}

function appendMessage(m, delivery = "sent") {
  const stick = nearBottom(ui.messages) || m.from === "customer";
  const el = renderMessage(m, delivery);
  ui.messages.append(el);
  if (m.from === "bot") showQuickReplies(el, m.buttons);
  if (stick) scrollToEnd(ui.messages);
  return el;
}

function showQuickReplies(botMessage, buttons) {
  for (const old of ui.messages.querySelectorAll(".quick-replies")) old.remove();
  const offered = (Array.isArray(buttons) ? buttons : []).filter((b) => b && typeof b.payload === "string" && b.payload);
  if (!botMessage || !offered.length) return;
  const group = document.createElement("div");
  group.className = "quick-replies";
  group.setAttribute("role", "group");
  group.setAttribute("aria-label", TEXT.quickReplies);
  for (const b of offered) {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = b.title || b.payload;
    button.dataset.payload = b.payload;
    button.addEventListener("click", () => {
      for (const other of group.querySelectorAll("button")) other.disabled = true;
      button.classList.add("chosen");
      const title = b.title || b.payload;
      queue({ type: "button", id: newId(), payload: b.payload, title, shown: title, ts: Date.now() / 1000 });
      ui.input.focus();
    });
    group.append(button);
  }
  botMessage.append(group);
}

// ------------------------------------------------------------------ server events

function onHistory(messages) {
  // Busy while the whole conversation is put back, so screen readers do not read it all again.
  ui.messages.setAttribute("aria-busy", "true");
  ui.messages.replaceChildren();
  state.customerBubbles.clear();
  ui.typing.hidden = true;
  const handled = new Set();
  let lastBot = null;
  const fragment = document.createDocumentFragment();
  for (const m of Array.isArray(messages) ? messages : []) {
    const el = renderMessage(m);
    fragment.append(el);
    if (m.from === "customer" && m.id) handled.add(m.id);
    if (m.from === "bot") lastBot = { el, buttons: m.buttons };
  }
  ui.messages.append(fragment);
  if (lastBot) showQuickReplies(lastBot.el, lastBot.buttons);

  state.outbox = state.outbox.filter((entry) => !handled.has(entry.id));
  saveOutbox();
  socket.greeted(); // live: the history is here
  for (const entry of state.outbox) {
    ui.messages.append(renderMessage({ from: "customer", text: entry.shown, ts: entry.ts, id: entry.id, via: "chat" }, "pending"));
    if (!state.holdTimer) sendJson(wire(entry));
  }
  scrollToEnd(ui.messages, false);
  requestAnimationFrame(() => ui.messages.removeAttribute("aria-busy"));
  call.connectionChanged(true);
}

function onMessage(m) {
  const mine = m.from === "customer" && m.id ? state.customerBubbles.get(m.id) : null;
  if (mine) {
    takeFromOutbox(m.id);
    fillText(mine.querySelector(".msg-text"), String(m.text ?? ""), false);
    setTime(mine, m.ts);
    setDelivery(mine, "sent");
    return;
  }
  appendMessage(m);
}

function onAck(id) {
  takeFromOutbox(id);
  const el = state.customerBubbles.get(id);
  if (el) setDelivery(el, "sent");
}

function onError(event) {
  const code = event.code;
  const entry = typeof event.id === "string" ? state.outbox.find((m) => m.id === event.id) : null;
  if (code === "too_long" || code === "bad_message") {
    if (!entry && code === "bad_message" && call.expectsStrayErrors()) return; // audio or a key racing a call's end
    if (entry) {
      takeFromOutbox(entry.id);
      const el = state.customerBubbles.get(entry.id);
      if (el) setDelivery(el, "failed");
    }
    if (code === "too_long") showNotice(TEXT.errors.too_long(state.maxText));
    else showNotice(entry && entry.type === "button" ? TEXT.errors.stale_button : TEXT.errors.bad_message);
  } else if (code === "rate_limited") {
    const seconds = Number(event.retry_after) > 0 ? Math.ceil(Number(event.retry_after)) : 0;
    showNotice(TEXT.errors.rate_limited(entry ? seconds || 3 : seconds));
    if (entry) holdOutbox((seconds || 3) * 1000);
  } else if (code === "call_unavailable" || code === "call_busy") {
    call.refused(code, event.reason);
    showNotice(TEXT.errors[code]);
  } else {
    showNotice(TEXT.errors[code] || TEXT.errors.other);
  }
}

function onEvent(event) {
  switch (event.type) {
    case "ready": {
      const max = Number(event.max_text);
      state.maxText = Number.isInteger(max) && max > 0 ? max : DEFAULT_MAX_TEXT;
      updateCounter();
      call.ready(event.call);
      break;
    }
    case "history":
      onHistory(event.messages);
      break;
    case "ack":
      onAck(event.id);
      break;
    case "typing": {
      const stick = nearBottom(ui.messages);
      ui.typing.hidden = !event.on;
      if (event.on && stick) scrollToEnd(ui.messages);
      break;
    }
    case "message":
      onMessage(event);
      break;
    case "error":
      onError(event);
      break;
    case "call":
    case "heard":
    case "clear":
      call.event(event);
      break;
  }
}

// ------------------------------------------------------------------ connection

// The socket closed (socket.js opens a new one).
function dropped() {
  ui.typing.hidden = true;
  call.connectionChanged(false);
}

// ------------------------------------------------------------------ composer

function updateCounter() {
  const used = length(ui.input.value.trim());
  const near = used >= Math.floor(state.maxText * COUNTER_FROM);
  ui.counter.hidden = !near;
  ui.counter.textContent = near ? TEXT.counter(used, state.maxText) : "";
  ui.counter.classList.toggle("over", used > state.maxText);
}

function autoGrow() {
  const input = ui.input;
  input.style.height = "auto";
  input.style.height = `${Math.min(input.scrollHeight, 160)}px`;
}

function submitText() {
  const text = ui.input.value.trim();
  if (!text) return;
  if (length(text) > state.maxText) {
    showNotice(TEXT.errors.too_long(state.maxText));
    return;
  }
  queue({ type: "message", id: newId(), text, shown: text, ts: Date.now() / 1000 });
  ui.input.value = "";
  autoGrow();
  updateCounter();
  ui.input.focus();
}

function start() {
  applyText();
  sendsOnEnter(ui.composer, ui.input, submitText);
  ui.input.addEventListener("input", () => {
    autoGrow();
    updateCounter();
  });
  ui.noticeClose.addEventListener("click", () => {
    notices.clear();
    ui.input.focus();
  });

  for (const entry of state.outbox) {
    ui.messages.append(renderMessage({ from: "customer", text: entry.shown, ts: entry.ts, id: entry.id, via: "chat" }, "pending"));
  }
  socket.start();
}

start();
