// The browser side of the React page: hydrates the server's HTML (or renders from nothing) and
// records every hydration error React reports.
import { createElement } from 'react';
import { createRoot, hydrateRoot } from 'react-dom/client';
import { App } from './app';

const w = window as any;
w.__reactErrors = [];
const report = (err: unknown) => w.__reactErrors.push(String((err as Error)?.message ?? err));
const origError = console.error;
console.error = (...args: unknown[]) => {
  report(args.map(String).join(' '));
  origError(...args);
};
const root = document.getElementById('root')!;
const app = createElement(App, {});
if (document.body.dataset.mode === 'hydrate') hydrateRoot(root, app, { onRecoverableError: report, onUncaughtError: report, onCaughtError: report });
else createRoot(root, { onRecoverableError: report, onUncaughtError: report }).render(app);
w.__reactStarted = true;
