// The console live (issue 19): a staff member keeps the conversation list open; a
// customer asks for a person in the widget. Without a reload the list shows the
// conversation, the unread count rises and a browser notification says a customer is
// waiting (the permission was asked for on a click). Staff open it (the count goes),
// take it over and answer with the keyboard; what the customer writes then appears in
// the open transcript by itself. Staff are shown by their display name.
import { run, check, shot, BASE } from './lib.mjs';
import { openWithKeyboard, say } from './widget-lib.mjs';

const EMAIL = process.env.VERITY_STAFF_EMAIL ?? 'ida.kellner@verity.example';
const PASSWORD = process.env.VERITY_STAFF_PASSWORD ?? 'lange-genug-2025';
const NAME = process.env.VERITY_STAFF_NAME ?? 'Ida Kellner';
const LIVE = { timeout: 10000 };

// Notifications as a browser with the permission not yet given: asking grants it; each
// notification shown is recorded.
function fakeNotifications() {
  window.__notes = [];
  window.__asked = 0;
  let permission = 'default';
  function Notification(title, options) { window.__notes.push({ title, body: options && options.body }); }
  Object.defineProperty(Notification, 'permission', { get: () => permission });
  Notification.requestPermission = (cb) => {
    window.__asked++;
    permission = 'granted';
    if (cb) cb(permission);
    return Promise.resolve(permission);
  };
  window.Notification = Notification;
}

await run('console-live', async ({ browser, page: customer }) => {
  const staffCtx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await staffCtx.addInitScript(fakeNotifications);
  const staff = await staffCtx.newPage();
  await staff.goto(`${BASE}/console/login`);
  await staff.fill('input[name=email]', EMAIL);
  await staff.fill('input[name=password]', PASSWORD);
  await Promise.all([staff.waitForNavigation(), staff.click('button[type=submit]')]);
  check(staff.url().includes('/console/conversations'), `logged in: ${staff.url()}`);
  check(await staff.isVisible('#notify-on'), 'a button asks for notifications');
  check(await staff.evaluate(() => window.__asked) === 0, 'not asked before the click');
  await staff.click('#notify-on');
  await staff.waitForSelector('#notify-on', { state: 'hidden' });
  check(await staff.evaluate(() => window.__asked) === 1, 'asked on the click');
  await staff.evaluate(() => { window.__sameDocument = true; });

  // The customer asks for a person.
  await customer.goto(`${BASE}/`);
  await openWithKeyboard(customer);
  await say(customer, 'A-100234 33100');
  const answer = await say(customer, 'Ich möchte bitte mit einem Mitarbeiter sprechen.');
  if (await customer.$('.vty-action[data-action="handoff"]')) {
    await customer.click('.vty-action[data-action="handoff"]');
  }
  const { id } = JSON.parse(await customer.evaluate((k) => localStorage.getItem(k), `verity-chat:${BASE}`));

  // The list shows it by itself, with the notification and the unread count.
  const row = `#conversation-list tr[data-conversation="${id}"]`;
  await staff.waitForSelector(`${row} .badge.handoff`, LIVE).catch(() => {
    throw new Error(`the waiting conversation did not appear in the list (the bot said: ${answer})`);
  });
  await staff.waitForFunction(() => window.__notes.length > 0, null, LIVE);
  const notes = await staff.evaluate(() => window.__notes);
  check(notes.length === 1 && /waiting|wartet/i.test(notes[0].title), `one notification: ${JSON.stringify(notes)}`);
  await staff.waitForSelector('#unread:not([hidden])', LIVE);
  check(Number(await staff.textContent('#unread .count')) >= 1, 'an unread count');
  check(await staff.evaluate(() => window.__sameDocument === true), 'the list page was not reloaded');
  check((await staff.textContent(`${row} .preview`)).length > 3, 'the row previews the last message');
  await shot(staff, 'console-live', '01-list-waiting');

  // Open (Alt+Shift+N: the next waiting conversation), take over (Alt+Shift+T), answer
  // (Ctrl+Enter).
  await Promise.all([staff.waitForNavigation(), staff.keyboard.press('Alt+Shift+N')]);
  check(staff.url().endsWith(`/console/conversations/${id}`), `the waiting conversation opened: ${staff.url()}`);
  await staff.waitForSelector('#unread', { state: 'hidden', ...LIVE });
  await Promise.all([staff.waitForNavigation(), staff.keyboard.press('Alt+Shift+T')]);
  check(await staff.isVisible('form.reply textarea'), 'taken over');
  check((await staff.textContent('.takeover .badge.staff')).includes(NAME), 'the takeover shows the display name');
  await staff.focus('form.reply textarea');
  await staff.keyboard.type('Guten Tag, hier ist Ida. Worum geht es?');
  await Promise.all([staff.waitForNavigation(), staff.keyboard.press('Control+Enter')]);
  const mine = staff.locator('ol.messages li.msg.role-staff').last();
  check((await mine.locator('header').innerText()).includes(NAME), 'the staff message is signed with the name');
  check(!(await mine.locator('header').innerText()).includes('staff_'), 'no opaque staff id');
  await customer.waitForFunction(() => [...document.querySelectorAll('.vty-msg.vty-staff .vty-text')]
    .some((e) => e.textContent.includes('Worum geht es?')), null, LIVE);

  // The customer writes; the open transcript shows it without a reload.
  await staff.evaluate(() => { window.__sameDocument = true; });
  await customer.focus('.vty-input');
  await customer.keyboard.type('Mein Paket ist nicht angekommen.');
  await customer.keyboard.press('Enter');
  await staff.waitForFunction(() => [...document.querySelectorAll('ol.messages li.msg.role-customer')]
    .some((e) => e.textContent.includes('Mein Paket ist nicht angekommen.')), null, LIVE);
  check(await staff.evaluate(() => window.__sameDocument === true), 'the transcript page was not reloaded');
  await shot(staff, 'console-live', '02-transcript-live');

  // The audit log names the staff member.
  await staff.goto(`${BASE}/console/audit`);
  check((await staff.textContent('table')).includes(NAME), 'the audit log shows the display name');
  await staffCtx.close();
});
