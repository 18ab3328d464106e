// The first staff reply after a takeover the customer never asked for (issue 19,
// defect 1), live: the customer verifies and never asks for a person; staff log in to
// the console in a second browser, take the conversation over and write. Without a
// reload or another message from the customer, the widget shows one takeover notice at
// once, then every staff message as it is sent, in order, each once; after the hand-back
// the notice is gone and the bot answers again. A reload shows the same conversation.
import { chromium } from 'playwright-core';
import { run, check, shot, BASE } from './lib.mjs';
import { openWithKeyboard, messages, say } from './widget-lib.mjs';

const EMAIL = process.env.VERITY_STAFF_EMAIL ?? 'ida.kellner@verity.example';
const PASSWORD = process.env.VERITY_STAFF_PASSWORD ?? 'lange-genug-2025';
const FIRST = 'Guten Tag, hier ist Ida vom Kundenservice. Ich sehe mir Ihre Sendung an.';
const SECOND = 'Der Fahrer meldet eine Zustellung an den Nachbarn; ich kläre das für Sie.';
const LIVE = { timeout: 10000 };

async function staffConsole(browser) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await ctx.newPage();
  await page.goto(`${BASE}/console/login`);
  await page.fill('input[name=email]', EMAIL);
  await page.fill('input[name=password]', PASSWORD);
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  return page;
}

async function staffSends(staff, text) {
  await staff.fill('textarea[name=text]', text);
  await Promise.all([staff.waitForNavigation(), staff.click('.reply button[type=submit]')]);
}

await run('widget-live', async ({ browser, page }) => {
  await page.goto(`${BASE}/`);
  await openWithKeyboard(page);
  const told = await say(page, 'Wo ist mein Paket? A-100234, PLZ 33100');
  check(told.includes('Olbrich'), `verified and told: ${told}`);
  const { id } = JSON.parse(await page.evaluate((k) => localStorage.getItem(k), `verity-chat:${BASE}`));
  check(await page.isHidden('.vty-takeover'), 'no takeover notice before the takeover');

  const staff = await staffConsole(browser);
  await staff.goto(`${BASE}/console/conversations/${id}`);
  await Promise.all([staff.waitForNavigation(), staff.click('button:has-text("Take over")')]);

  // The customer learns of the takeover at once, once.
  await page.waitForSelector('.vty-takeover:not([hidden])', LIVE);
  check((await page.textContent('.vty-takeover')).includes('übernommen'), 'the notice says a person took over');
  const botsAfterTakeover = await messages(page, 'bot');
  check(!botsAfterTakeover.some((t) => t.includes('übernommen')), `no second notice as a bot message: ${botsAfterTakeover}`);
  await shot(page, 'widget-live', '01-taken-over');

  // The first staff reply arrives without a reload and without the customer writing.
  await staffSends(staff, FIRST);
  await page.waitForFunction((t) => [...document.querySelectorAll('.vty-msg.vty-staff .vty-text')]
    .some((e) => e.textContent === t), FIRST, LIVE);
  check(await page.isVisible('.vty-msg.vty-staff .vty-time'), 'the staff message has its time');
  await shot(page, 'widget-live', '02-first-staff-reply');

  // The customer answers: the bot stays silent; the next staff message comes too.
  await page.focus('.vty-input');
  await page.keyboard.type('Danke, ich warte.');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => [...document.querySelectorAll('.vty-msg.vty-customer')]
    .every((e) => e.hasAttribute('data-seq')), null, LIVE); // stored: it has its number
  await staffSends(staff, SECOND);
  await page.waitForFunction((t) => [...document.querySelectorAll('.vty-msg.vty-staff .vty-text')]
    .some((e) => e.textContent === t), SECOND, LIVE);
  const order = await page.$$eval('.vty-msg', (els) => els.map((e) => e.querySelector('.vty-text').textContent));
  const at = (t) => order.indexOf(t);
  check(at(FIRST) >= 0 && at(FIRST) < at('Danke, ich warte.') && at('Danke, ich warte.') < at(SECOND),
    `in the order they were written: ${order.join(' | ')}`);
  check((await messages(page, 'staff')).length === 2, 'each staff message once');
  check((await messages(page, 'bot')).length === botsAfterTakeover.length, 'the bot said nothing while staff answer');
  check((await page.$$('.vty-takeover:not([hidden])')).length === 1, 'one takeover notice');
  await shot(page, 'widget-live', '03-second-staff-reply');

  // Handed back: the notice goes, live; the bot answers again.
  await Promise.all([staff.waitForNavigation(), staff.click('button:has-text("Hand back")')]);
  await page.waitForSelector('.vty-takeover', { state: 'hidden', ...LIVE });
  const again = await say(page, 'Wann kommt mein Paket?');
  check(again.length > 0, `the bot answers after the hand-back: ${again}`);
  await shot(page, 'widget-live', '04-handed-back');

  // A reload shows the same conversation, each message once.
  const before = await page.$$eval('.vty-msg .vty-text', (els) => els.map((e) => e.textContent));
  await page.reload();
  await page.waitForSelector('.vty-panel:not([hidden])');
  await page.waitForFunction((n) => document.querySelectorAll('.vty-msg').length >= n, before.length, LIVE);
  const after = await page.$$eval('.vty-msg .vty-text', (els) => els.map((e) => e.textContent));
  check(JSON.stringify(after) === JSON.stringify(before), `the same after a reload:\n${before.join(' | ')}\n${after.join(' | ')}`);
  check(await page.isHidden('.vty-takeover'), 'no takeover notice after the reload either');
});
