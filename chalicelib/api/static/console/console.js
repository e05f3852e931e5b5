// wagate console: plain JavaScript on the public API (no framework, no build step).
// The login token lives in this tab's sessionStorage and travels only in the Authorization
// header; images that need it (the QR code) are fetched and shown through blob: URLs.
"use strict";

(function () {
  // The API beside this page: /console -> /v1, /<stage>/console -> /<stage>/v1.
  const API = location.pathname.replace(/\/console\/?$/, "") + "/v1";
  const TOKEN = "wagate.token";
  const USER = "wagate.username";
  const TERMINAL = new Set(["read", "played", "failed", "expired", "canceled", "received"]);
  const STEPS = ["queued", "sending", "sent", "delivered", "read"];
  const MAX_EVENTS = 200; // rows the live tail keeps
  const main = document.getElementById("main");
  let me = null; // GET /v1/auth/me
  let page = null; // the page on screen: its pollers and blob URLs end with it

  // --- small helpers ---------------------------------------------------------------------

  function h(tag, props, ...kids) {
    const el = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
      else if (key === "class") el.className = value;
      else el.setAttribute(key, value === true ? "" : String(value));
    }
    for (const kid of kids.flat(Infinity)) {
      if (kid === undefined || kid === null || kid === false) continue;
      el.append(kid instanceof Node ? kid : String(kid));
    }
    return el;
  }

  function pad(n, width) { return String(n).padStart(width || 2, "0"); }

  /** A time as people read it: HH:MM:SS.mmm today, with the date otherwise. */
  function when(iso) {
    if (!iso) return "—";
    const d = new Date(iso);
    if (isNaN(d)) return iso;
    const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
    const today = new Date().toDateString() === d.toDateString();
    return today ? time : `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${time}`;
  }

  function ago(iso) {
    if (!iso) return "never";
    const s = Math.round((Date.now() - new Date(iso).getTime()) / 1000);
    if (s < 60) return `${Math.max(s, 0)} s ago`;
    if (s < 3600) return `${Math.round(s / 60)} min ago`;
    return `${Math.round(s / 3600)} h ago`;
  }

  function duration(seconds) {
    if (seconds < 3600) return `${Math.ceil(seconds / 60)} min`;
    if (seconds < 86400) return `${Math.round(seconds / 3600)} h`;
    return `${Math.round(seconds / 86400)} days`;
  }

  function phoneOf(jid) { return jid ? "+" + String(jid).split("@")[0].split(":")[0] : ""; }

  function chatName(jid) {
    if (!jid) return "—";
    return /@s\.whatsapp\.net$/.test(jid) ? phoneOf(jid) : jid;
  }

  const TONE = {
    WORKING: "ok", SCAN_QR: "info", STARTING: "info", FAILED: "bad", STOPPED: "",
    queued: "", sending: "info", sent: "info", delivered: "info", read: "ok", played: "ok",
    received: "ok", failed: "bad", expired: "bad", canceled: "", scheduled: "",
    succeeded: "ok", pending: "", retrying: "warn",
    draft: "", running: "info", paused: "warn", completed: "ok",
    approved: "ok",
  };

  function badge(text) { return h("span", { class: `badge ${TONE[text] || ""}` }, text); }

  function toast(text, bad) {
    const el = document.getElementById("toast");
    el.textContent = text;
    el.className = bad ? "toast bad" : "toast";
    el.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => { el.hidden = true; }, bad ? 6000 : 3000);
  }

  function explain(err) {
    if (!(err instanceof ApiError)) return String(err && err.message ? err.message : err);
    const details = (err.details || []).map((d) => d.field ? `${d.field}: ${d.message}` : d.message);
    return details.length ? `${err.message} (${details.join("; ")})` : err.message;
  }

  /** An error line under a form, emptied by the next success. */
  function errorLine() { return h("p", { class: "error", role: "alert", hidden: true }); }
  function showError(line, err) { line.textContent = explain(err); line.hidden = false; }
  function clearError(line) { line.textContent = ""; line.hidden = true; }

  const armed = new Map(); // danger buttons waiting for their second click: key -> until when

  /** A button that asks "Really …?" on the first click and acts on a second within 4 s (no
   * dialogs). key names it, so a list re-rendered meanwhile keeps it asking. */
  function dangerButton(label, act, key) {
    const button = h("button", { type: "button", class: "danger small" }, label);
    const asking = () => (armed.get(key) || 0) > Date.now();
    const look = () => {
      button.classList.toggle("armed", asking());
      button.textContent = asking() ? `Really ${label.toLowerCase()}?` : label;
    };
    look();
    button.addEventListener("click", async () => {
      if (!asking()) {
        armed.forEach((until, k) => { if (until <= Date.now()) armed.delete(k); });
        armed.set(key, Date.now() + 4000);
        look();
        setTimeout(look, 4100);
        return;
      }
      armed.delete(key);
      button.disabled = true;
      try { await act(); } catch (err) { toast(explain(err), true); } finally { button.disabled = false; look(); }
    });
    return button;
  }

  /** A button running an async action, disabled meanwhile; errors go to the toast. */
  function actionButton(label, act, cls) {
    const button = h("button", { type: "button", class: cls || "quiet small" }, label);
    button.addEventListener("click", async () => {
      button.disabled = true;
      try { await act(); } catch (err) { toast(explain(err), true); } finally { button.disabled = false; }
    });
    return button;
  }

  /** A secret shown once, with a copy button. */
  function secretBox(title, value, note) {
    const input = h("input", { type: "text", readonly: true, value, "aria-label": title, class: "secret-value" });
    const copy = h("button", { type: "button", class: "small" }, "Copy");
    copy.addEventListener("click", async () => {
      input.select();
      try {
        await navigator.clipboard.writeText(value);
        toast("Copied");
      } catch (err) {
        toast("Selected: press Ctrl+C (or ⌘C) to copy");
      }
    });
    return h("div", { class: "secret", role: "note" },
      h("strong", {}, title), h("div", { class: "value" }, input, copy),
      h("p", { class: "small muted" }, note || "Shown only this once: store it now."));
  }

  function field(label, input) { return h("label", {}, label, input); }

  function form(onsubmit, ...kids) {
    const el = h("form", { novalidate: true }, ...kids);
    el.addEventListener("submit", async (event) => {
      event.preventDefault();
      const submit = el.querySelector("button[type=submit]");
      if (submit) submit.disabled = true;
      try { await onsubmit(el); } finally { if (submit) submit.disabled = false; }
    });
    return el;
  }

  function table(headers, rows, empty) {
    if (!rows.length) return h("p", { class: "muted" }, empty || "Nothing yet.");
    return h("div", { class: "scroll" }, h("table", {},
      h("thead", {}, h("tr", {}, headers.map((x) => h("th", {}, x)))),
      h("tbody", {}, rows)));
  }

  // --- the API ---------------------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, error) {
      super((error && error.message) || `HTTP ${status}`);
      this.status = status;
      this.code = error && error.code;
      this.details = (error && error.details) || [];
    }
  }

  async function call(method, path, body, accept) {
    const headers = { Accept: accept || "application/json" };
    const token = sessionStorage.getItem(TOKEN);
    if (token) headers.Authorization = `Bearer ${token}`;
    const init = { method, headers, cache: "no-store", credentials: "omit", referrerPolicy: "no-referrer" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(API + path, init);
    if (response.status === 401 && token && path !== "/auth/logout") {
      forget("Your login ended: log in again.");
      throw new ApiError(401, { message: "not logged in" });
    }
    return response;
  }

  async function api(method, path, body) {
    const response = await call(method, path, body);
    const type = response.headers.get("Content-Type") || "";
    const data = type.includes("json") ? await response.json() : null;
    if (!response.ok) throw new ApiError(response.status, data && data.error);
    return data;
  }

  const get = (path) => api("GET", path);

  const post = (path, body) => api("POST", path, body === undefined ? {} : body);
  const q = (params) => {
    const pairs = Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== "");
    return pairs.length ? "?" + new URLSearchParams(pairs).toString() : "";
  };

  /** What request answers; on a 404, say so in box and end the page's polling. */
  async function gone(request, box, text) {
    const owner = page;
    try {
      return await request;
    } catch (err) {
      if (err instanceof ApiError && err.status === 404 && owner.alive) {
        box.replaceChildren(h("p", { class: "error" }, text));
        owner.end();
      }
      throw err;
    }
  }

  /** An image the API serves to a logged-in caller, as a blob: URL that ends with the page. */
  async function imageUrl(path) {
    const response = await call("GET", path, undefined, "image/png");
    if (!response.ok) {
      const data = await response.json().catch(() => null);
      throw new ApiError(response.status, data && data.error);
    }
    return page.keep(URL.createObjectURL(await response.blob()));
  }

  // --- pages and their pollers -----------------------------------------------------------

  function newPage() {
    const timers = new Map();
    const urls = [];
    const self = {
      alive: true,
      /** Run fn now and every ms while this page is on screen (skipped while the tab is hidden). */
      every(ms, fn) {
        const id = Symbol("poller");
        const tick = async () => {
          if (!self.alive) return;
          if (!document.hidden) {
            try { await fn(); } catch (err) { if (self.alive && !(err instanceof ApiError && err.status === 401)) toast(explain(err), true); }
          }
          if (self.alive) timers.set(id, setTimeout(tick, typeof ms === "function" ? ms() : ms));
        };
        tick();
        return { now() { clearTimeout(timers.get(id)); tick(); } };
      },
      keep(url) {
        urls.push(url);
        while (urls.length > 20) URL.revokeObjectURL(urls.shift());
        return url;
      },
      end() {
        self.alive = false;
        timers.forEach(clearTimeout);
        urls.forEach((url) => URL.revokeObjectURL(url));
      },
    };
    return self;
  }

  const PAGES = {
    sessions: (id) => id ? sessionPage(id) : sessionsPage(),
    messages: (sid) => messagesPage(sid),
    message: (mid) => messagePage(mid),
    webhooks: (id) => id ? deliveriesPage(id) : webhooksPage(),
    events: () => eventsPage(),
    keys: () => keysPage(),
    campaigns: () => campaignsPage(),
    otp: () => otpPage(),
    account: () => accountPage(),
  };

  function show(...kids) { main.replaceChildren(...kids); }

  function decode(part) {
    try { return decodeURIComponent(part); } catch (err) { return ""; }
  }

  async function route() {
    if (page) page.end();
    const mine = page = newPage();
    const [name, arg] = location.hash.replace(/^#\/?/, "").split("/").map(decode);
    if (!sessionStorage.getItem(TOKEN)) return loginPage();
    if (!me) {
      try { me = await get("/auth/me"); } catch (err) { if (!sessionStorage.getItem(TOKEN)) return; toast(explain(err), true); }
    }
    if (page !== mine) return; // another route began meanwhile: it renders
    chrome();
    const render = PAGES[name] || PAGES.sessions;
    document.querySelectorAll("#nav a").forEach((a) => a.classList.toggle("active",
      a.dataset.page === (PAGES[name] ? (name === "message" ? "messages" : name) : "sessions")));
    render(arg);
  }

  function chrome() {
    const logged = Boolean(sessionStorage.getItem(TOKEN));
    document.getElementById("nav").hidden = !logged;
    document.getElementById("logout").hidden = !logged;
    document.getElementById("who").textContent = logged && me
      ? `${sessionStorage.getItem(USER) || "you"} · ${me.role} · ${me.tenant_id}` : "";
  }

  function forget(message) {
    sessionStorage.removeItem(TOKEN);
    me = null;
    chrome();
    if (message) toast(message, true);
    route();
  }

  // --- log in, log out -------------------------------------------------------------------

  function loginPage() {
    chrome();
    const username = h("input", { id: "login-username", name: "username", autocomplete: "username", required: true });
    const password = h("input", { id: "login-password", name: "password", type: "password", autocomplete: "current-password", required: true });
    const error = errorLine();
    show(h("div", { class: "card login" },
      h("h1", {}, "Log in to wagate"),
      form(async () => {
        clearError(error);
        try {
          const out = await api("POST", "/auth/login", { username: username.value.trim(), password: password.value });
          sessionStorage.setItem(TOKEN, out.token);
          sessionStorage.setItem(USER, username.value.trim());
          me = null;
          route();
        } catch (err) { showError(error, err); }
      }, h("div", { class: "stack" },
        field("Username", username), field("Password", password), error,
        h("button", { type: "submit", id: "login-submit" }, "Log in")))));
    username.focus();
  }

  document.getElementById("logout").addEventListener("click", async () => {
    try { await call("POST", "/auth/logout", { from_all: false }); } catch (err) { /* the token goes anyway */ }
    sessionStorage.removeItem(USER);
    forget();
    toast("Logged out");
  });

  // --- sessions --------------------------------------------------------------------------

  function health(session) {
    const hl = session.health || {};
    const tip = hl.last_check_error ? `last check failed: ${hl.last_check_error}` : `last check ${ago(hl.last_check_at)}`;
    return h("span", { class: `dot ${hl.connected ? "ok" : "bad"}`, title: tip },
      hl.connected ? "live" : "offline", h("span", { class: "small muted" }, ` · ${ago(hl.last_event_at)}`));
  }

  function controls(session, refresh) {
    const act = (action) => actionButton(action[0].toUpperCase() + action.slice(1), async () => {
      await post(`/sessions/${session.id}/${action}`);
      toast(`${session.name}: ${action} asked`);
      refresh();
    });
    return h("div", { class: "actions" },
      session.status === "STOPPED" || session.status === "FAILED" ? act("start") : act("stop"),
      act("restart"), act("logout"),
      dangerButton("Delete", async () => {
        await api("DELETE", `/sessions/${session.id}`);
        toast(`${session.name} deleted`);
        if (location.hash.startsWith("#/sessions/")) location.hash = "#/sessions"; else refresh();
      }, `session:${session.id}`));
  }

  function sessionsPage() {
    const name = h("input", { id: "session-name", required: true, maxlength: 100, placeholder: "shop" });
    const engine = h("select", { id: "session-engine" },
      h("option", { value: "" }, "the gateway's default"), h("option", { value: "sandbox" }, "sandbox"),
      h("option", { value: "neonize" }, "neonize (real WhatsApp)"));
    const hook = h("input", { id: "session-webhook", type: "url", placeholder: "where events go (optional)" });
    const error = errorLine();
    const list = h("div", {}, h("p", { class: "muted" }, "Loading…"));
    const created = h("div");
    show(h("h1", {}, "Sessions"),
      h("section", { class: "card" }, h("h2", {}, "New session"),
        form(async () => {
          clearError(error);
          const body = { name: name.value.trim() };
          if (engine.value) body.engine = engine.value;
          if (hook.value.trim()) body.webhook_url = hook.value.trim();
          try {
            const session = await post("/sessions", body);
            if (session.webhook_secret) {
              created.replaceChildren(secretBox("Webhook signing secret", session.webhook_secret),
                h("p", {}, h("a", { href: `#/sessions/${session.id}` }, `Pair ${session.name} →`)));
              poller.now();
            } else {
              location.hash = `#/sessions/${session.id}`;
            }
          } catch (err) { showError(error, err); }
        }, h("div", { class: "row" }, field("Name", name), field("Engine", engine), field("Webhook URL", hook),
          h("button", { type: "submit", id: "session-create", class: "shrink" }, "Create and pair")), error),
        created),
      h("section", { class: "card" }, h("h2", {}, "Your sessions"), list));
    const poller = page.every(3000, async () => {
      const sessions = await get("/sessions?limit=100");
      list.replaceChildren(table(["Name", "Status", "Phone", "Health", "Engine", ""],
        sessions.items.map((s) => h("tr", { "data-session": s.id },
          h("td", {}, h("a", { href: `#/sessions/${s.id}` }, s.name)),
          h("td", {}, badge(s.status), s.reason ? h("div", { class: "small muted" }, s.reason) : null),
          h("td", {}, s.phone || "—"),
          h("td", {}, health(s)),
          h("td", { class: "hide-narrow" }, s.engine),
          h("td", {}, controls(s, () => poller.now())))),
        "No sessions yet: create one above, then scan its QR code."));
      if (sessions.next_cursor) list.append(h("p", { class: "small muted" }, "Showing the first 100."));
    });
  }

  function sessionPage(id) {
    const head = h("div", {}, h("p", { class: "muted" }, "Loading…"));
    const pairing = h("section", { class: "card", id: "pairing" });
    show(h("p", {}, h("a", { href: "#/sessions" }, "← Sessions")), head, pairing);
    let shownQr = null; // the QR payload on screen
    let qrExpires = 0;
    let lastState = null;
    let code = null; // a pairing code asked for
    const qrImage = h("img", { id: "qr-image", alt: "QR code: scan it in WhatsApp > Linked devices", width: 264, height: 264 });
    const qrNote = h("p", { class: "small muted", id: "qr-note" });

    async function refreshQr() {
      if (shownQr && Date.now() < qrExpires - 1000) return;
      const qr = await get(`/sessions/${id}/qr`);
      qrExpires = new Date(qr.expires_at).getTime();
      if (qr.qr !== shownQr) {
        qrImage.src = await imageUrl(`/sessions/${id}/qr`);
        shownQr = qr.qr;
      }
      qrNote.textContent = `This code changes by itself; it is good until ${when(qr.expires_at)}.`;
    }

    function pairingCodeForm(session) {
      const phone = h("input", { id: "pairing-phone", type: "tel", placeholder: "+14155550100", required: true });
      const out = h("div", { id: "pairing-code" });
      const error = errorLine();
      const render = () => {
        if (!code) return out.replaceChildren();
        out.replaceChildren(h("p", {}, "On the phone: WhatsApp > Linked devices > Link with phone number, then type"),
          h("p", { class: "big-code" }, code),
          session.engine === "sandbox" ? actionButton("Simulate typing the code", async () => {
            await post(`/sandbox/sessions/${id}/link`, { code });
            poller.now();
          }) : null);
      };
      render();
      return h("div", { class: "stack" }, h("h2", {}, "Or link with a phone number"),
        form(async () => {
          clearError(error);
          try {
            code = (await post(`/sessions/${id}/pairing-code`, { phone: phone.value.trim() })).code;
            render();
          } catch (err) { showError(error, err); }
        }, h("div", { class: "row" }, field("Phone number", phone),
          h("button", { type: "submit", class: "shrink quiet" }, "Get a pairing code")), error), out);
    }

    function scanButton() {
      const phone = h("input", { id: "scan-phone", type: "tel", placeholder: "+14155550100 (optional)" });
      const error = errorLine();
      return h("div", { class: "stack" }, h("h2", {}, "Sandbox"),
        h("p", { class: "small muted" }, "A pretend phone scans the code."),
        form(async () => {
          clearError(error);
          try {
            await post(`/sandbox/sessions/${id}/scan`, phone.value.trim() ? { phone: phone.value.trim() } : {});
            poller.now();
          } catch (err) { showError(error, err); }
        }, h("div", { class: "row" }, field("Phone", phone),
          h("button", { type: "submit", id: "simulate-scan", class: "shrink" }, "Simulate scan")), error));
    }

    const poller = page.every(1500, async () => {
      const s = await gone(get(`/sessions/${id}`), head, "No such session (deleted, or another tenant's).");
      head.replaceChildren(h("div", { class: "card" },
        h("h1", {}, s.name, " ", badge(s.status)),
        h("p", { class: "small muted" }, `${s.engine} engine · id `, h("code", {}, s.id),
          s.host ? ` · host ${s.host}` : "", " · ", health(s)),
        s.reason ? h("p", { class: "error" }, s.reason) : null,
        controls(s, () => poller.now())));
      const state = s.status === "SCAN_QR" ? "qr" : s.status;
      if (state !== lastState) {
        lastState = state;
        shownQr = null;
        if (state === "qr") {
          pairing.replaceChildren(h("h2", {}, "Scan to link"),
            h("div", { class: "qr-box" },
              h("div", {}, qrImage, qrNote),
              h("div", { class: "stack" },
                h("p", {}, "On the phone: WhatsApp > Settings > Linked devices > Link a device, then point the camera at the code."),
                pairingCodeForm(s),
                s.engine === "sandbox" ? scanButton() : null)));
        } else if (state === "WORKING") {
          code = null;
          pairing.replaceChildren(
            h("p", { class: "connected", id: "connected" }, `Connected as ${s.phone || "the linked phone"}`,
              s.push_name ? ` (${s.push_name})` : ""),
            h("p", {}, h("a", { href: `#/messages/${id}`, id: "send-link" }, "Send a message from it →")));
        } else if (state === "STARTING") {
          pairing.replaceChildren(h("p", { class: "muted" }, "Starting… the QR code comes next."));
        } else {
          pairing.replaceChildren(h("p", { class: "muted" },
            s.status === "FAILED" ? "The session failed: start it again to get a new QR code."
              : "The session is stopped: start it to connect."));
        }
      }
      if (state === "qr") {
        try { await refreshQr(); } catch (err) { if (!(err instanceof ApiError && err.code === "qr_not_available")) throw err; }
      }
    });
  }

  // --- messages: send and follow ---------------------------------------------------------

  async function sessionOptions(select, chosen) {
    const sessions = (await get("/sessions?limit=100")).items;
    select.replaceChildren(...sessions.map((s) => h("option", { value: s.id, selected: s.id === chosen },
      `${s.name} (${s.status === "WORKING" ? s.phone || "working" : s.status.toLowerCase()})`)));
    if (!sessions.length) select.append(h("option", { value: "" }, "no sessions yet"));
    return sessions;
  }

  function messagesPage(sid) {
    const here = page;
    const session = h("select", { id: "send-session", required: true });
    const to = h("input", { id: "send-to", type: "tel", required: true, placeholder: "+14155552671" });
    const kind = h("select", { id: "send-type" }, h("option", { value: "text" }, "Text"), h("option", { value: "image" }, "Image by URL"));
    const text = h("textarea", { id: "send-text", placeholder: "Hello from wagate" });
    const url = h("input", { id: "send-image-url", type: "url", placeholder: "the image's http(s) address" });
    const caption = h("input", { id: "send-caption", placeholder: "Caption (optional)" });
    const imageFields = h("div", { class: "row", hidden: true }, field("Image URL", url), field("Caption", caption));
    const textField = field("Text", text);
    kind.addEventListener("change", () => {
      imageFields.hidden = kind.value !== "image";
      textField.hidden = kind.value === "image";
    });
    const error = errorLine();
    const chats = h("div", {}, h("p", { class: "muted" }, "Loading…"));
    const messages = h("div", {}, h("p", { class: "muted" }, "Loading…"));
    session.addEventListener("change", () => { location.hash = `#/messages/${session.value}`; });
    show(h("h1", {}, "Messages"),
      h("section", { class: "card" }, h("h2", {}, "Send"),
        form(async () => {
          clearError(error);
          const body = { session_id: session.value, to: to.value.trim() };
          if (kind.value === "image") {
            body.type = "image";
            body.image = { url: url.value.trim() };
            if (caption.value.trim()) body.image.caption = caption.value.trim();
          } else {
            body.text = text.value;
          }
          try {
            const accepted = await post("/messages", body);
            location.hash = `#/message/${accepted.id}`;
          } catch (err) { showError(error, err); }
        }, h("div", { class: "stack" },
          h("div", { class: "row" }, field("From session", session), field("To", to), field("Type", kind)),
          textField, imageFields, error,
          h("button", { type: "submit", id: "send-submit" }, "Send")))),
      h("section", { class: "card", id: "messages" }, h("h2", {}, "Messages"), messages),
      h("section", { class: "card", id: "chats" }, h("h2", {}, "Chats"), chats));
    sessionOptions(session, sid).then((sessions) => {
      const chosen = sid || (sessions.find((s) => s.status === "WORKING") || sessions[0] || {}).id;
      if (!chosen) {
        chats.replaceChildren(h("p", { class: "muted" }, "No sessions yet."));
        messages.replaceChildren(h("p", { class: "muted" }, "No sessions yet."));
        return;
      }
      session.value = chosen;
      here.every(3000, async () => {
        const [chatPage, messagePage_] = await Promise.all([
          get(`/sessions/${chosen}/chats?limit=20`).catch((err) => ({ error: err })),
          get(`/messages${q({ session_id: chosen, limit: 20 })}`),
        ]);
        const names = new Map((chatPage.items || []).filter((c) => c.name).map((c) => [c.id, c.name]));
        chats.replaceChildren(chatPage.error ? h("p", { class: "error" }, explain(chatPage.error))
          : table(["Chat", "Last message", "Unread"], chatPage.items.map((c) => h("tr", {},
            h("td", {}, c.name || chatName(c.id), h("div", { class: "small muted" }, ago(c.last_activity_at))),
            h("td", { class: "wrap" }, c.last_message ? `${c.last_message.direction === "outbound" ? "→ " : "← "}${c.last_message.text || c.last_message.type}` : "—"),
            h("td", {}, c.unread_count ? badge(String(c.unread_count)) : ""))), "No chats yet."));
        messages.replaceChildren(table(["When", "", "Chat", "Message", "Status"],
          messagePage_.items.map((m) => h("tr", { "data-message": m.id },
            h("td", { class: "small" }, h("a", { href: `#/message/${m.id}` }, when(m.created_at))),
            h("td", {}, m.direction === "outbound" ? "→" : "←"),
            h("td", {}, names.get(m.chat) || chatName(m.chat)),
            h("td", { class: "wrap" }, m.text || `[${m.type}]`),
            h("td", {}, badge(m.status)))), "No messages yet."));
      });
    }).catch((err) => toast(explain(err), true));
  }

  function timeline(m) {
    const steps = m.direction === "inbound" ? ["received"] : STEPS.slice();
    if (m.timestamps && m.timestamps.played) steps.push("played");
    const failed = ["failed", "expired", "canceled"].find((s) => m.status === s || (m.timestamps || {})[s]);
    if (failed) steps.push(failed);
    return h("ol", { class: "timeline", id: "timeline" }, steps.map((step) => {
      const at = (m.timestamps || {})[step];
      const cls = [at ? (step === failed ? "failed" : "done") : "", m.status === step ? "current" : ""].join(" ").trim();
      return h("li", { class: cls || null, "data-step": step }, h("b", {}, step), h("span", { class: "small" }, at ? when(at) : "…"));
    }));
  }

  function messagePage(mid) {
    const box = h("div", {}, h("p", { class: "muted" }, "Loading…"));
    show(h("p", {}, h("a", { href: "#/messages" }, "← Messages")), box);
    const started = Date.now();
    let done = false;
    page.every(() => (done ? 15000 : Date.now() - started < 120000 ? 700 : 5000), async () => {
      const m = await gone(get(`/messages/${mid}`), box, "No such message.");
      done = TERMINAL.has(m.status);
      box.replaceChildren(h("section", { class: "card" },
        h("h1", {}, `Message ${m.direction === "inbound" ? "from" : "to"} ${chatName(m.chat)} `,
          h("span", { id: "message-status" }, badge(m.status))),
        h("p", { class: "small muted" }, "id ", h("code", {}, m.id), ` · ${m.type} · from session `,
          h("a", { href: `#/messages/${m.session_id}` }, m.session_id)),
        m.text ? h("p", { class: "wrap" }, m.text) : null,
        m.content && m.content.caption ? h("p", {}, m.content.caption) : null,
        timeline(m),
        m.error ? h("p", { class: "error" }, `${m.error.code || "error"}: ${m.error.message || ""}`) : null,
        done ? null : h("p", { class: "small muted" }, "Updating live…")),
      h("section", { class: "card" }, h("h2", {}, "History"),
        table(["Status", "At", "Why"], (m.history || []).map((c) => h("tr", {},
          h("td", {}, badge(c.status)), h("td", {}, when(c.at)), h("td", {}, c.reason || ""))))));
    });
  }

  // --- webhooks and their deliveries -----------------------------------------------------

  function patterns(text) { return text.split(",").map((x) => x.trim()).filter(Boolean); }

  function webhooksPage() {
    const url = h("input", { id: "webhook-url", type: "url", required: true, placeholder: "your receiver's http(s) address" });
    const events = h("input", { id: "webhook-events", value: "*", placeholder: "message.*, session.status" });
    const description = h("input", { id: "webhook-description", placeholder: "crm (optional)" });
    const error = errorLine();
    const shown = h("div", { id: "webhook-secret" });
    const list = h("div", {}, h("p", { class: "muted" }, "Loading…"));
    show(h("h1", {}, "Webhooks"),
      h("section", { class: "card" }, h("h2", {}, "New subscription"),
        form(async () => {
          clearError(error);
          const body = { url: url.value.trim(), events: patterns(events.value) };
          if (description.value.trim()) body.description = description.value.trim();
          try {
            const created = await post("/webhooks", body);
            shown.replaceChildren(secretBox(`Signing secret of ${created.url}`, created.secret));
            url.value = "";
            load();
          } catch (err) { showError(error, err); }
        }, h("div", { class: "row" }, field("URL", url), field("Events", events), field("Description", description),
          h("button", { type: "submit", id: "webhook-create", class: "shrink" }, "Subscribe")), error), shown),
      h("section", { class: "card" }, h("h2", {}, "Subscriptions"), list));

    function editor(w, row) {
      const eu = h("input", { type: "url", value: w.url, "aria-label": "URL" });
      const ee = h("input", { value: w.events.join(", "), "aria-label": "Events" });
      const ed = h("input", { value: w.description || "", "aria-label": "Description" });
      const en = h("input", { type: "checkbox", checked: w.enabled });
      const err = errorLine();
      const tr = h("tr", { class: "editing", "data-webhook-edit": w.id });
      tr.append(h("td", { colspan: 5 }, form(async () => {
        clearError(err);
        try {
          await api("PATCH", `/webhooks/${w.id}`, { url: eu.value.trim(), events: patterns(ee.value),
            description: ed.value.trim() || null, enabled: en.checked });
          toast("Saved");
          load();
        } catch (e) { showError(err, e); }
      }, h("div", { class: "row" }, field("URL", eu), field("Events", ee), field("Description", ed),
        h("label", { class: "check shrink" }, en, "enabled"),
        h("button", { type: "submit", class: "shrink" }, "Save"),
        h("button", { type: "button", class: "quiet shrink", onclick: () => tr.replaceWith(row) }, "Cancel")), err)));
      return tr;
    }

    async function load() {
      const hooks = await get("/webhooks?limit=100");
      list.replaceChildren(table(["URL", "Events", "State", "Test result", ""], hooks.items.map((w) => {
        const outcome = h("span", { class: "small", "data-test-result": w.id });
        const row = h("tr", { "data-webhook": w.id },
          h("td", { class: "wrap" }, h("a", { href: `#/webhooks/${w.id}` }, w.url),
            w.description ? h("div", { class: "small muted" }, w.description) : null),
          h("td", { class: "small" }, w.events.join(", ")),
          h("td", {}, w.enabled ? badge("enabled") : badge("disabled"),
            w.disabled_reason ? h("div", { class: "small muted" }, w.disabled_reason) : null,
            w.failing_since ? h("div", { class: "small error" }, `failing since ${when(w.failing_since)}`) : null),
          h("td", {}, outcome),
          h("td", {}, h("div", { class: "actions" },
            actionButton("Test", async () => {
              const t = await post(`/webhooks/${w.id}/test`);
              outcome.replaceChildren(badge(t.status), ` ${t.http_status === null ? "no answer" : "HTTP " + t.http_status} · ${t.latency_ms} ms`);
            }),
            actionButton("Edit", async () => { row.replaceWith(editor(w, row)); }),
            actionButton("Rotate secret", async () => {
              const r = await post(`/webhooks/${w.id}/rotate-secret`);
              shown.replaceChildren(secretBox(`New signing secret of ${r.url}`, r.secret,
                `Shown only this once. The old secret also signs until ${when(r.previous_secret_until)}.`));
            }),
            h("a", { href: `#/webhooks/${w.id}`, class: "button quiet small" }, "Deliveries"),
            dangerButton("Delete", async () => { await api("DELETE", `/webhooks/${w.id}`); load(); }, `webhook:${w.id}`))));
        return row;
      }), "No webhooks yet."));
    }
    load().catch((err) => toast(explain(err), true));
  }

  function lastAttempt(d) {
    const a = (d.attempts || [])[d.attempts.length - 1];
    if (!a) return "—";
    return `${a.http_status === null ? a.error || "no answer" : "HTTP " + a.http_status} · ${a.latency_ms} ms · ${when(a.at)}`;
  }

  function deliveriesPage(id) {
    const status = h("select", { id: "delivery-status" }, ["", "pending", "retrying", "succeeded", "failed"]
      .map((s) => h("option", { value: s }, s || "every status")));
    const type = h("input", { id: "delivery-type", placeholder: "message.* (optional)" });
    const head = h("div");
    const list = h("div", {}, h("p", { class: "muted" }, "Loading…"));
    show(h("p", {}, h("a", { href: "#/webhooks" }, "← Webhooks")), head,
      h("section", { class: "card" }, h("h2", {}, "Delivery log"),
        h("div", { class: "row" }, field("Status", status), field("Event type", type)), h("br"), list));
    gone(get(`/webhooks/${id}`), list, "No such webhook.").then((w) => head.replaceChildren(h("div", { class: "card" },
      h("h1", { class: "wrap" }, w.url), h("p", { class: "small muted" }, `events ${w.events.join(", ")} · `,
        w.enabled ? "enabled" : `disabled (${w.disabled_reason || "by you"})`)))).catch((err) => toast(explain(err), true));
    const poller = page.every(3000, async () => {
      const deliveries = await get(`/webhooks/${id}/deliveries${q({ status: status.value, event_type: type.value.trim(), limit: 50 })}`);
      list.replaceChildren(table(["Created", "Event", "Status", "Attempts", "Last attempt", ""],
        deliveries.items.map((d) => h("tr", { "data-delivery": d.id, "data-status": d.status },
          h("td", { class: "small" }, when(d.created_at)),
          h("td", {}, d.event_type, h("div", { class: "small muted" }, d.origin)),
          h("td", { class: "delivery-status" }, badge(d.status),
            d.next_attempt_at && d.status === "retrying" ? h("div", { class: "small muted" }, `next ${when(d.next_attempt_at)}`) : null),
          h("td", { class: "attempts" }, String(d.attempt_count)),
          h("td", { class: "small wrap" }, lastAttempt(d)),
          h("td", {}, actionButton("Redeliver", async () => {
            await post(`/webhooks/${id}/deliveries/${d.id}/redeliver`);
            toast("Delivering again");
            poller.now();
          })))), "No deliveries match."));
    });
    status.addEventListener("change", () => poller.now());
    type.addEventListener("change", () => poller.now());
  }

  // --- events: a live tail ---------------------------------------------------------------

  const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

  /** The smallest event id of a moment (event ids are ULIDs: time first). */
  function eventIdAt(ms) {
    let time = "";
    for (let i = 0; i < 10; i++) { time = CROCKFORD[ms % 32] + time; ms = Math.floor(ms / 32); }
    return `evt_${time}${"0".repeat(16)}`;
  }

  function summary(e) {
    const d = e.data || {};
    if (e.type === "message.status") return `${d.message_id || d.id || ""} → ${d.status}`;
    if (e.type === "session.status") return `${d.status}${d.phone ? " " + d.phone : ""}${d.reason ? " (" + d.reason + ")" : ""}`;
    if (e.type === "message.received") return `${chatName(d.from || d.chat)}: ${d.text || d.type || ""}`;
    const text = JSON.stringify(d);
    return text.length > 200 ? text.slice(0, 200) + "…" : text;
  }

  function eventsPage() {
    const types = h("input", { id: "events-types", placeholder: "message.*, session.status (all when empty)" });
    const pause = h("button", { type: "button", class: "quiet shrink", id: "events-pause" }, "Pause");
    const body = h("tbody");
    const count = h("span", { class: "small muted" });
    let after = eventIdAt(Date.now() - 15 * 60 * 1000); // the last quarter-hour first
    let names = new Map(); // session id -> name
    get("/sessions?limit=100").then((got) => { names = new Map(got.items.map((x) => [x.id, x.name])); }).catch(() => {});
    let paused = false;
    const rows = [];
    show(h("h1", {}, "Events"),
      h("section", { class: "card" },
        h("div", { class: "row" }, field("Types", types), pause),
        h("p", { class: "small muted" }, "Live from GET /v1/events, newest on top (the last 15 minutes, then as they happen). ", count),
        h("div", { class: "scroll" }, h("table", {}, h("thead", {}, h("tr", {},
          h("th", {}, "When"), h("th", {}, "Type"), h("th", { class: "hide-narrow" }, "Session"), h("th", {}, "What"))), body))));
    pause.addEventListener("click", () => { paused = !paused; pause.textContent = paused ? "Resume" : "Pause"; });
    types.addEventListener("change", () => {
      rows.length = 0;
      body.replaceChildren();
      after = eventIdAt(Date.now() - 15 * 60 * 1000);
      poller.now();
    });
    const poller = page.every(2000, async () => {
      if (paused) return;
      for (let pages = 0; pages < 5; pages++) { // at most 500 events a tick
        const got = await get(`/events${q({ after, types: types.value.replace(/\s+/g, ""), limit: 100 })}`);
        for (const e of got.items) {
          after = e.id;
          const row = h("tr", { "data-event": e.id },
            h("td", { class: "small" }, when(e.timestamp)), h("td", {}, badge(e.type)),
            h("td", { class: "small hide-narrow" }, e.session_id ? names.get(e.session_id) || e.session_id : "—"),
            h("td", { class: "event" }, summary(e)));
          body.prepend(row);
          rows.unshift(row);
        }
        while (rows.length > MAX_EVENTS) rows.pop().remove();
        if (got.items.length < 100) break;
      }
      count.textContent = `${rows.length} shown (at most ${MAX_EVENTS}).`;
    });
  }

  // --- API keys --------------------------------------------------------------------------

  function keysPage() {
    const name = h("input", { id: "key-name", required: true, placeholder: "my-app" });
    const scopes = (me && me.scopes ? me.scopes.slice().sort() : []);
    const boxes = scopes.map((s) => h("input", { type: "checkbox", value: s, name: "scope", checked: /:(read)$/.test(s) }));
    const all = h("input", { type: "checkbox", id: "key-all" });
    all.addEventListener("change", () => boxes.forEach((b) => { b.checked = all.checked; }));
    const error = errorLine();
    const shown = h("div", { id: "key-shown" });
    const list = h("div", {}, h("p", { class: "muted" }, "Loading…"));
    show(h("h1", {}, "API keys"),
      h("section", { class: "card" }, h("h2", {}, "New key"),
        form(async () => {
          clearError(error);
          try {
            const created = await post("/api-keys", { name: name.value.trim(), scopes: boxes.filter((b) => b.checked).map((b) => b.value) });
            shown.replaceChildren(secretBox(`Key ${created.name}`, created.key, "Shown only this once: store it now. It holds only the scopes you chose."));
            name.value = "";
            load();
          } catch (err) { showError(error, err); }
        }, h("div", { class: "stack" },
          h("div", { class: "row" }, field("Name", name), h("button", { type: "submit", id: "key-create", class: "shrink" }, "Create key")),
          h("fieldset", {}, h("legend", { class: "small muted" }, "Scopes (at most your own)"),
            h("label", { class: "check" }, all, "all of them"),
            h("div", { class: "scopes" }, boxes.map((b) => h("label", { class: "check" }, b, b.value)))),
          error)), shown),
      h("section", { class: "card" }, h("h2", {}, "Keys"), list));

    async function load() {
      const keys = await get("/api-keys?limit=100");
      list.replaceChildren(table(["Name", "Key", "Scopes", "Created", ""], keys.items.map((k) => h("tr", { "data-key": k.id },
        h("td", {}, k.name),
        h("td", {}, h("code", {}, `…${k.last_four}`)),
        h("td", { class: "small wrap" }, k.scopes.join(", ")),
        h("td", { class: "small" }, when(k.created_at)),
        h("td", {}, dangerButton("Revoke", async () => { await api("DELETE", `/api-keys/${k.id}`); toast(`${k.name} revoked`); load(); }, `key:${k.id}`)))),
      "No keys yet."));
    }
    load().catch((err) => toast(explain(err), true));
  }

  // --- campaigns -------------------------------------------------------------------------

  function campaignsPage() {
    const name = h("input", { id: "campaign-name", required: true, placeholder: "spring sale" });
    const session = h("select", { id: "campaign-session" });
    const text = h("textarea", { id: "campaign-text", placeholder: "Hi {{name}}, 20% off today" });
    const recipients = h("textarea", { id: "campaign-recipients", placeholder: "+14155550201\n+14155550202" });
    const error = errorLine();
    const list = h("div", {}, h("p", { class: "muted" }, "Loading…"));
    show(h("h1", {}, "Campaigns"),
      h("section", { class: "card" }, h("h2", {}, "New campaign"),
        form(async () => {
          clearError(error);
          const numbers = recipients.value.split(/[\s,;]+/).map((x) => x.trim()).filter(Boolean).slice(0, 1000);
          try {
            await post("/campaigns", { name: name.value.trim(), session_ids: [session.value], message: { text: text.value },
              recipients: numbers.map((to) => ({ to })), message_interval: { min_s: 0, max_s: 1 } });
            toast("Created: start it below");
            poller.now();
          } catch (err) { showError(error, err); }
        }, h("div", { class: "stack" },
          h("div", { class: "row" }, field("Name", name), field("Session", session)),
          field("Message", text), field("Recipients (one number a line, up to 1,000 here; CSV uploads through the API)", recipients),
          error, h("button", { type: "submit", id: "campaign-create" }, "Create")))),
      h("section", { class: "card" }, h("h2", {}, "Campaigns"), list));
    sessionOptions(session).catch((err) => toast(explain(err), true));
    const act = (c, action) => actionButton(action[0].toUpperCase() + action.slice(1), async () => {
      await post(`/campaigns/${c.id}/${action}`);
      poller.now();
    });
    const poller = page.every(2000, async () => {
      const campaigns = (await get("/campaigns?limit=20")).items;
      // A list is a snapshot; a running campaign's own answer counts its progress up to now.
      const live = campaigns.filter((c) => ["running", "paused"].includes(c.status)).slice(0, 10);
      const fresh = new Map((await Promise.all(live.map((c) => get(`/campaigns/${c.id}`)))).map((c) => [c.id, c]));
      list.replaceChildren(table(["Campaign", "Status", "Progress", ""], campaigns.map((listed) => {
        const c = fresh.get(listed.id) || listed;
        const p = c.progress;
        return h("tr", { "data-campaign": c.id },
          h("td", {}, c.name, h("div", { class: "small muted" }, `${p.total} recipients`)),
          h("td", {}, badge(c.status), c.reason ? h("div", { class: "small muted" }, c.reason) : null),
          h("td", { class: "wrap" }, h("progress", { max: 100, value: p.percent }, `${p.percent}%`),
            h("div", { class: "small muted" }, `${p.percent}% · sent ${p.sent} · delivered ${p.delivered} · read ${p.read} · failed ${p.failed} · opted out ${p.opted_out}`,
              c.eta && c.status === "running" ? ` · done about ${when(c.eta)}` : "")),
          h("td", {}, h("div", { class: "actions" },
            c.status === "draft" ? act(c, "start") : null,
            c.status === "running" ? act(c, "pause") : null,
            c.status === "paused" ? act(c, "resume") : null,
            ["draft", "scheduled", "running", "paused"].includes(c.status) ? act(c, "cancel") : null)));
      }), "No campaigns yet."));
    });
  }

  // --- OTP -------------------------------------------------------------------------------

  function otpPage() {
    const to = h("input", { id: "otp-to", type: "tel", required: true, placeholder: "+14155550123" });
    const session = h("select", { id: "otp-session" });
    const sendError = errorLine();
    const sent = h("div", { id: "otp-sent" });
    const code = h("input", { id: "otp-code", inputmode: "numeric", autocomplete: "one-time-code", placeholder: "123456" });
    const verifyError = errorLine();
    const verdict = h("div", { id: "otp-verdict" });
    let last = null;
    show(h("h1", {}, "OTP test"),
      h("div", { class: "split" },
        h("section", { class: "card" }, h("h2", {}, "1. Send a code"),
          form(async () => {
            clearError(sendError);
            try {
              const body = { to: to.value.trim() };
              if (session.value) body.session_id = session.value;
              last = await post("/otp", body);
              sent.replaceChildren(h("p", {}, badge(last.status), ` to ${last.to} · expires ${when(last.expires_at)} · `,
                `${last.attempts_left} tries · another code from ${when(last.resend_available_at)}`),
                h("p", { class: "small muted" }, "id ", h("code", {}, last.id)),
                actionButton("Show the sandbox phone's messages", async () => {
                  const inbox = await get(`/sandbox/recipients/${encodeURIComponent(last.to.replace(/^\+/, ""))}/messages?limit=3`);
                  sent.append(h("ul", { class: "small" }, inbox.items.map((m) => h("li", {}, m.text || m.type))));
                }));
            } catch (err) { showError(sendError, err); }
          }, h("div", { class: "stack" }, field("To", to), field("Session", session), sendError,
            h("button", { type: "submit", id: "otp-send" }, "Send code"))), sent),
        h("section", { class: "card" }, h("h2", {}, "2. Check it"),
          form(async () => {
            clearError(verifyError);
            try {
              const body = { code: code.value.trim() };
              if (last) body.id = last.id; else body.to = to.value.trim();
              const v = await post("/otp/verify", body);
              verdict.replaceChildren(h("p", {}, v.valid ? badge("approved") : badge("failed"),
                v.valid ? " The code is right." : ` Wrong code: ${v.attempts_left} tries left (${v.status}).`));
            } catch (err) { showError(verifyError, err); }
          }, h("div", { class: "stack" }, field("Code", code), verifyError,
            h("button", { type: "submit", id: "otp-verify" }, "Verify"))), verdict)));
    sessionOptions(session).then(() => {
      session.prepend(h("option", { value: "" }, "the tenant's OTP session"));
      session.value = "";
    }).catch((err) => toast(explain(err), true));
  }

  // --- account ---------------------------------------------------------------------------

  function usage(label, used, limit) {
    return h("div", { class: "usage-row" },
      h("div", { class: "figures" }, h("span", {}, label), h("span", {}, `${used.toLocaleString()} of ${limit.toLocaleString()}`)),
      h("meter", { min: 0, max: Math.max(limit, 1), value: used, high: limit * 0.8, optimum: 0 }, `${used} of ${limit}`));
  }

  function accountPage() {
    const box = h("div", {}, h("p", { class: "muted" }, "Loading…"));
    show(h("h1", {}, "Account"), box);
    page.every(10000, async () => {
      const a = await get("/account");
      box.replaceChildren(
        h("section", { class: "card" }, h("h2", {}, a.name), h("p", { class: "small muted" }, "tenant ", h("code", {}, a.tenant_id)),
          h("div", { class: "usage", id: "usage" },
            usage("Messages today", a.usage.messages_today, a.limits.messages_per_day),
            usage("Messages this month", a.usage.messages_this_month, a.limits.messages_per_month),
            usage("Sessions", a.usage.sessions, a.limits.sessions)),
          h("p", { class: "small muted" }, `The day's count starts again in ${duration(a.resets.day_in_seconds)}, the month's in ${duration(a.resets.month_in_seconds)}.`)),
        me ? h("section", { class: "card" }, h("h2", {}, "You"),
          h("p", {}, `${sessionStorage.getItem(USER) || me.user_id} · ${me.role}`),
          h("p", { class: "small muted" }, "Scopes: ", me.scopes.join(", "))) : null);
    });
  }

  window.addEventListener("hashchange", route);
  route();
})();
