import { afterEach, describe, expect, it } from 'vitest';
import { watchOffers } from '../../../src/render/offers';

const tick = () => new Promise((r) => setTimeout(r, 0));

afterEach(() => {
  document.body.innerHTML = '';
});

describe('suppressed offers in the page', () => {
  it('hides by name or "*", restores the page’s own hidden, style and state, and follows renames', async () => {
    document.body.innerHTML = `
      <p id="a" data-microseg-offer="spring" style="color: red; display: grid">a</p>
      <p id="b" data-microseg-offer="ski" data-microseg-state="kept">b</p>`;
    const errors: unknown[] = [];
    const w = watchOffers(document, (e) => errors.push(e));
    const a = document.getElementById('a')!;
    const b = document.getElementById('b')!;
    w.update(['spring']);
    expect([a.hidden, b.hidden]).toEqual([true, false]);
    expect(a.style.getPropertyValue('display')).toBe('none');
    w.update(['*']);
    expect(b.getAttribute('data-microseg-state')).toBe('suppressed');
    b.setAttribute('data-microseg-offer', 'renamed'); // still "*"
    await tick();
    expect(b.hidden).toBe(true);
    w.update(['spring']);
    expect(b.hidden).toBe(false);
    expect(b.getAttribute('data-microseg-state')).toBe('kept');
    b.setAttribute('data-microseg-offer', 'spring');
    await tick();
    expect(b.hidden).toBe(true);
    w.stop(); // the page is left as it was
    expect([a.hidden, b.hidden]).toEqual([false, false]);
    expect(a.getAttribute('style')).toBe('color: red; display: grid;');
    expect(errors).toEqual([]);
  });

  it('never throws: no document, odd nodes, elements removed while hidden', async () => {
    const none = watchOffers(undefined, () => {});
    expect(() => none.update(['*'])).not.toThrow();
    none.stop();
    const w = watchOffers(document, () => {});
    w.update(['*']);
    const el = document.createElement('span');
    el.setAttribute('data-microseg-offer', 'x');
    document.body.append(el, document.createTextNode('text'), document.createComment('c'));
    await tick();
    expect(el.hidden).toBe(true);
    el.remove();
    await tick();
    expect(() => w.update([])).not.toThrow();
    w.stop();
  });
});
