"use strict";
// The catalog Mini App's page (bot/mini_app.py serves it). Telegram opens a Mini App with its
// launch data in the address's fragment (tgWebAppData), and in Telegram.WebApp.initData when
// its script is loaded; the fragment is enough. The page trades the launch data, in a header,
// for a short session and sends the session with each request; when the bot says the session
// is over, it trades the launch data once more, which the bot takes for an hour after Telegram
// signed it. Past that the bot's answer says to open the app again.
const fragment = new URLSearchParams(window.location.hash.slice(1));
const initData = (window.Telegram && window.Telegram.WebApp && window.Telegram.WebApp.initData)
  || fragment.get("tgWebAppData") || "";
const purchaseId = new URLSearchParams(window.location.search).get("purchase");
const $ = (id) => document.getElementById(id);
let catalog = null;
let session = "";

function applyTheme() {
  let theme = {};
  try { theme = JSON.parse(fragment.get("tgWebAppThemeParams") || "{}"); } catch (e) { theme = {}; }
  const names = { bg_color: "--bg", text_color: "--text", hint_color: "--hint",
                  button_color: "--button", button_text_color: "--button-text",
                  secondary_bg_color: "--card" };
  for (const [key, variable] of Object.entries(names)) {
    if (/^#[0-9a-fA-F]{3,8}$/.test(theme[key] || "")) {
      document.documentElement.style.setProperty(variable, theme[key]);
    }
  }
}

function status(text, error) {
  $("status").textContent = text || "";
  $("status").className = error ? "error" : "";
}

async function answerOf(response) {
  const answer = await response.json().catch(() => ({ error: response.statusText }));
  if (!response.ok) throw new Error(answer.error || response.statusText);
  return answer;
}

async function openSession() {
  const response = await fetch(`/app/api/session/${encodeURIComponent(purchaseId || "0")}`, {
    method: "POST", headers: { "X-Telegram-Init-Data": initData }, credentials: "omit",
  });
  session = (await answerOf(response)).token;
}

async function call(method, body) {
  const send = () => fetch(`/app/api/purchase/${encodeURIComponent(purchaseId || "0")}`, {
    method, credentials: "omit",
    headers: { Authorization: `Bearer ${session}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!session) await openSession();
  let response = await send();
  if (response.status === 401) {  // the session is over: nothing was saved, so try once more
    await openSession();
    response = await send();
  }
  return answerOf(response);
}

function stepper(id, value, min, max, label) {
  const row = document.createElement("div");
  row.className = "row";
  const caption = document.createElement("label");
  caption.textContent = label;
  caption.htmlFor = id;
  const input = document.createElement("input");
  Object.assign(input, { id, type: "number", min: String(min), value: String(value), inputMode: "numeric" });
  if (max !== null) input.max = String(max);
  const less = document.createElement("button");
  Object.assign(less, { type: "button", className: "step", textContent: "−" });
  const more = document.createElement("button");
  Object.assign(more, { type: "button", className: "step", textContent: "+" });
  const clamp = (n) => Math.max(min, max === null ? n : Math.min(max, n));
  const step = (by) => () => {
    input.value = String(clamp((parseInt(input.value, 10) || 0) + by));
    showTotal();
  };
  less.onclick = step(-1);
  more.onclick = step(1);
  input.addEventListener("input", showTotal);
  less.disabled = more.disabled = input.disabled = !catalog.open;
  row.append(caption, less, input, more);
  return row;
}

// The running total before Save: each line's quantity × what one unit costs now, in the
// purchase's currency as the reader's language writes money (the bot says the exact amount
// due, with the fee and delivery, once the order is saved).
function showTotal() {
  if (!catalog) return;
  let minor = 0;
  for (const item of catalog.items) {
    const field = $(`qty-${item.id}`);
    const quantity = field ? Math.max(0, parseInt(field.value, 10) || 0) : 0;
    minor += quantity * item.unit_minor;
  }
  const digits = catalog.minor_digits;
  let money;
  try {
    money = new Intl.NumberFormat(catalog.language.replace("_", "-"), {
      style: "currency", currency: catalog.currency,
      minimumFractionDigits: digits, maximumFractionDigits: digits,
    }).format(minor / 10 ** digits);
  } catch (e) {
    money = `${(minor / 10 ** digits).toFixed(digits)} ${catalog.currency}`;
  }
  $("total").textContent = catalog.texts.total.replace("{total}", money);
}

function render(data) {
  catalog = data;
  document.documentElement.lang = data.language.replace("_", "-");
  $("title").textContent = data.title;
  $("save").textContent = data.texts.save;
  $("save").disabled = !data.open;
  const list = $("items");
  list.replaceChildren();
  for (const item of data.items) {
    const box = document.createElement("div");
    box.className = "item";
    box.id = `item-${item.id}`;
    const name = document.createElement("div");
    name.className = "name";
    name.textContent = item.label;
    const price = document.createElement("div");
    price.className = "price";
    const left = item.left === null ? "" : " · " + (item.left === 0 && !item.quantity
      ? data.texts.sold_out : data.texts.left.replace("{left}", item.left));
    price.textContent = item.price + left;
    if (item.photo) {
      const picture = document.createElement("img");
      picture.alt = item.label;
      picture.loading = "lazy";
      picture.src = item.photo;  // an address the bot signed, working for minutes
      box.append(picture);
    }
    box.append(name, price);
    if (item.rules.length) {
      const rules = document.createElement("div");
      rules.className = "rules";
      rules.textContent = item.rules.join(" · ");
      box.append(rules);
    }
    const most = item.max === null ? (item.left === null ? null : item.quantity + item.left)
      : (item.left === null ? item.max : Math.min(item.max, item.quantity + item.left));
    box.append(stepper(`qty-${item.id}`, item.quantity, 0, most, "×"));
    if (item.pack > 1) {
      box.append(stepper(`tol-${item.id}`, item.tolerance, 0, item.pack - 1, data.texts.tolerance));
    }
    list.append(box);
  }
  showTotal();
  if (!data.open) status(data.texts.closed, false);
}

async function save() {
  const lines = catalog.items.map((item) => ({
    item: item.id,
    quantity: parseInt($(`qty-${item.id}`).value, 10) || 0,
    tolerance: item.pack > 1 ? (parseInt($(`tol-${item.id}`).value, 10) || 0) : 0,
  }));
  $("save").disabled = true;
  try {
    render(await call("POST", { lines }));
    status(catalog.texts.saved, false);
  } catch (e) {
    status(e.message, true);
    $("save").disabled = !catalog.open;
  }
}

applyTheme();
$("save").addEventListener("click", save);
call("GET").then(render).catch((e) => status(e.message, true));
