// Helpers for the widget's browser tests: drive it with the keyboard only and wait for
// what the customer would see.
import { check } from './lib.mjs';

/// Presses Tab (or Shift+Tab) until `selector` has the focus; fails after `max` presses.
export async function tabTo(page, selector, { back = false, max = 40 } = {}) {
  for (let i = 0; i < max; i++) {
    if (await page.evaluate((s) => !!document.activeElement && document.activeElement.matches(s), selector)) return;
    await page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
  }
  throw new Error(`check failed: ${selector} is reachable with ${back ? 'Shift+Tab' : 'Tab'}`);
}

/// Opens the widget from the page with the keyboard and checks the focus moved in.
export async function openWithKeyboard(page) {
  await tabTo(page, '.vty-launcher');
  check(await page.getAttribute('.vty-launcher', 'aria-expanded') === 'false', 'launcher says it is collapsed');
  await page.keyboard.press('Enter');
  await page.waitForSelector('.vty-panel:not([hidden])');
  check(await page.evaluate(() => document.activeElement.classList.contains('vty-input')),
    'the focus is in the message field after opening');
}

/// The texts of the messages in the chat log, as shown.
export async function messages(page, role) {
  return page.$$eval(`.vty-msg${role ? '.vty-' + role : ''} .vty-text`, (els) => els.map((e) => e.textContent));
}

/// Waits until the number of bot/staff messages exceeds `count` and the last one is
/// complete (no streaming in progress); returns its text.
export async function waitForReply(page, count, role = 'bot') {
  await page.waitForFunction(([n, r]) => {
    const log = document.querySelector('.vty-log');
    return document.querySelectorAll(`.vty-msg.vty-${r}`).length > n && !log.hasAttribute('aria-busy')
      && !document.querySelector('.vty-typing');
  }, [count, role], { timeout: 30000 });
  const all = await messages(page, role);
  return all[all.length - 1];
}

/// Types a message with the keyboard and sends it with Enter; returns the reply.
export async function say(page, text) {
  const before = (await messages(page, 'bot')).length;
  await page.focus('.vty-input');
  await page.keyboard.type(text);
  await page.keyboard.press('Enter');
  return waitForReply(page, before);
}
