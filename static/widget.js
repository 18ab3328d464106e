/*! Verity chat widget: plain JavaScript, no framework. Embed with one tag:
 *  <script src="https://chat.example/static/widget.js" data-server="https://chat.example"
 *          data-title="Kundenservice" data-lang="de" data-color="#0b6e4f" async></script>
 * It loads its own CSS, keeps the session (id + token) in localStorage, streams replies
 * (server-sent events read from a fetch body), retries after network drops and rate limits.
 * Message text is only ever inserted with textContent. */
(function () {
  'use strict';
  if (window.__verityWidget) return;
  var script = document.currentScript || (function () {
    var all = document.querySelectorAll('script[src*="widget.js"]');
    return all[all.length - 1];
  })();
  if (!script) return;
  window.__verityWidget = true;

  var TEXTS = {
    de: {
      title: 'Kundenservice', launcher: 'Fragen? Chat',
      close: 'Chat schließen', log: 'Chatverlauf', input: 'Ihre Nachricht', send: 'Senden',
      placeholder: 'Nachricht schreiben …', you: 'Sie', bot: 'Assistent', staff: 'Kundenservice-Team',
      typing: 'Der Assistent schreibt …', actions: 'Vorschläge',
      down: 'Der Kundenservice ist gerade nicht erreichbar. Neuer Versuch in {s} s …',
      retry: 'Jetzt erneut versuchen',
      rate: 'Sie haben viele Nachrichten kurz hintereinander geschickt. Bitte warten Sie {s} s; dann wird automatisch weitergesendet.',
      failed: 'Das hat nicht geklappt: {m}', back: 'Verbindung wiederhergestellt.',
      noAnswer: 'gerade ist keine Antwort möglich. Bitte schreiben Sie Ihre Nachricht gleich noch einmal.',
      takenOver: 'Jemand aus unserem Team hat das Gespräch übernommen und antwortet hier.'
    },
    en: {
      title: 'Customer service', launcher: 'Questions? Chat',
      close: 'Close chat', log: 'Chat messages', input: 'Your message', send: 'Send',
      placeholder: 'Type a message …', you: 'You', bot: 'Assistant', staff: 'Support team',
      typing: 'The assistant is typing …', actions: 'Suggestions',
      down: 'The customer service cannot be reached right now. Trying again in {s} s …',
      retry: 'Try again now',
      rate: 'You sent many messages in a short time. Please wait {s} s; sending then continues by itself.',
      failed: 'That did not work: {m}', back: 'Connected again.',
      noAnswer: 'no answer is possible right now. Please send your message again in a moment.',
      takenOver: 'A member of our team has taken over this chat and answers here.'
    }
  };

  var data = script.dataset || {};
  var server = (data.server || new URL(script.src, location.href).origin).replace(/\/+$/, '');
  var lang = /^de/i.test(data.lang || document.documentElement.lang || navigator.language || '') ? 'de' : 'en';
  var T = TEXTS[lang];
  var storeKey = 'verity-chat:' + server;
  var uid = 'vty' + Math.random().toString(36).slice(2, 8);

  // ---- state ----
  var session = loadSession(); // {id, token, seq}
  var tasks = [];              // pending requests, run one at a time, in order
  var running = false;
  var failures = 0;
  var retryTimer = null;
  var tickTimer = null;
  var pollTimer = null;
  var started = false;
  var flags = { takenOver: false, handoff: false };
  var stream = null;           // the bubble a streamed reply is written into

  function loadSession() {
    try {
      var s = JSON.parse(localStorage.getItem(storeKey) || 'null');
      return s && s.id && s.token ? s : null;
    } catch (e) { return null; }
  }
  function saveSession() {
    try {
      if (session) localStorage.setItem(storeKey, JSON.stringify(session));
      else localStorage.removeItem(storeKey);
    } catch (e) { /* storage unavailable: the chat still works for this page */ }
  }
  function fill(text, vars) {
    return text.replace(/\{(\w+)\}/g, function (_, k) { return String(vars[k]); });
  }

  // ---- DOM ----
  function el(tag, cls, attrs) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (attrs) for (var k in attrs) e.setAttribute(k, attrs[k]);
    return e;
  }
  var css = el('link', null, { rel: 'stylesheet', href: server + '/static/widget.css' });
  document.head.appendChild(css);

  var root = el('div', 'vty-root', { 'data-verity': '' });
  if (data.color && window.CSS && CSS.supports('color', data.color)) root.style.setProperty('--vty-color', data.color);
  var launcher = el('button', 'vty-launcher', { type: 'button', 'aria-expanded': 'false', 'aria-controls': uid + '-panel' });
  var svgNs = 'http://www.w3.org/2000/svg';
  var icon = document.createElementNS(svgNs, 'svg');
  icon.setAttribute('viewBox', '0 0 24 24');
  icon.setAttribute('aria-hidden', 'true');
  var path = document.createElementNS(svgNs, 'path');
  path.setAttribute('d', 'M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z');
  icon.appendChild(path);
  launcher.appendChild(icon);
  var launcherText = el('span');
  launcherText.textContent = T.launcher;
  launcher.appendChild(launcherText);

  var panel = el('div', 'vty-panel', { id: uid + '-panel', role: 'dialog', 'aria-labelledby': uid + '-title', lang: lang });
  panel.hidden = true;
  var head = el('div', 'vty-head');
  var h2 = el('h2', null, { id: uid + '-title' });
  h2.textContent = data.title || T.title;
  var closer = el('button', 'vty-close', { type: 'button', 'aria-label': T.close });
  closer.textContent = '×';
  head.appendChild(h2);
  head.appendChild(closer);
  var log = el('div', 'vty-log', { role: 'log', 'aria-live': 'polite', 'aria-label': T.log, tabindex: '0' });
  var status = el('div', null, { role: 'status', 'aria-live': 'polite', 'aria-relevant': 'additions' });
  var form = el('form', 'vty-form');
  var label = el('label', 'vty-sr', { 'for': uid + '-input' });
  label.textContent = T.input;
  var input = el('textarea', 'vty-input', { id: uid + '-input', rows: '1', placeholder: T.placeholder, maxlength: '2000' });
  var send = el('button', 'vty-send', { type: 'submit' });
  send.textContent = T.send;
  form.appendChild(label);
  form.appendChild(input);
  form.appendChild(send);
  panel.appendChild(head);
  panel.appendChild(log);
  panel.appendChild(status);
  panel.appendChild(form);
  root.appendChild(panel);
  root.appendChild(launcher);
  (document.body || document.documentElement).appendChild(root);

  function scrollDown() { log.scrollTop = log.scrollHeight; }

  function addMessage(role, text) {
    var who = role === 'customer' ? T.you : role === 'staff' ? T.staff : T.bot;
    var m = el('div', 'vty-msg vty-' + role);
    var w = el('span', role === 'staff' ? 'vty-who' : 'vty-who vty-sr');
    w.textContent = who + ': ';
    var body = el('span', 'vty-text');
    body.textContent = text;
    m.appendChild(w);
    m.appendChild(body);
    log.appendChild(m);
    scrollDown();
    return body;
  }

  function retireActions() {
    var old = log.querySelectorAll('.vty-actions');
    for (var i = 0; i < old.length; i++) old[i].parentNode.removeChild(old[i]);
  }

  function addActions(actions) {
    retireActions();
    if (!actions || !actions.length) return;
    var group = el('div', 'vty-actions', { role: 'group', 'aria-label': T.actions });
    actions.forEach(function (a) {
      var b = el('button', 'vty-action', { type: 'button', 'data-action': a.id });
      b.textContent = a.label;
      b.addEventListener('click', function () {
        enqueueMessage({ action: a.id }, a.label);
        input.focus();
      });
      group.appendChild(b);
    });
    log.appendChild(group);
    scrollDown();
  }

  var typing = null;
  function showTyping(on) {
    if (on && !typing) {
      typing = el('div', 'vty-typing', { 'aria-hidden': 'true' });
      typing.appendChild(el('span'));
      typing.appendChild(el('span'));
      typing.appendChild(el('span'));
      log.appendChild(typing);
      status.className = 'vty-sr';
      status.textContent = T.typing;
      scrollDown();
    } else if (!on && typing) {
      typing.parentNode.removeChild(typing);
      typing = null;
      if (status.className === 'vty-sr') { status.textContent = ''; status.className = ''; }
    }
  }

  // A notice about the connection, with an optional button. One at a time.
  function notice(text, button) {
    status.className = text ? 'vty-notice' : '';
    status.textContent = text || '';
    if (button) {
      var b = el('button', null, { type: 'button' });
      b.textContent = button.label;
      b.addEventListener('click', button.onClick);
      status.appendChild(b);
    }
    scrollDown();
  }

  // ---- HTTP ----
  function Failure(kind, message, wait) { this.kind = kind; this.message = message; this.wait = wait; }

  function call(method, path, body, accept) {
    var headers = { Accept: accept || 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (session && path.indexOf('/sessions/') > 0) headers.Authorization = 'Bearer ' + session.token;
    return fetch(server + path, {
      method: method, headers: headers, cache: 'no-store',
      body: body === undefined ? undefined : JSON.stringify(body)
    }).then(function (res) {
      if (res.ok) return res;
      if (res.status === 429) {
        var after = parseInt(res.headers.get('Retry-After') || '', 10);
        throw new Failure('rate', '', after > 0 ? after : 10);
      }
      if (res.status >= 500) throw new Failure('down');
      return res.json().catch(function () { return {}; }).then(function (j) {
        var msg = j && j.error && j.error.message ? j.error.message : 'HTTP ' + res.status;
        throw new Failure(res.status === 401 || res.status === 404 ? 'lost' : 'client', msg);
      });
    }, function () { throw new Failure('down'); });
  }

  // Reads a text/event-stream body incrementally and calls on(event, data) per event.
  function readEvents(res, on) {
    var buf = '';
    function feed(chunk) {
      buf += chunk.replace(/\r\n?/g, '\n');
      var cut;
      while ((cut = buf.indexOf('\n\n')) >= 0) {
        var block = buf.slice(0, cut);
        buf = buf.slice(cut + 2);
        var ev = 'message', lines = [];
        block.split('\n').forEach(function (line) {
          if (line.indexOf('event:') === 0) ev = line.slice(6).trim();
          else if (line.indexOf('data:') === 0) lines.push(line.slice(5).replace(/^ /, ''));
        });
        if (lines.length) on(ev, lines.join('\n'));
      }
    }
    if (!res.body || !res.body.getReader || !window.TextDecoder) {
      return res.text().then(function (t) { feed(t + '\n\n'); });
    }
    var reader = res.body.getReader();
    var dec = new TextDecoder();
    function pump() {
      return reader.read().then(function (r) {
        if (r.done) { feed(dec.decode() + '\n\n'); return; }
        feed(dec.decode(r.value, { stream: true }));
        return pump();
      });
    }
    return pump().catch(function (e) { throw e instanceof Failure ? e : new Failure('down'); });
  }

  // ---- the task queue: one request at a time; network trouble and 429 retry it ----
  function enqueue(task) {
    tasks.push(task);
    if (!running && !retryTimer) runNext();
  }

  function runNext() {
    if (!tasks.length) { running = false; return; }
    running = true;
    tasks[0]().then(function () {
      tasks.shift();
      if (failures) notice(T.back);
      failures = 0;
      runNext();
    }, function (f) {
      showTyping(false);
      dropStream();
      running = false;
      if (!(f instanceof Failure)) f = new Failure('client', String(f && f.message || f));
      if (f.kind === 'lost') { // the session is gone (expired or foreign): start anew
        session = null;
        saveSession();
        tasks.length = 0;
        log.textContent = '';
        enqueue(createSession);
      } else if (f.kind === 'client') {
        tasks.shift();
        notice(fill(T.failed, { m: f.message }));
        runNext();
      } else if (f.kind === 'rate') {
        waitThenRetry(f.wait, T.rate);
      } else {
        failures++;
        waitThenRetry(Math.min(30, Math.pow(2, failures)), T.down);
      }
    });
  }

  function waitThenRetry(seconds, text) {
    var left = seconds;
    clearRetry();
    notice(fill(text, { s: left }), { label: T.retry, onClick: retryNow });
    // The countdown changes the text in place: announced once (aria-relevant), and a
    // focused button keeps its focus.
    tickTimer = setInterval(function () {
      left = Math.max(0, left - 1);
      status.firstChild.nodeValue = fill(text, { s: left });
    }, 1000);
    retryTimer = setTimeout(retryNow, seconds * 1000);
  }
  function clearRetry() {
    clearTimeout(retryTimer);
    clearInterval(tickTimer);
    retryTimer = tickTimer = null;
  }
  function retryNow() {
    var hadFocus = status.contains(document.activeElement);
    clearRetry();
    notice('');
    if (hadFocus) input.focus();
    if (!running) runNext();
  }
  window.addEventListener('online', function () { if (retryTimer) retryNow(); });

  // ---- conversation ----
  function remember(seq) {
    if (session && typeof seq === 'number' && seq > (session.seq || 0)) { session.seq = seq; saveSession(); }
  }

  function setFlags(takenOver, handoff) {
    if (takenOver && !flags.takenOver) notice(T.takenOver);
    flags.takenOver = !!takenOver;
    flags.handoff = !!handoff;
    clearInterval(pollTimer);
    pollTimer = null;
    // Staff answer in their own time: look for their messages while the panel is open.
    if (flags.takenOver || flags.handoff) pollTimer = setInterval(function () {
      if (!panel.hidden && !running && !tasks.length && !retryTimer) enqueue(sync);
    }, 5000);
  }

  function createSession() {
    return call('POST', '/api/v1/chat/sessions', { language: lang }).then(function (res) {
      return res.json();
    }).then(function (j) {
      session = { id: j.session_id, token: j.token, seq: 0 };
      saveSession();
      (j.messages || []).forEach(showReply);
    });
  }

  function transcriptPath(after) {
    return '/api/v1/chat/sessions/' + encodeURIComponent(session.id) + '/messages' + (after ? '?after=' + after : '');
  }

  // The whole history after a reload.
  function loadHistory() {
    return call('GET', transcriptPath(0)).then(function (res) { return res.json(); }).then(function (j) {
      log.textContent = '';
      var labels = {};
      var last = null;
      (j.messages || []).forEach(function (m) {
        var text = m.text;
        if (m.role === 'customer' && !text && m.action) text = labels[m.action] || m.action;
        if (text) addMessage(m.role, text);
        labels = {};
        (m.actions || []).forEach(function (a) { labels[a.id] = a.label; });
        last = m;
        remember(m.seq);
      });
      if (last && last.role !== 'customer') addActions(last.actions);
      setFlags(j.taken_over, j.handoff);
    });
  }

  // New staff or bot messages since the last one seen (customer messages are shown
  // as they are sent).
  function sync() {
    return call('GET', transcriptPath(session.seq || 0)).then(function (res) { return res.json(); }).then(function (j) {
      var last = null;
      (j.messages || []).forEach(function (m) {
        remember(m.seq);
        if (m.role === 'customer') return;
        if (m.text) addMessage(m.role, m.text);
        last = m;
      });
      if (last) addActions(last.actions);
      setFlags(j.taken_over, j.handoff);
    });
  }

  function showReply(r) {
    if (stream) { stream.textContent = r.text; stream = null; } else addMessage('bot', r.text);
    addActions(r.actions);
    remember(r.seq);
    setFlags(r.taken_over, r.handoff);
  }

  function dropStream() {
    if (stream) { var m = stream.parentNode; m.parentNode.removeChild(m); stream = null; }
    log.removeAttribute('aria-busy');
  }

  function clientId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return (Date.now().toString(36) + Math.random().toString(36).slice(2, 12)).replace(/\./g, '');
  }

  function enqueueMessage(payload, shown) {
    retireActions();
    addMessage('customer', shown);
    payload.client_id = clientId(); // the same id on every retry: answered once
    enqueue(function () {
      showTyping(true);
      return call('POST', transcriptPath(0), payload, 'text/event-stream').then(function (res) {
        var type = res.headers.get('Content-Type') || '';
        if (type.indexOf('text/event-stream') < 0) {
          return res.json().then(function (j) { showTyping(false); if (j.reply) showReply(j.reply); else return sync(); });
        }
        var end = null;
        return readEvents(res, function (ev, d) {
          if (ev === 'delta') {
            showTyping(false);
            if (!stream) { log.setAttribute('aria-busy', 'true'); stream = addMessage('bot', ''); }
            stream.textContent += d;
            scrollDown();
          } else if (ev === 'reset') { // the text so far is withdrawn; a new one follows
            if (stream) stream.textContent = '';
          } else if (ev === 'message') {
            end = ev;
            showTyping(false);
            log.removeAttribute('aria-busy');
            showReply(JSON.parse(d));
          } else if (ev === 'silent' || ev === 'error') {
            end = ev;
          }
        }).then(function () {
          showTyping(false);
          // The server could not answer: say so; sending again starts a new turn.
          if (end === 'error') throw new Failure('client', T.noAnswer);
          // Cut off before the end: retry (the same client_id is answered only once).
          if (!end) throw new Failure('down');
          // Silent: staff answer, or this was a retry the server had already answered.
          if (end === 'silent') return sync();
        });
      });
    });
  }

  // ---- open, close, keyboard ----
  function open() {
    panel.hidden = false;
    launcher.hidden = true;
    launcher.setAttribute('aria-expanded', 'true');
    root.classList.add('vty-open');
    if (!started) {
      started = true;
      enqueue(session ? loadHistory : createSession);
    }
    scrollDown();
    input.focus();
  }
  function close() {
    panel.hidden = true;
    launcher.hidden = false;
    launcher.setAttribute('aria-expanded', 'false');
    root.classList.remove('vty-open');
    launcher.focus();
  }
  launcher.addEventListener('click', open);
  closer.addEventListener('click', close);
  panel.addEventListener('keydown', function (e) {
    if (e.key === 'Escape') { e.preventDefault(); close(); }
  });
  input.addEventListener('keydown', function (e) {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); submit(); }
  });
  form.addEventListener('submit', function (e) { e.preventDefault(); submit(); });
  function submit() {
    var text = input.value.trim();
    if (!text) return;
    input.value = '';
    enqueueMessage({ text: text }, text);
    input.focus();
  }

  window.VerityWidget = { open: open, close: close };
})();
