// Short, distinct tones for the station (no audio files to ship): success = two rising notes, failure = a
// low double buzz, attention = one middle note. Works without a keyboard or a look at the screen.
type Kind = "success" | "failure" | "attention";

let ctx: AudioContext | null = null;

function audio(): AudioContext | null {
  if (ctx) return ctx;
  const C = (globalThis as { AudioContext?: typeof AudioContext }).AudioContext;
  if (!C) return null;
  try {
    ctx = new C();
  } catch {
    ctx = null;
  }
  return ctx;
}

const NOTES: Record<Kind, [number, number, OscillatorType][]> = {
  // [frequency Hz, start offset s, wave]
  success: [
    [880, 0, "sine"],
    [1320, 0.12, "sine"],
  ],
  failure: [
    [220, 0, "square"],
    [180, 0.2, "square"],
  ],
  attention: [[660, 0, "triangle"]],
};

export function play(kind: Kind, enabled = true): void {
  if (!enabled) return;
  const a = audio();
  if (!a) return;
  const t0 = a.currentTime + 0.01;
  for (const [freq, at, wave] of NOTES[kind]) {
    const osc = a.createOscillator();
    const gain = a.createGain();
    osc.type = wave;
    osc.frequency.value = freq;
    const dur = kind === "failure" ? 0.18 : 0.14;
    gain.gain.setValueAtTime(0.0001, t0 + at);
    gain.gain.exponentialRampToValueAtTime(kind === "failure" ? 0.12 : 0.2, t0 + at + 0.01);
    gain.gain.exponentialRampToValueAtTime(0.0001, t0 + at + dur);
    osc.connect(gain).connect(a.destination);
    osc.start(t0 + at);
    osc.stop(t0 + at + dur + 0.02);
  }
}
