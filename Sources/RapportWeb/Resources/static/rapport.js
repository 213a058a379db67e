/*
 * rapport.js: the browser tracking client of Rapport, on the Segment tracking spec.
 *
 *   <script src="https://rapport.example.com/rapport.js" data-write-key="rk_…"></script>
 *   rapport.page();                                   // page view (name from document.title)
 *   rapport.identify("user-42", { email: "ann@example.com" });
 *   rapport.track("Signed Up", { plan: "pro" });
 *   rapport.identify("user-42", {}, { userHash: "…" }); // identity verification for /widget.js (never sent as a trait)
 *
 * An anonymous id lives in a first-party cookie (`rapport_anonymous_id`, one year), so a visitor who identifies
 * later keeps the page views made before. Calls are queued and sent in batches to `/v1/batch` of the host that
 * served this script (every second, or at 20 calls), and flushed with `navigator.sendBeacon` when the page is hidden.
 * Set `data-host` to send elsewhere. The write key (a `track` key) travels in the body, as sendBeacon cannot set headers.
 */
(function (window, document) {
  "use strict";
  if (window.rapport && window.rapport.__loaded) return;
  var script = document.currentScript || document.querySelector("script[data-write-key]");
  var host = (script && script.getAttribute("data-host")) || (script ? new URL(script.src, location.href).origin : "");
  var writeKey = script ? script.getAttribute("data-write-key") : null;
  var queue = [];
  var timer = null;
  var userId = null;
  var userHash = null;
  var listeners = [];
  var COOKIE = "rapport_anonymous_id";

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx".replace(/[xy]/g, function (c) {
      var r = (Math.random() * 16) | 0;
      return (c === "x" ? r : (r & 0x3) | 0x8).toString(16);
    });
  }

  function readCookie(name) {
    var match = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return match ? decodeURIComponent(match[1]) : null;
  }

  function anonymousId() {
    var id = readCookie(COOKIE);
    if (!id) {
      id = uuid();
      document.cookie = COOKIE + "=" + encodeURIComponent(id) + "; path=/; max-age=31536000; SameSite=Lax";
    }
    return id;
  }

  function context() {
    return {
      library: { name: "rapport.js", version: "1.0.0" },
      page: { path: location.pathname, referrer: document.referrer, search: location.search, title: document.title, url: location.href },
      userAgent: navigator.userAgent,
      locale: navigator.language
    };
  }

  function enqueue(message) {
    message.messageId = uuid();
    message.timestamp = new Date().toISOString();
    message.anonymousId = anonymousId();
    if (userId) message.userId = userId;
    message.context = Object.assign(context(), message.context || {});
    queue.push(message);
    listeners.slice().forEach(function (listener) { try { listener(message); } catch (e) { /* a listener's error is its own */ } });
    if (queue.length >= 20) flush();
    else if (!timer) timer = setTimeout(flush, 1000);
  }

  function payload(batch) {
    return JSON.stringify({ batch: batch, sentAt: new Date().toISOString(), writeKey: writeKey });
  }

  function flush(useBeacon) {
    if (timer) { clearTimeout(timer); timer = null; }
    if (!queue.length || !writeKey) return Promise.resolve();
    var batch = queue.splice(0, queue.length);
    var url = host + "/v1/batch";
    // text/plain keeps the request "simple" (no CORS preflight); the server reads the JSON body regardless.
    if (useBeacon && navigator.sendBeacon) {
      navigator.sendBeacon(url, new Blob([payload(batch)], { type: "text/plain" }));
      return Promise.resolve();
    }
    return fetch(url, { method: "POST", body: payload(batch), headers: { "Content-Type": "text/plain" }, keepalive: true })
      .catch(function () { queue = batch.concat(queue); });
  }

  var rapport = {
    __loaded: true,
    load: function (key, options) { writeKey = key; if (options && options.host) host = options.host; },
    identify: function (id, traits, options) {
      if (id && typeof id === "object") { options = traits; traits = id; id = null; }
      if (id) userId = String(id);
      if (options && options.userHash) userHash = String(options.userHash);
      enqueue({ type: "identify", traits: traits || {} });
    },
    track: function (event, properties) { enqueue({ type: "track", event: event, properties: properties || {} }); },
    page: function (name, properties) {
      if (name && typeof name === "object") { properties = name; name = null; }
      enqueue({ type: "page", name: name || document.title, properties: Object.assign({ url: location.href, path: location.pathname, title: document.title }, properties || {}) });
    },
    group: function (groupId, traits) { enqueue({ type: "group", groupId: String(groupId), traits: traits || {} }); },
    alias: function (newId, previousId) { enqueue({ type: "alias", userId: String(newId), previousId: previousId || anonymousId() }); },
    anonymousId: anonymousId,
    flush: function () { return flush(false); },
    // For /widget.js: who the visitor is, where to reach Rapport, and every message as it is queued.
    user: function () { return { userId: userId, userHash: userHash }; },
    settings: function () { return { host: host, writeKey: writeKey }; },
    onMessage: function (listener) { listeners.push(listener); },
    reset: function () {
      userId = null;
      userHash = null;
      document.cookie = COOKIE + "=; path=/; max-age=0";
    }
  };
  window.rapport = rapport;
  document.addEventListener("visibilitychange", function () { if (document.visibilityState === "hidden") flush(true); });
  window.addEventListener("pagehide", function () { flush(true); });
})(window, document);
