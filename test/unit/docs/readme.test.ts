// @vitest-environment node
import { readFileSync, existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const readme = readFileSync('README.md', 'utf8');

describe('the README', () => {
  it('shows the snippet exactly as the build makes it', () => {
    if (!existsSync('dist/snippet.min.js')) throw new Error('run npm run build first');
    const built = readFileSync('dist/snippet.min.js', 'utf8').trim();
    const section = readme.slice(readme.indexOf('### The snippet'));
    const block = /```html\n<script>\n([^\n]+)\n/.exec(section)?.[1];
    expect(block).toBe(built);
  });

  it('gives the two set-up commands', () => {
    expect(readme).toContain('npm install && npm start');
    expect(readme).toContain('npm test');
  });
});
