// Admin page: the staff list (GET /staff/accounts.json) and a form that adds one (POST /staff/accounts).
// State-changing requests carry the session's CSRF token, read from /staff/me.

const ROLES = { agent: "客服坐席", editor: "内容编辑", admin: "管理员" };
const ERRORS = {
  bad_username: "用户名须为 3–32 位小写字母、数字或 _ . -",
  bad_role: "请选择角色",
  short_password: "密码至少 10 位",
  long_password: "密码最多 256 位",
  password_is_username: "密码不能与用户名相同",
  exists: "该用户名已存在",
  long_name: "姓名最多 64 个字",
};
const TEXT = {
  loadFailed: "无法读取员工列表，请刷新页面重试",
  addFailed: "暂时无法添加，请稍后再试",
  forbidden: "操作未被接受：页面可能已过期，请刷新后重试",
  missing: "请填写用户名和初始密码",
  busy: "正在添加…",
  count: (n) => `共 ${n} 名员工`,
  added: (name, role) => `已添加 ${name}（${role}）`,
};

const rows = document.getElementById("staff-rows");
const count = document.getElementById("staff-count");
const who = document.getElementById("who");
const pageMessage = document.getElementById("page-message");
const form = document.getElementById("add-form");
const addMessage = document.getElementById("add-message");
const addButton = document.getElementById("add-button");
const fields = {
  username: document.getElementById("new-username"),
  name: document.getElementById("new-name"),
  role: document.getElementById("new-role"),
  password: document.getElementById("new-password"),
};
let csrf = "";

function toLogin() {
  location.assign("/staff/login?next=" + encodeURIComponent("/staff/accounts"));
}

function say(element, text, kind) {
  element.classList.toggle("ok", kind === "ok");
  element.classList.toggle("error", kind !== "ok");
  element.textContent = text;
}

async function getJson(path) {
  const answer = await fetch(path, { credentials: "same-origin", headers: { Accept: "application/json" } });
  if (answer.status === 401) {
    toLogin();
    return null;
  }
  if (!answer.ok) {
    throw new Error(`${path}: ${answer.status}`);
  }
  return answer.json();
}

function post(path, body) {
  return fetch(path, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
    body: JSON.stringify(body || {}),
  });
}

function render(staff) {
  rows.replaceChildren(
    ...staff.map((member) => {
      const row = document.createElement("tr");
      for (const text of [member.username, member.name, ROLES[member.role] || member.role]) {
        const cell = document.createElement("td");
        cell.textContent = text;
        row.append(cell);
      }
      return row;
    }),
  );
  count.textContent = TEXT.count(staff.length);
}

async function loadList() {
  const list = await getJson("/staff/accounts.json");
  if (list) {
    render(list.staff);
  }
}

async function start() {
  try {
    const me = await getJson("/staff/me");
    if (!me) {
      return;
    }
    csrf = me.csrf;
    who.textContent = `${me.name}（${ROLES[me.role] || me.role}）`;
    await loadList();
  } catch {
    say(pageMessage, TEXT.loadFailed, "error");
  }
}

async function add(event) {
  event.preventDefault();
  const body = {
    username: fields.username.value.trim(),
    name: fields.name.value.trim(),
    role: fields.role.value,
    password: fields.password.value,
  };
  if (!body.username || !body.password) {
    say(addMessage, TEXT.missing, "error");
    (body.username ? fields.password : fields.username).focus();
    return;
  }
  addButton.disabled = true;
  say(addMessage, TEXT.busy, "ok");
  try {
    const answer = await post("/staff/accounts", body);
    const result = await answer.json().catch(() => ({}));
    if (answer.status === 201) {
      form.reset();
      say(addMessage, TEXT.added(result.name, ROLES[result.role] || result.role), "ok");
      await loadList();
      fields.username.focus();
    } else if (answer.status === 401) {
      toLogin();
    } else if (answer.status === 403) {
      say(addMessage, TEXT.forbidden, "error");
    } else {
      say(addMessage, ERRORS[result.code] || result.error || TEXT.addFailed, "error");
    }
  } catch {
    say(addMessage, TEXT.addFailed, "error");
  } finally {
    addButton.disabled = false;
  }
}

async function logOut() {
  try {
    await post("/staff/logout");
  } finally {
    location.assign("/staff/login");
  }
}

form.addEventListener("submit", add);
document.getElementById("logout").addEventListener("click", logOut);
start();
