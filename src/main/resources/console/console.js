// The live console: fills every panel over HTTP (prices and their history, diplomacy, crowd, matches, robot pool),
// then follows the world over /ws and appends what arrives.
import { drawLineChart } from './chart.js';
import { MeshClient } from './mesh-client.js';

const OVERLAP_MS = 2000;            // the stream starts this long before the HTTP reads, so nothing falls between
const RATE_WINDOW_MS = 10 * 1000;
const MAX_POINTS = 72;              // game hours kept per price chart
const STATES = ['PEACE', 'ALLIANCE', 'COLD_WAR', 'WAR'];
const ENDED = /^match\.(completed|cancelled|failed|aborted|ended)$/;

const $ = id => document.getElementById(id);
const el = (tag, props = {}, ...children) => {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
};

const state = {
  settings: null,
  tick: null,
  arrivals: new Map(),     // topic -> arrival times (ms) of live events
  liveSince: 0,            // records older than this are history: drawn, not counted as a rate
  prices: new Map(),       // commodity -> Map(game_hour -> price)
  pairs: new Map(),        // "a|b" -> {state, love, fear, since_day}
  diplomacyDay: null,
  crowd: new Map(),        // commodity -> {reference_price, demand, supply, mood, game_day}
  matches: new Map(),      // match id -> {event_type, round, at}
  pool: null,              // GET /robots/pool: {busy, total, types: [{type, busy, total}]}
};

// Where the gateway wants credentials (security.*), open the page as /#token=<API key or JWT>: the token is kept for
// this tab only (sessionStorage), taken off the address bar, and sent as a bearer token and as ?access_token= on /ws.
const TOKEN = (() => {
  const given = new URLSearchParams(location.hash.slice(1)).get('token');
  if (given) {
    sessionStorage.setItem('mesh-token', given);
    history.replaceState(null, '', location.pathname + location.search);
  }
  return sessionStorage.getItem('mesh-token');
})();

async function getJson(path) {
  const headers = { accept: 'application/json' };
  if (TOKEN) {
    headers.authorization = `Bearer ${TOKEN}`;
  }
  const response = await fetch(path, { headers });
  if (!response.ok) {
    throw new Error(`${path}: HTTP ${response.status}`);
  }
  return response.json();
}

async function start() {
  state.settings = await getJson('/console/settings');
  for (const name of Object.keys(state.settings.commodities)) {
    state.prices.set(name, new Map());
  }
  renderPrices();
  renderDiplomacy();
  const since = Date.now() - OVERLAP_MS;
  await Promise.all([loadPrices(), loadDiplomacy(), loadCrowd(), loadMatches(), loadPool()]);
  document.body.dataset.filled = 'http'; // every panel has what the mesh knew when the page opened
  connect(since);
  setInterval(renderRates, 1000);
}

// The history of every commodity's clearings (the last two game days), then the last clearing of each.
async function loadPrices() {
  try {
    const history = await getJson('/market/history');
    for (const [commodity, points] of Object.entries(history.commodities)) {
      points.filter(p => p.price !== null).forEach(p => series(commodity).set(p.game_hour, p.price));
    }
    for (const p of (await getJson('/market/prices')).prices) {
      if (p.price !== null && p.game_hour !== null) {
        series(p.commodity).set(p.game_hour, p.price);
      }
    }
    renderPrices();
  } catch (e) {
    console.warn('prices unavailable', e);
  }
}

async function loadCrowd() {
  try {
    const crowd = await getJson('/crowd');
    for (const c of crowd.commodities) {
      state.crowd.set(c.commodity, { commodity: c.commodity, reference_price: c.reference_price, demand: c.demand,
        supply: c.supply, mood: crowd.mean_mood, game_day: crowd.game_day });
    }
    renderCrowd();
  } catch (e) {
    console.warn('crowd unavailable', e);
  }
}

async function loadMatches() {
  try {
    for (const m of (await getJson('/matches?state=active&limit=100')).matches) {
      state.matches.set(m.match_id, { event_type: m.phase, round: m.round, at: 0 });
    }
    renderMatches();
  } catch (e) {
    console.warn('matches unavailable', e);
  }
}

let poolReload = null;

async function loadPool() {
  try {
    state.pool = await getJson('/robots/pool');
    renderRobots();
  } catch (e) {
    $('robot-summary').textContent = 'robot pool unavailable';
    console.warn('robot pool unavailable', e);
  }
}

async function loadDiplomacy() {
  try {
    const matrix = await getJson('/diplomacy');
    state.diplomacyDay = matrix.game_day;
    for (const p of matrix.pairs) {
      state.pairs.set(`${p.a}|${p.b}`, { state: p.state, love: p.love, fear: p.fear, since_day: p.since_day });
    }
    renderDiplomacy();
  } catch (e) {
    console.warn('diplomacy unavailable', e);
  }
}

// Two subscriptions on one socket of the mesh's client library (clients/js/mesh-client.js, served as
// /console/mesh-client.js): it reconnects by itself (backing off up to 30 s) and resumes from the offsets it
// reached, so nothing is counted twice.
function connect(since) {
  const t = state.settings.topics;
  const client = new MeshClient({ url: '/ws', token: TOKEN, backoff: { initialMs: 1000, maxMs: 30000 } });
  setConnection('connecting', 'connecting…');
  client.on('open', () => {
    state.liveSince = Date.now() - 2000; // what arrives older than this is history or catch-up, not a live rate
  });
  client.on('reconnecting', r => setConnection('closed',
    `disconnected; reconnecting in ${Math.max(1, Math.round(r.delayMs / 1000))} s`));
  client.on('error', e => console.warn('mesh', e));
  // the last game hour of ticks, so the game time shows at once; everything else from when the HTTP reads began
  const gameHourMs = 3600 * 1000 / state.settings.clock.time_scale;
  client.subscribe({ id: 'console-ticks', topics: [t.hourly, t.daily],
    start: { timestamp: Date.now() - gameHourMs - OVERLAP_MS } }, onEvent);
  const subscription = client.subscribe({
    id: 'console',
    topics: [t.simulation, t.orders, ...t.other],
    start: { timestamp: since },
  }, onEvent);
  subscription.on('subscribed', () => setConnection('live', `live · ${state.settings.node_id}`));
  subscription.on('error', e => setConnection('closed', e.message));
}

function setConnection(which, text) {
  $('connection').dataset.state = which;
  $('connection').querySelector('span').textContent = text;
}

function onEvent(frame) {
  if (frame.timestamp >= state.liveSince) {
    const times = state.arrivals.get(frame.topic) || [];
    times.push(Date.now());
    state.arrivals.set(frame.topic, times);
  }
  const type = frame.event.event_type || '';
  const data = frame.event.data || {};
  if (type === 'world.tick.hourly' || type === 'world.tick.daily') {
    onTick(type, data);
  } else if (type === 'economy.market.cleared') {
    if (data.price !== null && data.price !== undefined) {
      const points = series(data.commodity);
      points.set(data.game_hour, data.price);
      [...points.keys()].sort((a, b) => a - b).slice(0, -MAX_POINTS).forEach(h => points.delete(h));
      renderPrices();
    }
  } else if (type === 'world.diplomacy.changed') {
    state.pairs.set(data.pair, { state: data.to, love: data.love, fear: data.fear, since_day: data.game_day });
    renderDiplomacy();
  } else if (type === 'world.crowd.signal') {
    const at = nearest(data.price_levels, data.reference_price);
    state.crowd.set(data.commodity, { commodity: data.commodity, reference_price: data.reference_price,
      demand: data.demand[at], supply: data.supply[at], mood: data.mean_mood, game_day: data.game_day });
    renderCrowd();
  } else if (type.startsWith('match.') || type.startsWith('round.')) {
    onMatch(type, data, frame.timestamp);
  }
  if (type.startsWith('robot.') || type === 'round.robots_assigned' || type.startsWith('robot_pool.')) {
    poolReload = poolReload || setTimeout(() => { poolReload = null; loadPool(); }, 1000); // at most once a second
  }
}

function onTick(type, data) {
  if (state.tick && data.game_hour < state.tick.game_hour) {
    return; // history arriving after a newer tick
  }
  const newDay = !state.tick || data.game_day !== state.tick.game_day;
  state.tick = data;
  const tick = $('tick');
  tick.textContent = data.game_time.replace('T', ' ').replace(/:00(\.0+)?Z$/, ' UTC');
  tick.dataset.gameHour = String(data.game_hour);
  $('tick-day').textContent = data.game_day;
  $('tick-hour').textContent = data.hour_of_day;
  $('tick-id').textContent = data.tick_id;
  $('tick-late').textContent = `${data.late_ms} ms`;
  if (type === 'world.tick.daily' || newDay) {
    loadDiplomacy();
  }
}

function onMatch(type, data, at) {
  const id = data.match_id;
  if (!id) {
    return;
  }
  if (ENDED.test(type)) {
    state.matches.delete(id);
  } else {
    const known = state.matches.get(id) || {};
    state.matches.set(id, { event_type: type, round: data.round ?? data.round_number ?? known.round, at });
  }
  renderMatches();
}

function series(commodity) {
  if (!state.prices.has(commodity)) {
    state.prices.set(commodity, new Map());
  }
  return state.prices.get(commodity);
}

function renderRates() {
  const now = Date.now();
  const rates = [];
  for (const [topic, times] of state.arrivals) {
    while (times.length && times[0] < now - RATE_WINDOW_MS) {
      times.shift();
    }
    rates.push({ topic, rate: times.length / (RATE_WINDOW_MS / 1000) });
  }
  rates.sort((a, b) => b.rate - a.rate || a.topic.localeCompare(b.topic));
  const max = Math.max(0.1, ...rates.map(r => r.rate));
  const list = $('rates');
  if (rates.length === 0) {
    return;
  }
  list.replaceChildren(...rates.map(r => el('li', { className: 'rate' },
    el('span', { className: 'name', textContent: r.topic, title: r.topic }),
    el('span', { className: 'value', textContent: `${r.rate.toFixed(1)}/s` }),
    el('span', { className: 'bar', style: `width: ${(r.rate / max * 100).toFixed(1)}%` }))));
}

function renderPrices() {
  const box = $('prices');
  for (const [commodity, points] of [...state.prices].sort((a, b) => a[0].localeCompare(b[0]))) {
    let chart = box.querySelector(`[data-commodity="${CSS.escape(commodity)}"]`);
    if (!chart) {
      chart = el('div', { className: 'chart' },
        el('header', {}, el('span', { textContent: commodity }), el('b', { textContent: '–' })),
        el('canvas', { className: 'price-chart', id: `chart-${commodity}` }));
      chart.dataset.commodity = commodity;
      box.append(chart);
    }
    const sorted = [...points].sort((a, b) => a[0] - b[0]).map(([x, y]) => ({ x, y }));
    chart.querySelector('b').textContent = sorted.length ? sorted[sorted.length - 1].y.toFixed(2) : '–';
    drawLineChart(chart.querySelector('canvas'), sorted);
  }
}

function renderDiplomacy() {
  const factions = state.settings.factions;
  const table = $('diplomacy');
  const head = el('tr', {}, el('th'), ...factions.map(f => el('th', { textContent: f })));
  const rows = factions.map(a => el('tr', {}, el('th', { textContent: a }), ...factions.map(b => {
    if (a === b) {
      return el('td', { className: 'self' });
    }
    const key = factions.indexOf(a) < factions.indexOf(b) ? `${a}|${b}` : `${b}|${a}`;
    const pair = state.pairs.get(key) || { state: 'PEACE' };
    const cell = el('td', { className: `state-${STATES.includes(pair.state) ? pair.state : 'PEACE'}` });
    cell.title = `${a} · ${b}: ${pair.state}` + (pair.love === undefined ? ''
      : ` (love ${pair.love.toFixed(1)}, fear ${pair.fear.toFixed(1)}, since day ${pair.since_day})`);
    cell.dataset.state = pair.state;
    return cell;
  })));
  table.replaceChildren(el('thead', {}, head), el('tbody', {}, ...rows));
  $('diplomacy-day').textContent = state.diplomacyDay === null ? '' : `as of game day ${state.diplomacyDay}`;
}

function renderCrowd() {
  if (state.crowd.size === 0) {
    return;
  }
  const rows = [...state.crowd.values()].sort((a, b) => a.commodity.localeCompare(b.commodity)).map(s =>
    el('tr', {}, el('td', { textContent: s.commodity }),
      el('td', { textContent: Number(s.reference_price).toFixed(2) }),
      el('td', { textContent: Math.round(s.demand).toLocaleString() }),
      el('td', { textContent: Math.round(s.supply).toLocaleString() }),
      el('td', { textContent: s.mood === null ? '–' : s.mood.toFixed(2) })));
  $('crowd').tBodies[0].replaceChildren(...rows);
  const days = [...state.crowd.values()].map(s => s.game_day);
  $('crowd-day').textContent = `game day ${Math.max(...days)}`;
}

function nearest(levels, price) {
  let best = 0;
  levels.forEach((level, i) => {
    if (Math.abs(level - price) < Math.abs(levels[best] - price)) {
      best = i;
    }
  });
  return best;
}

function renderMatches() {
  const list = $('matches');
  $('match-count').textContent = String(state.matches.size);
  if (state.matches.size === 0) {
    list.replaceChildren(el('li', { className: 'empty', textContent: 'no active match' }));
    return;
  }
  list.replaceChildren(...[...state.matches].sort((a, b) => b[1].at - a[1].at).slice(0, 20).map(([id, m]) =>
    el('li', {}, el('span', { textContent: id }),
      el('span', { className: 'muted', textContent: (m.round ? `round ${m.round} · ` : '') + m.event_type }))));
}

function renderRobots() {
  const { busy, total, types } = state.pool;
  $('robot-meter').style.width = total ? `${(busy / total * 100).toFixed(1)}%` : '0';
  $('robot-summary').textContent = total ? `${busy} of ${total} busy (${Math.round(busy / total * 100)} %)`
    : 'no robot in the pool';
  $('robot-types').replaceChildren(...types.map(t =>
    el('li', {}, el('span', { textContent: t.type }), el('span', { className: 'muted', textContent: `${t.busy}/${t.total} busy` }))));
}

start().catch(e => setConnection('closed', `console failed to start: ${e.message}`));
