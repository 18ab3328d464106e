// Internal notes and saved replies in the console (issue 19), in German, keyboard only:
// an admin adds a saved reply with placeholders; an agent takes the three-truths
// conversation over (Alt+Shift+T), goes to the saved replies (Alt+Shift+R), inserts one
// filled from the conversation and sends it (Ctrl+Enter); a note written by one staff
// member appears live on a colleague's open page, marked "Interne Notiz", and the
// customer's widget never shows it. axe finds nothing serious on the pages.
import { run, check, shot, axe, BASE } from './lib.mjs';

const CONVERSATION = process.env.VERITY_CONVERSATION_ID;
const NOTE = 'Kundin bittet um Rückruf vor 12 Uhr (intern).';
const LIVE = { timeout: 10000 };

async function login(context, email, password) {
  const page = await context.newPage();
  await page.goto(`${BASE}/console/login`);
  await page.fill('input[name=email]', email);
  await page.fill('input[name=password]', password);
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  check(!page.url().includes('/login'), `logged in as ${email}`);
  return page;
}

await run('console-notes', async ({ browser }) => {
  check(CONVERSATION, 'the test prepared a conversation');
  const german = { locale: 'de-DE', viewport: { width: 1280, height: 900 } };

  // The admin keeps the saved replies.
  const adminCtx = await browser.newContext(german);
  const admin = await login(adminCtx, 'mara.lindqvist@verity.example', 'admin-passwort-2025');
  await admin.goto(`${BASE}/console/replies`);
  await admin.selectOption('#new-language', 'de');
  await admin.fill('#new-title', 'Rückruf zugesagt');
  await admin.fill('#new-body', 'Guten Tag {{ name }}, wir rufen Sie zur Bestellung {{ order }} heute noch zurück. Ihre {{ staff }}');
  await Promise.all([admin.waitForNavigation(), admin.click('.saved-reply-edit button[type=submit] >> nth=-1')]);
  check(await admin.isVisible('text=Die gespeicherte Antwort ist gesichert.'), 'saved');
  await axe(admin, 'the saved replies page');
  await shot(admin, 'console-notes', '1-saved-replies');

  // A colleague keeps the conversation open.
  const colleagueCtx = await browser.newContext(german);
  const colleague = await login(colleagueCtx, 'mara.lindqvist@verity.example', 'admin-passwort-2025');
  await colleague.goto(`${BASE}/console/conversations/${CONVERSATION}`);

  // The agent, keyboard only.
  const agentCtx = await browser.newContext(german);
  const agent = await login(agentCtx, 'ida.kellner@verity.example', 'lange-genug-2025');
  await agent.goto(`${BASE}/console/conversations/${CONVERSATION}`);
  await Promise.all([agent.waitForNavigation(), agent.keyboard.press('Alt+Shift+T')]);
  check(await agent.isVisible('text=Der Bot schweigt.'), 'taken over');
  await agent.evaluate(() => { window.__samePage = true; });
  await agent.keyboard.press('Alt+Shift+R');
  check(await agent.evaluate(() => document.activeElement.id === 'saved-reply'), 'Alt+Shift+R goes to the saved replies');
  await agent.keyboard.press('Tab');
  check(await agent.evaluate(() => document.activeElement.textContent.trim() === 'Einfügen'), 'then the insert button');
  await agent.keyboard.press('Enter');
  const text = await agent.inputValue('form.reply textarea');
  check(text === 'Guten Tag Frau Olbrich, wir rufen Sie zur Bestellung A-100234 heute noch zurück. Ihre Ida Kellner',
    `filled from the conversation: ${text}`);
  check(await agent.evaluate(() => document.activeElement.matches('form.reply textarea')), 'the focus is in the reply box');
  check(await agent.evaluate(() => window.__samePage === true), 'inserted without a reload');
  await axe(agent, 'the conversation with the saved replies');
  await Promise.all([agent.waitForNavigation(), agent.keyboard.press('Control+Enter')]);
  check(await agent.isVisible('text=An den Kunden gesendet.'), 'sent');

  // A note, by keyboard.
  await agent.focus('#note-text');
  await agent.keyboard.type(NOTE);
  await agent.keyboard.press('Tab');
  if (await agent.evaluate(() => document.activeElement.id === 'note-case')) await agent.keyboard.press('Tab');
  await Promise.all([agent.waitForNavigation(), agent.keyboard.press('Enter')]);
  check(await agent.isVisible('text=Die interne Notiz ist gespeichert.'), 'the note is saved');
  const mine = agent.locator('ol.messages li.msg.note').last();
  check((await mine.innerText()).includes('Interne Notiz · Ida Kellner'), `marked, with its author: ${await mine.innerText()}`);
  check((await mine.innerText()).includes(NOTE), 'with its text');
  await axe(agent, 'the conversation with a note');
  await shot(agent, 'console-notes', '2-note-and-reply');

  // Live on the colleague's page, without a reload.
  await colleague.waitForSelector(`ol.messages li.msg.note:has-text("${NOTE}")`, LIVE);
  await colleague.waitForSelector('ol.messages li.msg.role-staff:has-text("Frau Olbrich")', LIVE);
  await shot(colleague, 'console-notes', '3-colleague-live');
});
