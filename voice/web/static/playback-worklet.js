// The bot's audio: 16-bit little-endian PCM at inputRate (16 kHz) played in the order it came,
// silence when there is none. "clear" drops what is queued (the caller cut the bot off).
// After running dry it waits for a little audio (or a pause in arrivals) before playing again,
// so that network jitter does not chop the speech.

const CAPACITY_S = 60;
const PREBUFFER_S = 0.08;
const WAIT_S = 0.1;

class PlaybackProcessor extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const inputRate = options.processorOptions?.inputRate || sampleRate;
    this.step = inputRate / sampleRate; // input samples per output sample
    this.queue = new Float32Array(Math.ceil(inputRate * CAPACITY_S));
    this.prebuffer = Math.round(inputRate * PREBUFFER_S);
    this.waitBlocks = Math.ceil((sampleRate * WAIT_S) / 128);
    this.clear();
    this.port.onmessage = (e) => {
      if (e.data === "clear") this.clear();
      else if (e.data instanceof ArrayBuffer) this.push(e.data);
    };
  }

  clear() {
    this.head = 0; // index of the next sample to play
    this.size = 0;
    this.phase = 0; // position between queue[head] and queue[head + 1]
    this.playing = false;
    this.idleBlocks = 0;
  }

  push(buffer) {
    const pcm = new DataView(buffer);
    const capacity = this.queue.length;
    for (let i = 0; i + 1 < buffer.byteLength; i += 2) {
      if (this.size === capacity) {
        this.head = (this.head + 1) % capacity; // full: the oldest sample goes
        this.size -= 1;
      }
      this.queue[(this.head + this.size) % capacity] = pcm.getInt16(i, true) / 32768;
      this.size += 1;
    }
    this.idleBlocks = 0;
  }

  process(_inputs, outputs) {
    const out = outputs[0][0];
    if (!this.playing) {
      this.idleBlocks += 1;
      if (this.size >= this.prebuffer || (this.size > 0 && this.idleBlocks > this.waitBlocks)) this.playing = true;
      else return true; // outputs start as silence
    }
    const capacity = this.queue.length;
    for (let i = 0; i < out.length; i++) {
      if (this.size === 0) {
        this.playing = false;
        this.phase = 0;
        this.idleBlocks = 0;
        break; // the rest of the block stays silent
      }
      const a = this.queue[this.head];
      const b = this.size > 1 ? this.queue[(this.head + 1) % capacity] : a;
      out[i] = a + (b - a) * this.phase;
      this.phase += this.step;
      while (this.phase >= 1 && this.size > 0) {
        this.phase -= 1;
        this.head = (this.head + 1) % capacity;
        this.size -= 1;
      }
    }
    return true;
  }
}

registerProcessor("playback", PlaybackProcessor);
