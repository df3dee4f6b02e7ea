// Shared by the chat page and the desk: safe rendering of the checklist's Telegram HTML, and JSON calls.
"use strict";

// The API's messages are Telegram HTML, escaped by the server. They are still not inserted as HTML:
// they are parsed into an inert document (no scripts run, nothing loads), and only <b>, <i> and
// <a href="http(s)://..."> are rebuilt; everything else becomes plain text.
function appendTelegramHtml(target, html) {
  const parsed = new DOMParser().parseFromString("<body>" + html + "</body>", "text/html");
  copySafe(parsed.body, target);
}

function copySafe(from, to) {
  for (const node of from.childNodes) {
    if (node.nodeType === Node.TEXT_NODE) {
      to.appendChild(document.createTextNode(node.nodeValue));
    } else if (node.nodeType === Node.ELEMENT_NODE) {
      const tag = node.tagName.toLowerCase();
      let element = null;
      if (tag === "b" || tag === "strong") {
        element = document.createElement("strong");
      } else if (tag === "i" || tag === "em") {
        element = document.createElement("em");
      } else if (tag === "a" && /^https?:\/\//i.test(node.getAttribute("href") || "")) {
        element = document.createElement("a");
        element.href = node.getAttribute("href");
        element.rel = "noopener noreferrer";
        element.target = "_blank";
      }
      if (element) {
        copySafe(node, element);
        to.appendChild(element);
      } else {
        copySafe(node, to);
      }
    }
  }
}

function pageStrings() {
  return JSON.parse(document.body.dataset.strings || "{}");
}

// POST JSON; resolves with {ok, status, data}. Never throws for an HTTP refusal.
async function postJson(url, body) {
  const language = document.body.dataset.language;
  let response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: {"Content-Type": "application/json", "Accept-Language": language},
      body: JSON.stringify(body),
      credentials: "same-origin",
    });
  } catch (error) {
    return {ok: false, status: 0, data: {}};
  }
  let data = {};
  try {
    data = await response.json();
  } catch (error) {
    data = {};
  }
  return {ok: response.ok, status: response.status, data: data};
}
