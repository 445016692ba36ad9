// @vitest-environment node
import { describe, expect, it } from 'vitest';
import { clampDelay, MAX_TIMER_DELAY } from '../../../src/shared/timer';

describe('every timer delay goes through one clamp', () => {
  it('keeps delays setTimeout honours; too long, infinite or not a number waits the longest, never 0', () => {
    expect(clampDelay(1500)).toBe(1500);
    expect(clampDelay(-5)).toBe(0);
    expect(clampDelay(2 ** 31)).toBe(MAX_TIMER_DELAY);
    expect(clampDelay(40 * 86_400_000)).toBe(MAX_TIMER_DELAY);
    expect(clampDelay(Infinity)).toBe(MAX_TIMER_DELAY);
    expect(clampDelay(NaN)).toBe(MAX_TIMER_DELAY);
  });
});
