// Every console page through axe-core (no serious or critical violation), on a desktop
// and on a 390 px wide screen (nothing wider than the screen, order numbers whole on
// one line). The Rust test prepared the three-truths conversation with a callback.
import { run, check, shot, axe, BASE } from './lib.mjs';

const EMAIL = process.env.VERITY_STAFF_EMAIL ?? 'ida.kellner@verity.example';
const PASSWORD = process.env.VERITY_STAFF_PASSWORD ?? 'lange-genug-2025';
const CONVERSATION = process.env.VERITY_CONVERSATION_ID;
const LANG = process.env.VERITY_CONSOLE_LANG ?? 'en';

const PAGES = [
  ['conversations', '/console/conversations'],
  ['conversation', `/console/conversations/${CONVERSATION}`],
  ['cases', '/console/cases'],
  ['contradictions', '/console/contradictions'],
  ['customer', '/console/customers/C-1001'],
  ['shipment', '/console/shipments/00340434161234567890'],
  ['audit', '/console/audit'],
  ['replies', '/console/replies'],
];

async function login(page) {
  await page.goto(`${BASE}/console/login`);
  await axe(page, 'the login page');
  await page.fill('input[name=email]', EMAIL);
  await page.fill('input[name=password]', PASSWORD);
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
}

await run(`console-a11y-${LANG}`, async ({ browser, page }) => {
  check(CONVERSATION, 'the test prepared a conversation');
  await login(page);
  check(await page.getAttribute('html', 'lang') === LANG, `the console speaks ${LANG} (from Accept-Language)`);
  const nav = await page.textContent('header.top nav');
  check(nav.includes(LANG === 'de' ? 'Gespräche' : 'Conversations'), `the navigation in ${LANG}: ${nav}`);
  for (const [name, path] of PAGES) {
    await page.goto(`${BASE}${path}`);
    check(!page.url().includes('/login'), `${name} opens`);
    await page.$$eval('details', (ds) => ds.forEach((d) => { d.open = true; }));
    await axe(page, `${name} (desktop)`);
    await shot(page, `console-${LANG}`, name);
  }

  const narrow = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: LANG === 'de' ? 'de-DE' : 'en-GB' });
  const phone = await narrow.newPage();
  await login(phone);
  for (const [name, path] of PAGES) {
    await phone.goto(`${BASE}${path}`);
    const wide = await phone.evaluate(() => document.documentElement.scrollWidth);
    check(wide <= 390, `${name} fits 390 px (is ${wide} px wide)`);
    const split = await phone.$$eval('.order-number, .nowrap', (els) => els
      .filter((e) => e.getClientRects().length > 1 || e.offsetHeight > 2 * parseFloat(getComputedStyle(e).lineHeight || '20'))
      .map((e) => e.textContent));
    check(split.length === 0, `${name}: order numbers on one line: ${split}`);
    await axe(phone, `${name} (390 px)`);
    await shot(phone, `console-${LANG}-narrow`, name, { fullPage: false });
  }
  await narrow.close();
}, { locale: LANG === 'de' ? 'de-DE' : 'en-GB' });
