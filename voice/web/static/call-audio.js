// A call's audio in the browser, for the customer page's calls (call.js) and the agent desk
// (/staff/static/desk.js): microphone → capture worklet → 20 ms frames of 16 kHz 16-bit
// little-endian mono PCM for the server; the server's frames → playback worklet → speakers.

const RATE = 16000;
const MAX_EARLY_FRAMES = 500; // audio kept while the playback worklet loads (10 s)
const MIC = { channelCount: 1, echoCancellation: true, noiseSuppression: true, autoGainControl: true };

export function callAudioSupported() {
  return Boolean(
    window.isSecureContext !== false && navigator.mediaDevices?.getUserMedia && window.AudioWorkletNode && window.AudioContext
  );
}

// Which of the pages' words says why the microphone failed: "micMissing" or "micDenied".
export function microphoneProblem(err) {
  return err && err.name === "NotFoundError" ? "micMissing" : "micDenied";
}

async function loadWorklets(ctx) {
  await ctx.audioWorklet.addModule("/static/capture-worklet.js");
  await ctx.audioWorklet.addModule("/static/playback-worklet.js");
}

export class CallAudio {
  constructor() {
    this.ctx = null;
    this.stream = null;
    this.capture = null;
    this.playback = null;
    this.early = []; // the other side's frames that came before the playback worklet
  }

  // Made within the tap or click that starts the call, so that the browser lets it play.
  startContext() {
    try {
      this.ctx = new AudioContext({ sampleRate: RATE });
      this.ctx.resume().catch(() => {});
    } catch {
      this.ctx = null;
    }
  }

  // Rejects as getUserMedia does (see microphoneProblem).
  async openMicrophone() {
    this.stream = await navigator.mediaDevices.getUserMedia({ audio: MIC });
  }

  // The worklets between the microphone and the speakers; each captured frame goes to onFrame.
  // stillWanted() says whether the call has not ended while they loaded.
  async connect(stillWanted, onFrame) {
    let source = null;
    if (this.ctx) {
      await loadWorklets(this.ctx);
      try {
        source = this.ctx.createMediaStreamSource(this.stream);
      } catch {
        // Firefox cannot connect a microphone to a context at another rate than the device's:
        // use the device's rate instead, and the worklets resample.
        this.ctx.close().catch(() => {});
      }
    }
    if (!stillWanted()) return;
    if (!source) {
      this.ctx = new AudioContext();
      this.ctx.resume().catch(() => {});
      await loadWorklets(this.ctx);
      if (!stillWanted()) {
        this.ctx.close().catch(() => {});
        return;
      }
      source = this.ctx.createMediaStreamSource(this.stream);
    }
    const ctx = this.ctx;
    // The capture node only listens; its output (silence) keeps it pulled by the graph.
    this.capture = new AudioWorkletNode(ctx, "capture", {
      numberOfInputs: 1,
      numberOfOutputs: 1,
      outputChannelCount: [1],
      channelCount: 1,
      channelCountMode: "explicit",
      processorOptions: { outputRate: RATE },
    });
    this.capture.port.onmessage = (e) => onFrame(e.data);
    source.connect(this.capture).connect(ctx.destination);
    this.playback = new AudioWorkletNode(ctx, "playback", {
      numberOfInputs: 0,
      numberOfOutputs: 1,
      outputChannelCount: [1],
      processorOptions: { inputRate: RATE },
    });
    this.playback.connect(ctx.destination);
    for (const pcm of this.early) this.playback.port.postMessage(pcm, [pcm]);
    this.early = [];
  }

  // A frame from the other side: played, or kept until the playback worklet is there.
  play(pcm) {
    if (this.playback) this.playback.port.postMessage(pcm, [pcm]);
    else if (this.early.length < MAX_EARLY_FRAMES) this.early.push(pcm);
  }

  // Drops what is still to play (the caller cut the bot off).
  clear() {
    this.playback?.port.postMessage("clear");
    this.early = [];
  }

  stopMicrophone() {
    if (this.capture) {
      this.capture.port.onmessage = null;
      this.capture.port.postMessage("stop");
      this.capture.disconnect();
    }
    for (const track of this.stream?.getTracks() || []) track.stop();
  }

  // The microphone stops now; the speakers after drainMs (the last words still play).
  close(drainMs = 0) {
    this.stopMicrophone();
    const close = () => {
      if (this.ctx && this.ctx.state !== "closed") this.ctx.close().catch(() => {});
    };
    if (drainMs) setTimeout(close, drainMs);
    else close();
  }
}
