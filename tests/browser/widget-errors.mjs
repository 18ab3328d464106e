// The widget when things go wrong: the network drops (the message waits and is sent
// when the connection is back), the connection drops after the server answered (the
// retry is answered once, not twice), the stream is cut off halfway (the half answer
// goes, the whole one comes once), and the server rate-limits (a clear message with the
// wait from Retry-After). The server runs with 8 messages per minute per session.
import { run, check, shot, BASE } from './lib.mjs';
import { openWithKeyboard, messages, waitForReply } from './widget-lib.mjs';

async function type(page, text) {
  await page.focus('.vty-input');
  await page.keyboard.type(text);
  await page.keyboard.press('Enter');
}

async function noticeMatching(page, re) {
  await page.waitForFunction((src) => {
    const n = document.querySelector('.vty-notice');
    return !!n && new RegExp(src).test(n.textContent);
  }, re.source, { timeout: 30000 });
  return page.textContent('.vty-notice');
}

await run('widget-errors', async ({ page, context }) => {
  await page.goto(`${BASE}/`);
  await openWithKeyboard(page);
  await waitForReply(page, 0);

  // 0. While the answer is on its way, a typing indicator shows (the request is held
  // until the indicator has been seen, so this does not depend on timing).
  let release;
  const held = new Promise((r) => { release = r; });
  await page.route('**/messages', async (route) => {
    if (route.request().method() === 'POST') await held;
    await route.continue();
  });
  await type(page, 'Guten Tag');
  await page.waitForSelector('.vty-typing');
  check((await page.textContent('[role="status"]')).includes('schreibt'), 'the typing is announced');
  await shot(page, 'widget-errors', '00-typing');
  release();
  await waitForReply(page, 1);
  await page.unroute('**/messages');
  check(await page.$('.vty-typing') === null, 'the indicator goes when the answer is there');

  // 1. Offline: a clear message, the text stays, and it is sent once the network is back.
  await context.setOffline(true);
  await type(page, 'Hallo, ist da jemand?');
  const down = await noticeMatching(page, /nicht erreichbar/);
  check(/Neuer Versuch in \d+ s/.test(down), `says when it tries again: ${down}`);
  check((await messages(page, 'customer')).includes('Hallo, ist da jemand?'), 'the message stays in the chat');
  check(await page.isVisible('.vty-notice button'), 'a button to try again now');
  await shot(page, 'widget-errors', '01-offline');
  await context.setOffline(false);
  await waitForReply(page, 2);
  await noticeMatching(page, /Verbindung wiederhergestellt/);
  check((await messages(page, 'bot')).length === 3, 'one answer after the network came back');
  await shot(page, 'widget-errors', '02-back-online');

  // 2. The connection drops after the server has answered: the widget retries with the
  // same client id, the server does not answer twice, the widget shows the one answer.
  let dropped = 0;
  await page.route('**/messages', async (route) => {
    if (route.request().method() === 'POST' && dropped === 0) {
      dropped++;
      await route.fetch(); // the server gets it and answers …
      await route.abort('connectionreset'); // … and the answer is lost on the way
    } else {
      await route.continue();
    }
  });
  await type(page, 'Wie lange dauert die Lieferung?');
  await waitForReply(page, 3);
  check(dropped === 1, 'one response was dropped');
  await page.unroute('**/messages');
  const bots = await messages(page, 'bot');
  check(bots.length === 4, `exactly one answer for the retried message: ${bots.length} bot messages`);
  const asked = (await messages(page, 'customer')).filter((t) => t === 'Wie lange dauert die Lieferung?');
  check(asked.length === 1, 'the question shows once');
  await shot(page, 'widget-errors', '03-dropped-answer');

  // 3. The stream is cut off after its first part (the server did answer): the widget
  // drops the half answer, retries, and shows the whole answer once.
  let cut = '';
  await page.route('**/messages', async (route) => {
    if (route.request().method() === 'POST' && !cut) {
      const body = await (await route.fetch()).text();
      cut = body.slice(0, body.indexOf('\n\n') + 2);
      await route.fulfill({ status: 200, contentType: 'text/event-stream', body: cut });
    } else {
      await route.continue();
    }
  });
  await type(page, 'Was kostet der Versand?');
  await waitForReply(page, 4);
  await page.unroute('**/messages');
  check(cut.startsWith('event: delta'), `the stream was cut after a delta: ${cut}`);
  const afterCut = await messages(page, 'bot');
  check(afterCut.length === 5, `one answer after the cut: ${afterCut.length} bot messages`);
  const part = cut.split('\n').find((l) => l.startsWith('data:')).slice(5).trim();
  check(afterCut[4].length > part.length && afterCut[4].includes(part), `the whole answer is shown: ${afterCut[4]}`);
  await shot(page, 'widget-errors', '04-cut-stream');

  // 4. Rate limit: a clear message with the wait the server asks for.
  let limited = null;
  for (let i = 1; i <= 6 && !limited; i++) {
    const before = (await messages(page, 'bot')).length;
    await type(page, `Frage Nummer ${i}`);
    await page.waitForFunction((n) => {
      const note = document.querySelector('.vty-notice');
      return document.querySelectorAll('.vty-msg.vty-bot').length > n && !document.querySelector('.vty-typing')
        || (!!note && /warten/.test(note.textContent));
    }, before, { timeout: 30000 });
    const note = await page.$('.vty-notice');
    if (note && /warten/.test(await note.textContent())) limited = await note.textContent();
  }
  check(limited, 'the server rate-limited within six messages');
  check(/Bitte warten Sie \d+ s/.test(limited), `says how long to wait: ${limited}`);
  await shot(page, 'widget-errors', '05-rate-limited');
});
