// The order page of a notice (VERITY_ORDER_URL, `/o/{token}`): the chat opens beside the
// page by itself, already verified for this order, and its first message is the notice;
// a question about the order is answered without verification; a reload keeps the
// conversation. On a phone the chat does not cover the page: the launcher counts the
// notice, and a tap opens it.
import { run, check, shot } from './lib.mjs';
import { messages, waitForReply, say } from './widget-lib.mjs';

const URL_ = process.env.VERITY_ORDER_URL;
check(URL_, 'VERITY_ORDER_URL is set');

await run('order-page', async ({ page }) => {
  await page.goto(URL_);
  check((await page.textContent('body')).includes('N-1001'), 'the page shows the order');
  await page.waitForSelector('.vty-panel:not([hidden])');
  const first = await waitForReply(page, 0);
  check(first.includes('06:48') && first.includes('N-1001'), `the notice opens the chat: ${first}`);
  check(await page.locator('.vty-action').count() > 0, 'the remedies are buttons');
  check(!(await page.evaluate(() => document.activeElement && document.activeElement.classList.contains('vty-input'))),
    'opening by itself does not take the focus from the page');
  await shot(page, 'order-page', '01-opened');

  const answer = await say(page, 'when does the driver come again?');
  check(!/postcode/i.test(answer), `verified by the link, not asked again: ${answer}`);
  await shot(page, 'order-page', '02-answer');

  await page.reload();
  await page.waitForSelector('.vty-panel:not([hidden])');
  await page.waitForFunction(() => document.querySelectorAll('.vty-msg.vty-bot').length >= 2);
  const bots = await messages(page, 'bot');
  check(bots.filter((t) => t.includes('06:48')).length === 1, `the same conversation, the notice once: ${JSON.stringify(bots)}`);
});

await run('order-page-phone', async ({ page }) => {
  await page.goto(URL_);
  await page.waitForSelector('.vty-badge:not([hidden])');
  check(await page.isHidden('.vty-panel'), 'the chat does not cover the page on a phone');
  check((await page.textContent('.vty-badge')) === '1', 'the launcher counts the notice');
  await shot(page, 'order-page', '03-phone', { fullPage: false });
  await page.tap('.vty-launcher');
  await page.waitForSelector('.vty-panel:not([hidden])');
  const first = (await messages(page, 'bot'))[0];
  check(first.includes('06:48'), `the notice: ${first}`);
  await shot(page, 'order-page', '04-phone-opened', { fullPage: false });
}, { viewport: { width: 375, height: 667 }, isMobile: true, hasTouch: true });
