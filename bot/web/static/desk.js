// The counter desk: log in, find a service, tailor it with the citizen, print it and record it as told.
"use strict";

(function () {
  const strings = pageStrings();
  const language = document.body.dataset.language;
  const $ = (id) => document.getElementById(id);
  let current = null;  // {kind, id, answers}

  function show(view) {
    $("login-view").hidden = view !== "login";
    $("desk-view").hidden = view !== "desk";
  }

  async function start() {
    const result = await postJson("/desk/api/me", {});
    if (result.ok) {
      $("who").textContent = result.data.name;
      show("desk");
      $("query").focus();
    } else {
      show("login");
      $("name").focus();
    }
    document.body.dataset.ready = "true";
  }

  $("login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const result = await postJson("/desk/api/login", {name: $("name").value, password: $("password").value});
    $("password").value = "";
    if (result.ok) {
      $("login-error").textContent = "";
      start();
    } else {
      $("login-error").textContent = result.data.message || strings.error;
    }
  });

  $("logout").addEventListener("click", async () => {
    await postJson("/desk/api/logout", {});
    current = null;
    $("service").hidden = true;
    show("login");
    $("name").focus();
  });

  $("search-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const list = $("results");
    list.replaceChildren();
    const result = await postJson("/desk/api/search", {query: $("query").value, language: language});
    if (!result.ok) return refused(result);
    if (!result.data.results.length) {
      const item = document.createElement("li");
      item.textContent = strings.no_results;
      list.appendChild(item);
    }
    for (const found of result.data.results) {
      const item = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "link";
      button.textContent = found.name;
      button.addEventListener("click", () => open({kind: found.kind, id: found.id, answers: {}}, true));
      item.appendChild(button);
      list.appendChild(item);
    }
  });

  async function open(target, focus) {
    const result = await postJson("/desk/api/show", Object.assign({language: language}, target));
    if (!result.ok) return refused(result);
    current = target;
    $("service").hidden = false;
    $("service-name").textContent = result.data.name;
    $("status").textContent = "";
    $("preview").hidden = true;
    conditions(result.data.conditions);
    const checklist = $("checklist");
    checklist.replaceChildren();
    for (const html of result.data.messages) {
      const part = document.createElement("div");
      part.className = "part";
      appendTelegramHtml(part, html);
      checklist.appendChild(part);
    }
    if (focus) $("service-name").focus();
  }

  // Each condition as a group of three radios: yes, no, not asked yet.
  function conditions(list) {
    const box = $("condition-list");
    box.replaceChildren();
    $("conditions").hidden = !list.length;
    list.forEach((condition, index) => {
      const group = document.createElement("fieldset");
      group.className = "condition";
      const legend = document.createElement("legend");
      legend.textContent = condition.question;
      group.appendChild(legend);
      for (const [value, label] of [[true, strings.yes], [false, strings.no], [null, strings.unknown]]) {
        const id = "c" + index + "-" + String(value);
        const radio = document.createElement("input");
        radio.type = "radio";
        radio.name = "c" + index;
        radio.id = id;
        radio.checked = condition.answer === value || (condition.answer === undefined && value === null);
        radio.addEventListener("change", () => {
          const answers = Object.assign({}, current.answers);
          if (value === null) delete answers[condition.id]; else answers[condition.id] = value;
          open(Object.assign({}, current, {answers: answers}), false);
        });
        const text = document.createElement("label");
        text.htmlFor = id;
        text.textContent = label;
        group.append(radio, text);
      }
      box.appendChild(group);
    });
  }

  $("print").addEventListener("click", async () => {
    if (!current) return;
    const result = await postJson("/desk/api/told", Object.assign({language: language}, current));
    if (!result.ok) return refused(result);
    $("status").textContent = result.data.notice;
    const frame = $("preview");
    frame.hidden = false;
    frame.addEventListener("load", () => {
      frame.contentWindow.focus();
      frame.contentWindow.print();
      document.body.dataset.printed = String(result.data.inquiry_id);
    }, {once: true});
    frame.src = "/desk/print/" + result.data.inquiry_id;
  });

  function refused(result) {
    if (result.status === 401) {
      show("login");
      $("login-error").textContent = result.data.message || "";
      return;
    }
    $("status").textContent = result.data.message || strings.error;
  }

  start();
})();
