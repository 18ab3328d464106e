// The widget on a phone-sized screen (375 × 667): the panel fills the screen, nothing
// overflows sideways, the suggested actions are on screen and work by touch.
import { run, check, shot, BASE } from './lib.mjs';
import { messages, waitForReply, say } from './widget-lib.mjs';

const WIDTH = 375;

await run('widget-phone', async ({ page }) => {
  await page.goto(`${BASE}/`);
  check(await page.evaluate(() => document.documentElement.scrollWidth) <= WIDTH, 'the page fits the width');
  await shot(page, 'widget-phone', '01-page');

  await page.tap('.vty-launcher');
  await page.waitForSelector('.vty-panel:not([hidden])');
  await waitForReply(page, 0);
  const box = await page.locator('.vty-panel').boundingBox();
  check(box.x >= 0 && box.x + box.width <= WIDTH, `the panel fits the width: ${JSON.stringify(box)}`);
  check(box.height >= 600, `the panel takes the screen: ${JSON.stringify(box)}`);
  await shot(page, 'widget-phone', '02-opened', { fullPage: false });

  const told = await say(page, 'Wo ist mein Paket? Bestellung A-100234, PLZ 33100.');
  check(told.includes('06:48'), `the story is told: ${told}`);
  check(await page.evaluate(() => document.documentElement.scrollWidth) <= WIDTH, 'no sideways scrolling');
  const callback = page.locator('.vty-action[data-action="callback"]');
  await callback.scrollIntoViewIfNeeded();
  const b = await callback.boundingBox();
  check(b && b.x >= 0 && b.x + b.width <= WIDTH, `the callback button is on screen: ${JSON.stringify(b)}`);
  check(b.height >= 32, `the button is big enough to tap: ${b.height}px`);
  await shot(page, 'widget-phone', '03-story', { fullPage: false });

  const n = (await messages(page, 'bot')).length;
  await callback.tap();
  const offer = await waitForReply(page, n);
  check(offer.includes('Rückruf'), `a callback is offered: ${offer}`);
  await shot(page, 'widget-phone', '04-callback-offer', { fullPage: false });

  await page.tap('.vty-close');
  await page.waitForSelector('.vty-panel', { state: 'hidden' });
  check(await page.isVisible('.vty-launcher'), 'the launcher is back');
}, { viewport: { width: WIDTH, height: 667 }, isMobile: true, hasTouch: true });
