// Drives Debian's chromium through Tidtam's web pages, with every other host
// blocked: GraphiQL runs a query; the dashboard's figures equal what the API
// answers; a click leads to the aerobic-dance project's report.
// Usage: node browser.mjs http://127.0.0.1:PORT [screenshot-folder]
import puppeteer from 'puppeteer-core';

const base = process.argv[2];
const shots = process.argv[3];
const failures = [];
const check = (ok, what) => { if (!ok) failures.push(what); console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`); };

const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1'],
});
const page = await browser.newPage();
await page.setViewport({ width: 1400, height: 1000 });
const foreign = [];
const consoleErrors = [];
page.on('request', (r) => { if (!r.url().startsWith(base) && !r.url().startsWith('data:')) foreign.push(r.url()); });
page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
page.on('pageerror', (e) => consoleErrors.push(String(e)));

async function api(query, variables) {
  const r = await fetch(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  return (await r.json()).data;
}

// GraphiQL: renders, runs the first tab's query, shows the answer.
await page.goto(`${base}/graphiql`, { waitUntil: 'networkidle0' });
await page.waitForSelector('.graphiql-execute-button', { timeout: 15000 });
await page.click('.graphiql-execute-button');
await page.waitForFunction(() => document.querySelector('.result-window')?.textContent.includes('20000.00'), { timeout: 15000 });
check(true, 'GraphiQL runs a query and shows 20000.00');
if (shots) await page.screenshot({ path: `${shots}/graphiql.png` });

// The dashboard for Kanchanaburi, FY 2564.
await page.goto(`${base}/?fy=2564&province=71`, { waitUntil: 'networkidle0' });
await page.waitForSelector('#tracking tbody tr.link', { timeout: 15000 });
const truth = (await api(`{ monitoringReport(fiscalYear: 2564, provinceCode: "71") { planYears rows { name recordingDone strategies planProjects { planYear projects } planApproved projectsAdded budgetApproved reported contracted disbursed fullyDisbursed completed } } }`)).monitoringReport;
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
const ranks = (await api(`{ performanceScores(fiscalYear: 2564, provinceCode: "71", first: 100) { edges { node { name rankInNation } } } }`)).performanceScores.edges.map((e) => [e.node.name, String(e.node.rankInNation)]);
const league = await page.$$eval('#league tbody tr', (trs) => trs.map((tr) => [tr.cells[2].textContent, tr.cells[0].textContent]));
check(JSON.stringify(league) === JSON.stringify(ranks), 'league ranks equal performanceScores');
const links = await page.$$eval('#downloads a', (as) => as.map((a) => a.getAttribute('href')));
check(links.includes('/export/tracking.csv?fiscalYear=2564&provinceCode=71'), `download links for the chosen province and year (${links.length})`);
const csv = await (await fetch(`${base}/export/tracking.csv?fiscalYear=2564&provinceCode=71`)).text();
check(csv.split('\n').filter((l) => l.trim()).length === truth.rows.length + 1, 'the tracking CSV download has one line per LAO');
if (shots) await page.screenshot({ path: `${shots}/dashboard.png` });

// Drill down: the LAO, its projects, the aerobic-dance report with its goal codes.
await page.evaluate(() => [...document.querySelectorAll('#tracking tr.link')].find((tr) => tr.dataset.code === '7100001').click());
await page.waitForSelector('#projects tr.link', { timeout: 15000 });
await page.click('#projects tr.link');
await page.waitForFunction(() => document.querySelectorAll('#report .goal').length === 3, { timeout: 15000 });
const report = await page.$eval('#report', (el) => el.textContent);
check(['3.1', '140001', '140101'].every((c) => report.includes(c)), 'the report shows its three goal codes');
check(report.includes('14.752029198560914'), 'the report shows its location');
if (shots) {
  await page.evaluate(() => document.getElementById('drill').scrollIntoView());
  await page.screenshot({ path: `${shots}/drill-down.png` });
}

// Signed in with a scoped token, the dashboard offers only the account's scope.
async function signedIn(token) {
  const p = await browser.newPage();
  p.on('request', (r) => { if (!r.url().startsWith(base) && !r.url().startsWith('data:')) foreign.push(r.url()); });
  p.on('pageerror', (e) => consoleErrors.push(String(e)));
  await p.goto(`${base}/?fy=2564&province=71`, { waitUntil: 'networkidle0' });
  await p.type('#token', token);
  await p.$eval('#token', (el) => el.dispatchEvent(new Event('change')));
  await p.waitForFunction(() => document.getElementById('who').textContent.length > 0, { timeout: 15000 });
  await p.waitForNetworkIdle();
  await p.waitForSelector('#tracking tbody tr.link', { timeout: 15000 });
  const seen = {
    provinces: await p.$$eval('#province option', (os) => os.map((o) => o.value)),
    rows: await p.$$eval('#tracking tbody tr.link', (trs) => trs.map((tr) => tr.dataset.code)),
  };
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

check(foreign.length === 0, `no request to another host ${foreign.join(' ')}`);
check(consoleErrors.length === 0, `no console error ${consoleErrors.join(' | ')}`);
await browser.close();
console.log(`browser test: ${failures.length === 0 ? 'all passed' : `${failures.length} failed`}`);
process.exit(failures.length === 0 ? 0 : 1);
