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
    period: 'ระยะเวลาดำเนินการ', location: 'พิกัด', signedInAs: 'เข้าสู่ระบบในชื่อ', download: 'ดาวน์โหลด', facts: 'ข้อมูลรายโครงการ', scores: 'คะแนน', emenscr: 'ส่งต่อ eMENSCR',
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
    progress: 'Progress', period: 'Period', location: 'Location', signedInAs: 'Signed in as', download: 'Download', facts: 'Projects', scores: 'Scores', emenscr: 'eMENSCR hand-over',
  },
};

const state = { lang: 'th', fy: 2564, province: '71', sortLeague: 'rankInNation', data: {}, viewer: null };
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

function trackingTable(report) {
  const years = report.planYears;
  const head = [t('org'), t('recording'), t('strategies'), ...years.map(String), t('planApproved'), t('added'),
    t('approved'), t('reported'), t('contracted'), t('disbursed'), t('full'), t('completed')];
  const cells = (r, isTotal) => {
    const plan = Object.fromEntries(r.planProjects.map((p) => [p.planYear, p.projects]));
    const flag = (v) => (isTotal ? num(v) : v ? t('done') : '–');
    return [flag(r.recordingDone), num(r.strategies), ...years.map((y) => num(plan[y] || 0)), flag(r.planApproved),
      num(r.projectsAdded), num(r.budgetApproved), num(r.reported), num(r.contracted), num(r.disbursed),
      num(r.fullyDisbursed), num(r.completed)];
  };
  // An LAO's account sees its own row; the province's totals are not its own.
  const own = state.viewer && state.viewer.organisation ? state.viewer.organisation.code : null;
  const shownRows = own ? report.rows.filter((r) => r.organisationCode === own) : report.rows;
  const rows = shownRows.map((r) => `<tr class="link" data-code="${esc(r.organisationCode)}" data-name="${esc(r.name)}"><td>${esc(r.name)}</td>${cells(r, false).map((c) => `<td class="n">${c}</td>`).join('')}</tr>`);
  const total = own ? '' : `<tr class="total"><td>${t('total')}</td>${cells(report.provinceTotals, true).map((c) => `<td class="n">${c}</td>`).join('')}</tr>`;
  $('tracking').innerHTML = `<thead><tr>${head.map((h) => `<th scope="col">${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.join('') || `<tr><td colspan="${head.length}">${t('empty')}</td></tr>`}${total}</tbody>`;
  $('tracking').querySelectorAll('tr.link').forEach((tr) => tr.addEventListener('click', () => drill(tr.dataset.code, tr.dataset.name)));
}

function leagueTable(edges) {
  const own = state.viewer && state.viewer.organisation ? state.viewer.organisation.name : null;
  const rows = edges.map((e) => e.node).filter((r) => !own || r.name === own);
  const key = state.sortLeague;
  rows.sort((a, b) => (a[key] ?? Infinity) > (b[key] ?? Infinity) ? 1 : (a[key] ?? Infinity) < (b[key] ?? Infinity) ? -1 : 0);
  if (key === 'score') rows.reverse();
  const cols = [['rankInNation', t('rank')], ['rankInProvince', t('rankProvince')], ['name', t('org')], ['score', t('score')]];
  $('league').innerHTML = `<thead><tr>${cols.map(([k, h]) => `<th scope="col" data-key="${k}">${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr><td class="n">${num(r.rankInNation)}</td><td class="n">${num(r.rankInProvince)}</td><td>${esc(r.name)}</td><td class="n">${pct(r.score)}</td></tr>`).join('') || `<tr><td colspan="4">${t('empty')}</td></tr>`}</tbody>`;
  $('league').querySelectorAll('th').forEach((th) => th.addEventListener('click', () => { state.sortLeague = th.dataset.key; leagueTable(edges); }));
}

let chart;
function drawChart(report, groups) {
  const byCode = Object.fromEntries(groups.map((g) => [g.key[0].value, g.disbursedPctOfBudget]));
  const labels = report.rows.map((r) => r.name);
  const disbursed = report.rows.map((r) => byCode[r.organisationCode] ?? 0);
  const completion = report.rows.map((r) => (r.budgetApproved ? (100 * r.completed) / r.budgetApproved : 0));
  if (chart) chart.destroy();
  chart = new Chart($('chart'), {
    type: 'bar',
    data: { labels, datasets: [{ label: t('disbursedPct'), data: disbursed, backgroundColor: '#0f4c81' }, { label: t('completionPct'), data: completion, backgroundColor: '#f59e0b' }] },
    options: { animation: false, responsive: true, scales: { y: { min: 0, max: 100 } } },
  });
}

async function drill(code, name) {
  $('drill').hidden = false;
  $('report').innerHTML = '';
  $('drill-title').textContent = `${t('projectsOf')} · ${name} · ${state.fy}`;
  $('projects').innerHTML = `<tr><td>${t('loading')}</td></tr>`;
  try {
    const data = await gql('project-report-list', { organisationCode: code, fiscalYear: state.fy });
    const list = data.organisation.reportList;
    const head = [t('project'), t('ordinance'), t('contract'), t('disbursedMoney'), t('remaining'), t('status')];
    let body = '';
    for (const s of list.sectors) {
      body += `<tr class="total"><td colspan="6">${esc(s.sector)}</td></tr>`;
      for (const p of s.projects) {
        const link = p.report ? ` class="link" data-report="${esc(p.report.id)}"` : '';
        body += `<tr${link}><td>${esc(p.name)}</td><td class="n">${baht(p.ordinanceBudget)}</td><td class="n">${baht(p.contractAmount)}</td><td class="n">${baht(p.disbursed)}</td><td class="n">${baht(p.remaining)}</td><td>${esc(p.report ? p.report.status : '–')}</td></tr>`;
      }
    }
    body += `<tr class="total"><td>${t('total')}</td><td class="n">${baht(list.totals.ordinanceBudget)}</td><td class="n">${baht(list.totals.contractAmount)}</td><td class="n">${baht(list.totals.disbursed)}</td><td class="n">${baht(list.totals.remaining)}</td><td></td></tr>`;
    $('projects').innerHTML = `<caption>${t('asOf')} ${esc(list.elaasAsOfBE || '–')}</caption><thead><tr>${head.map((h) => `<th scope="col">${esc(h)}</th>`).join('')}</tr></thead><tbody>${body}</tbody>`;
    $('projects').querySelectorAll('tr.link').forEach((tr) => tr.addEventListener('click', () => showReport(tr.dataset.report)));
  } catch (e) {
    $('projects').innerHTML = `<tr><td class="error">${esc(e.message)}</td></tr>`;
  }
}

async function showReport(id) {
  const r = (await gql('report-form', { id })).node;
  const goal = (label, g) => (g ? `<div class="goal"><strong>${t(label)}</strong> ${esc(g.goal.code)} ${esc(g.goal.goalTh)}<br>${esc(g.result || '')}</div>` : '');
  const loc = r.location ? `${r.location.latitude}, ${r.location.longitude} <a href="https://www.openstreetmap.org/?mlat=${r.location.latitude}&mlon=${r.location.longitude}#map=14/${r.location.latitude}/${r.location.longitude}" target="_blank" rel="noopener">${t('map')}</a>` : '–';
  $('report').innerHTML = `<h3>${esc(r.approval.name)}</h3>
    <p>${t('period')}: ${esc(r.startDateBE || '–')} – ${esc(r.endDateBE || '–')} · ${t('status')}: ${esc(r.status)}</p>
    <p>${t('output')}: ${esc(r.outputTarget || '–')}<br>${t('outcome')}: ${esc(r.outcomeTarget || '–')}<br>${t('indicator')}: ${esc(r.successIndicator || '–')}</p>
    ${goal('strategyGoal', r.strategyGoal)}${goal('masterPlanGoal', r.masterPlanGoal)}${goal('subPlanGoal', r.subPlanGoal)}
    <p>${t('progress')}: ${r.progress.map((p) => `Q${p.fiscalQuarter} ${esc(p.percent)}%`).join(', ') || '–'}</p>
    <p>${t('location')}: ${loc}</p>`;
}

async function load() {
  history.replaceState(null, '', `/?fy=${state.fy}&province=${encodeURIComponent(state.province)}&lang=${state.lang}`);
  status('loading', t('loading'));
  $('drill').hidden = true;
  try {
    const [tracking, league, money] = await Promise.all([
      gql('tracking-report', { fiscalYear: state.fy, provinceCode: state.province }),
      gql('league-table', { fiscalYear: state.fy, provinceCode: state.province, first: 100 }),
      gql('organisation-disbursement', { fiscalYear: state.fy, provinceCode: state.province }),
    ]);
    state.data = { tracking, league, money };
    render();
    status(tracking.monitoringReport.rows.length ? '' : 'empty', tracking.monitoringReport.rows.length ? '' : t('empty'));
  } catch (e) {
    status('error', e.message);
  }
}

/** Links to the exports of the chosen province and year (GET /export/…). */
function downloads() {
  const q = `fiscalYear=${state.fy}&provinceCode=${encodeURIComponent(state.province)}`;
  const link = (file, label) => `<a href="/export/${file}?${q}" download>${esc(label)}</a>`;
  $('downloads').innerHTML = `${esc(t('download'))}: ${[
    link('tracking.csv', `${t('tracking')} CSV`), link('tracking.parquet', 'Parquet'),
    link('facts.csv', `${t('facts')} CSV`), link('facts.parquet', 'Parquet'),
    link('scores.csv', `${t('scores')} CSV`), link('emenscr.xlsx', `${t('emenscr')} (Excel)`),
  ].join(' · ')}`;
}

function render() {
  document.documentElement.lang = state.lang;
  document.querySelectorAll('[data-i18n]').forEach((el) => { el.textContent = t(el.dataset.i18n); });
  $('lang').textContent = t('lang');
  downloads();
  const { tracking, league, money } = state.data;
  if (!tracking) return;
  trackingTable(tracking.monitoringReport);
  leagueTable(league.performanceScores.edges);
  drawChart(tracking.monitoringReport, money.disbursement.groups);
}

/** The scope of the signed-in token: a scoped account sees only its province
 * (an evaluator) or its LAO (an officer); the pickers offer nothing else. */
async function applyViewer() {
  state.viewer = sessionStorage.getItem('tidtam.token') ? (await gql('viewer', {})).viewer : null;
  const v = state.viewer;
  $('who').textContent = v ? `${t('signedInAs')} ${v.displayName} (${v.role})` : '';
  const p = await gql('provinces', {});
  let provinces = p.provinces.edges.map((e) => e.node);
  if (v && !v.readsAll && v.province) {
    provinces = provinces.filter((n) => n.code === v.province.code);
    state.province = v.province.code;
  }
  $('province').replaceChildren(...provinces.map((n) => new Option(`${n.nameTh} (${n.code})`, n.code, false, n.code === state.province)));
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
  $('token').value = sessionStorage.getItem('tidtam.token') || '';
  $('token').addEventListener('change', signIn);
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
