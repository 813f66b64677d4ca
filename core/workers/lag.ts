/**
 * Event-loop lag of the current thread: a 100 ms timer notes how late it fires. `lagMs()` is
 * the worst lateness of the last two seconds (or the current stall, when the timer is overdue
 * right now); `stalledMs()` only grows, so the stall during an operation is the difference of
 * two readings. This is how the collector tells its own delay from a target's: a scrape that
 * times out while its thread was stalled for a good part of the timeout is not the target's
 * failure.
 *
 * One monitor per thread (module state is per isolate), started by the first `acquire()` and
 * stopped by the last `release()` so tests leak no timer.
 *
 * @module
 */

const TICK_MS = 100;
const WINDOW_MS = 2_000;

/** See the module doc. */
export class LagMonitor {
  #timer: ReturnType<typeof setInterval> | undefined;
  #users = 0;
  #expected = 0;
  #stalled = 0;
  #windowStart = 0;
  #windowMax = 0;
  #previousMax = 0;

  /** Starts the timer for one more user. */
  acquire(): void {
    if (this.#users++ > 0) return;
    this.#expected = performance.now() + TICK_MS;
    this.#windowStart = performance.now();
    const timer = setInterval(() => this.#tick(), TICK_MS);
    Deno.unrefTimer(timer);
    this.#timer = timer;
  }

  /** Stops the timer once its last user is gone. */
  release(): void {
    if (this.#users === 0 || --this.#users > 0) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #tick(): void {
    const now = performance.now();
    const late = Math.max(0, now - this.#expected);
    this.#stalled += late;
    this.#expected = now + TICK_MS;
    if (now - this.#windowStart >= WINDOW_MS) {
      this.#previousMax = this.#windowMax;
      this.#windowMax = 0;
      this.#windowStart = now;
    }
    if (late > this.#windowMax) this.#windowMax = late;
  }

  #overdue(): number {
    return this.#timer === undefined ? 0 : Math.max(0, performance.now() - this.#expected);
  }

  /** Worst event-loop lag of the last ~2 s, in ms (0 while not acquired). */
  lagMs(): number {
    return Math.max(this.#windowMax, this.#previousMax, this.#overdue());
  }

  /** Total ms the thread's event loop was stalled since the monitor started; never shrinks. */
  stalledMs(): number {
    return this.#stalled + this.#overdue();
  }
}

/** The monitor of the current thread. */
export const threadLag: LagMonitor = new LagMonitor();
