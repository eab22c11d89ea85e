// What the customer page (chat.js) and the agent desk (/staff/static/desk.js) both do on screen:
// the status line, the notice bar, a message log that follows new messages, the composer's Enter
// key and the length it counts, and a message's time of day.

const STICKY_PX = 80; // within this of the bottom, new messages scroll the log
const STATUS_FADE_MS = 2500;
const reducedMotion = window.matchMedia("(prefers-reduced-motion: reduce)");

export function pad(n) {
  return String(n).padStart(2, "0");
}

// A message's time (seconds since the epoch; now when there is none): "09:05", and for <time datetime>.
export function clockTime(ts) {
  const seconds = Number(ts);
  const date = new Date((Number.isFinite(seconds) && seconds > 0 ? seconds : Date.now() / 1000) * 1000);
  return { text: `${pad(date.getHours())}:${pad(date.getMinutes())}`, iso: date.toISOString() };
}

export function length(text) {
  return [...text].length; // code points, as the server counts
}

// A composer (form, its textarea) sends with its button and with Enter; Shift+Enter starts a new
// line, and Enter that confirms an IME candidate (Chinese input) is not a send.
export function sendsOnEnter(form, input, send) {
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    send();
  });
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      send();
    }
  });
}

export function nearBottom(log) {
  return log.scrollHeight - log.scrollTop - log.clientHeight < STICKY_PX;
}

export function scrollToEnd(log, smooth = true) {
  log.scrollTo({ top: log.scrollHeight, behavior: smooth && !reducedMotion.matches ? "smooth" : "auto" });
}

// The status line (el) says the connection's state in words[kind]; "open" fades away after a moment.
export function statusLine(el, words) {
  let fade = 0;
  return function setStatus(kind) {
    clearTimeout(fade);
    el.textContent = words[kind];
    el.dataset.state = kind;
    el.classList.remove("faded");
    if (kind === "open") fade = setTimeout(() => el.classList.add("faded"), STATUS_FADE_MS);
  };
}

// The notice bar: notice (role=alert) shows a text with its close button until closed or for ms,
// or until the next one when sticky. onShow(options) and onClear() do what else a page shows with it.
export function noticeBar({ notice, close, ms, onShow = () => {}, onClear = () => {} }) {
  let timer = 0;

  function clear() {
    clearTimeout(timer);
    notice.textContent = "";
    close.hidden = true;
    onClear();
  }

  function show(text, { sticky = false, ...options } = {}) {
    clearTimeout(timer);
    notice.textContent = "";
    // A fresh text node, so that the same notice twice is announced twice.
    requestAnimationFrame(() => {
      notice.textContent = text;
      close.hidden = false;
      onShow(options);
    });
    if (!sticky) timer = setTimeout(clear, ms);
  }

  return { show, clear };
}
