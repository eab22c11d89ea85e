// What the console's pages share: who is signed in, logging out, reading the JSON API, and how
// times, rates and names are shown. Times are the bank's (Asia/Shanghai), whatever the browser's zone.

export const TIMEZONE = "Asia/Shanghai";

export const LABELS = {
  role: { agent: "客服坐席", editor: "内容编辑", admin: "管理员" },
  channel: { chat: "文字", call: "通话" },
  outcome: { contained: "机器人独立解决", handed_off: "转人工", callback: "登记回电" },
  from: { customer: "客户", bot: "智能助手", agent: "人工客服" },
  form: { started: "进行中", submitted: "已提交", cancelled: "已取消" },
  parameter: {
    since: "开始日期",
    until: "结束日期",
    channel: "渠道",
    intent: "意图",
    faq: "常见问题编号",
    fallback: "未能理解",
    handoff: "转人工",
    outcome: "结果",
    period: "统计周期",
  },
};

const intentTitles = {}; // name → Chinese title, as the API sends them (nlu/intent_titles.py)

export function learnTitles(answer) {
  Object.assign(intentTitles, (answer && answer.intent_titles) || {});
}

export function intentTitle(name) {
  return intentTitles[name] || name;
}

export const TEXT = {
  loadFailed: "暂时无法读取数据，请稍后重试",
  saveFailed: "暂时无法保存，请稍后重试",
  forbidden: "您的账号没有使用运营控制台的权限",
  badParameter: (name) => (LABELS.parameter[name] ? `查询条件“${LABELS.parameter[name]}”无效，请检查后重试` : "查询条件无效，请检查后重试"),
};

export class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

export function toLogin() {
  location.assign("/staff/login?next=" + encodeURIComponent(location.pathname + location.search));
}

export async function getJson(path) {
  let answer;
  try {
    answer = await fetch(path, { credentials: "same-origin", headers: { Accept: "application/json" } });
  } catch {
    throw new ApiError(TEXT.loadFailed, 0);
  }
  if (answer.status === 401) {
    toLogin();
    throw new ApiError("", 401);
  }
  const body = await answer.json().catch(() => ({}));
  if (answer.status === 403) {
    throw new ApiError(TEXT.forbidden, 403);
  }
  if (answer.status === 400) {
    throw new ApiError(TEXT.badParameter(body.parameter), 400);
  }
  if (!answer.ok) {
    throw new ApiError(TEXT.loadFailed, answer.status);
  }
  return body;
}

let csrfToken = ""; // the session's, from /staff/me: every change the API takes must carry it

// POST/PUT/DELETE a JSON body. Refusals the page should show next to fields (400, 404, 409, 422, 423)
// come back as { ok: false, status, body }; sign-in and permission problems throw like getJson.
export async function sendJson(method, path, body) {
  let answer;
  try {
    answer = await fetch(path, {
      method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": csrfToken },
      body: JSON.stringify(body || {}),
    });
  } catch {
    throw new ApiError(TEXT.saveFailed, 0);
  }
  if (answer.status === 401) {
    toLogin();
    throw new ApiError("", 401);
  }
  const reply = await answer.json().catch(() => ({}));
  if (answer.status === 403) {
    throw new ApiError(reply.error === "csrf" ? TEXT.saveFailed : TEXT.forbidden, 403);
  }
  if (answer.ok || [400, 404, 409, 422, 423].includes(answer.status)) {
    return { ok: answer.ok, status: answer.status, body: reply };
  }
  throw new ApiError(TEXT.saveFailed, answer.status);
}

export function say(element, text) {
  element.textContent = text;
}

// The console's pages, in the nav bar's order. Only editors and admins open them (agents are refused);
// an admin's nav also links to the staff accounts.
export const PAGES = [
  { path: "/staff/console/review", title: "会话回顾" },
  { path: "/staff/console/analytics", title: "服务分析" },
  { path: "/staff/console/failures", title: "待改进" },
  { path: "/staff/console/faqs", title: "常见问题" },
  { path: "/staff/console/intents", title: "意图例句" },
  { path: "/staff/console/wording", title: "话术" },
  { path: "/staff/console/publish", title: "发布" },
];

// The header's nav, the same on every page (<nav id="console-nav">): the pages, the one shown marked
// as current; the accounts page (shown to admins by signedIn), who is signed in, and logging out.
function renderNav() {
  const nav = document.getElementById("console-nav");
  if (!nav) {
    return;
  }
  const links = PAGES.map((page) => {
    const link = element("a", "", page.title);
    link.href = page.path;
    if (location.pathname === page.path) {
      link.setAttribute("aria-current", "page");
    }
    return link;
  });
  const accounts = element("a", "", "员工账号");
  accounts.id = "accounts-link";
  accounts.href = "/staff/accounts";
  accounts.hidden = true;
  const who = element("span", "who");
  who.id = "who";
  const logout = element("button", "button", "退出登录");
  logout.id = "logout";
  logout.type = "button";
  nav.replaceChildren(...links, accounts, who, logout);
}

renderNav(); // before the page's own script runs: it imports this module

// The header: who is signed in, the accounts page for admins, and logging out.
export async function signedIn() {
  const me = await getJson("/staff/me");
  csrfToken = me.csrf;
  document.getElementById("who").textContent = `${me.name}（${LABELS.role[me.role] || me.role}）`;
  document.getElementById("accounts-link").hidden = me.role !== "admin";
  document.getElementById("logout").addEventListener("click", async () => {
    try {
      await fetch("/staff/logout", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": me.csrf },
        body: "{}",
      });
    } finally {
      location.assign("/staff/login");
    }
  });
  return me;
}

const dateTime = new Intl.DateTimeFormat("zh-CN", {
  timeZone: TIMEZONE,
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  hourCycle: "h23",
});
const clock = new Intl.DateTimeFormat("zh-CN", {
  timeZone: TIMEZONE,
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  hourCycle: "h23",
});
const isoDay = new Intl.DateTimeFormat("en-CA", { timeZone: TIMEZONE, year: "numeric", month: "2-digit", day: "2-digit" });

export function when(epochSeconds) {
  return dateTime.format(new Date(epochSeconds * 1000));
}

export function timeOfDay(epochSeconds) {
  return clock.format(new Date(epochSeconds * 1000));
}

// YYYY-MM-DD in the bank's zone, ``days`` from today.
export function bankDate(days = 0) {
  return isoDay.format(new Date(Date.now() + days * 86400000));
}

export function percent(rate) {
  return rate === null || rate === undefined ? "—" : `${(rate * 100).toFixed(1)}%`;
}

export function decimal(value, places = 2) {
  return value === null || value === undefined ? "—" : Number(value).toFixed(places);
}

export function element(tag, className, text) {
  const made = document.createElement(tag);
  if (className) {
    made.className = className;
  }
  if (text !== undefined && text !== null) {
    made.textContent = String(text);
  }
  return made;
}

// The form's non-empty fields as query parameters (and the form filled from the page's address).
export function queryOf(form) {
  const query = new URLSearchParams();
  for (const [name, value] of new FormData(form)) {
    if (String(value).trim()) {
      query.set(name, String(value).trim());
    }
  }
  return query;
}

export function fillForm(form, query) {
  for (const [name, value] of query) {
    const field = form.elements.namedItem(name);
    if (field instanceof RadioNodeList) {
      for (const radio of field) {
        radio.checked = radio.value === value;
      }
    } else if (field && "value" in field) {
      field.value = value;
    }
  }
}

// A console page starts: its form filled from the address, then, once signed in, its first load.
export async function startPage(form, given, pageMessage, load) {
  fillForm(form, given);
  try {
    await signedIn();
  } catch (error) {
    say(pageMessage, error.message);
    return;
  }
  await load();
}
