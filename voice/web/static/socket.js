// The page's websocket to this site (JSON events; binary audio frames), used by the customer page
// (chat.js) and the agent desk (/staff/static/desk.js). It is live once the server has greeted the
// page (body[data-connection] "open", the status line "open"). After a drop it opens again after
// 0.5 s doubling up to 10 s (±25 %), and at once when the network or the tab comes back; the status
// line says "connecting", then "reconnecting", "offline" or, after six tries, "stuck".

const FIRST_DELAY_MS = 500;
const MAX_DELAY_MS = 10000;
const STUCK_AFTER = 6;
const MAX_AUDIO_BUFFERED = 256 * 1024;

export class Socket {
  // path: the socket's path on this site. setStatus(kind): the status line. onEvent(object): each
  // JSON event; onAudio(ArrayBuffer): each binary frame. onDropped(): the socket closed (a new one
  // follows unless stopped()). Optional: prepare() before each opening answers "open", "later" (try
  // again after the delay) or "never"; onOpen() when the socket opens; stopped(): no more tries.
  constructor(path, { setStatus, onEvent, onAudio, onDropped, prepare = null, onOpen = null, stopped = () => false }) {
    this.url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + path;
    this.setStatus = setStatus;
    this.onEvent = onEvent;
    this.onAudio = onAudio;
    this.onDropped = onDropped;
    this.prepare = prepare;
    this.onOpen = onOpen;
    this.stopped = stopped;
    this.ws = null;
    this.live = false;
    this.attempt = 0;
    this.timer = 0;
    this.preparing = false;
  }

  // Opens the socket, and opens it again whenever the network or the tab comes back.
  start() {
    window.addEventListener("online", () => {
      this.attempt = 0;
      this.connect();
    });
    window.addEventListener("offline", () => {
      if (!this.live) this.setStatus("offline");
    });
    document.addEventListener("visibilitychange", () => {
      // Mobile browsers drop sockets in the background: back in front, do not wait for the backoff.
      if (document.visibilityState === "visible" && !this.ws && !this.stopped()) {
        this.attempt = 0;
        this.connect();
      }
    });
    this.connect();
  }

  // The server greeted this page: live, and the next drop starts the backoff afresh.
  greeted() {
    this.live = true;
    this.attempt = 0;
    document.body.dataset.connection = "open";
    this.setStatus("open");
  }

  async connect() {
    clearTimeout(this.timer);
    if (this.stopped() || this.preparing) return;
    if (this.ws && this.ws.readyState <= WebSocket.OPEN) return;
    if (!this.attempt) this.setStatus("connecting");
    if (this.prepare) {
      this.preparing = true;
      const next = await this.prepare();
      this.preparing = false;
      if (next === "never") return;
      if (next !== "open") {
        this.retry();
        return;
      }
    }
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch {
      this.retry();
      return;
    }
    ws.binaryType = "arraybuffer";
    this.ws = ws;
    if (this.onOpen) {
      ws.addEventListener("open", () => {
        if (this.ws === ws) this.onOpen();
      });
    }
    ws.addEventListener("message", (e) => {
      if (this.ws === ws) this.received(e.data);
    });
    ws.addEventListener("close", () => {
      if (this.ws === ws) this.dropped();
    });
    ws.addEventListener("error", () => ws.close());
  }

  received(data) {
    if (data instanceof ArrayBuffer) {
      this.onAudio(data);
      return;
    }
    let event;
    try {
      event = JSON.parse(data);
    } catch {
      return;
    }
    if (event && typeof event === "object") this.onEvent(event);
  }

  dropped() {
    this.ws = null;
    this.live = false;
    document.body.dataset.connection = "closed";
    this.onDropped();
    if (!this.stopped()) this.retry();
  }

  retry() {
    clearTimeout(this.timer);
    const base = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** this.attempt);
    const delay = Math.min(MAX_DELAY_MS, base * (0.75 + Math.random() * 0.5));
    this.attempt += 1;
    this.setStatus(navigator.onLine === false ? "offline" : this.attempt > STUCK_AFTER ? "stuck" : "reconnecting");
    this.timer = setTimeout(() => this.connect(), delay);
  }

  sendJson(event) {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(JSON.stringify(event));
    return true;
  }

  sendAudio(pcm) {
    const ws = this.ws;
    // Real-time audio that cannot go out now is dropped rather than sent late.
    if (!this.live || !ws || ws.readyState !== WebSocket.OPEN || ws.bufferedAmount > MAX_AUDIO_BUFFERED) return false;
    ws.send(pcm);
    return true;
  }

  close() {
    this.ws?.close();
  }
}
