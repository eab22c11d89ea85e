// How the bot does, per day or week, chat and calls apart (GET /staff/console/analytics.json):
// a chart of conversations and one of containment and fallback rates per channel, drawn here as
// SVG, and the figures table. Each figure cell keeps its raw number in data-value.

import {
  LABELS,
  bankDate,
  element,
  getJson,
  intentTitle,
  learnTitles,
  percent,
  queryOf,
  say,
  startPage,
} from "./console.js";

const SVG = "http://www.w3.org/2000/svg";
const CHANNELS = ["chat", "call"];
const DEFAULT_DAYS = 27; // four weeks up to today
const MAX_X_LABELS = 8;
const MAX_PERIODS = 400; // more and the charts show only the periods that had conversations
const DAY_MS = 86400000;
const CHART = { width: 600, minWidth: 260, height: 220, left: 48, right: 16, top: 14, bottom: 34 };
const REDRAW_MS = 200;
const TEXT = {
  loading: "正在计算…",
  shown: (period, n) => `已按${period === "week" ? "周" : "日"}统计，共 ${n} 个会话`,
  none: "所选时间内没有会话",
  period: { day: "日", week: "周" },
  week: (start) => `${start} 起一周`,
  dash: "—",
  totals: { conversations: "会话数", containment: "独立解决率" },
  chart: {
    conversations: (channel, period) => `${LABELS.channel[channel]}渠道每${TEXT.period[period]}会话数，具体数值见数据明细表`,
    rates: (channel) => `${LABELS.channel[channel]}渠道机器人独立解决率与未能理解占比，具体数值见数据明细表`,
  },
  formRun: (name, runs) => `${name} ${runs.started}/${runs.submitted}/${runs.cancelled}`,
  top: (pairs) => pairs.map(([name, count]) => `${name} ${count}`).join("、"),
};

const form = document.getElementById("controls");
const rows = document.getElementById("figure-rows");
const figuresTable = document.getElementById("figures");
const empty = document.getElementById("figures-empty");
const status = document.getElementById("status");
const pageMessage = document.getElementById("page-message");
const csv = document.getElementById("csv");
let shown = null; // the figures on the page, drawn again when the page's width changes
let redraw = 0;

function shortDate(iso) {
  return iso.slice(5);
}

function periodLabel(period, start) {
  return period === "week" ? TEXT.week(start) : start;
}

function figureCell(name, value, shown) {
  const cell = element("td", "figure", shown);
  cell.dataset.figure = name;
  cell.dataset.value = value === null || value === undefined ? "" : String(value);
  return cell;
}

function figureRow(period, figures) {
  const tr = element("tr");
  tr.dataset.period = figures.period;
  tr.dataset.channel = figures.channel;
  const head = element("th", "", periodLabel(period, figures.period));
  head.scope = "row";
  const forms = Object.entries(figures.forms || {}).map(([name, runs]) => TEXT.formRun(name, runs));
  tr.append(
    head,
    element("td", "", LABELS.channel[figures.channel] || figures.channel),
    figureCell("conversations", figures.conversations, figures.conversations),
    figureCell("containment", figures.containment, percent(figures.containment)),
    figureCell("fallback_rate", figures.fallback_rate, percent(figures.fallback_rate)),
    figureCell("handoff_rate", figures.handoff_rate, percent(figures.handoff_rate)),
    figureCell("median_turns", figures.median_turns, figures.median_turns ?? TEXT.dash),
    element("td", "list-cell", forms.join("；") || TEXT.dash),
    element("td", "list-cell", TEXT.top((figures.top_intents || []).map(([n, c]) => [intentTitle(n), c])) || TEXT.dash),
    element("td", "list-cell", TEXT.top(figures.top_faqs || []) || TEXT.dash),
  );
  return tr;
}

// ---------------------------------------------------------------------------- charts

function svgElement(tag, attributes, text) {
  const made = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    made.setAttribute(name, String(value));
  }
  if (text !== undefined) {
    made.textContent = text;
  }
  return made;
}

// The axis's top: even, so that the middle line is a whole number too.
function niceMax(value) {
  if (value <= 4) {
    return 4;
  }
  const step = 10 ** Math.floor(Math.log10(value));
  const top = Math.ceil(value / step) * step;
  return top % 2 ? top + step : top;
}

function isoDay(ms) {
  return new Date(ms).toISOString().slice(0, 10);
}

// Every day or week (Monday) from the first to the last, those without conversations included.
function periodsBetween(period, first, last) {
  const step = period === "week" ? 7 * DAY_MS : DAY_MS;
  let at = Date.parse(`${first}T00:00:00Z`);
  if (period === "week") {
    at -= ((new Date(at).getUTCDay() + 6) % 7) * DAY_MS;
  }
  const end = Date.parse(`${last}T00:00:00Z`);
  const periods = [];
  for (; at <= end && periods.length <= MAX_PERIODS; at += step) {
    periods.push(isoDay(at));
  }
  return periods;
}

function axis(answer, figures) {
  const shown = [...new Set(figures.map((f) => f.period))];
  const first = answer.since || shown[0];
  const last = answer.until || shown[shown.length - 1];
  if (!first || !last) {
    return shown;
  }
  const every = periodsBetween(answer.period, first, last);
  return every.length > MAX_PERIODS ? shown : every;
}

// Drawn at the box's own width, so that the axis labels keep their size on a phone.
function frame(box, label, periods, yMax, yText) {
  const { height, left, right, top, bottom } = CHART;
  const width = Math.max(CHART.minWidth, Math.round(box.clientWidth || CHART.width));
  const svg = svgElement("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": label, class: "chart-svg" });
  const plotWidth = width - left - right;
  const plotHeight = height - top - bottom;
  const y = (value) => top + plotHeight - (value / yMax) * plotHeight;
  for (const fraction of [0, 0.5, 1]) {
    const at = y(yMax * fraction);
    svg.append(svgElement("line", { x1: left, x2: width - right, y1: at, y2: at, class: "grid" }));
    svg.append(svgElement("text", { x: left - 6, y: at + 4, class: "axis-label y-label" }, yText(yMax * fraction)));
  }
  const slot = plotWidth / Math.max(periods.length, 1);
  const x = (index) => left + slot * (index + 0.5);
  const every = Math.ceil(periods.length / Math.max(2, Math.min(MAX_X_LABELS, Math.floor(plotWidth / 60))));
  periods.forEach((period, index) => {
    if (index % every === 0) {
      svg.append(svgElement("text", { x: x(index), y: height - 12, class: "axis-label x-label" }, shortDate(period)));
    }
  });
  return { svg, x, y, slot };
}

function conversationsChart(box, channel, period, periods, byPeriod) {
  const counts = periods.map((start) => byPeriod.get(start)?.conversations || 0);
  const label = TEXT.chart.conversations(channel, period);
  const { svg, x, y, slot } = frame(box, label, periods, niceMax(Math.max(0, ...counts)), (v) => String(Math.round(v)));
  const barWidth = Math.max(2, Math.min(36, slot * 0.6));
  counts.forEach((count, index) => {
    const top = y(count);
    svg.append(
      svgElement("rect", {
        x: x(index) - barWidth / 2,
        y: top,
        width: barWidth,
        height: Math.max(0, y(0) - top),
        class: `bar bar-${channel}`,
      }),
    );
  });
  box.replaceChildren(svg);
}

function line(svg, points, className) {
  let path = "";
  let drawing = false;
  for (const point of points) {
    if (point === null) {
      drawing = false;
      continue;
    }
    path += `${drawing ? "L" : "M"}${point[0].toFixed(1)},${point[1].toFixed(1)} `;
    drawing = true;
  }
  if (path) {
    svg.append(svgElement("path", { d: path.trim(), class: `line ${className}` }));
  }
  for (const point of points) {
    if (point !== null) {
      svg.append(svgElement("circle", { cx: point[0], cy: point[1], r: 3.5, class: `dot ${className}` }));
    }
  }
}

function ratesChart(box, channel, periods, byPeriod) {
  const { svg, x, y } = frame(box, TEXT.chart.rates(channel), periods, 1, (v) => `${Math.round(v * 100)}%`);
  const series = (name) =>
    periods.map((period, index) => {
      const figures = byPeriod.get(period);
      return figures && figures.conversations ? [x(index), y(figures[name])] : null;
    });
  line(svg, series("containment"), "containment");
  line(svg, series("fallback_rate"), "fallback");
  box.replaceChildren(svg);
}

function totals(list, figures) {
  const conversations = figures.reduce((sum, f) => sum + f.conversations, 0);
  const contained = figures.reduce((sum, f) => sum + (f.contained || 0), 0);
  const items = [
    [TEXT.totals.conversations, String(conversations)],
    [TEXT.totals.containment, conversations ? percent(contained / conversations) : TEXT.dash],
  ];
  list.replaceChildren(
    ...items.map(([term, value]) => {
      const group = element("div");
      group.append(element("dt", "", term), element("dd", "", value));
      return group;
    }),
  );
}

// ---------------------------------------------------------------------------- the page

function currentPeriod() {
  return new FormData(form).get("period") === "week" ? "week" : "day";
}

function charts(answer) {
  const periods = axis(answer, answer.figures);
  for (const channel of CHANNELS) {
    const mine = answer.figures.filter((f) => f.channel === channel);
    const byPeriod = new Map(mine.map((f) => [f.period, f]));
    const card = document.querySelector(`.channel-card[data-channel="${channel}"]`);
    totals(card.querySelector(".totals"), mine);
    conversationsChart(card.querySelector('[data-chart="conversations"]'), channel, answer.period, periods, byPeriod);
    ratesChart(card.querySelector('[data-chart="rates"]'), channel, periods, byPeriod);
  }
}

function render(answer) {
  learnTitles(answer);
  const figures = [...answer.figures].sort(
    (a, b) => a.period.localeCompare(b.period) || CHANNELS.indexOf(a.channel) - CHANNELS.indexOf(b.channel),
  );
  figuresTable.dataset.period = answer.period;
  rows.replaceChildren(...figures.map((f) => figureRow(answer.period, f)));
  empty.hidden = figures.length > 0;
  shown = { ...answer, figures };
  charts(shown);
  const total = figures.reduce((sum, f) => sum + f.conversations, 0);
  say(status, total ? TEXT.shown(answer.period, total) : TEXT.none);
}

async function load() {
  const query = queryOf(form);
  history.replaceState(null, "", `?${query}`);
  csv.href = `/staff/console/analytics.csv?${query}`;
  csv.setAttribute("download", `analytics-${currentPeriod()}.csv`);
  say(pageMessage, "");
  say(status, TEXT.loading);
  document.body.dataset.state = "loading";
  try {
    render(await getJson(`/staff/console/analytics.json?${query}`));
    document.body.dataset.state = "ready";
  } catch (error) {
    say(status, "");
    say(pageMessage, error.message);
    document.body.dataset.state = "error";
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  load();
});
window.addEventListener("resize", () => {
  clearTimeout(redraw);
  redraw = setTimeout(() => shown && charts(shown), REDRAW_MS);
});
for (const radio of form.querySelectorAll('input[name="period"]')) {
  radio.addEventListener("change", load);
}

async function start() {
  const given = new URLSearchParams(location.search);
  if (!given.has("since") && !given.has("until")) {
    given.set("since", bankDate(-DEFAULT_DAYS));
    given.set("until", bankDate(0));
  }
  await startPage(form, given, pageMessage, load);
}

start();
