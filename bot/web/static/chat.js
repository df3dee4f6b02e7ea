// The citizens' chat page: ask, pick, tailor, save, ask a person, rate; staff replies arrive by polling.
"use strict";

(function () {
  const STORAGE = "counter-assistant-session";
  const POLL_MS = 5000;
  const strings = pageStrings();
  const language = document.body.dataset.language;
  const log = document.getElementById("log");
  const form = document.getElementById("ask-form");
  const input = document.getElementById("question");
  let session = localStorage.getItem(STORAGE);
  let lastInbox = Number(localStorage.getItem(STORAGE + ":last") || 0);
  let commentCase = null;  // after a low rating, the next text is a comment on this case
  let reportInquiry = null;  // after [Report an error], the next text says what the answer got wrong
  let busy = false;

  function remember(data) {
    if (data && data.session && data.session !== session) {
      session = data.session;
      localStorage.setItem(STORAGE, session);
    }
  }

  function bubble(who, role) {
    const item = document.createElement("div");
    item.className = "bubble " + role;
    const label = document.createElement("span");
    label.className = "who";
    label.textContent = who;
    item.appendChild(label);
    const body = document.createElement("div");
    body.className = "text";
    item.appendChild(body);
    log.appendChild(item);
    return body;
  }

  function say(text, role) {
    bubble(role === "you" ? strings.you : strings.assistant, role).textContent = text;
    scrollDown();
  }

  function scrollDown() {
    window.scrollTo(0, document.body.scrollHeight);
  }

  function showButtons(buttons, context) {
    if (!buttons || !buttons.length) return;
    const bar = document.createElement("div");
    bar.className = "buttons";
    for (const spec of buttons) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = spec.label;
      button.addEventListener("click", () => press(spec, context, button));
      bar.appendChild(button);
    }
    log.appendChild(bar);
  }

  function showReply(data) {
    remember(data);
    let first = null;
    for (const html of data.messages || []) {
      const body = bubble(strings.assistant, "assistant");
      appendTelegramHtml(body, html);
      first = first || body.parentNode;
    }
    showButtons(data.buttons, data);
    // A checklist is long: show its beginning, not its end.
    if (first) first.scrollIntoView({block: "start"});
  }

  function showRefusal(result) {
    say((result.data && result.data.message) || strings.error, "notice");
  }

  async function call(url, body) {
    const result = await postJson(url, Object.assign({session: session, language: language}, body));
    if (result.ok) return result.data;
    if (result.status === 401 && url !== "/api/v1/ask") {
      localStorage.removeItem(STORAGE);  // an unknown session: the next question starts a new one
      session = null;
    }
    showRefusal(result);
    return null;
  }

  async function ask(text) {
    say(text, "you");
    const body = {text: text, language: language};
    if (session) body.session = session;
    const result = await postJson("/api/v1/ask", body);
    if (result.ok) {
      showReply(result.data);
    } else {
      if (result.status === 401) {
        localStorage.removeItem(STORAGE);
        session = null;
      }
      showRefusal(result);
    }
  }

  async function press(spec, context, button) {
    if (busy) return;
    busy = true;
    button.setAttribute("aria-pressed", "true");
    try {
      await act(spec, context);
    } finally {
      busy = false;
      input.focus();
    }
  }

  async function act(spec, context) {
    let data = null;
    if (spec.action === "choose") {
      data = await call("/api/v1/choose", {inquiry_id: context.inquiry_id, service: spec.service});
    } else if (spec.action === "tailor") {
      data = await call("/api/v1/tailor", {inquiry_id: context.inquiry_id, answers: {}});
      if (data) data.answers = {};
    } else if (spec.action === "answer") {
      const answers = Object.assign({}, context.answers || {});
      answers[spec.condition] = spec.value;
      say(spec.label, "you");
      data = await call("/api/v1/tailor", {inquiry_id: context.inquiry_id, answers: answers});
      if (data && data.action === "condition") data.answers = answers;
    } else if (spec.action === "ask_person") {
      data = await call("/api/v1/ask-person", {inquiry_id: context.inquiry_id});
    } else if (spec.action === "helpful") {
      const done = await call("/api/v1/feedback", {inquiry_id: context.inquiry_id});
      if (done) say(done.notice, "notice");
    } else if (spec.action === "printable") {
      const file = await call("/api/v1/printable", {inquiry_id: context.inquiry_id});
      if (file) download(file);
    } else if (spec.action === "report_error") {
      reportInquiry = context.inquiry_id;
      say(strings.report_prompt, "notice");
    } else if (spec.action === "rate") {
      const done = await call("/api/v1/rate", {case_id: spec.case_id, stars: spec.stars});
      if (done) {
        say(done.notice, "notice");
        if (done.comment) {
          commentCase = spec.case_id;
          say(strings.comment_prompt, "notice");
        }
      }
    }
    if (data) showReply(data);
  }

  function download(file) {
    const url = URL.createObjectURL(new Blob([file.html], {type: "text/html"}));
    const link = document.createElement("a");
    link.href = url;
    link.download = file.filename;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    say(strings.saved, "notice");
  }

  async function poll() {
    if (session && !busy) {
      const result = await postJson("/api/v1/messages", {session: session, after: lastInbox, language: language});
      if (result.ok) {
        for (const item of result.data.messages) {
          const body = bubble(strings.staff, "staff");
          const header = document.createElement("strong");
          header.textContent = item.header;
          body.appendChild(header);
          if (item.text) body.appendChild(document.createTextNode("\n" + item.text));
          showButtons(item.buttons, item);
        }
        if (result.data.messages.length) scrollDown();
        lastInbox = result.data.last;
        localStorage.setItem(STORAGE + ":last", String(lastInbox));
      }
    }
    setTimeout(poll, POLL_MS);
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text || busy) return;
    input.value = "";
    busy = true;
    try {
      if (reportInquiry !== null) {
        say(text, "you");
        const done = await call("/api/v1/report-error", {inquiry_id: reportInquiry, text: text});
        reportInquiry = null;
        if (done) say(done.notice, "notice");
        return;
      }
      if (commentCase !== null) {
        say(text, "you");
        const done = await call("/api/v1/comment", {case_id: commentCase, text: text});
        commentCase = null;
        if (done) say(done.notice, "notice");
      } else {
        await ask(text);
      }
    } finally {
      busy = false;
      input.focus();
    }
  });

  document.getElementById("my-case").addEventListener("click", async () => {
    if (!session) return say(strings.no_case, "notice");
    const data = await call("/api/v1/case", {});
    if (data) say(data.text, "notice");
  });

  document.getElementById("end-case").addEventListener("click", async () => {
    if (!session) return say(strings.no_case, "notice");
    const data = await call("/api/v1/case/close", {});
    if (data) say(data.notice, "notice");
  });

  if (lastInbox && !session) lastInbox = 0;
  document.body.dataset.ready = "true";
  poll();
})();
