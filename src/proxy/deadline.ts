// The backend's time limit for a response head (--backend-timeout, 504 past it): measured
// from the last sign of progress (connecting, each piece of the request body taken by the
// backend), so a long upload is not cut off while the backend is reading it.

/** What `race` resolves to when the time is up. */
export const TIMEOUT: unique symbol = Symbol("timeout");

export class Deadline {
  #last = Date.now();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #expired = false;
  #resolve!: (v: typeof TIMEOUT) => void;
  /** Resolves (never rejects) when the time is up. */
  readonly expired: Promise<typeof TIMEOUT>;

  constructor(private readonly ms: number) {
    this.expired = new Promise((r) => this.#resolve = r);
    this.#arm(ms);
  }

  /** Progress: the time limit starts again. */
  touch(): void {
    this.#last = Date.now();
  }

  get isExpired(): boolean {
    return this.#expired;
  }

  /** `p`, or TIMEOUT if the time is up first. */
  race<T>(p: Promise<T>): Promise<T | typeof TIMEOUT> {
    return Promise.race([p, this.expired]);
  }

  stop(): void {
    clearTimeout(this.#timer);
  }

  #arm(ms: number): void {
    this.#timer = setTimeout(() => {
      const left = this.#last + this.ms - Date.now();
      if (left > 0) return this.#arm(left);
      this.#expired = true;
      this.#resolve(TIMEOUT);
    }, ms);
  }
}
