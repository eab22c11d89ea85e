// 话术: every domain response by file (GET /staff/console/api/wording), chat and voice side by side,
// edited in place and saved one response at a time (PUT /staff/console/api/wording/{name}), with a
// voice text added where there is none; the titles of a response's buttons are edited too (what a button
// sends, its payload, is shown and never changes). Problems show under the text they are about.

import { element, getJson, say, sendJson, signedIn } from "./console.js";
import { refusal, savedNotice, showProblems } from "./content.js";

const API = "/staff/console/api/wording";
const TEXT = {
  loading: "正在读取…",
  count: (shown, total) => (shown < total ? `找到 ${shown} 条（共 ${total} 条）` : `共 ${total} 条话术`),
  chat: "文字",
  voice: "语音（电话）",
  chatLabel: (name, n) => `${name} 的文字话术${n > 1 ? ` ${n}` : ""}`,
  voiceLabel: (name) => `${name} 的语音话术`,
  noVoice: "没有单独的语音话术，电话里会念文字话术。",
  addVoice: "添加语音话术",
  newVoiceLabel: (name) => `${name} 的新语音话术`,
  voiceHint: (max) => `简短口语，不超过 ${max} 个字，不要网址或符号`,
  buttons: "按钮文字",
  buttonsHint: "客户点按钮后发送的内容不变，只改按钮上显示的文字；电话里会把按钮文字当作菜单念出来。",
  buttonLabel: (name, n, payload) => `${name} 的第 ${n} 个按钮的文字（点击后发送 ${payload}）`,
  sends: (payload) => `发送 ${payload}`,
  save: "保存",
  saveLabel: (name) => `保存 ${name}`,
  unchanged: "没有修改",
};

const state = { files: [], etags: new Map(), maxVoice: 0 };
const pageMessage = document.getElementById("page-message");

function textArea(id, label, value) {
  const field = element("div", "field");
  const labelled = element("label", "visually-hidden", label);
  labelled.htmlFor = id;
  const area = element("textarea");
  area.id = id;
  area.rows = 3;
  area.value = value;
  const problems = element("ul", "field-problems");
  problems.id = `${id}-problems`;
  problems.setAttribute("role", "alert");
  area.setAttribute("aria-describedby", problems.id);
  field.append(labelled, area, problems);
  return { field, area, problems };
}

function buttonFields(response, variantIndex, variant) {
  const box = element("fieldset", "buttons-edit");
  box.append(element("legend", "", TEXT.buttons), element("p", "hint", TEXT.buttonsHint));
  const edits = [];
  variant.buttons.forEach((button, index) => {
    const id = `${response.name}-${variantIndex}-button-${index}`;
    const field = element("div", "field button-title");
    const label = element("label", "visually-hidden", TEXT.buttonLabel(response.name, index + 1, button.payload));
    label.htmlFor = id;
    const input = element("input");
    input.id = id;
    input.type = "text";
    input.value = button.title;
    input.dataset.payload = button.payload;
    const problems = element("ul", "field-problems");
    problems.id = `${id}-problems`;
    problems.setAttribute("role", "alert");
    input.setAttribute("aria-describedby", problems.id);
    field.append(label, input, element("span", "button-payload", TEXT.sends(button.payload)), problems);
    box.append(field);
    edits.push({ variant: variantIndex, index, area: input, problems, original: button.title });
  });
  return { box, edits };
}

function responseCard(file, response) {
  const card = element("article", "response");
  card.id = `response-${response.name}`;
  card.dataset.search = `${response.name} ${response.variants.map((v) => v.text).join(" ")}`.toLowerCase();
  const heading = element("h3", "", response.name);
  heading.id = `${card.id}-title`;
  card.setAttribute("aria-labelledby", heading.id);
  const grid = element("div", "variants");
  const chat = element("div", "variant-column");
  chat.append(element("h4", "", TEXT.chat));
  const voice = element("div", "variant-column");
  voice.append(element("h4", "", TEXT.voice));
  const edits = []; // {index, area, problems, original}
  const titles = []; // {variant, index, area (an input), problems, original}
  response.variants.forEach((variant, index) => {
    const isVoice = variant.channel === "voice";
    const label = isVoice ? TEXT.voiceLabel(response.name) : TEXT.chatLabel(response.name, index + 1);
    const made = textArea(`${response.name}-${index}`, label, variant.text);
    edits.push({ index, area: made.area, problems: made.problems, original: variant.text });
    (isVoice ? voice : chat).append(made.field);
    if (variant.buttons.length) {
      const made = buttonFields(response, index, variant);
      (isVoice ? voice : chat).append(made.box);
      titles.push(...made.edits);
    }
  });
  let added = null;
  if (!response.has_voice) {
    voice.append(element("p", "no-voice", TEXT.noVoice));
    const add = element("button", "button small", TEXT.addVoice);
    add.type = "button";
    voice.append(add);
    add.addEventListener("click", () => {
      added = textArea(`${response.name}-new-voice`, TEXT.newVoiceLabel(response.name), "");
      added.field.append(element("p", "hint", TEXT.voiceHint(state.maxVoice)));
      add.replaceWith(added.field);
      added.area.focus();
    });
  }
  grid.append(chat, voice);
  const save = element("button", "button primary small", TEXT.save);
  save.type = "button";
  save.setAttribute("aria-label", TEXT.saveLabel(response.name));
  const message = element("p", "message error");
  message.setAttribute("role", "alert");
  const notice = element("p", "message ok");
  notice.setAttribute("role", "status");
  const buttons = element("div", "form-buttons");
  buttons.append(save);
  card.append(heading, grid, message, buttons, notice);

  save.addEventListener("click", async () => {
    say(message, "");
    say(notice, "");
    for (const edit of [...edits, ...titles]) {
      showProblems(edit.problems, [], edit.area);
    }
    if (added) {
      showProblems(added.problems, [], added.area);
    }
    const variants = edits
      .filter((edit) => edit.area.value !== edit.original)
      .map((edit) => ({ index: edit.index, text: edit.area.value }));
    const buttons = titles
      .filter((edit) => edit.area.value !== edit.original)
      .map((edit) => ({ variant: edit.variant, index: edit.index, title: edit.area.value }));
    const body = { etag: state.etags.get(file), variants, buttons };
    if (added && added.area.value.trim()) {
      body.new_voice = added.area.value;
    }
    if (!variants.length && !buttons.length && !body.new_voice) {
      say(notice, TEXT.unchanged);
      return;
    }
    try {
      const answer = await sendJson("PUT", `${API}/${encodeURIComponent(response.name)}`, body);
      if (answer.status === 422) {
        for (const problem of answer.body.problems || []) {
          const [where, index, button] = problem.field.split(".");
          let target = edits.find((edit) => String(edit.index) === index);
          if (where === "voice") {
            target = added;
          } else if (where === "buttons") {
            target = titles.find((edit) => String(edit.variant) === index && String(edit.index) === button);
          }
          if (target) {
            target.problems.append(element("li", "", problem.message));
            target.area.setAttribute("aria-invalid", "true");
          } else {
            say(message, problem.message);
          }
        }
        return;
      }
      if (!answer.ok) {
        say(message, refusal(answer));
        return;
      }
      state.etags.set(file, answer.body.etag);
      const fresh = responseCard(file, answer.body.response);
      card.replaceWith(fresh);
      savedNotice(fresh.querySelector(".message.ok"), answer.body.notice);
      fresh.querySelector("textarea").focus();
    } catch (error) {
      say(message, error.message);
    }
  });
  return card;
}

function filter() {
  const wanted = document.getElementById("filter").value.trim().toLowerCase();
  let shown = 0;
  let total = 0;
  for (const card of document.querySelectorAll(".response")) {
    const match = !wanted || card.dataset.search.includes(wanted);
    card.hidden = !match;
    total += 1;
    shown += match ? 1 : 0;
  }
  for (const section of document.querySelectorAll(".wording-file")) {
    section.hidden = !section.querySelector(".response:not([hidden])");
  }
  say(document.getElementById("list-status"), TEXT.count(shown, total));
}

async function load() {
  say(document.getElementById("list-status"), TEXT.loading);
  try {
    const answer = await getJson(API);
    state.maxVoice = answer.limits.max_voice_chars;
    const sections = answer.files.map((entry) => {
      state.etags.set(entry.file, entry.etag);
      const section = element("section", "card wording-file");
      const heading = element("h2", "", entry.file);
      heading.id = `file-${entry.file.replace(/[^a-z0-9]/gi, "-")}`;
      section.setAttribute("aria-labelledby", heading.id);
      section.append(heading, ...entry.responses.map((response) => responseCard(entry.file, response)));
      return section;
    });
    document.getElementById("files").replaceChildren(...sections);
    filter();
  } catch (error) {
    say(document.getElementById("list-status"), "");
    say(pageMessage, error.message);
  }
}

document.getElementById("filter-form").addEventListener("submit", (event) => event.preventDefault());
document.getElementById("filter").addEventListener("input", filter);

async function start() {
  try {
    await signedIn();
  } catch (error) {
    say(pageMessage, error.message);
    return;
  }
  await load();
  document.body.dataset.state = "ready";
}

start();
