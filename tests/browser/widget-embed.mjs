// The widget embedded with one script tag and its data attributes on a shop page of
// another origin (real loopback servers the Rust test started): it works from the
// origin in VERITY_WIDGET_ORIGINS, and from any other origin the browser refuses the
// chat API (no CORS grant), which the widget reports as unreachable.
import { run, check, shot, BASE } from './lib.mjs';
import { waitForReply, say } from './widget-lib.mjs';

const ALLOWED = process.env.VERITY_SHOP_ALLOWED;
const OTHER = process.env.VERITY_SHOP_OTHER;

await run('widget-embed', async ({ page }) => {
  check(ALLOWED && OTHER, 'the test serves two shop pages');
  // A session the server does not know (say, the database was reset): the widget
  // starts a new one instead of failing.
  const key = `verity-chat:${BASE}`;
  const stale = JSON.stringify({ id: 'conv_gone', token: 'not-a-token', seq: 7 });
  await page.goto(ALLOWED);
  await page.evaluate(([k, v]) => localStorage.setItem(k, v), [key, stale]);
  await page.reload();
  await page.waitForSelector('.vty-launcher');
  await page.click('.vty-launcher');
  const greeting = await waitForReply(page, 0);
  check(greeting.includes('automated assistant'), `an English greeting: ${greeting}`);
  const fresh = JSON.parse(await page.evaluate((k) => localStorage.getItem(k), key));
  check(fresh.id !== 'conv_gone' && fresh.token !== 'not-a-token', 'a new session replaced the stale one');
  check((await page.textContent('.vty-head h2')) === 'Example Shop Help', 'data-title is the panel title');
  const bg = await page.$eval('.vty-head', (e) => getComputedStyle(e).backgroundColor);
  check(bg === 'rgb(123, 45, 139)', `data-color is the accent colour: ${bg}`);
  check((await page.getAttribute('.vty-input', 'placeholder')).includes('Type a message'), 'English texts (data-lang)');
  const reply = await say(page, 'How long does delivery take?');
  check(reply.length > 0, 'the server answered across origins');
  await shot(page, 'widget-embed', '01-allowed-origin');

  await page.goto(OTHER);
  await page.waitForSelector('.vty-launcher');
  await page.click('.vty-launcher');
  await page.waitForFunction(() => {
    const n = document.querySelector('.vty-notice');
    return !!n && /cannot be reached/.test(n.textContent);
  }, null, { timeout: 30000 });
  check((await page.$$('.vty-msg')).length === 0, 'no conversation from a foreign origin');
  await shot(page, 'widget-embed', '02-foreign-origin');
});
