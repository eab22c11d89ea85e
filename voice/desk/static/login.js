// Staff login: POST /staff/login as JSON, then on to ?next= (a /staff/ page of this site) or the desk.

const TEXT = {
  missing: "请输入用户名和密码",
  busy: "正在登录…",
  failed: "暂时无法登录，请稍后再试",
};

const form = document.getElementById("login-form");
const username = document.getElementById("username");
const password = document.getElementById("password");
const error = document.getElementById("login-error");
const button = document.getElementById("login-button");

// Only a page of this site under /staff/ (not the login page itself): never another site.
function nextPage() {
  const wanted = new URLSearchParams(location.search).get("next");
  if (!wanted || !wanted.startsWith("/staff/") || wanted.startsWith("//") || wanted.includes("\\")) {
    return null;
  }
  const url = new URL(wanted, location.origin);
  if (url.origin !== location.origin || !url.pathname.startsWith("/staff/") || url.pathname === "/staff/login") {
    return null;
  }
  return url.pathname + url.search + url.hash;
}

function showError(text) {
  error.textContent = text;
}

async function logIn(event) {
  event.preventDefault();
  if (!username.value.trim() || !password.value) {
    showError(TEXT.missing);
    (username.value.trim() ? password : username).focus();
    return;
  }
  button.disabled = true;
  button.textContent = TEXT.busy;
  showError("");
  try {
    const answer = await fetch("/staff/login", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ username: username.value.trim(), password: password.value }),
      credentials: "same-origin",
      // Under the pages' Referrer-Policy: no-referrer a browser may send a POST with "Origin: null",
      // and the server takes a login only from its own origin.
      referrerPolicy: "same-origin",
    });
    const body = await answer.json().catch(() => ({}));
    if (answer.ok) {
      location.assign(nextPage() || body.next || "/staff/desk");
      return;
    }
    showError(body.message || TEXT.failed);
    password.value = "";
    password.focus();
  } catch {
    showError(TEXT.failed);
  } finally {
    button.disabled = false;
    button.textContent = "登录";
  }
}

form.addEventListener("submit", logIn);
username.focus();
