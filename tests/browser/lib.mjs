// Shared helpers for the browser tests. Each test is a script `tests/browser/<name>.mjs`
// that the Rust harness (tests/api/browser.rs) runs with node against a Verity server it
// started: VERITY_URL is that server's base URL, VERITY_ARTIFACTS the folder for
// screenshots (artifacts/browser by default). A script exits non-zero on failure.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export const BASE = process.env.VERITY_URL;
export const ARTIFACTS = process.env.VERITY_ARTIFACTS ?? 'artifacts/browser';

export function check(condition, message) {
  if (!condition) throw new Error(`check failed: ${message}`);
}

/// Saves a screenshot as `<ARTIFACTS>/<test>-<step>.png`: the full page, or with
/// `{ fullPage: false }` what the viewport shows (fixed elements where the user sees them).
export async function shot(page, test, step, { fullPage = true } = {}) {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${test}-${step}.png`);
  await page.screenshot({ path, fullPage });
  return path;
}

/// Runs `body({ browser, context, page })` in a fresh headless chromium. On failure the
/// page is saved as `<test>-failure.png`, the error printed, and the process exits 1.
/// Other options (`isMobile`, `hasTouch`, …) go to the browser context.
export async function run(test, body, { viewport = { width: 1280, height: 800 }, ...options } = {}) {
  if (!BASE) throw new Error('VERITY_URL is not set');
  const browser = await chromium.launch({
    executablePath: process.env.VERITY_CHROMIUM ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox', '--headless', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
  const context = await browser.newContext({ viewport, ...options });
  const page = await context.newPage();
  const consoleErrors = [];
  page.on('pageerror', (err) => consoleErrors.push(String(err)));
  try {
    await body({ browser, context, page, consoleErrors });
    check(consoleErrors.length === 0, `no JavaScript errors on the page: ${consoleErrors.join('; ')}`);
    console.log(`${test}: ok`);
  } catch (err) {
    try { console.error(`screenshot: ${await shot(page, test, 'failure')}`); } catch { /* page gone */ }
    console.error(`${test}: ${err && err.stack ? err.stack : err}`);
    process.exitCode = 1;
  } finally {
    await browser.close();
  }
}

/// Runs axe-core (npm) on the page and fails on any serious or critical violation;
/// `what` names the page in the message. `exclude` lists selectors axe skips (none
/// by default).
export async function axe(page, what, { exclude = [] } = {}) {
  const { createRequire } = await import('node:module');
  const source = (await import('node:fs')).readFileSync(
    createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  await page.evaluate(source);
  const result = await page.evaluate(async (ex) => {
    const r = await window.axe.run(ex.length ? { exclude: ex.map((s) => [s]) } : document,
      { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
  }, exclude);
  const bad = result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  check(bad.length === 0, `axe on ${what}: ${JSON.stringify(bad, null, 1)}`);
  return result;
}
