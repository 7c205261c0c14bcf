// Drives Debian's chromium through Tidtam's web pages, with every other host
// blocked: GraphiQL runs a query typed into it; the dashboard's figures and
// totals equal what the API answers; every column sorts both ways; a click
// leads to the aerobic-dance project's report; a scoped token sees only its
// scope, in the tables, the chart and the downloads; at a phone's width
// (390 px) the tracking table scrolls sideways with the LAO's name kept in
// view; with every Thai font of the machine hidden, Thai is still drawn, in
// the Sarabun font Tidtam serves.
// Usage: node browser.mjs http://127.0.0.1:PORT [screenshot-folder]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer from 'puppeteer-core';

const base = process.argv[2];
const shots = process.argv[3];
const failures = [];
const check = (ok, what) => { if (!ok) failures.push(what); console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`); };

/** Chromium with every host but the test's own unreachable; `env` is the
 * environment it starts in (fontconfig's, for the run with no Thai font). */
const launch = (env = process.env) => puppeteer.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  env,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1'],
});
const browser = await launch();
const page = await browser.newPage();
await page.setViewport({ width: 1400, height: 1000 });
const foreign = [];
const consoleErrors = [];
/** Records, for every page, requests to other hosts and console errors. */
function watch(p) {
  p.on('request', (r) => { if (!r.url().startsWith(base) && !r.url().startsWith('data:')) foreign.push(r.url()); });
  p.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  p.on('pageerror', (e) => consoleErrors.push(String(e)));
}
watch(page);

async function api(query, variables) {
  const r = await fetch(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  return (await r.json()).data;
}

/** Every league row of a province, page by page, as the API ranks them. */
async function allScores(province) {
  const nodes = [];
  let after = null;
  for (;;) {
    const page = (await api(`query ($p: String, $after: String) { performanceScores(fiscalYear: 2564, provinceCode: $p, first: 100, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { organisationCode name rankInNation score } } } }`, { p: province, after })).performanceScores;
    nodes.push(...page.edges.map((e) => e.node));
    if (!page.pageInfo.hasNextPage) return { total: page.totalCount, nodes };
    after = page.pageInfo.endCursor;
  }
}

/** Clicks a column header twice and reads the column after each click:
 * ascending then descending, told by aria-sort too. */
async function sortTwice(p, table, col) {
  const read = () => p.$$eval(`${table} tbody tr:not(.total)`, (trs, c) => trs.filter((tr) => tr.cells.length > c).map((tr) => tr.cells[c].textContent.trim()), col);
  const aria = () => p.$eval(`${table} th[data-col="${col}"]`, (th) => th.getAttribute('aria-sort'));
  await p.click(`${table} th[data-col="${col}"] button`);
  const first = { values: await read(), aria: await aria() };
  await p.click(`${table} th[data-col="${col}"] button`);
  const second = { values: await read(), aria: await aria() };
  return [first, second];
}
const numeric = (v) => Number(v.replace(/,/g, ''));
const inOrder = (values, cmp) => values.every((v, i) => i === 0 || cmp(values[i - 1], v) <= 0);
const thai = (a, b) => a.localeCompare(b, 'th');

// GraphiQL: renders, runs the first tab's query, shows the answer.
await page.goto(`${base}/graphiql`, { waitUntil: 'networkidle0' });
await page.waitForSelector('.graphiql-execute-button', { timeout: 15000 });
const tabCount = await page.$$eval('.graphiql-tab', (tabs) => tabs.length);
const documents = readdirSync(new URL('../../queries/', import.meta.url)).filter((f) => f.endsWith('.graphql')).length;
check(tabCount === documents, `GraphiQL opens every document of queries/ as a tab (${tabCount} of ${documents})`);
await page.click('.graphiql-execute-button');
await page.waitForFunction(() => document.querySelector('.result-window')?.textContent.includes('20000.00'), { timeout: 15000 });
check(true, 'GraphiQL runs a query and shows 20000.00');
// Then a query typed into the editor of a new tab, as a person would (the
// editor closes brackets itself and steps over the typed closing ones). A new
// tab: typed over a named operation, GraphiQL may still send the old
// operationName for a moment after the edit.
const typed = '{ provinces(first: 3) { totalCount edges { node { code nameEn } } } }';
await page.click('.graphiql-tab-add');
await page.waitForFunction((n) => document.querySelectorAll('.graphiql-tab').length === n + 1, { timeout: 15000 }, tabCount);
await page.click('.graphiql-query-editor .CodeMirror-code');
await page.keyboard.down('Control');
await page.keyboard.press('KeyA');
await page.keyboard.up('Control');
await page.keyboard.press('Backspace');
await page.keyboard.type(typed);
await page.keyboard.press('Escape');
const editorText = await page.$eval('.graphiql-query-editor .CodeMirror', (el) => el.CodeMirror.getValue());
check(editorText === typed, `the typed query is in the editor (${editorText})`);
const firstProvince = (await api(typed)).provinces.edges[0].node.nameEn;
// GraphiQL learns the edited document's operation name after a debounce
// (100 ms, longer on a loaded machine); a click before that sends the tab's
// old name and the server answers "Unknown operation". A person would see
// the name settle; the test waits for it, then runs the query again if it
// was still early.
await new Promise((r) => setTimeout(r, 1000));
await page.click('.graphiql-execute-button');
await page.waitForFunction(() => (document.querySelector('.result-window')?.textContent ?? '').match(/"data"|"errors"/), { timeout: 15000 });
if ((await page.$eval('.result-window', (el) => el.textContent)).includes('Unknown operation')) {
  await new Promise((r) => setTimeout(r, 1000));
  await page.click('.graphiql-execute-button');
}
await page.waitForFunction((name) => document.querySelector('.result-window')?.textContent.includes(name), { timeout: 15000 }, firstProvince)
  .catch(async (e) => { console.log(`result window: ${await page.$eval('.result-window', (el) => el.textContent)}`); throw e; });
const answer = await page.$eval('.result-window', (el) => el.textContent);
check(answer.includes('"totalCount"') && !answer.includes('20000.00'), `GraphiQL shows the typed query's answer (${firstProvince})`);
if (shots) {
  // Laid out by GraphiQL's own prettify button, for a readable screenshot.
  await page.click('button[aria-label^="Prettify query"]').catch(() => {});
  await page.screenshot({ path: `${shots}/graphiql.png` });
}

// The dashboard for Kanchanaburi, FY 2564.
await page.goto(`${base}/?fy=2564&province=71`, { waitUntil: 'networkidle0' });
await page.waitForSelector('#tracking tbody tr.link', { timeout: 15000 });
const truth = (await api(`{ monitoringReport(fiscalYear: 2564, provinceCode: "71") { planYears rows { organisationCode name recordingDone strategies planProjects { planYear projects } planApproved projectsAdded budgetApproved reported contracted disbursed fullyDisbursed completed } provinceTotals { recordingDone strategies planProjects { planYear projects } planApproved projectsAdded budgetApproved reported contracted disbursed fullyDisbursed completed } } }`)).monitoringReport;
const shown = await page.$$eval('#tracking tbody tr.link', (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent.trim())));
check(shown.length === truth.rows.length, `the tracking table has ${truth.rows.length} rows`);
const n = (v) => Number(v).toLocaleString('th-TH');
truth.rows.forEach((r, i) => {
  const plan = Object.fromEntries(r.planProjects.map((p) => [p.planYear, p.projects]));
  const expected = [r.name, r.recordingDone ? 'ทำแล้ว' : '–', n(r.strategies), ...truth.planYears.map((y) => n(plan[y] || 0)),
    r.planApproved ? 'ทำแล้ว' : '–', n(r.projectsAdded), n(r.budgetApproved), n(r.reported), n(r.contracted), n(r.disbursed),
    n(r.fullyDisbursed), n(r.completed)];
  check(JSON.stringify(shown[i]) === JSON.stringify(expected), `row ${r.name} equals monitoringReport`);
});
const tt = truth.provinceTotals;
const totalsPlan = Object.fromEntries(tt.planProjects.map((p) => [p.planYear, p.projects]));
const expectedTotals = ['รวม', n(tt.recordingDone), n(tt.strategies), ...truth.planYears.map((y) => n(totalsPlan[y] || 0)), n(tt.planApproved),
  n(tt.projectsAdded), n(tt.budgetApproved), n(tt.reported), n(tt.contracted), n(tt.disbursed), n(tt.fullyDisbursed), n(tt.completed)];
const shownTotals = await page.$eval('#tracking tbody tr.total', (tr) => [...tr.cells].map((c) => c.textContent.trim()));
check(JSON.stringify(shownTotals) === JSON.stringify(expectedTotals), `the totals row equals monitoringReport's provinceTotals (${shownTotals})`);
const ranks = (await allScores('71')).nodes.map((r) => [r.name, String(r.rankInNation)]);
const league = await page.$$eval('#league tbody tr', (trs) => trs.map((tr) => [tr.cells[2].textContent, tr.cells[0].textContent]));
check(JSON.stringify(league) === JSON.stringify(ranks), 'league ranks equal performanceScores');
const links = await page.$$eval('#downloads a', (as) => as.map((a) => a.getAttribute('href')));
check(links.includes('/export/tracking.csv?fiscalYear=2564&provinceCode=71'), `download links for the chosen province and year (${links.length})`);
const csv = await (await fetch(`${base}/export/tracking.csv?fiscalYear=2564&provinceCode=71`)).text();
check(csv.split('\n').filter((l) => l.trim()).length === truth.rows.length + 1, 'the tracking CSV download has one line per LAO');
if (shots) await page.screenshot({ path: `${shots}/dashboard.png` });

// Every column sorts both ways: text in Thai order, numbers as numbers.
const [byNameUp, byNameDown] = await sortTwice(page, '#tracking', 0);
check(byNameUp.aria === 'ascending' && byNameDown.aria === 'descending', `aria-sort follows the clicks (${byNameUp.aria}, ${byNameDown.aria})`);
check(inOrder(byNameUp.values, thai) && JSON.stringify(byNameDown.values) === JSON.stringify([...byNameUp.values].reverse()),
  `the tracking table sorts by name and a second click flips it (${byNameUp.values})`);
const [scoreUp, scoreDown] = await sortTwice(page, '#league', 3);
check(scoreUp.values.length === ranks.length && inOrder(scoreUp.values.map(numeric), (a, b) => a - b) && inOrder(scoreDown.values.map(numeric), (a, b) => b - a),
  `the league sorts by score numerically both ways (${scoreUp.values} / ${scoreDown.values})`);
const [rankUp] = await sortTwice(page, '#league', 0);
check(JSON.stringify(rankUp.values) === JSON.stringify(ranks.map((r) => r[1])), 'the league sorts back by rank');
await page.click('#league th[data-col="0"] button'); // by rank, best first, again

// A province with more LAOs than one page of performanceScores: all are listed.
const big = await allScores('72');
await page.select('#province', '72');
await page.waitForFunction((count) => document.querySelectorAll('#league tbody tr').length === count, { timeout: 20000 }, big.total);
const bigShown = await page.$$eval('#league tbody tr', (trs) => trs.map((tr) => tr.dataset.code));
check(big.total > 100 && JSON.stringify(bigShown) === JSON.stringify(big.nodes.map((r) => r.organisationCode)),
  `the league lists all ${big.total} LAOs of a province with more than 100`);
await page.select('#province', '71');
await page.waitForFunction(() => document.querySelector('#tracking tbody tr.link')?.dataset.code.startsWith('71'), { timeout: 15000 });

// Drill down: the LAO, its projects, the aerobic-dance report (found by its
// name) with its goal codes.
await page.evaluate(() => [...document.querySelectorAll('#tracking tr.link')].find((tr) => tr.dataset.code === '7100001').click());
await page.waitForSelector('#projects tr.link', { timeout: 15000 });
const [budgetUp, budgetDown] = await sortTwice(page, '#projects', 1);
const budgets = (v) => v.filter((x) => /^[\d,.]+$/.test(x)).map(numeric);
check(budgetUp.aria === 'ascending' && inOrder(budgets(budgetUp.values), (a, b) => a - b) && inOrder(budgets(budgetDown.values), (a, b) => b - a),
  `the projects sort by budget both ways (${budgetUp.values} / ${budgetDown.values})`);
const aerobic = await page.evaluate(() => {
  const tr = [...document.querySelectorAll('#projects tr.link')].find((row) => row.cells[0].textContent.includes('แอโรบิค'));
  if (tr) tr.click();
  return tr ? tr.cells[0].textContent : null;
});
check(aerobic !== null, `the aerobic-dance project is listed (${aerobic})`);
await page.waitForFunction(() => document.querySelectorAll('#report .goal').length === 3, { timeout: 15000 });
const report = await page.$eval('#report', (el) => el.textContent);
check(report.includes('แอโรบิค'), 'the report is the aerobic-dance project\'s');
check(['3.1', '140001', '140101'].every((c) => report.includes(c)), 'the report shows its three goal codes');
check(report.includes('14.752029198560914'), 'the report shows its location');
const thaiStatus = await page.$eval('#report .status', (el) => el.textContent);
check(['ร่างรายงาน', 'ส่งรายงานแล้ว', 'ดำเนินการเสร็จสิ้น'].includes(thaiStatus), `the report's status in Thai (${thaiStatus})`);
if (shots) {
  await page.evaluate(() => document.getElementById('drill').scrollIntoView());
  await page.screenshot({ path: `${shots}/drill-down.png` });
}
// The language switch redraws the drill-down too.
await page.click('#lang');
const english = {
  title: await page.$eval('#drill-title', (el) => el.textContent),
  status: await page.$eval('#report .status', (el) => el.textContent),
  goals: await page.$$eval('#report .goal', (gs) => gs.length),
};
check(english.title.startsWith('Project report list') && ['Draft', 'Submitted', 'Completed'].includes(english.status) && english.goals === 3,
  `the drill-down redrawn in English (${JSON.stringify(english)})`);
await page.click('#lang');

// A phone (390 px, an iPhone 12 to 15): the tracking report's 16 columns do
// not fit, so the table scrolls sideways inside its box while the first
// column, the LAO's name, stays put and keeps to two lines; the page itself
// does not scroll sideways; the drill-down's e-LAAS date is not cut off.
const phone = await browser.newPage();
watch(phone);
await phone.setViewport({ width: 390, height: 844, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
await phone.goto(`${base}/?fy=2564&province=71`, { waitUntil: 'networkidle0' });
await phone.waitForSelector('#tracking tbody tr.link', { timeout: 15000 });
// Line breaks depend on the font: measure with Sarabun in place.
await phone.evaluate(() => document.fonts.ready);
/** How wide the page is laid out, and how wide its content is. */
const pageWidth = () => phone.evaluate(() => ({ view: document.documentElement.clientWidth, content: document.documentElement.scrollWidth }));
const phoneWidth = await pageWidth();
check(phoneWidth.view === 390 && phoneWidth.content <= phoneWidth.view,
  `at 390 px the page is laid out 390 px wide and does not scroll sideways (${JSON.stringify(phoneWidth)})`);
/** Scrolls the tracking table's box sideways by `by` px and reads where the
 * first and last cells of every row are before and after, and which element
 * is drawn at the first body cell's middle once scrolled (the sticky cell
 * must be on top of the cells sliding under it). */
const slide = (by) => phone.evaluate((dx) => {
  const box = document.getElementById('tracking').parentElement;
  box.scrollIntoView();
  const lefts = (sel) => [...document.querySelectorAll(sel)].map((c) => c.getBoundingClientRect().left);
  const first = '#tracking tr > :first-child';
  const last = '#tracking tr > :last-child';
  box.scrollLeft = 0;
  const before = { first: lefts(first), last: lefts(last) };
  box.scrollLeft = dx;
  const cell = document.querySelector('#tracking tbody tr.link td:first-child');
  const r = cell.getBoundingClientRect();
  const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  return {
    overflow: box.scrollWidth - box.clientWidth,
    scrolled: box.scrollLeft,
    firstColumnShare: r.width / box.clientWidth,
    onTop: Boolean(hit && hit.closest('td') === cell),
    before,
    after: { first: lefts(first), last: lefts(last) },
  };
}, by);
const slid = await slide(150);
check(slid.overflow > 0 && slid.scrolled === 150, `the tracking table scrolls sideways in its box (${slid.overflow} px more than fits)`);
// Within a pixel: a cell's edge may sit on a fraction of a pixel, which a
// stuck cell may snap the other way.
const near = (a, b) => Math.abs(a - b) <= 1;
check(slid.after.first.length > 1 && slid.after.first.every((x, i) => near(x, slid.before.first[i])),
  `its first column stays put while it scrolls (${slid.before.first} → ${slid.after.first})`);
check(slid.after.last.every((x, i) => near(x, slid.before.last[i] - slid.scrolled)),
  `its other columns move by the scroll (${slid.before.last} → ${slid.after.last})`);
check(slid.onTop, 'the first column is drawn over the columns scrolled under it');
check(slid.firstColumnShare <= 0.5, `the first column takes at most half the width (${slid.firstColumnShare.toFixed(2)})`);
/** The number of lines each first-column cell of `selector` is drawn on (its
 * text's line boxes, told apart by their tops). */
const lineCounts = (selector) => phone.$$eval(selector, (tds) => tds.map((td) => {
  const range = document.createRange();
  range.selectNodeContents(td);
  const tops = [...range.getClientRects()].filter((q) => q.width > 0).map((q) => q.top).sort((a, b) => a - b);
  return [td.textContent, tops.filter((top, i) => i === 0 || top - tops[i - 1] > 2).length];
}));
const nameLines = await lineCounts('#tracking tbody tr.link td:first-child');
check(nameLines.length === truth.rows.length && nameLines.every(([, lines]) => lines >= 1 && lines <= 2),
  `every LAO's name is on one or two lines (${nameLines.map(([name, lines]) => `${name}: ${lines}`).join(', ')})`);
if (shots) {
  // Scrolled sideways a little, to show the name column staying put.
  await slide(120);
  await phone.evaluate(() => window.scrollTo(0, 0));
  await phone.screenshot({ path: `${shots}/phone.png` });
}
await slide(0);
await phone.evaluate(() => [...document.querySelectorAll('#tracking tr.link')].find((tr) => tr.dataset.code === '7100001').click());
await phone.waitForSelector('#projects tr.link', { timeout: 15000 });
const asOf = await phone.$eval('#as-of', (el) => {
  el.scrollIntoView();
  const range = document.createRange();
  range.selectNodeContents(el);
  const text = [...range.getClientRects()].filter((q) => q.width > 0);
  return {
    text: el.textContent,
    scrollWidth: el.scrollWidth,
    clientWidth: el.clientWidth,
    left: Math.min(...text.map((q) => q.left)),
    right: Math.max(...text.map((q) => q.right)),
    view: document.documentElement.clientWidth,
  };
});
check(asOf.text.includes('e-LAAS') && /\d/.test(asOf.text) && asOf.scrollWidth <= asOf.clientWidth && asOf.left >= 0 && asOf.right <= asOf.view,
  `the drill-down's e-LAAS date is whole on the phone's screen (${JSON.stringify(asOf)})`);
const drillWidth = await pageWidth();
check(drillWidth.content <= drillWidth.view, `with the drill-down open the page still does not scroll sideways (${JSON.stringify(drillWidth)})`);
await phone.close();

// No Thai font on the machine (a kiosk, a headless PDF job): every Thai
// character would be a box unless the page brings its own font. A second
// Chromium starts with a fontconfig that keeps the system's configuration
// but rejects every font covering Thai; the page must then draw its Thai in
// the Sarabun that Tidtam serves, loaded from Tidtam itself.
/** Families of the fonts fontconfig offers for Thai in `env` (null if
 * fc-list is not installed: Chromium's own report below still decides). */
const thaiFamilies = (env) => {
  try {
    return execFileSync('fc-list', [':lang=th', 'family'], { env, encoding: 'utf8' })
      .split('\n').flatMap((l) => l.split(',')).map((f) => f.trim()).filter(Boolean);
  } catch {
    return null;
  }
};
/** The fonts Chromium drew the text of `selector` with (DevTools' own
 * account, so a box drawn for a missing glyph is not mistaken for text). */
async function platformFonts(p, selector) {
  const cdp = await p.createCDPSession();
  await cdp.send('DOM.enable');
  await cdp.send('CSS.enable');
  const { root } = await cdp.send('DOM.getDocument', { depth: 0 });
  const { nodeId } = await cdp.send('DOM.querySelector', { nodeId: root.nodeId, selector });
  const { fonts } = await cdp.send('CSS.getPlatformFontsForNode', { nodeId });
  await cdp.detach();
  return fonts;
}
/** A Thai word in the system's sans-serif, not in Sarabun: what a page with
 * no web font would get. */
const addProbe = (p) => p.evaluate(() => {
  const probe = document.createElement('p');
  probe.id = 'font-probe';
  probe.style.fontFamily = 'sans-serif';
  probe.textContent = 'สวัสดี';
  document.body.append(probe);
});
const systemThai = thaiFamilies(process.env) ?? [];
const fontDir = mkdtempSync(join(tmpdir(), 'tidtam-no-thai-'));
writeFileSync(join(fontDir, 'fonts.conf'), `<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">
<fontconfig>
  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>
  <selectfont><rejectfont><pattern><patelt name="lang"><string>th</string></patelt></pattern></rejectfont></selectfont>
</fontconfig>
`);
const noThaiEnv = { ...process.env, FONTCONFIG_FILE: join(fontDir, 'fonts.conf') };
const hidden = thaiFamilies(noThaiEnv);
check(hidden === null || hidden.length === 0, `fontconfig offers no Thai font in the run without them (${hidden ?? 'no fc-list'}; the machine has ${systemThai.length})`);
// With the machine's fonts, the probe is drawn in one of its Thai fonts:
// the probe can tell a Thai system font when there is one.
await addProbe(page);
const probeWithFonts = (await platformFonts(page, '#font-probe')).map((f) => f.familyName);
check(systemThai.length === 0 || probeWithFonts.some((f) => systemThai.includes(f)),
  `with the machine's fonts, Thai in sans-serif is drawn in a system Thai font (${probeWithFonts})`);
await page.evaluate(() => document.getElementById('font-probe').remove());
const bare = await launch(noThaiEnv);
const kiosk = await bare.newPage();
watch(kiosk);
await kiosk.setViewport({ width: 1400, height: 1000 });
await kiosk.goto(`${base}/?fy=2564&province=71`, { waitUntil: 'networkidle0' });
await kiosk.waitForSelector('#tracking tbody tr.link', { timeout: 15000 });
await addProbe(kiosk);
const probeWithout = (await platformFonts(kiosk, '#font-probe')).map((f) => f.familyName);
check(!probeWithout.some((f) => systemThai.includes(f)), `with Thai fonts hidden, Chromium finds none for sans-serif (${probeWithout})`);
const webFont = await kiosk.evaluate(async () => {
  await document.fonts.ready;
  return {
    check: document.fonts.check('16px Sarabun', 'สวัสดี'),
    // The faces that cover Thai (ก is U+0E01) and were loaded.
    loaded: [...document.fonts].filter((f) => f.family.replace(/"/g, '') === 'Sarabun' && /0?E01/i.test(f.unicodeRange) && f.status === 'loaded').map((f) => f.weight),
    heading: getComputedStyle(document.querySelector('main h2')).fontFamily,
  };
});
check(webFont.check && webFont.loaded.length > 0, `the bundled Sarabun is loaded for Thai (faces of weight ${webFont.loaded})`);
check(/^"?Sarabun"?,/.test(webFont.heading), `a Thai heading asks for Sarabun first (${webFont.heading})`);
// (DevTools reports the text directly inside the node: the header's label is
// inside its sort button.)
for (const selector of ['main h2', '#tracking tbody tr.link td', '#tracking thead th button']) {
  const fonts = await platformFonts(kiosk, selector);
  check(fonts.length > 0 && fonts.every((f) => f.familyName === 'Sarabun' && f.isCustomFont),
    `with no Thai font on the machine, ${selector} is drawn in the served Sarabun (${fonts.map((f) => `${f.familyName}${f.isCustomFont ? ' (web)' : ''}: ${f.glyphCount}`)})`);
}
await bare.close();
rmSync(fontDir, { recursive: true, force: true });

// Signed in with a scoped token, the dashboard offers only the account's scope.
async function signedIn(token) {
  const p = await browser.newPage();
  watch(p);
  await p.goto(`${base}/?fy=2564&province=71`, { waitUntil: 'networkidle0' });
  await p.type('#token', token);
  await p.$eval('#token', (el) => el.dispatchEvent(new Event('change')));
  await p.waitForFunction(() => document.getElementById('who').textContent.length > 0, { timeout: 15000 });
  await p.waitForNetworkIdle();
  await p.waitForSelector('#tracking tbody tr.link', { timeout: 15000 });
  const seen = {
    provinces: await p.$$eval('#province option', (os) => os.map((o) => o.value)),
    rows: await p.$$eval('#tracking tbody tr.link', (trs) => trs.map((tr) => tr.dataset.code)),
    chart: await p.evaluate(() => Chart.getChart('chart').data.labels),
    downloads: await p.$$eval('#downloads a', (as) => as.map((a) => a.getAttribute('href'))),
    league: await p.$$eval('#league tbody tr', (trs) => trs.map((tr) => tr.dataset.code)),
  };
  // A download carries the account's token (a plain link could not).
  const sent = p.waitForRequest((r) => r.url().includes('/export/emenscr.xlsx'), { timeout: 15000 });
  const answered = p.waitForResponse((r) => r.url().includes('/export/emenscr.xlsx'), { timeout: 15000 });
  await p.click('#downloads a[href*="emenscr.xlsx"]');
  seen.downloadAuthorized = ((await sent).headers().authorization || '').startsWith('Bearer ');
  seen.downloadStatus = (await answered).status();
  await p.waitForNetworkIdle();
  await p.close();
  return seen;
}
const anonymousProvinces = await page.$$eval('#province option', (os) => os.map((o) => o.value));
check(anonymousProvinces.includes('72'), `without a token every province is offered (${anonymousProvinces})`);
const evaluator = await signedIn(process.env.EVALUATOR_TOKEN);
check(JSON.stringify(evaluator.provinces) === '["71"]', `the evaluator of 71 sees only its province (${evaluator.provinces})`);
check(evaluator.rows.length === truth.rows.length, 'the evaluator sees every LAO of its province');
const officer = await signedIn(process.env.OFFICER_TOKEN);
check(JSON.stringify(officer.rows) === '["7100001"]', `the officer sees only its LAO (${officer.rows})`);
check(JSON.stringify(officer.league) === '["7100001"]', `the officer's league table has only its LAO (${officer.league})`);
const officerName = truth.rows.find((r) => r.organisationCode === '7100001')?.name;
check(officerName && JSON.stringify(officer.chart) === JSON.stringify([officerName]), `the officer's chart has only its LAO (${officer.chart})`);
check(officer.downloads.length > 0 && officer.downloads.every((h) => h.includes('organisationCode=7100001') && !h.includes('provinceCode')),
  `the officer's downloads are its LAO's (${officer.downloads[0]})`);
check(officer.downloadAuthorized && officer.downloadStatus === 200, `the officer's download is sent with its token (${officer.downloadStatus})`);
check(evaluator.chart.length === truth.rows.length && evaluator.downloads.every((h) => h.includes('provinceCode=71')), 'the evaluator\'s chart and downloads are its province\'s');

// Live: a report completed elsewhere reaches the open dashboard through its
// subscription, and the totals row shows one more completed project.
const completedTotal = () => page.$eval('#tracking tbody tr.total', (tr) => tr.cells[tr.cells.length - 1].textContent.trim());
check(await page.$eval('#live', (el) => !el.hidden), 'the dashboard follows the report live');
check(await completedTotal() === n(tt.completed), `completed before the change (${tt.completed})`);
const completion = await fetch(`${base}/graphql`, {
  method: 'POST',
  headers: { 'content-type': 'application/json', authorization: `Bearer ${process.env.OFFICER_TOKEN}` },
  body: JSON.stringify({
    query: 'mutation ($input: CompleteReportInput!) { completeReport(input: $input) { status } }',
    variables: { input: { id: process.env.LIVE_REPORT_ID, version: Number(process.env.LIVE_REPORT_VERSION), completedOn: '30/09/2564', summary: 'ประชาชนเข้าร่วม 150 คน' } },
  }),
}).then((r) => r.json());
check(completion.data?.completeReport?.status === 'COMPLETED', `the officer completes the aerobic-dance project (${JSON.stringify(completion.errors ?? '')})`);
const updated = await page.waitForFunction((before) => {
  const tr = document.querySelector('#tracking tbody tr.total');
  return tr && tr.cells[tr.cells.length - 1].textContent.trim() !== before;
}, { timeout: 15000 }, n(tt.completed)).then(() => true).catch(() => false);
check(updated && await completedTotal() === n(tt.completed + 1), `the open dashboard shows it without a reload (${await completedTotal()})`);

check(foreign.length === 0, `no request to another host ${foreign.join(' ')}`);
check(consoleErrors.length === 0, `no console error ${consoleErrors.join(' | ')}`);
await browser.close();
console.log(`browser test: ${failures.length === 0 ? 'all passed' : `${failures.length} failed`}`);
process.exit(failures.length === 0 ? 0 : 1);
