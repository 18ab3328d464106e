// The staff console in a real browser: log in, find the three-truths conversation
// (created by the Rust test through the chat API), open it, see the contradiction and
// the tool calls, mark the callback done, take over and reply. A screenshot per step.
import { run, check, shot, BASE } from './lib.mjs';

const EMAIL = process.env.VERITY_STAFF_EMAIL ?? 'ida.kellner@verity.example';
const PASSWORD = process.env.VERITY_STAFF_PASSWORD ?? 'lange-genug-2025';
const REPLY = 'Guten Tag, hier ist Ida vom Kundenservice. Ich rufe Sie gleich zurück.';

await run('console', async ({ page }) => {
  // Anonymous: the console sends us to the login page.
  await page.goto(`${BASE}/console`);
  check(page.url().includes('/console/login'), `redirected to the login page, at ${page.url()}`);
  await shot(page, 'console', '1-login');

  await page.fill('input[name=email]', EMAIL);
  await page.fill('input[name=password]', PASSWORD);
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  check(page.url().includes('/console/conversations'), `logged in, at ${page.url()}`);
  check(await page.isVisible('text=Log out'), 'the logout button is shown');
  await shot(page, 'console', '2-conversations');

  // Find the three-truths conversation by its order number.
  await page.fill('input[name=q]', 'A-100234');
  await Promise.all([page.waitForNavigation(), page.click('.filters button[type=submit]')]);
  const rows = await page.locator('table.conversations tbody tr').count();
  check(rows === 1, `one conversation about A-100234, got ${rows}`);
  await shot(page, 'console', '3-search');

  await Promise.all([page.waitForNavigation(), page.click('table.conversations tbody tr a >> nth=0')]);
  check(page.url().includes('/console/conversations/conv_'), `the transcript, at ${page.url()}`);
  const box = page.locator('.contradiction-box', { hasText: 'the driver reports a failed attempt' }).first();
  check(await box.isVisible(), 'the contradiction is shown by its readable label');
  const raw = box.locator('details.raw');
  check(!(await raw.locator('code', { hasText: 'delivered_but_driver_reports_failure' }).isVisible()), 'its code waits behind a toggle');
  await raw.locator('summary').click();
  check(await raw.locator('code', { hasText: 'delivered_but_driver_reports_failure' }).isVisible(), 'the toggle shows the code and the event ids');
  check(await page.locator('.timeline .entry.evidence').count() >= 2, 'its evidence is marked in the timeline');
  const track = page.locator('details.tool-call', { has: page.locator('summary code', { hasText: 'track_shipment' }) }).first();
  check(!(await track.locator('pre').first().isVisible()), 'tool calls start collapsed');
  await track.locator('summary').click();
  check(await track.locator('pre').first().isVisible(), 'a tool call opens');
  const result = await track.locator('pre').nth(1).innerText();
  check(result.includes('00340434161234567890'), 'the tool result names the shipment');
  await shot(page, 'console', '4-transcript');

  // Mark the callback done.
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Mark callback done")')]);
  check(await page.isVisible('text=The callback is marked done.'), 'the callback is done');
  check(await page.locator('tr.case-callback .status-done').count() === 1, 'the case shows done');
  await shot(page, 'console', '5-callback-done');

  // Take over and reply.
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Take over")')]);
  check(await page.isVisible('text=The bot is silent.'), 'taken over');
  await page.fill('textarea[name=text]', REPLY);
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Send to the customer")')]);
  check(await page.isVisible('text=Sent to the customer.'), 'sent');
  const last = page.locator('ol.messages li.msg').last();
  check((await last.getAttribute('class')).includes('role-staff'), 'the last message is the staff reply');
  check((await last.innerText()).includes(REPLY), 'with its text');
  await shot(page, 'console', '6-reply');
});
