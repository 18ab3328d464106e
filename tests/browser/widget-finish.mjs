// The widget, finished (issue 19): the interface follows the conversation's language;
// messages have their times; a long reply is shown from its start; the input grows
// with its text; a reply that arrives while the panel is closed shows as a badge on the
// launcher; /favicon.ico is there; on a 390 × 844 phone the panel is a modal dialog
// that keeps the focus. axe-core finds nothing serious on the shop page with the
// widget open, on a desktop and on the phone.
import { run, check, shot, axe, BASE } from './lib.mjs';
import { openWithKeyboard, messages, say, waitForReply } from './widget-lib.mjs';

await run('widget-finish', async ({ browser, page }) => {
  const icon = await page.request.get(`${BASE}/favicon.ico`);
  check(icon.status() === 200 && icon.headers()['content-type'].startsWith('image/'), `a favicon: ${icon.status()}`);

  await page.goto(`${BASE}/`);
  // A small panel, so that the story is longer than the log.
  await page.addStyleTag({ content: '.vty-panel { height: 18rem !important; }' });
  await openWithKeyboard(page);
  await waitForReply(page, 0);
  check(await page.getAttribute('.vty-input', 'placeholder') === 'Nachricht schreiben …', 'German first (the page says de)');

  // An English customer: the interface follows.
  const story = await say(page, 'Where is my parcel? Order A-100234, postcode 33100.');
  check(/delivered|driver/i.test(story), `an English answer: ${story}`);
  check(await page.getAttribute('.vty-panel', 'lang') === 'en', 'the panel is in English now');
  check(await page.getAttribute('.vty-input', 'placeholder') === 'Type a message …', 'English placeholder');
  check((await page.textContent('.vty-send')) === 'Send', 'English send button');
  check((await page.$$('.vty-msg .vty-time')).length === (await page.$$('.vty-msg')).length, 'every message has its time');

  // The long reply is shown from its start.
  const seen = await page.evaluate(() => {
    const log = document.querySelector('.vty-log');
    const all = document.querySelectorAll('.vty-msg.vty-bot');
    const m = all[all.length - 1];
    return { top: m.offsetTop, height: m.offsetHeight, scroll: log.scrollTop, view: log.clientHeight };
  });
  check(seen.height > seen.view, `the reply is longer than the log: ${JSON.stringify(seen)}`);
  check(seen.scroll <= seen.top && seen.top < seen.scroll + seen.view, `its start is in view: ${JSON.stringify(seen)}`);
  await shot(page, 'widget-finish', '01-english-long-reply', { fullPage: false });

  // The input grows with its lines.
  const h1 = (await page.locator('.vty-input').boundingBox()).height;
  await page.focus('.vty-input');
  await page.keyboard.type('line one');
  for (const l of ['line two', 'line three']) { await page.keyboard.press('Shift+Enter'); await page.keyboard.type(l); }
  const h3 = (await page.locator('.vty-input').boundingBox()).height;
  check(h3 > h1 + 20, `the input grew: ${h1} → ${h3}`);
  await page.fill('.vty-input', '');

  // A reply that arrives while the panel is closed: a badge on the launcher.
  let release;
  const held = new Promise((r) => { release = r; });
  await page.route('**/messages', async (route) => {
    if (route.request().method() === 'POST') await held;
    await route.continue();
  });
  const bots = (await messages(page, 'bot')).length;
  await page.keyboard.type('How long does delivery take?');
  await page.keyboard.press('Enter');
  await page.keyboard.press('Escape');
  await page.waitForSelector('.vty-panel', { state: 'hidden' });
  release();
  await page.waitForSelector('.vty-badge:not([hidden])', { timeout: 10000 });
  check((await page.textContent('.vty-badge')) === '1', 'one unread reply');
  check(/1 new message/.test(await page.textContent('.vty-launcher')), 'the launcher says so to screen readers');
  await page.unroute('**/messages');
  await shot(page, 'widget-finish', '02-unread-badge', { fullPage: false });
  await page.click('.vty-launcher');
  check(await page.isHidden('.vty-badge'), 'the badge goes when the panel opens');
  check((await messages(page, 'bot')).length === bots + 1, 'the reply is there');
  await axe(page, 'the shop page with the widget open');

  // On a phone: a modal dialog that keeps the focus.
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const p = await phone.newPage();
  await p.goto(`${BASE}/`);
  await p.tap('.vty-launcher');
  await waitForReply(p, 0);
  check(await p.getAttribute('.vty-panel', 'aria-modal') === 'true', 'aria-modal on the full-screen panel');
  for (let i = 0; i < 12; i++) {
    await p.keyboard.press(i % 3 === 2 ? 'Shift+Tab' : 'Tab');
    check(await p.evaluate(() => !!document.activeElement.closest('.vty-panel')), `the focus stays in the panel (press ${i + 1})`);
  }
  await say(p, 'Wo ist mein Paket? Bestellung A-100234, PLZ 33100.');
  await axe(p, 'the widget on a phone');
  await shot(p, 'widget-phone', '390x844', { fullPage: false });
  await phone.close();
});
