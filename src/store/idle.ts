// A task for when the store is idle: it runs after a delay, and waits on while reads, updates or
// a flush are under way (the start's, above all), so that it never competes with them.
import { setTimer } from '../shared/timer';

export function createIdleTask(delay: number, flushing: () => boolean, run: () => Promise<void>) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  /** Reads and updates under way. */
  let active = 0;

  function schedule(): void {
    if (timer !== undefined) return;
    timer = setTimer(() => {
      timer = undefined;
      if (active || flushing()) schedule(); // not idle yet: later
      else void run();
    }, delay);
  }

  return {
    schedule,
    /** It was scheduled and has not run: cancels it, and says so. */
    cancel(): boolean {
      const due = timer !== undefined;
      clearTimeout(timer);
      timer = undefined;
      return due;
    },
    /** Runs `work` as a read that keeps the store busy. */
    async busy<T>(work: () => Promise<T>): Promise<T> {
      active++;
      try {
        return await work();
      } finally {
        active--;
      }
    },
  };
}
