// The browser harness works: chromium starts, reaches the server, takes a screenshot.
import { run, check, shot, BASE } from './lib.mjs';

await run('smoke', async ({ page }) => {
  const response = await page.goto(`${BASE}/healthz`);
  check(response && response.status() === 200, `GET /healthz answers 200, got ${response && response.status()}`);
  await shot(page, 'smoke', 'healthz');
});
