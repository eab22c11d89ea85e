// What the content pages (常见问题, 意图例句, 话术) share: problems shown next to the field they are
// about, the notice after a save (it takes effect after 发布), refusals said in Chinese, the
// change history.

import { element, say, when } from "./console.js";

export const PUBLISH_PATH = "/staff/console/publish";

const ACTIONS = {
  "faq.add": "新增",
  "faq.save": "修改",
  "faq.disable": "停用",
  "faq.enable": "启用",
  "faq.add_phrasing": "添加问法",
  "intent.add_example": "添加例句",
  "intent.edit_example": "修改例句",
  "intent.remove_example": "删除例句",
  "triage.assign": "从待改进添加",
  "wording.save": "修改话术",
};

export const FIELD_LABELS = {
  id: "编号",
  category: "分类",
  questions: "问法",
  answer: "文字回答",
  answer_voice: "语音回答",
  enabled: "启用",
  text: "例句",
  old: "原例句",
  etag: "版本",
  variants: "话术",
  new_voice: "语音话术",
};

// The list under a field: one item per problem, the field marked invalid while there are any.
export function showProblems(list, problems, field) {
  list.replaceChildren(...problems.map((problem) => element("li", "", problem.message || problem)));
  if (field) {
    field.setAttribute("aria-invalid", problems.length ? "true" : "false");
  }
}

// What a refused change (400, 404, 409, 423) says in one sentence; 422 is shown per field instead.
export function refusal(answer) {
  const body = answer.body || {};
  if (answer.status === 400) {
    const label = FIELD_LABELS[body.parameter];
    return label ? `“${label}”填写有误，请检查后重试` : "提交的内容有误，请刷新页面后重试";
  }
  return body.problem || "暂时无法保存，请稍后重试";
}

// "已保存。修改将在下次发布后生效。去发布" with the link to the publish page.
export function savedNotice(target, notice) {
  const link = element("a", "", "去发布");
  link.href = PUBLISH_PATH;
  target.replaceChildren(element("span", "", `${notice || "已保存。修改将在下次发布后生效。"} `), link);
}

export function clear(target) {
  say(target, "");
}

function detailText(entry) {
  const detail = entry.detail || {};
  if (detail.changed && Array.isArray(detail.changed) && detail.changed.length && typeof detail.changed[0] === "string") {
    return detail.changed.map((name) => FIELD_LABELS[name] || name).join("、");
  }
  if (detail.phrasing) {
    return `“${detail.phrasing}”`;
  }
  if (detail.example) {
    return `“${detail.example}”`;
  }
  if (detail.old !== undefined && detail.new !== undefined) {
    return `“${detail.old}” → “${detail.new}”`;
  }
  if (Array.isArray(detail.changed)) {
    const parts = detail.changed.map((change) => `${change.channel === "voice" ? "语音" : "文字"}：“${change.new}”`);
    if (detail.added_voice) {
      parts.push(`新增语音：“${detail.added_voice}”`);
    }
    return parts.join("；");
  }
  return "";
}

export function showHistory(section, list, entries) {
  section.hidden = !entries.length;
  list.replaceChildren(
    ...entries.map((entry) => {
      const item = element("li");
      item.append(element("time", "history-when", when(entry.at)), " ");
      item.append(element("span", "history-who", entry.staff), " ");
      item.append(element("strong", "", ACTIONS[entry.action] || entry.action));
      const detail = detailText(entry);
      if (detail) {
        item.append(" ", element("span", "history-detail", detail));
      }
      return item;
    }),
  );
}
