// Staff messages are shown as such: a session that staff took over (prepared by the
// Rust test and handed over as VERITY_SESSION_ID / VERITY_SESSION_TOKEN, as the widget
// keeps it in localStorage) shows the staff message with its label and says that a
// person has taken over.
import { run, check, shot, BASE } from './lib.mjs';
import { openWithKeyboard, messages } from './widget-lib.mjs';

const id = process.env.VERITY_SESSION_ID;
const token = process.env.VERITY_SESSION_TOKEN;

await run('widget-staff', async ({ page }) => {
  check(id && token, 'the test prepared a session');
  await page.addInitScript(([key, value]) => {
    if (!localStorage.getItem(key)) localStorage.setItem(key, value);
  }, [`verity-chat:${BASE}`, JSON.stringify({ id, token, seq: 0 })]);
  await page.goto(`${BASE}/`);
  await openWithKeyboard(page);
  await page.waitForSelector('.vty-msg.vty-staff');
  const staff = await messages(page, 'staff');
  check(staff.length === 1 && staff[0].includes('Hier ist Jana'), `the staff message: ${staff}`);
  const who = await page.textContent('.vty-msg.vty-staff .vty-who');
  check(who.includes('Kundenservice-Team'), `labelled as staff: ${who}`);
  check(await page.isVisible('.vty-msg.vty-staff .vty-who'), 'the label is visible');
  check((await messages(page, 'customer')).includes('A-100234 33100'), 'the earlier messages are there');
  const note = await page.textContent('.vty-takeover');
  check(note.includes('übernommen'), `says that staff took over: ${note}`);
  check(await page.$('.vty-action') === null, 'no bot suggestions under a staff message');
  await shot(page, 'widget-staff', '01-staff-message');
});
