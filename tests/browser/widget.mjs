// The three-truths story in the widget on the demo page, with the keyboard only:
// open, verify, see the contradiction, press the callback button, confirm, reload and
// find the conversation still there; Escape closes and the focus returns.
import { run, check, shot, BASE } from './lib.mjs';
import { tabTo, openWithKeyboard, messages, waitForReply, say } from './widget-lib.mjs';

await run('widget', async ({ page }) => {
  await page.goto(`${BASE}/`);
  const demo = await page.textContent('#demo');
  check(demo.includes('A-100234') && demo.includes('33100'), 'the demo box lists the three-truths order');
  await shot(page, 'widget', '01-demo-page');

  await openWithKeyboard(page);
  const greeting = await waitForReply(page, 0);
  check(greeting.includes('automatische Assistent'), `a German greeting: ${greeting}`);
  check(await page.getAttribute('.vty-log', 'role') === 'log', 'messages are a live log');
  await shot(page, 'widget', '02-opened');

  const ask = await say(page, 'Hallo, laut Portal ist mein Paket zugestellt, es ist aber nicht da.');
  check(ask.includes('Bestellnummer'), `asks for the order number first: ${ask}`);

  const told = await say(page, 'A-100234, 33100');
  check(told.includes('06:48'), `the scan time is shown: ${told}`);
  check(told.includes('nicht angetroffen'), `the driver's report is shown: ${told}`);
  check(told.includes('06:48') && told.includes('06:51'),
    `both times of the contradiction (scan 06:48, driver 06:51) are shown: ${told}`);
  const actions = await page.$$eval('.vty-action', (b) => b.map((x) => x.dataset.action));
  check(actions.includes('callback'), `a callback button is offered: ${actions}`);
  await shot(page, 'widget', '03-contradiction');

  // The suggested action, by keyboard: back from the message field to the button.
  await tabTo(page, '.vty-action[data-action="callback"]', { back: true });
  let n = (await messages(page, 'bot')).length;
  await page.keyboard.press('Enter');
  const offer = await waitForReply(page, n);
  check(offer.includes('Rückruf'), `a callback is offered: ${offer}`);
  const choices = await page.$$eval('.vty-action', (b) => b.map((x) => x.dataset.action));
  check(choices.join() === 'confirm,decline', `confirm or decline: ${choices}`);
  check(await page.$('.vty-action[data-action="callback"]') === null, 'the old buttons are gone');
  await shot(page, 'widget', '04-callback-offer');

  await tabTo(page, '.vty-action[data-action="confirm"]', { back: true });
  n = (await messages(page, 'bot')).length;
  await page.keyboard.press('Enter');
  const done = await waitForReply(page, n);
  check(done.includes('Erledigt') && done.includes('Rückruf'), `the callback is confirmed: ${done}`);
  const customer = await messages(page, 'customer');
  check(customer.includes('A-100234, 33100'), 'the customer messages are shown');
  await shot(page, 'widget', '05-confirmed');
  const before = await messages(page);

  // A reload keeps the conversation (session in localStorage, history from the server)
  // and the open panel.
  await page.reload();
  await page.waitForSelector('.vty-panel:not([hidden])');
  await tabTo(page, '.vty-input');
  await page.waitForFunction((n) => document.querySelectorAll('.vty-msg').length >= n, before.length);
  const after = await messages(page);
  check(JSON.stringify(after) === JSON.stringify(before),
    `the same conversation after the reload:\n${before.join('\n')}\n---\n${after.join('\n')}`);
  await shot(page, 'widget', '06-after-reload');

  // Escape closes the panel and gives the focus back to the launcher.
  await page.keyboard.press('Escape');
  await page.waitForSelector('.vty-panel', { state: 'hidden' });
  check(await page.evaluate(() => document.activeElement.classList.contains('vty-launcher')),
    'the focus is back on the launcher');
  check(await page.getAttribute('.vty-launcher', 'aria-expanded') === 'false', 'collapsed again');
  await shot(page, 'widget', '07-closed');

  // Closed, it stays closed across a reload; nothing new, no badge.
  await page.reload();
  await page.waitForSelector('.vty-launcher');
  check(await page.isHidden('.vty-panel'), 'the closed panel stays closed');
  check(await page.isHidden('.vty-badge'), 'no unread badge without new messages');
});
