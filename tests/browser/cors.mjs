// Two dashboard pages on two other loopback origins call a running Tidtam
// whose TIDTAM_CORS_ORIGINS names only the first: the browser lets the first
// read /graphql (with a token), an export and /graphql/ws, and refuses the
// second (its preflight gets no Access-Control-Allow-Origin; its socket is
// refused on the upgrade).
// Usage: node cors.mjs API_BASE ALLOWED_PAGE REFUSED_PAGE TOKEN
import puppeteer from 'puppeteer-core';

const [api, allowed, refused, token] = process.argv.slice(2);
const failures = [];
const check = (ok, what) => { if (!ok) failures.push(what); console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`); };

const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE 127.0.0.2, EXCLUDE 127.0.0.3'],
});

/** What a page of `origin` gets from the API: a signed-in POST (which needs
 * a preflight), an export, and a WebSocket. */
async function from(origin) {
  const page = await browser.newPage();
  await page.goto(`${origin}/`);
  const result = await page.evaluate(async (api, token) => {
    const out = {};
    try {
      const r = await fetch(`${api}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: '{ viewer { username } }' }),
      });
      out.graphql = (await r.json()).data.viewer.username;
    } catch (e) {
      out.graphql = `refused: ${e.name}`;
    }
    try {
      const r = await fetch(`${api}/export/facts.csv?fiscalYear=2564&provinceCode=71`);
      out.export = `${r.status} ${(await r.text()).split('\n').length > 1}`;
    } catch (e) {
      out.export = `refused: ${e.name}`;
    }
    out.socket = await new Promise((resolve) => {
      const ws = new WebSocket(`${api.replace('http', 'ws')}/graphql/ws`, 'graphql-transport-ws');
      ws.onopen = () => { ws.close(); resolve('open'); };
      ws.onerror = () => resolve('refused');
    });
    return out;
  }, api, token);
  await page.close();
  return result;
}

const good = await from(allowed);
check(good.graphql === 'officer.hadyai', `the allowed origin reads /graphql with its token (${good.graphql})`);
check(good.export === '200 true', `the allowed origin reads an export (${good.export})`);
check(good.socket === 'open', `the allowed origin opens /graphql/ws (${good.socket})`);
const bad = await from(refused);
check(bad.graphql.startsWith('refused'), `another origin is refused /graphql (${bad.graphql})`);
check(bad.export.startsWith('refused'), `another origin is refused an export (${bad.export})`);
check(bad.socket === 'refused', `another origin is refused /graphql/ws (${bad.socket})`);
await browser.close();
console.log(failures.length === 0 ? 'cors test: all passed' : `cors test: ${failures.length} failed`);
process.exit(failures.length === 0 ? 0 : 1);
