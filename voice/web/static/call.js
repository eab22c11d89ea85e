// The voice call: its button, panel and keypad. The audio (call-audio.js) goes both ways as binary
// frames on chat.js's socket; the call's state and the words heard arrive as JSON events
// (voice/web/protocol.py), which chat.js hands over here.
import { CallAudio, callAudioSupported, microphoneProblem } from "./call-audio.js";

const KEYS = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "0", "#"];
const DRAIN_MS = 600; // after the server ends the call, the bot's last words still play
const STRAY_ERRORS_MS = 5000;
const NOTE_MS = 8000;

const $ = (id) => document.getElementById(id);

export function createCall({ TEXT, sendJson, sendAudio, isLive, notice }) {
  const ui = {
    button: $("call-button"),
    note: $("call-note"),
    panel: $("call-panel"),
    state: $("call-state"),
    hangup: $("hangup"),
    keypad: $("keypad"),
    heardSlot: $("heard-slot"),
  };
  const supported = callAudioSupported();
  let available = null; // from "ready": null until the server said
  let unavailableReason = "";
  let current = null; // this page's call: {audio: CallAudio, started}
  let elsewhere = false; // another page of the conversation is on a call
  let awaitingEnd = false; // this page ended its call; the server's "ended" is still to come
  let lastActive = 0;
  let endedNote = "";
  let noteTimer = 0;
  let sent = 0;
  let received = 0;

  for (const key of KEYS) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "key";
    button.dataset.key = key;
    button.textContent = key;
    button.setAttribute("aria-label", TEXT.call.key(key));
    button.addEventListener("click", () => press(key));
    ui.keypad.append(button);
  }
  ui.button.addEventListener("click", start);
  ui.hangup.addEventListener("click", hangUp);
  ui.panel.addEventListener("keydown", (e) => {
    if (KEYS.includes(e.key) && !e.ctrlKey && !e.metaKey && !e.altKey) {
      e.preventDefault();
      press(e.key);
      ui.keypad.querySelector(`[data-key="${e.key}"]`)?.focus();
    }
  });
  refresh();

  function refresh() {
    ui.button.disabled = !isLive() || !available || !supported || current !== null || elsewhere;
    const notes = [];
    if (available === false) notes.push(TEXT.call.unavailable[unavailableReason] || TEXT.call.unavailable.other);
    if (!supported) notes.push(TEXT.call.unsupported);
    if (!notes.length && elsewhere && !current) notes.push(TEXT.call.elsewhere);
    if (!notes.length && endedNote) notes.push(endedNote);
    ui.note.textContent = notes.join(" ");
    ui.panel.hidden = current === null;
    ui.button.hidden = current !== null;
    document.body.dataset.call = current ? "active" : "idle";
  }

  function showState(kind) {
    ui.state.textContent = TEXT.call.states[kind] || TEXT.call.states.started;
    ui.panel.dataset.state = kind;
  }

  function showEnded(text) {
    clearTimeout(noteTimer);
    endedNote = text;
    noteTimer = setTimeout(() => {
      endedNote = "";
      refresh();
    }, NOTE_MS);
  }

  function countSent() {
    sent += 1;
    ui.panel.dataset.audioSent = String(sent);
  }

  async function start() {
    if (current || !isLive() || !available || !supported) return;
    if (!sendJson({ type: "call_start" })) return;
    const call = { audio: new CallAudio(), started: false };
    current = call;
    awaitingEnd = false;
    endedNote = "";
    lastActive = Date.now();
    showState("connecting");
    refresh();
    ui.hangup.focus();
    call.audio.startContext();
    try {
      await call.audio.openMicrophone();
    } catch (err) {
      if (current !== call) return;
      abandon(call, TEXT.call[microphoneProblem(err)]);
      return;
    }
    if (current !== call) {
      call.audio.stopMicrophone();
      return;
    }
    try {
      await call.audio.connect(
        () => current === call,
        (pcm) => {
          if (current === call && call.started && sendAudio(pcm)) countSent();
        }
      );
    } catch (err) {
      console.error("call audio:", err);
      if (current === call) abandon(call, TEXT.call.audioFailed);
    }
  }

  function release(call, drainMs = 0) {
    call.audio.close(drainMs);
    if (current === call) current = null;
    lastActive = Date.now();
    document.getElementById("heard")?.remove();
  }

  function focusAfterCall() {
    if (ui.panel.contains(document.activeElement) || document.activeElement === document.body) {
      (ui.button.disabled ? $("input") : ui.button).focus();
    }
  }

  // This page gives up its call before it got going (no microphone, no audio).
  function abandon(call, message) {
    sendJson({ type: "call_end" });
    awaitingEnd = true;
    release(call);
    refresh();
    focusAfterCall();
    notice(message);
  }

  function hangUp() {
    const call = current;
    if (!call) return;
    sendJson({ type: "call_end" });
    awaitingEnd = true;
    release(call);
    showEnded(TEXT.call.ended.caller_hung_up);
    refresh();
    focusAfterCall();
  }

  // Keys go out at once: the server has this page's call from the "call_start" sent before.
  function press(key) {
    if (!current) return;
    sendJson({ type: "key", key });
  }

  function showHeard(text, final) {
    let el = $("heard");
    if (final || !text) {
      el?.remove();
      return;
    }
    if (!el) {
      el = document.createElement("div");
      el.id = "heard";
      el.className = "heard";
      const label = document.createElement("span");
      label.className = "visually-hidden";
      label.textContent = TEXT.call.heard;
      const words = document.createElement("span");
      words.className = "heard-text";
      el.append(label, words);
      ui.heardSlot.append(el);
    }
    el.querySelector(".heard-text").textContent = text;
  }

  return {
    ready(info) {
      available = Boolean(info && info.available);
      unavailableReason = info && typeof info.reason === "string" ? info.reason : "";
      refresh();
    },

    event(e) {
      if (e.type === "heard") {
        showHeard(typeof e.text === "string" ? e.text : "", Boolean(e.final));
      } else if (e.type === "clear") {
        current?.audio.clear();
      } else if (e.type === "call" && e.state === "ended") {
        const mine = current !== null;
        if (mine) {
          release(current, DRAIN_MS);
          showEnded(TEXT.call.ended[e.reason] || TEXT.call.ended.other);
        }
        elsewhere = false;
        awaitingEnd = false;
        showHeard("", true);
        refresh();
        if (mine) focusAfterCall();
      } else if (e.type === "call") {
        if (current) {
          current.started = true;
          lastActive = Date.now();
          showState(e.state);
        } else if (!awaitingEnd) {
          elsewhere = true;
        }
        refresh();
      }
    },

    audio(pcm) {
      received += 1;
      ui.panel.dataset.audioReceived = String(received);
      current?.audio.play(pcm);
    },

    connectionChanged(live) {
      if (!live && current) {
        release(current);
        notice(TEXT.call.dropped);
        focusAfterCall();
      }
      // The server hangs up a page's call when its socket closes; a new socket starts afresh.
      elsewhere = false;
      awaitingEnd = false;
      showHeard("", true);
      refresh();
    },

    refused(code, reason) {
      if (code === "call_unavailable") {
        available = false;
        unavailableReason = typeof reason === "string" ? reason : "";
      } else {
        elsewhere = true;
      }
      if (current) release(current);
      awaitingEnd = false;
      refresh();
      focusAfterCall();
    },

    // Audio frames and keys that were on their way when a call ended are refused by the server
    // (bad_message without an id): nothing the customer needs to hear about.
    expectsStrayErrors() {
      return current !== null || Date.now() - lastActive < STRAY_ERRORS_MS;
    },
  };
}
