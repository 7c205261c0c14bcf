// Tidtam's monitoring dashboard: a client of /graphql that runs the documents
// in queries/ (served at /queries/…). No build step, no other host.
'use strict';

const TEXT = {
  th: {
    title: 'ติดตาม · รายงานสถานะการทำงานของแต่ละ อปท.', province: 'จังหวัด', fiscalYear: 'ปีงบประมาณ (พ.ศ.)',
    token: 'โทเค็น', tracking: 'รายงานสถานะการทำงาน', chart: 'ร้อยละการเบิกจ่ายและการดำเนินการเสร็จสิ้น',
    league: 'อันดับคะแนนประสิทธิภาพ', lang: 'English', loading: 'กำลังโหลด…', empty: 'ไม่มีข้อมูล',
    org: 'หน่วยงาน', recording: 'วิธีบันทึก', strategies: 'ยุทธศาสตร์', planApproved: 'อนุมัติแผน',
    added: 'โครงการที่เพิ่ม', approved: 'อนุมัติงบประมาณ', reported: 'รายงานการดำเนินโครงการ',
    contracted: 'ลงนามสัญญา', disbursed: 'เบิกจ่ายแล้ว', full: '100%', completed: 'ดำเนินการเสร็จสิ้น',
    done: 'ทำแล้ว', total: 'รวม', rank: 'อันดับ', rankProvince: 'อันดับในจังหวัด', score: 'คะแนน',
    disbursedPct: 'ร้อยละเบิกจ่าย', completionPct: 'ร้อยละเสร็จสิ้น', project: 'ชื่อโครงการตามแผน',
    ordinance: 'งบตามข้อบัญญัติ/เทศบัญญัติ', contract: 'งบตามสัญญา', disbursedMoney: 'เบิกจ่าย', remaining: 'คงเหลือ',
    status: 'สถานะ', projectsOf: 'รายงานการดำเนินโครงการ', asOf: 'ข้อมูล e-LAAS ณ วันที่', map: 'เปิดแผนที่',
    strategyGoal: 'เป้าหมายยุทธศาสตร์ชาติ', masterPlanGoal: 'เป้าหมายแผนแม่บท', subPlanGoal: 'เป้าหมายแผนย่อย',
    indicator: 'ดัชนีชี้วัดความสำเร็จ', output: 'เป้าหมายเชิงผลผลิต', outcome: 'เป้าหมายเชิงผลลัพธ์', progress: 'ความก้าวหน้า',
    period: 'ระยะเวลาดำเนินการ', location: 'พิกัด', signedInAs: 'เข้าสู่ระบบในชื่อ', download: 'ดาวน์โหลด', facts: 'ข้อมูลรายโครงการ', scores: 'คะแนน', emenscr: 'ส่งต่อ eMENSCR', live: '● ข้อมูลสด: ตารางปรับเองเมื่อข้อมูลเปลี่ยน',
    DRAFT: 'ร่างรายงาน', SUBMITTED: 'ส่งรายงานแล้ว', COMPLETED: 'ดำเนินการเสร็จสิ้น', noReport: 'ยังไม่มีรายงาน',
    username: 'ชื่อผู้ใช้', password: 'รหัสผ่าน', signIn: 'เข้าสู่ระบบ', signOut: 'ออกจากระบบ',
    LAO_OFFICER: 'เจ้าหน้าที่ อปท.', LAO_APPROVER: 'ผู้อนุมัติของ อปท.', PROVINCIAL_EVALUATOR: 'ผู้ประเมินระดับจังหวัด',
    CENTRAL_ANALYST: 'นักวิเคราะห์ส่วนกลาง', ADMIN: 'ผู้ดูแลระบบ',
  },
  en: {
    title: 'Tidtam · Tracking report of each LAO', province: 'Province', fiscalYear: 'Fiscal year (BE)',
    token: 'Token', tracking: 'Tracking report', chart: 'Disbursement and completion (%)',
    league: 'Performance league table', lang: 'ไทย', loading: 'Loading…', empty: 'No data',
    org: 'Organisation', recording: 'Recording', strategies: 'Strategies', planApproved: 'Plan approved',
    added: 'Projects added', approved: 'Budget approved', reported: 'Reported', contracted: 'Contracted',
    disbursed: 'Disbursed', full: '100%', completed: 'Completed', done: 'done', total: 'Total', rank: 'Rank',
    rankProvince: 'Rank in province', score: 'Score', disbursedPct: 'Disbursed %', completionPct: 'Completed %',
    project: 'Plan project', ordinance: 'Ordinance budget', contract: 'Contract', disbursedMoney: 'Disbursed',
    remaining: 'Remaining', status: 'Status', projectsOf: 'Project report list', asOf: 'e-LAAS figures as of',
    map: 'Open map', strategyGoal: 'National strategy goal', masterPlanGoal: 'Master plan goal',
    subPlanGoal: 'Sub-plan goal', indicator: 'Success indicator', output: 'Output target', outcome: 'Outcome target',
    progress: 'Progress', period: 'Period', location: 'Location', signedInAs: 'Signed in as', download: 'Download', facts: 'Projects', scores: 'Scores', emenscr: 'eMENSCR hand-over', live: '● Live: the tables update when the data changes',
    DRAFT: 'Draft', SUBMITTED: 'Submitted', COMPLETED: 'Completed', noReport: 'No report yet',
    username: 'Username', password: 'Password', signIn: 'Sign in', signOut: 'Sign out',
    LAO_OFFICER: 'LAO officer', LAO_APPROVER: 'LAO approver', PROVINCIAL_EVALUATOR: 'Provincial evaluator',
    CENTRAL_ANALYST: 'Central analyst', ADMIN: 'Administrator',
  },
};

// sort: each table's column index and direction (1 ascending, -1 descending);
// drill/report: what the drill-down shows, kept so a language switch redraws it.
const state = {
  lang: 'th', fy: 2564, province: '71', data: {}, viewer: null,
  sort: { tracking: null, projects: null, league: { col: 0, dir: 1 } },
  drill: null, report: null,
};
const $ = (id) => document.getElementById(id);
const t = (k) => TEXT[state.lang][k] || k;
const documents = {};

async function document_(name) {
  if (!documents[name]) {
    const r = await fetch(`/queries/${name}.graphql`);
    if (!r.ok) throw new Error(`/queries/${name}.graphql: ${r.status}`);
    documents[name] = await r.text();
  }
  return documents[name];
}

async function gql(name, variables) {
  const headers = { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json' };
  const token = sessionStorage.getItem('tidtam.token');
  if (token) headers.authorization = `Bearer ${token}`;
  const r = await fetch('/graphql', { method: 'POST', headers, body: JSON.stringify({ query: await document_(name), variables }) });
  const body = await r.json();
  if (body.errors && body.errors.length) {
    const e = body.errors[0];
    throw new Error((e.extensions && e.extensions.messageTh) || e.message);
  }
  return body.data;
}

const baht = (v) => (v == null ? '–' : Number(v).toLocaleString('th-TH', { minimumFractionDigits: 2, maximumFractionDigits: 2 }));
const num = (v) => (v == null ? '–' : Number(v).toLocaleString('th-TH'));
const pct = (v) => (v == null ? '–' : `${Number(v).toFixed(2)}`);
const esc = (s) => String(s ?? '').replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

function status(kind, message) {
  const s = $('status');
  s.className = kind;
  s.textContent = message || '';
}

/** Orders two cell values: numbers numerically, text in Thai dictionary order. */
function compare(a, b) {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  return String(a).localeCompare(String(b), 'th');
}

/** The rows in the order the table's sort asks for: blanks last in either
 * direction, ties in the server's order. */
function sorted(table, cols, rows) {
  const sort = state.sort[table];
  if (!sort || !cols[sort.col]) return rows;
  const value = cols[sort.col].value;
  const blank = (v) => v == null || v === '' || Number.isNaN(v);
  return rows.map((r, i) => [r, i, value(r)]).sort(([, i, x], [, j, y]) => {
    if (blank(x) || blank(y)) return blank(x) - blank(y) || i - j;
    return sort.dir * compare(x, y) || i - j;
  }).map(([r]) => r);
}

/** A table's header row: each column a button that sorts by it (again: the
 * other way), its state in aria-sort for screen readers. */
function headRow(table, cols) {
  const sort = state.sort[table];
  return `<thead><tr>${cols.map((c, i) => {
    const aria = sort && sort.col === i ? (sort.dir > 0 ? 'ascending' : 'descending') : 'none';
    return `<th scope="col" aria-sort="${aria}" data-col="${i}"><button type="button" class="sort">${esc(c.label)}</button></th>`;
  }).join('')}</tr></thead>`;
}

function sortOnClick(el, table, redraw) {
  el.querySelectorAll('th[data-col]').forEach((th) => th.addEventListener('click', () => {
    const col = Number(th.dataset.col);
    const s = state.sort[table];
    state.sort[table] = { col, dir: s && s.col === col ? -s.dir : 1 };
    redraw();
  }));
}

const decimal = (v) => (v == null ? null : Number(v));
const statusLabel = (s) => (s ? t(s) : t('noReport'));

/** The signed-in LAO's code when the account is an LAO's (an officer's). */
const ownOrganisation = () => (state.viewer && state.viewer.organisation ? state.viewer.organisation.code : null);

function trackingTable(report) {
  const years = report.planYears;
  const plan = (r, y) => (r.planProjects.find((p) => p.planYear === y) || { projects: 0 }).projects;
  const count = (label, key) => ({ label, value: (r) => r[key], show: (r) => num(r[key]) });
  const flag = (label, key) => ({ label, value: (r) => r[key], show: (r, isTotal) => (isTotal ? num(r[key]) : r[key] ? t('done') : '–') });
  const cols = [
    { label: t('org'), value: (r) => r.name, show: (r, isTotal) => (isTotal ? esc(t('total')) : esc(r.name)), text: true },
    flag(t('recording'), 'recordingDone'), count(t('strategies'), 'strategies'),
    ...years.map((y) => ({ label: String(y), value: (r) => plan(r, y), show: (r) => num(plan(r, y)) })),
    flag(t('planApproved'), 'planApproved'), count(t('added'), 'projectsAdded'), count(t('approved'), 'budgetApproved'),
    count(t('reported'), 'reported'), count(t('contracted'), 'contracted'), count(t('disbursed'), 'disbursed'),
    count(t('full'), 'fullyDisbursed'), count(t('completed'), 'completed'),
  ];
  const cells = (r, isTotal) => cols.map((c) => `<td${c.text ? '' : ' class="n"'}>${c.show(r, isTotal)}</td>`).join('');
  // An LAO's account sees its own row; the province's totals are not its own.
  const own = ownOrganisation();
  const shownRows = sorted('tracking', cols, own ? report.rows.filter((r) => r.organisationCode === own) : report.rows);
  const rows = shownRows.map((r) => `<tr class="link" data-code="${esc(r.organisationCode)}" data-name="${esc(r.name)}">${cells(r, false)}</tr>`);
  const total = own ? '' : `<tr class="total">${cells(report.provinceTotals, true)}</tr>`;
  $('tracking').innerHTML = `${headRow('tracking', cols)}<tbody>${rows.join('') || `<tr><td colspan="${cols.length}">${t('empty')}</td></tr>`}${total}</tbody>`;
  $('tracking').querySelectorAll('tr.link').forEach((tr) => tr.addEventListener('click', () => drill(tr.dataset.code, tr.dataset.name)));
  sortOnClick($('tracking'), 'tracking', () => trackingTable(report));
}

function leagueTable(nodes) {
  const own = ownOrganisation();
  const cols = [
    { label: t('rank'), value: (r) => r.rankInNation }, { label: t('rankProvince'), value: (r) => r.rankInProvince },
    { label: t('org'), value: (r) => r.name }, { label: t('score'), value: (r) => r.score },
  ];
  const rows = sorted('league', cols, nodes.filter((r) => !own || r.organisationCode === own));
  $('league').innerHTML = `${headRow('league', cols)}<tbody>${rows.map((r) => `<tr data-code="${esc(r.organisationCode)}"><td class="n">${num(r.rankInNation)}</td><td class="n">${num(r.rankInProvince)}</td><td>${esc(r.name)}</td><td class="n">${pct(r.score)}</td></tr>`).join('') || `<tr><td colspan="4">${t('empty')}</td></tr>`}</tbody>`;
  sortOnClick($('league'), 'league', () => leagueTable(nodes));
}

let chart;
/** Disbursement and completion per LAO, of the LAOs the account may see. */
function drawChart(report, groups) {
  const own = ownOrganisation();
  const rows = own ? report.rows.filter((r) => r.organisationCode === own) : report.rows;
  const byCode = Object.fromEntries(groups.map((g) => [g.key[0].value, g.disbursedPctOfBudget]));
  const labels = rows.map((r) => r.name);
  const disbursed = rows.map((r) => byCode[r.organisationCode] ?? 0);
  const completion = rows.map((r) => (r.budgetApproved ? (100 * r.completed) / r.budgetApproved : 0));
  if (chart) chart.destroy();
  chart = new Chart($('chart'), {
    type: 'bar',
    data: { labels, datasets: [{ label: t('disbursedPct'), data: disbursed, backgroundColor: '#0f4c81' }, { label: t('completionPct'), data: completion, backgroundColor: '#f59e0b' }] },
    options: { animation: false, responsive: true, scales: { y: { min: 0, max: 100 } } },
  });
}

/** A message in a drill-down table or the report box: loading, or an error. */
const note = (kind, message) => `<p class="${kind}">${esc(message)}</p>`;

async function drill(code, name) {
  state.drill = { code, name, list: null, error: null };
  state.report = null;
  drawDrill();
  try {
    const data = await gql('project-report-list', { organisationCode: code, fiscalYear: state.fy });
    if (state.drill && state.drill.code === code) state.drill.list = data.organisation.reportList;
  } catch (e) {
    if (state.drill && state.drill.code === code) state.drill.error = e.message;
  }
  drawDrill();
}

/** The drill-down from what state.drill and state.report hold (so that the
 * language switch redraws it without asking the server again). */
function drawDrill() {
  const d = state.drill;
  $('drill').hidden = !d;
  if (!d) return;
  $('drill-title').textContent = `${t('projectsOf')} · ${d.name} · ${state.fy}`;
  $('as-of').textContent = d.list ? `${t('asOf')} ${d.list.elaasAsOfBE || '–'}` : '';
  if (d.error) {
    $('projects').innerHTML = `<tbody><tr><td class="error">${esc(d.error)}</td></tr></tbody>`;
  } else if (!d.list) {
    $('projects').innerHTML = `<tbody><tr><td class="loading">${t('loading')}</td></tr></tbody>`;
  } else {
    projectsTable(d.list);
  }
  drawReport();
}

function projectsTable(list) {
  const cols = [
    { label: t('project'), value: (p) => p.name, text: true }, { label: t('ordinance'), value: (p) => decimal(p.ordinanceBudget) },
    { label: t('contract'), value: (p) => decimal(p.contractAmount) }, { label: t('disbursedMoney'), value: (p) => decimal(p.disbursed) },
    { label: t('remaining'), value: (p) => decimal(p.remaining) }, { label: t('status'), value: (p) => statusLabel(p.report && p.report.status), text: true },
  ];
  let body = '';
  // Sorted within each sector (ด้าน), so that the sector headings stay true.
  for (const s of list.sectors) {
    body += `<tr class="total"><th scope="rowgroup" colspan="6">${esc(s.sector)}</th></tr>`;
    for (const p of sorted('projects', cols, s.projects)) {
      const link = p.report ? ` class="link" data-report="${esc(p.report.id)}"` : '';
      body += `<tr${link}><td>${esc(p.name)}</td><td class="n">${baht(p.ordinanceBudget)}</td><td class="n">${baht(p.contractAmount)}</td><td class="n">${baht(p.disbursed)}</td><td class="n">${baht(p.remaining)}</td><td>${esc(statusLabel(p.report && p.report.status))}</td></tr>`;
    }
  }
  body += `<tr class="total"><td>${t('total')}</td><td class="n">${baht(list.totals.ordinanceBudget)}</td><td class="n">${baht(list.totals.contractAmount)}</td><td class="n">${baht(list.totals.disbursed)}</td><td class="n">${baht(list.totals.remaining)}</td><td></td></tr>`;
  // The e-LAAS date is a paragraph above the table (#as-of), not its caption:
  // a caption is as wide as the table and is cut off when a phone scrolls it.
  $('projects').innerHTML = `${headRow('projects', cols)}<tbody>${body}</tbody>`;
  $('projects').querySelectorAll('tr.link').forEach((tr) => tr.addEventListener('click', () => showReport(tr.dataset.report)));
  sortOnClick($('projects'), 'projects', () => projectsTable(list));
}

async function showReport(id) {
  state.report = { id, data: null, error: null };
  drawReport();
  try {
    const data = await gql('report-form', { id });
    if (state.report && state.report.id === id) state.report.data = data.node;
  } catch (e) {
    if (state.report && state.report.id === id) state.report.error = e.message;
  }
  drawReport();
}

function drawReport() {
  const rep = state.report;
  if (!rep) { $('report').innerHTML = ''; return; }
  if (rep.error) { $('report').innerHTML = note('error', rep.error); return; }
  if (!rep.data) { $('report').innerHTML = note('loading', t('loading')); return; }
  const r = rep.data;
  const goal = (label, g) => (g ? `<div class="goal"><strong>${t(label)}</strong> ${esc(g.goal.code)} ${esc(g.goal.goalTh)}<br>${esc(g.result || '')}</div>` : '');
  const loc = r.location ? `${r.location.latitude}, ${r.location.longitude} <a href="https://www.openstreetmap.org/?mlat=${r.location.latitude}&mlon=${r.location.longitude}#map=14/${r.location.latitude}/${r.location.longitude}" target="_blank" rel="noopener">${t('map')}</a>` : '–';
  $('report').innerHTML = `<h3>${esc(r.approval.name)}</h3>
    <p>${t('period')}: ${esc(r.startDateBE || '–')} – ${esc(r.endDateBE || '–')} · ${t('status')}: <span class="status">${esc(statusLabel(r.status))}</span></p>
    <p>${t('output')}: ${esc(r.outputTarget || '–')}<br>${t('outcome')}: ${esc(r.outcomeTarget || '–')}<br>${t('indicator')}: ${esc(r.successIndicator || '–')}</p>
    ${goal('strategyGoal', r.strategyGoal)}${goal('masterPlanGoal', r.masterPlanGoal)}${goal('subPlanGoal', r.subPlanGoal)}
    <p>${t('progress')}: ${r.progress.map((p) => `Q${p.fiscalQuarter} ${esc(p.percent)}%`).join(', ') || '–'}</p>
    <p>${t('location')}: ${loc}</p>`;
}

/** Every row of the league table: the field pages at most 100 rows, and a
 * province can have more LAOs than that. */
async function allScores() {
  const nodes = [];
  let after = null;
  for (;;) {
    const page = (await gql('league-table', { fiscalYear: state.fy, provinceCode: state.province, first: 100, after })).performanceScores;
    nodes.push(...page.edges.map((e) => e.node));
    const next = page.pageInfo.endCursor;
    if (!page.pageInfo.hasNextPage || !next || next === after) return nodes;
    after = next;
  }
}

async function load() {
  history.replaceState(null, '', `/?fy=${state.fy}&province=${encodeURIComponent(state.province)}&lang=${state.lang}`);
  status('loading', t('loading'));
  state.drill = null;
  state.report = null;
  drawDrill();
  follow();
  await fetchData();
}

/** Reads the tracking report, the league and the money of the chosen
 * province and year, and draws them (the drill-down stays as it is). */
async function fetchData() {
  try {
    const [tracking, league, money] = await Promise.all([
      gql('tracking-report', { fiscalYear: state.fy, provinceCode: state.province }),
      allScores(),
      gql('organisation-disbursement', { fiscalYear: state.fy, provinceCode: state.province }),
    ]);
    state.data = { tracking, league, money };
    render();
    status(tracking.monitoringReport.rows.length ? '' : 'empty', tracking.monitoringReport.rows.length ? '' : t('empty'));
  } catch (e) {
    showRefusal(e);
  }
}

/** A refused read (a year Tidtam holds no plans for, an unknown province):
 * the server's reason instead of any table, never a table of zeros. */
function showRefusal(e) {
  state.data = {};
  $('tracking').innerHTML = '';
  $('league').innerHTML = '';
  if (chart) { chart.destroy(); chart = null; }
  status('error', e.message);
}

/** A picker shows what the URL asked for, even a value it does not offer
 * (`?fy=2021`), so that it never names another year than the one refused. */
function pick(select, value) {
  if (![...select.options].some((o) => o.value === String(value))) select.add(new Option(String(value), String(value)));
  select.value = String(value);
}

/** Live: subscribes (graphql-transport-ws over /graphql/ws, the document
 * queries/tracking-changed.graphql) to changes of the chosen province's
 * tracking report and reads the figures again on each one. The first event
 * is the version already shown; a dropped connection is tried again. */
function follow() {
  const key = `${state.fy}/${state.province}/${sessionStorage.getItem('tidtam.token') || ''}`;
  if (state.live && state.live.key === key) return;
  if (state.live) state.live.socket.close();
  const socket = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql/ws`, 'graphql-transport-ws');
  const live = { key, socket, version: null };
  state.live = live;
  const token = sessionStorage.getItem('tidtam.token');
  const send = (m) => socket.send(JSON.stringify(m));
  socket.onopen = () => send({ type: 'connection_init', payload: token ? { Authorization: `Bearer ${token}` } : {} });
  socket.onmessage = async (m) => {
    const msg = JSON.parse(m.data);
    if (msg.type === 'ping') send({ type: 'pong' });
    if (msg.type === 'connection_ack') {
      send({ id: '1', type: 'subscribe', payload: { query: await document_('tracking-changed'), variables: { fiscalYear: state.fy, provinceCode: state.province } } });
      $('live').hidden = false;
      $('live').textContent = t('live');
    }
    const event = msg.type === 'next' && msg.payload.data && msg.payload.data.trackingReportChanged;
    if (!event) return;
    const first = live.version === null;
    live.version = event.dataVersion;
    if (!first && state.live === live) fetchData();
  };
  socket.onclose = () => {
    if (state.live !== live) return;
    $('live').hidden = true;
    state.live = null;
    setTimeout(() => { if (!state.live) follow(); }, 5000);
  };
}

/** Links to the exports of what the account may see for the chosen year
 * (GET /export/…): an LAO's account gets its LAO's files, others the province's. */
function downloads() {
  const own = ownOrganisation();
  const scope = own ? `organisationCode=${encodeURIComponent(own)}` : `provinceCode=${encodeURIComponent(state.province)}`;
  const q = `fiscalYear=${state.fy}&${scope}`;
  const link = (file, label) => `<a href="/export/${file}?${q}" download>${esc(label)}</a>`;
  $('downloads').innerHTML = `${esc(t('download'))}: ${[
    link('tracking.csv', `${t('tracking')} CSV`), link('tracking.parquet', 'Parquet'),
    link('facts.csv', `${t('facts')} CSV`), link('facts.parquet', 'Parquet'),
    link('scores.csv', `${t('scores')} CSV`), link('emenscr.xlsx', `${t('emenscr')} (Excel)`),
  ].join(' · ')}`;
}

/** A signed-in download: a plain link cannot carry the token, so the file is
 * fetched with it and handed to the browser as a blob (anonymous callers keep
 * the plain link, which gets the published data). */
async function downloadWithToken(event) {
  const a = event.target.closest('a');
  const token = sessionStorage.getItem('tidtam.token');
  if (!a || !token) return;
  event.preventDefault();
  try {
    const r = await fetch(a.getAttribute('href'), { headers: { authorization: `Bearer ${token}` } });
    if (!r.ok) {
      const body = await r.json().catch(() => null);
      const e = body && body.errors && body.errors[0];
      throw new Error((e && ((e.extensions && e.extensions.messageTh) || e.message)) || `HTTP ${r.status}`);
    }
    const name = /filename="([^"]+)"/.exec(r.headers.get('content-disposition') || '');
    const url = URL.createObjectURL(await r.blob());
    const save = document.createElement('a');
    save.href = url;
    save.download = name ? name[1] : '';
    save.click();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  } catch (e) {
    status('error', e.message);
  }
}

function render() {
  document.documentElement.lang = state.lang;
  document.querySelectorAll('[data-i18n]').forEach((el) => { el.textContent = t(el.dataset.i18n); });
  document.querySelectorAll('[data-i18n-placeholder]').forEach((el) => { el.placeholder = t(el.dataset.i18nPlaceholder); el.setAttribute('aria-label', el.placeholder); });
  showViewer();
  $('lang').textContent = t('lang');
  $('live').textContent = t('live');
  downloads();
  drawDrill();
  const { tracking, league, money } = state.data;
  if (!tracking) return;
  trackingTable(tracking.monitoringReport);
  leagueTable(league);
  drawChart(tracking.monitoringReport, money.disbursement.groups);
}

/** The scope of the signed-in token: a scoped account sees only its province
 * (an evaluator) or its LAO (an officer); the pickers offer nothing else. */
async function applyViewer() {
  state.viewer = sessionStorage.getItem('tidtam.token') ? (await gql('viewer', {})).viewer : null;
  const v = state.viewer;
  showViewer();
  const p = await gql('provinces', {});
  let provinces = p.provinces.edges.map((e) => e.node);
  if (v && !v.readsAll && v.province) {
    provinces = provinces.filter((n) => n.code === v.province.code);
    state.province = v.province.code;
  }
  $('province').replaceChildren(...provinces.map((n) => new Option(`${n.nameTh} (${n.code})`, n.code, false, n.code === state.province)));
  pick($('province'), state.province);
}

/** Who is signed in, the role in the page's language (ผู้ประเมินระดับจังหวัด,
 * not PROVINCIAL_EVALUATOR); the sign-in form or the sign-out button. */
function showViewer() {
  const v = state.viewer;
  $('who').textContent = v ? `${t('signedInAs')} ${v.displayName} (${t(v.role)})` : '';
  $('signin').hidden = Boolean(v);
  $('signout').hidden = !v;
}

/** The sign-in form: username and password → signIn → the token kept for
 * this tab only (sessionStorage), as a pasted token is. */
async function signInWithPassword(event) {
  event.preventDefault();
  // Enter in the token field submits the form too; the token's own change
  // event signs in with it.
  if (!$('username').value.trim()) return;
  try {
    const data = await gql('sign-in', { username: $('username').value.trim(), password: $('password').value });
    sessionStorage.setItem('tidtam.token', data.signIn.token);
    $('password').value = '';
    await applyViewer();
    load();
  } catch (e) {
    status('error', e.message);
  }
}

/** Sign-out: the server revokes the token, the tab forgets it. */
async function signOut() {
  try {
    if (sessionStorage.getItem('tidtam.token')) await gql('sign-out', {});
  } catch (e) {
    // Already expired or revoked: forgetting it is all that is left to do.
  }
  sessionStorage.removeItem('tidtam.token');
  $('token').value = '';
  try {
    await applyViewer();
    load();
  } catch (e) {
    status('error', e.message);
  }
}

async function signIn() {
  sessionStorage.setItem('tidtam.token', $('token').value.trim());
  try {
    await applyViewer();
    load();
  } catch (e) {
    status('error', e.message);
  }
}

async function init() {
  const params = new URLSearchParams(location.search);
  state.fy = Number(params.get('fy')) || state.fy;
  state.province = params.get('province') || state.province;
  state.lang = params.get('lang') === 'en' ? 'en' : 'th';
  for (let y = 2561; y <= 2570; y += 1) $('fy').add(new Option(String(y), String(y), false, y === state.fy));
  pick($('fy'), state.fy);
  $('token').value = sessionStorage.getItem('tidtam.token') || '';
  $('token').addEventListener('change', signIn);
  $('controls').addEventListener('submit', signInWithPassword);
  $('signout').addEventListener('click', signOut);
  $('downloads').addEventListener('click', downloadWithToken);
  $('fy').addEventListener('change', () => { state.fy = Number($('fy').value); load(); });
  $('province').addEventListener('change', () => { state.province = $('province').value; load(); });
  $('lang').addEventListener('click', () => { state.lang = state.lang === 'th' ? 'en' : 'th'; render(); history.replaceState(null, '', `/?fy=${state.fy}&province=${state.province}&lang=${state.lang}`); });
  try {
    await applyViewer();
  } catch (e) {
    status('error', e.message);
    return;
  }
  load();
}

init();
