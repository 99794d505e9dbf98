// The server's clock: the Date field value is formatted by the WASM module into its DATE region
// once a second, not per response (RFC 9110 §6.6.1 allows the second's granularity).

import { DATE, DATE_LEN } from "./abi.ts";
import type { Wasm } from "./wasm.ts";

let coarse = Date.now();

/**
 * The time in ms, to within a tenth of a second: what timeouts measured in seconds need, without
 * a Date.now() call on every phase change of every request.
 */
export function coarseNow(): number {
  return coarse;
}

export class Clock {
  /** Increments every time the second changes; cached responses compare it. */
  tick = 0;
  /** Whole seconds since the epoch of the current DATE value. */
  seconds = 0;
  /** The current Date value (DATE_LEN bytes), a copy outside WASM memory. */
  date = new Uint8Array(DATE_LEN);
  #timer: ReturnType<typeof setInterval>;

  constructor(private readonly wasm: Wasm) {
    this.#update();
    this.#timer = setInterval(() => this.#update(), 100);
    Deno.unrefTimer(this.#timer);
  }

  #update(): void {
    coarse = Date.now();
    const s = Math.floor(coarse / 1000);
    if (s === this.seconds) return;
    this.seconds = s;
    this.wasm.fn.set_clock(s);
    this.date = this.wasm.u8.slice(DATE, DATE + DATE_LEN);
    this.tick++;
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
