// Microphone → 20 ms frames of 16-bit little-endian PCM at outputRate (16 kHz), posted to the
// page as ArrayBuffers. When the context runs at another rate (Firefox), each output sample is
// the mean of the input samples it covers: a crude low-pass that is enough for speech.

const FRAME_MS = 20;

class CaptureProcessor extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const outputRate = options.processorOptions?.outputRate || sampleRate;
    this.step = sampleRate / outputRate; // input samples per output sample
    this.frameSamples = Math.round((outputRate * FRAME_MS) / 1000);
    this.newFrame();
    this.sum = 0;
    this.count = 0;
    this.due = 0;
    this.stopped = false;
    this.port.onmessage = (e) => {
      if (e.data === "stop") this.stopped = true;
    };
  }

  newFrame() {
    this.frame = new DataView(new ArrayBuffer(this.frameSamples * 2));
    this.filled = 0;
  }

  emit(value) {
    const clamped = Math.max(-1, Math.min(1, value));
    this.frame.setInt16(this.filled * 2, Math.round(clamped < 0 ? clamped * 0x8000 : clamped * 0x7fff), true);
    this.filled += 1;
    if (this.filled === this.frameSamples) {
      const buffer = this.frame.buffer;
      this.port.postMessage(buffer, [buffer]);
      this.newFrame();
    }
  }

  process(inputs) {
    if (this.stopped) return false;
    const samples = inputs[0] && inputs[0][0];
    if (!samples) return true;
    for (let i = 0; i < samples.length; i++) {
      this.sum += samples[i];
      this.count += 1;
      this.due += 1;
      if (this.due >= this.step) {
        this.due -= this.step;
        this.emit(this.sum / this.count);
        this.sum = 0;
        this.count = 0;
      }
    }
    return true;
  }
}

registerProcessor("capture", CaptureProcessor);
