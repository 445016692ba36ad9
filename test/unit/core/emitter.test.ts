// @vitest-environment node
import { describe, expect, it } from 'vitest';
import { createEmitter } from '../../../src/shared/emitter';

describe('the emitter', () => {
  it('delivers to the handlers there were when emit began, even as they change', () => {
    const e = createEmitter<{ x: number }>();
    const seen: string[] = [];
    const late = () => seen.push('late');
    let offB = () => {};
    e.on('x', () => {
      seen.push('a');
      offB();
      e.on('x', late);
    });
    offB = e.on('x', () => seen.push('b'));
    e.emit('x', 1);
    expect(seen).toEqual(['a', 'b']);
    seen.length = 0;
    e.emit('x', 2);
    expect(seen).toEqual(['a', 'late']);
  });

  it('keeps one handler once, and a throwing handler does not stop the others', () => {
    const e = createEmitter<{ x: number }>();
    let n = 0;
    const h = () => n++;
    e.on('x', () => {
      throw new Error('host bug');
    });
    const off = e.on('x', h);
    e.on('x', h);
    e.emit('x', 1);
    expect(n).toBe(1);
    off();
    e.emit('x', 1);
    expect(n).toBe(1);
  });
});
