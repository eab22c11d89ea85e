// Publishing: what is unpublished, the 发布 button, a running publish's stages (polled every second),
// why a publish failed (a gate's figure, its threshold and sentences the new model gets wrong), the
// version history with rollback, and the audit log. API: voice/console/publish_routes.py.

import { element, getJson, intentTitle, learnTitles, say, sendJson, signedIn, when } from "./console.js";

const POLL_MS = 1000;
const IDLE_POLL_MS = 10000;
const TEXT = {
  nothing: "没有未发布的修改",
  files: (n) => `${n} 个文件有修改`,
  faqOnly: "只修改了常见问题：只需重新训练意图分类，较快",
  full: "修改了意图例句或话术：需要完整训练，较慢",
  added: "新增常见问题",
  changed: "修改常见问题",
  removed: "删除常见问题",
  noVersion: "尚无版本记录（连接智能助手服务后自动记录当前线上版本）",
  noBaseline: "尚无版本记录：智能助手当前使用的模型不是由现有内容训练的，首次发布后开始记录版本",
  version: (v) => `版本 ${label(v.number)}（${when(v.at)}，${v.staff}）`,
  started: "已开始发布",
  rollbackStarted: (n) => `已开始回滚到版本 ${label(n)}`,
  running: (job, stage, step) =>
    `${job.kind === "rollback" ? "回滚" : "发布"}进行中：第 ${step} 步（共 ${job.stages.length} 步）${stage ? stage.title : ""}`,
  succeeded: (job) => `${job.kind === "rollback" ? "回滚" : "发布"}成功，当前线上版本 ${label(job.version)}`,
  failed: (job) => `${job.kind === "rollback" ? "回滚" : "发布"}未成功`,
  elsewhere: "另一个发布正在进行，请稍候",
  states: { pending: "等待中", running: "进行中", passed: "已完成", failed: "未通过" },
  seconds: (s) => `${Math.round(s)} 秒`,
  estimate: (s) => `，预计约 ${Math.round(s)} 秒`,
  noVersions: "暂无版本",
  noAudit: "暂无操作记录",
  kinds: { initial: "初始版本", publish: "发布", rollback: "回滚" },
  restoredFrom: (n) => `恢复自版本 ${label(n)}`,
  current: "当前线上",
  rollback: "回滚到此版本",
  restorePrevious: (n) => `恢复上一版本（${label(n)}）`,
  rollbackLabel: (n) => `回滚到版本 ${label(n)}`,
  noModel: "模型副本已清理",
  confirm: (v) =>
    `将把常见问题、意图例句和话术恢复为版本 ${label(v.number)}（${when(v.at)}）的内容，并让智能助手使用该版本的模型。` +
    "尚未发布的修改会被覆盖。确定要回滚吗？",
  gateExamples: "新模型理解错的句子（部分）",
  sentence: "句子",
  expected: "应为",
  predicted: "被识别为",
  outOfScope: "（业务范围外）",
  confidence: "置信度",
  actions: {
    "publish.started": "开始发布",
    "publish.succeeded": "发布成功",
    "publish.failed": "发布失败",
    "rollback.started": "开始回滚",
    "rollback.succeeded": "回滚成功",
    "rollback.failed": "回滚失败",
    "faq.save": "保存常见问题",
    "faq.add": "新增常见问题",
    "faq.disable": "停用常见问题",
    "faq.add_phrasing": "添加常见问题问法",
    "intent.add_example": "添加意图例句",
    "intent.save": "修改意图例句",
    "wording.save": "修改话术",
    "triage.assign": "归类待改进消息",
    "triage.dismiss": "忽略待改进消息",
  },
  details: { note: "说明", reason: "原因", model: "模型", stage: "步骤", restored_from: "恢复自版本", path: "训练方式" },
  paths: { faq: "仅意图分类", full: "完整训练" },
  sources: { faq: "常见问题", nlu: "意图例句", domain: "话术" },
};

const pageMessage = document.getElementById("page-message");
const serverMessage = document.getElementById("server-message");
const form = document.getElementById("publish-form");
const note = document.getElementById("note");
const noteError = document.getElementById("note-error");
const button = document.getElementById("publish");
const publishMessage = document.getElementById("publish-message");
const panel = document.getElementById("job-panel");
const progress = document.getElementById("job-progress");
const stages = document.getElementById("stages");
const dialog = document.getElementById("rollback-dialog");
let state = null; // the last status the API sent
let timer = 0;
let shownJob = ""; // id and state of the job whose end was last shown (to reload the lists once)

function label(number) {
  return number === null || number === undefined ? "—" : String(number).padStart(4, "0");
}

function changesText(changes) {
  if (!changes || !changes.files.length) {
    return TEXT.nothing;
  }
  return `${TEXT.files(changes.files.length)}（${changes.faq_only ? TEXT.faqOnly : TEXT.full}）`;
}

// A source file in words staff use: 常见问题, 意图例句（cards.yml）, 话术（cards.yml）.
function fileTitle(path) {
  const name = path.split("/").pop();
  if (path === "bot/faq/faqs.yml") {
    return TEXT.sources.faq;
  }
  if (path.startsWith("bot/data/nlu/")) {
    return `${TEXT.sources.nlu}（${name}）`;
  }
  return path.startsWith("bot/domain/") ? `${TEXT.sources.domain}（${name}）` : path;
}

// What changed, one line each: the FAQs by id, the other files by what they hold.
function changeLines(changes) {
  if (!changes) {
    return [];
  }
  const lines = [];
  for (const [key, title] of [["faqs_added", TEXT.added], ["faqs_changed", TEXT.changed], ["faqs_removed", TEXT.removed]]) {
    if (changes[key].length) {
      lines.push(`${title}：${changes[key].join("、")}`);
    }
  }
  const byId = lines.length > 0;
  for (const file of changes.files) {
    if (!(byId && file === "bot/faq/faqs.yml")) {
      lines.push(fileTitle(file));
    }
  }
  return lines;
}

function changeItems(list, changes) {
  list.replaceChildren(...changeLines(changes).map((line) => element("li", "", line)));
}

function shortModel(name) {
  return (name || "").replace(/\.tar\.gz$/, "");
}

// An intent as staff read it: 查询余额（check_balance）.
function intentName(name) {
  const title = intentTitle(name);
  return title === name ? name : `${title}（${name}）`;
}

function showStatus(status) {
  state = status;
  learnTitles(status);
  serverMessage.hidden = status.server.reachable;
  say(serverMessage, status.server.reachable ? "" : status.server.message);
  const none = status.server.reachable ? TEXT.noBaseline : TEXT.noVersion;
  say(document.getElementById("current-version"), status.current ? TEXT.version(status.current) : none);
  say(document.getElementById("unpublished"), changesText(status.unpublished));
  changeItems(document.getElementById("unpublished-detail"), status.unpublished);
  const job = status.running || status.last;
  const running = Boolean(status.running) || status.publishing_elsewhere;
  button.disabled = running || !status.server.reachable || !status.unpublished.files.length;
  for (const rollback of document.querySelectorAll(".rollback, #restore-previous")) {
    rollback.disabled = running || !status.server.reachable;
  }
  if (status.publishing_elsewhere && !status.running) {
    tell(TEXT.elsewhere, true);
  }
  if (job) {
    showJob(job);
  }
}

function showJob(job) {
  panel.hidden = false;
  say(document.getElementById("job-title"), job.kind === "rollback" ? `回滚进度（版本 ${label(job.restored_from)}）` : "发布进度");
  progress.value = job.percent;
  progress.textContent = `${job.percent}%`;
  progress.setAttribute("aria-valuetext", `${job.percent}%`);
  // Said when the step changes, not every second: the bar shows the percentage.
  const step = job.stages.findIndex((stage) => stage.state === "running");
  const summary =
    job.state === "running"
      ? TEXT.running(job, job.stages[step], step + 1)
      : job.state === "succeeded"
        ? TEXT.succeeded(job)
        : TEXT.failed(job);
  say(document.getElementById("job-summary"), `${summary}（${job.staff}，${when(job.started)}）`);
  stages.replaceChildren(
    ...job.stages.map((stage) => {
      const item = element("li", `stage stage-${stage.state}`);
      item.dataset.state = stage.state;
      const head = element("p", "stage-head");
      head.append(element("span", "stage-title", stage.title), element("span", "stage-state", TEXT.states[stage.state]));
      let time = "";
      if (stage.elapsed !== null) {
        time = TEXT.seconds(stage.elapsed);
        if (stage.state === "running" && stage.estimate) {
          time += TEXT.estimate(stage.estimate);
        }
      }
      head.append(element("span", "stage-time", time));
      item.append(head);
      if (stage.message) {
        item.append(element("p", "stage-message", stage.message));
      }
      return item;
    }),
  );
  const failure = document.getElementById("job-failure");
  failure.hidden = job.state !== "failed";
  say(document.getElementById("job-reason"), job.state === "failed" ? job.reason : "");
  showGates(job.state === "failed" ? job.gates : null);
  const key = `${job.id}:${job.state}:${job.finished}`;
  if (job.state !== "running" && shownJob && shownJob !== key) {
    loadLists(); // a job just ended: the history and the log have news
  }
  shownJob = key;
}

function showGates(report) {
  const box = document.getElementById("gate-details");
  box.replaceChildren();
  if (!report) {
    return;
  }
  for (const gate of report.gates.filter((g) => !g.passed)) {
    box.append(element("h4", "", gate.message));
    if (!gate.examples.length) {
      continue;
    }
    const table = element("table", "results-table gate-examples");
    table.append(element("caption", "", TEXT.gateExamples));
    const head = element("tr");
    for (const title of [TEXT.sentence, TEXT.expected, TEXT.predicted]) {
      const th = element("th", "", title);
      th.scope = "col";
      head.append(th);
    }
    table.append(element("thead"));
    table.tHead.append(head);
    const body = element("tbody");
    for (const example of gate.examples) {
      const row = element("tr");
      row.append(
        element("td", "", example.text),
        element("td", "", example.expected ? intentName(example.expected) : TEXT.outOfScope),
        element("td", "", `${intentName(example.predicted)}，${TEXT.confidence} ${example.confidence.toFixed(2)}`),
      );
      body.append(row);
    }
    table.append(body);
    box.append(table);
  }
}

// "Restore the previous model": the version before the current one, if its model is kept.
function offerPrevious(answer) {
  const restore = document.getElementById("restore-previous");
  const previous = answer.versions.find((version) => answer.current !== null && version.number < answer.current);
  restore.hidden = !previous || !previous.has_model_copy;
  if (previous) {
    restore.textContent = TEXT.restorePrevious(previous.number);
    restore.onclick = () => confirmRollback(previous);
  }
}

function showVersions(answer) {
  offerPrevious(answer);
  const rows = document.getElementById("version-rows");
  say(document.getElementById("versions-status"), answer.versions.length ? "" : TEXT.noVersions);
  rows.replaceChildren(
    ...answer.versions.map((version) => {
      const row = element("tr");
      const number = element("th", "", label(version.number));
      number.scope = "row";
      let kind = TEXT.kinds[version.kind] || version.kind;
      if (version.restored_from) {
        kind += `（${TEXT.restoredFrom(version.restored_from)}）`;
      }
      const changed = element("td");
      const list = element("ul", "change-list");
      changeItems(list, version.changes);
      changed.append(list.children.length ? list : document.createTextNode("—"));
      const action = element("td");
      if (version.number === answer.current) {
        action.append(element("span", "current-tag", TEXT.current));
      } else if (!version.has_model_copy) {
        action.append(element("span", "hint", TEXT.noModel));
      } else {
        const rollback = element("button", "button small rollback", TEXT.rollback);
        rollback.type = "button";
        rollback.setAttribute("aria-label", TEXT.rollbackLabel(version.number));
        rollback.disabled = Boolean(state && (state.running || !state.server.reachable));
        rollback.addEventListener("click", () => confirmRollback(version));
        action.append(rollback);
      }
      row.append(
        number,
        element("td", "", when(version.at)),
        element("td", "", version.staff),
        element("td", "", kind),
        changed,
        element("td", "", version.note || "—"),
        element("td", "model-name", shortModel(version.model)),
        action,
      );
      return row;
    }),
  );
}

function detailText(detail) {
  const parts = [];
  for (const [key, value] of Object.entries(detail || {})) {
    if (key === "changes") {
      parts.push(changeLines(value).join("；"));
    } else if (key === "gates" || key === "problems" || value === "" || value === null) {
      continue; // the reason says what the gates and checks found
    } else if (key === "path") {
      parts.push(`${TEXT.details.path}：${TEXT.paths[value] || value}`);
    } else if (key === "restored_from") {
      parts.push(`${TEXT.details[key]}：${label(value)}`);
    } else if (key === "model") {
      parts.push(`${TEXT.details[key]}：${shortModel(value)}`);
    } else if (value !== "" && value !== null && (typeof value === "string" || typeof value === "number")) {
      parts.push(`${TEXT.details[key] || key}：${value}`);
    }
  }
  return parts.join("；") || "—";
}

function showAudit(answer) {
  const rows = document.getElementById("audit-rows");
  say(document.getElementById("audit-status"), answer.entries.length ? "" : TEXT.noAudit);
  rows.replaceChildren(
    ...answer.entries.map((entry) => {
      const row = element("tr");
      row.append(
        element("td", "", when(entry.at)),
        element("td", "", entry.staff),
        element("td", "", TEXT.actions[entry.action] || entry.action),
        element("td", "", entry.target || "—"),
        element("td", "audit-detail", detailText(entry.detail)),
      );
      return row;
    }),
  );
}

async function loadLists() {
  try {
    const [history, log] = await Promise.all([
      getJson("/staff/console/api/versions"),
      getJson("/staff/console/api/audit?limit=100"),
    ]);
    showVersions(history);
    showAudit(log);
  } catch (error) {
    say(pageMessage, error.message);
  }
}

async function poll() {
  clearTimeout(timer);
  try {
    showStatus(await getJson("/staff/console/api/publish"));
    say(pageMessage, "");
  } catch (error) {
    say(pageMessage, error.message);
  }
  const busy = state && (state.running || state.publishing_elsewhere);
  timer = setTimeout(poll, busy ? POLL_MS : IDLE_POLL_MS);
}

function tell(text, ok = false) {
  publishMessage.dataset.kind = ok ? "ok" : "error";
  say(publishMessage, text);
}

async function started(answer, message) {
  if (answer.ok) {
    tell(message, true);
    shownJob = "";
    showJob(answer.body.job);
    await loadLists();
  } else if (answer.body.parameter === "note") {
    say(noteError, answer.body.message);
  } else {
    tell(answer.body.message || "");
  }
  await poll();
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  say(noteError, "");
  tell("");
  button.disabled = true;
  try {
    await started(await sendJson("POST", "/staff/console/api/publish", { note: note.value.trim() }), TEXT.started);
    note.value = "";
  } catch (error) {
    tell(error.message);
    button.disabled = false;
  }
});

function confirmRollback(version) {
  say(document.getElementById("rollback-text"), TEXT.confirm(version));
  dialog.returnValue = "";
  dialog.onclose = async () => {
    if (dialog.returnValue !== "confirm") {
      return;
    }
    tell("");
    try {
      const path = `/staff/console/api/versions/${version.number}/rollback`;
      await started(await sendJson("POST", path, {}), TEXT.rollbackStarted(version.number));
    } catch (error) {
      tell(error.message);
    }
  };
  dialog.showModal();
}

async function start() {
  try {
    await signedIn();
  } catch (error) {
    say(pageMessage, error.message);
    return;
  }
  await loadLists();
  await poll();
}

start();
