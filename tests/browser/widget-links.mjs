// The widget's first language and the carrier's tracking link (issue 19): the greeting
// follows the page's data-lang, else the browser's language (not always German); a reply
// that looked at a shipment of a known carrier links to the carrier's tracking page in a
// new tab (rel="noopener"), also after a reload; axe finds nothing serious.
import { run, check, shot, axe, BASE } from './lib.mjs';
import { openWithKeyboard, say, waitForReply } from './widget-lib.mjs';

/// A page on Verity's origin (served by the browser itself) that embeds the widget.
async function shopPage(context, path, dataLang, htmlLang) {
  await context.route(`${BASE}${path}`, (route) => route.fulfill({
    contentType: 'text/html; charset=utf-8',
    body: `<!doctype html><html${htmlLang ? ` lang="${htmlLang}"` : ''}><head><meta charset="utf-8"><title>Shop</title></head>
<body><h1>Shop</h1><a href="#top">Start</a>
<script src="/static/widget.js"${dataLang ? ` data-lang="${dataLang}"` : ''} async></script></body></html>`,
  }));
}

async function greetingIn(browser, locale, dataLang, htmlLang) {
  const context = await browser.newContext({ locale });
  const page = await context.newPage();
  await shopPage(context, '/greeting-test', dataLang, htmlLang);
  await page.goto(`${BASE}/greeting-test`);
  await openWithKeyboard(page);
  const greeting = await waitForReply(page, 0);
  const placeholder = await page.getAttribute('.vty-input', 'placeholder');
  await context.close();
  return { greeting, placeholder };
}

await run('widget-links', async ({ browser, page }) => {
  // The first language: data-lang, else the browser's, else the page's.
  const english = await greetingIn(browser, 'en-GB', null, 'de');
  check(/automated assistant/.test(english.greeting), `an English browser, no data-lang: ${english.greeting}`);
  check(english.placeholder === 'Type a message …', `English texts: ${english.placeholder}`);
  const german = await greetingIn(browser, 'de-DE', null, 'en');
  check(/automatische Assistent/.test(german.greeting), `a German browser, no data-lang: ${german.greeting}`);
  const told = await greetingIn(browser, 'en-GB', 'de', 'en');
  check(/automatische Assistent/.test(told.greeting), `data-lang="de" in an English browser: ${told.greeting}`);
  const toldEn = await greetingIn(browser, 'de-DE', 'en', 'de');
  check(/automated assistant/.test(toldEn.greeting), `data-lang="en" in a German browser: ${toldEn.greeting}`);

  // The tracking link.
  await page.goto(`${BASE}/`);
  await openWithKeyboard(page);
  await waitForReply(page, 0);
  await say(page, 'Wo ist mein Paket? Bestellung A-100234, PLZ 33100.');
  await page.waitForSelector('.vty-msg.vty-bot .vty-track', { timeout: 10000 });
  const links = await page.$$eval('.vty-track', (as) => as.map((a) => ({
    href: a.href, target: a.target, rel: a.rel, text: a.textContent })));
  check(links.length >= 1, 'a tracking link');
  for (const l of links) {
    check(/^https:\/\/(www\.dhl\.de|tracking\.dpd\.de|www\.myhermes\.de|gls-group\.com|www\.ups\.com|www\.fedex\.com)\//.test(l.href), `the carrier's own page: ${l.href}`);
    check(l.target === '_blank' && l.rel.split(' ').includes('noopener'), `a new tab, noopener: ${JSON.stringify(l)}`);
    check(/^Sendung \S+ bei \S+ verfolgen/.test(l.text) && /neuem Tab/.test(l.text), `a German label: ${l.text}`);
  }
  // Reachable with the keyboard.
  const reachable = await page.evaluate(() => {
    const a = document.querySelector('.vty-track');
    a.focus();
    return document.activeElement === a;
  });
  check(reachable, 'the link takes the focus');
  await axe(page, 'the widget with a tracking link');
  await shot(page, 'widget-links', '01-tracking-link', { fullPage: false });
  // After a reload the history has the link as well.
  await page.reload();
  await page.waitForSelector('.vty-panel:not([hidden]) .vty-msg.vty-bot .vty-track', { timeout: 10000 });
  const again = await page.$$eval('.vty-track', (as) => as.map((a) => a.href));
  check(again.includes(links[0].href), `the link after a reload: ${again}`);
});
