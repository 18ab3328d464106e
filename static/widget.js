/*! Verity chat widget: plain JavaScript, no framework. Embed with one tag:
 *  <script src="https://chat.example/static/widget.js" data-server="https://chat.example"
 *          data-title="Kundenservice" data-lang="de" data-color="#0b6e4f" async></script>
 * It loads its own CSS, keeps the session (id + token) in localStorage, streams replies
 * (server-sent events read from a fetch body), retries after network drops and rate limits,
 * and follows the conversation live (an event stream, or polling where streams cannot be
 * read): every message it has not shown, by sequence number, in order, whoever wrote it.
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
      takenOver: 'Jemand aus unserem Team hat das Gespräch übernommen und antwortet hier.',
      unread: '{n} neue Nachricht(en)', locale: 'de-DE',
      track: 'Sendung {n} bei {c} verfolgen', newTab: '(öffnet in neuem Tab)'
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
      takenOver: 'A member of our team has taken over this chat and answers here.',
      unread: '{n} new message(s)', locale: 'en-GB',
      track: 'Track parcel {n} with {c}', newTab: '(opens in a new tab)'
    }
  };

  var data = script.dataset || {};
  var server = (data.server || new URL(script.src, location.href).origin).replace(/\/+$/, '');
  // The first language: the page's `data-lang`, else the browser's (the first of its
  // languages the widget speaks), else the page's own `lang`, else German. A session
  // kept from an earlier visit speaks its conversation's language (setLang).
  function spoken(l) { return /^de\b/i.test(l || '') ? 'de' : /^en\b/i.test(l || '') ? 'en' : null; }
  var lang = spoken(data.lang) || [].concat(navigator.languages || [], navigator.language || [])
    .map(spoken).filter(Boolean)[0] || spoken(document.documentElement.lang) || 'de';
  var T = TEXTS[lang];
  // An order page's signed token: the session opens verified for that order, kept apart.
  var orderLink = data.orderLink || null;
  var storeKey = 'verity-chat:' + server + (orderLink ? ':o:' + orderLink : '');
  var openKey = storeKey + ':open';
  var uid = 'vty' + Math.random().toString(36).slice(2, 8);

  // ---- state ----
  var session = loadSession(); // {id, token, seq}: seq is the cursor, every message up to it is handled
  var seen = {};               // bot and staff messages past the cursor already shown, by seq
  var tasks = [];              // pending requests, run one at a time, in order
  var running = false;
  var failures = 0;
  // When the browser last came back online, and when the running request started: a
  // request that was on its way while the network came back is retried at once.
  var onlineAt = 0, startedAt = 0;
  var retryTimer = null;
  var tickTimer = null;
  var started = false;
  var syncQueued = false;
  var unread = 0;
  var flags = { takenOver: false, handoff: false };
  var stream = null;           // the bubble a streamed reply is written into
  var live = { ctrl: null, timer: null, poll: null, failures: 0 };

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
  // '1' open, '0' closed by the customer, unset: never touched.
  function rememberOpen(on) {
    try { localStorage.setItem(openKey, on ? '1' : '0'); } catch (e) { /* ignore */ }
  }
  function openState() {
    try { return localStorage.getItem(openKey); } catch (e) { return null; }
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
  launcher.appendChild(launcherText);
  var badge = el('span', 'vty-badge', { 'aria-hidden': 'true' });
  badge.hidden = true;
  launcher.appendChild(badge);
  var badgeText = el('span', 'vty-sr');
  launcher.appendChild(badgeText);

  var panel = el('div', 'vty-panel', { id: uid + '-panel', role: 'dialog', 'aria-labelledby': uid + '-title', lang: lang });
  panel.hidden = true;
  var head = el('div', 'vty-head');
  var h2 = el('h2', null, { id: uid + '-title' });
  var closer = el('button', 'vty-close', { type: 'button' });
  closer.textContent = '×';
  head.appendChild(h2);
  head.appendChild(closer);
  var banner = el('p', 'vty-takeover', { 'aria-live': 'polite' });
  banner.hidden = true;
  var log = el('div', 'vty-log', { role: 'log', 'aria-live': 'polite', tabindex: '0' });
  var status = el('div', null, { role: 'status', 'aria-live': 'polite', 'aria-relevant': 'additions' });
  var form = el('form', 'vty-form');
  var label = el('label', 'vty-sr', { 'for': uid + '-input' });
  var input = el('textarea', 'vty-input', { id: uid + '-input', rows: '1', maxlength: '2000' });
  var send = el('button', 'vty-send', { type: 'submit' });
  form.appendChild(label);
  form.appendChild(input);
  form.appendChild(send);
  panel.appendChild(head);
  panel.appendChild(banner);
  panel.appendChild(log);
  panel.appendChild(status);
  panel.appendChild(form);
  root.appendChild(panel);
  root.appendChild(launcher);
  (document.body || document.documentElement).appendChild(root);

  // The interface's words, in the conversation's language (it follows the customer).
  function relabel() {
    panel.setAttribute('lang', lang);
    launcherText.textContent = T.launcher;
    h2.textContent = data.title || T.title;
    closer.setAttribute('aria-label', T.close);
    log.setAttribute('aria-label', T.log);
    label.textContent = T.input;
    input.setAttribute('placeholder', T.placeholder);
    send.textContent = T.send;
    banner.textContent = T.takenOver;
    var tracks = log.querySelectorAll('.vty-track');
    for (var t = 0; t < tracks.length; t++) labelTrack(tracks[t]);
    var who = log.querySelectorAll('.vty-msg');
    for (var i = 0; i < who.length; i++) {
      var w = who[i].querySelector('.vty-who');
      if (w) w.textContent = whoOf(who[i].getAttribute('data-role')) + ': ';
    }
    showUnread();
  }
  function setLang(l) {
    var next = /^de/i.test(l || '') ? 'de' : /^en/i.test(l || '') ? 'en' : null;
    if (!next || next === lang) return;
    lang = next;
    T = TEXTS[lang];
    relabel();
  }
  function whoOf(role) { return role === 'customer' ? T.you : role === 'staff' ? T.staff : T.bot; }

  // The log follows new messages; a message taller than the log is shown from its start.
  function reveal(node) {
    if (node && node.offsetHeight > log.clientHeight - 16) log.scrollTop = node.offsetTop - 8;
    else log.scrollTop = log.scrollHeight;
  }
  function scrollDown() { log.scrollTop = log.scrollHeight; }

  function clock(at) {
    var d = at ? new Date(at) : new Date();
    if (isNaN(d.getTime())) d = new Date();
    var t = el('time', 'vty-time', { datetime: d.toISOString() });
    try { t.textContent = d.toLocaleTimeString(T.locale, { hour: '2-digit', minute: '2-digit' }); }
    catch (e) { t.textContent = d.toISOString().slice(11, 16); }
    return t;
  }

  // Messages stand in the order of their numbers; the customer's own messages not yet
  // stored (no number yet) and a reply being written stay last.
  function place(node, seq) {
    if (seq != null) {
      for (var c = log.firstElementChild; c; c = c.nextElementSibling) {
        var s = c.getAttribute('data-seq');
        if (c === typing || c.hasAttribute('data-pending') || c.hasAttribute('data-streaming') || (s && +s > seq)) {
          log.insertBefore(node, c);
          return;
        }
      }
    } else if (typing && typing.parentNode === log) {
      log.insertBefore(node, typing);
      return;
    }
    log.appendChild(node);
  }

  function addMessage(role, text, o) {
    o = o || {};
    var m = el('div', 'vty-msg vty-' + role, { 'data-role': role });
    if (o.seq != null) m.setAttribute('data-seq', String(o.seq));
    if (o.pending) m.setAttribute('data-pending', '');
    var w = el('span', role === 'staff' ? 'vty-who' : 'vty-who vty-sr');
    w.textContent = whoOf(role) + ': ';
    var body = el('span', 'vty-text');
    body.textContent = text;
    m.appendChild(w);
    m.appendChild(body);
    m.appendChild(clock(o.at));
    place(m, o.seq);
    reveal(m);
    return body;
  }

  // Links to the carrier's tracking page, below the reply that looked at the shipment;
  // they open in a new tab, without giving the carrier's page a hold on this one.
  function labelTrack(a) {
    a.textContent = T.track.replace('{n}', a.getAttribute('data-n')).replace('{c}', a.getAttribute('data-c'));
    var hint = el('span', 'vty-sr');
    hint.textContent = ' ' + T.newTab;
    a.appendChild(hint);
  }
  function addLinks(msg, links) {
    if (!msg || !links || !links.length || msg.querySelector('.vty-links')) return;
    var box = el('div', 'vty-links');
    links.forEach(function (l) {
      if (!/^https:\/\//.test(l.url || '')) return;
      var a = el('a', 'vty-track', { href: l.url, target: '_blank', rel: 'noopener noreferrer',
        'data-n': l.tracking_number, 'data-c': l.carrier });
      labelTrack(a);
      box.appendChild(a);
    });
    if (box.firstChild) msg.appendChild(box);
  }
  // A reply that just arrived looked at shipments: its links come with its transcript entry.
  function fetchLinks(seq) {
    if (!session || seq == null) return;
    call('GET', transcriptPath(seq - 1)).then(function (res) { return res.json(); }).then(function (j) {
      (j.messages || []).forEach(function (m) {
        if (m.links) addLinks(log.querySelector('.vty-msg[data-seq="' + m.seq + '"]'), m.links);
      });
    }).catch(function () { /* the links are a help, not the answer */ });
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
    // Below a reply shown from its start, the buttons wait until it is read.
    var prev = group.previousElementSibling;
    if (!prev || prev.offsetHeight + group.offsetHeight <= log.clientHeight - 16) scrollDown();
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

  // New messages while the panel is closed: a badge on the launcher.
  function showUnread() {
    badge.hidden = unread === 0;
    badge.textContent = unread > 9 ? '9+' : String(unread);
    badgeText.textContent = unread ? ' (' + fill(T.unread, { n: unread }) + ')' : '';
  }

  // Grows with its text, up to the height the stylesheet allows.
  function grow() {
    input.style.height = 'auto';
    input.style.height = input.scrollHeight + 2 + 'px';
  }
  input.addEventListener('input', grow);

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
        var kind = res.status === 401 || res.status === 404 ? 'lost' : res.status === 403 ? 'refused' : 'client';
        throw new Failure(kind, msg);
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
    startedAt = Date.now();
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
        stopListening();
        session = null;
        saveSession();
        seen = {};
        tasks.length = 0;
        syncQueued = false;
        log.textContent = '';
        enqueue(createSession);
      } else if (f.kind === 'client' || f.kind === 'refused') {
        tasks.shift();
        notice(fill(T.failed, { m: f.message }));
        runNext();
      } else if (f.kind === 'rate') {
        waitThenRetry(f.wait, T.rate);
      } else {
        failures++;
        var back = onlineAt >= startedAt;
        waitThenRetry(back ? 0 : Math.min(30, Math.pow(2, failures)), T.down);
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
  window.addEventListener('online', function () {
    onlineAt = Date.now();
    if (retryTimer) retryNow();
  });

  // ---- conversation ----
  function setCursor(seq) {
    if (!session || typeof seq !== 'number' || seq <= (session.seq || 0)) return;
    session.seq = seq;
    for (var k in seen) if (+k <= seq) delete seen[k];
    saveSession();
  }

  // One takeover notice, while a person answers; gone when the bot answers again.
  function setFlags(takenOver, handoff) {
    flags.takenOver = !!takenOver;
    flags.handoff = !!handoff;
    banner.hidden = !flags.takenOver;
  }

  function createSession() {
    var body = orderLink ? { language: lang, order_link: orderLink } : { language: lang };
    return call('POST', '/api/v1/chat/sessions', body).then(function (res) {
      return res.json();
    }, function (f) {
      // The order link expired meanwhile: an ordinary chat, which asks to verify.
      if (f.kind !== 'refused' || !orderLink) throw f;
      orderLink = null;
      return call('POST', '/api/v1/chat/sessions', { language: lang }).then(function (res) { return res.json(); });
    }).then(function (j) {
      session = { id: j.session_id, token: j.token, seq: 0 };
      saveSession();
      setLang(j.language);
      (j.messages || []).forEach(showReply);
      (j.messages || []).forEach(function (m) { setCursor(m.seq); });
      listen();
    });
  }

  function transcriptPath(after) {
    return '/api/v1/chat/sessions/' + encodeURIComponent(session.id) + '/messages' + (after ? '?after=' + after : '');
  }

  // Shows the messages of a transcript past the cursor, each once, in order: the
  // customer's own (shown as sent) get their numbers, everyone else's are added.
  var labels = {};
  function apply(j, counting) {
    var cursor = session.seq || 0;
    var list = j.messages || [];
    var added = 0;
    var lastShown = null;
    list.forEach(function (m) {
      if (m.seq <= cursor) return;
      if (m.role === 'customer') {
        var mine = log.querySelector('[data-pending]');
        if (mine) {
          mine.removeAttribute('data-pending');
          mine.setAttribute('data-seq', String(m.seq));
        } else {
          var text = m.text || labels[m.action] || m.action;
          if (text) addMessage('customer', text, { seq: m.seq, at: m.created_at });
        }
        lastShown = null;
      } else if (!seen[m.seq]) {
        if (m.text) { addLinks(addMessage(m.role, m.text, { seq: m.seq, at: m.created_at }).parentNode, m.links); added++; }
        lastShown = m;
      }
      labels = {};
      (m.actions || []).forEach(function (a) { labels[a.id] = a.label; });
    });
    var last = list[list.length - 1];
    if (lastShown && lastShown === last) addActions(last.actions);
    if (last) setCursor(last.seq);
    if (counting !== false && added && panel.hidden) { unread += added; showUnread(); }
    setLang(j.language);
    setFlags(j.taken_over, j.handoff);
  }

  // The whole history (after a reload): what came since the last visit counts as unread.
  function loadHistory() {
    return call('GET', transcriptPath(0)).then(function (res) { return res.json(); }).then(function (j) {
      log.textContent = '';
      var before = session.seq || 0;
      session.seq = 0;
      seen = {};
      apply(j, false);
      if (panel.hidden) {
        unread = (j.messages || []).filter(function (m) { return m.seq > before && m.role !== 'customer' && m.text; }).length;
        showUnread();
      }
      listen();
    });
  }

  // Every message past the cursor.
  function sync() {
    return call('GET', transcriptPath(session.seq || 0)).then(function (res) { return res.json(); }).then(apply);
  }
  function requestSync() {
    if (syncQueued || !session) return;
    syncQueued = true;
    enqueue(function () { syncQueued = false; return sync(); });
  }

  function showReply(r) {
    var node;
    if (stream) {
      stream.textContent = r.text;
      node = stream.parentNode;
      node.removeAttribute('data-streaming');
      stream = null;
      if (r.seq != null) node.setAttribute('data-seq', String(r.seq));
      reveal(node);
    } else {
      node = addMessage('bot', r.text, { seq: r.seq }).parentNode;
    }
    if (r.seq != null) seen[r.seq] = true;
    if (r.tools && r.tools.length) fetchLinks(r.seq);
    if (panel.hidden) { unread++; showUnread(); }
    addActions(r.actions);
    setLang(r.language);
    setFlags(r.taken_over, r.handoff);
  }

  function dropStream() {
    if (stream) { var m = stream.parentNode; m.parentNode.removeChild(m); stream = null; }
    log.removeAttribute('aria-busy');
  }

  // ---- live: the conversation's event stream (or polling where it cannot be read) ----
  function listen() {
    if (!session || live.ctrl || live.timer) return;
    if (!window.AbortController || !window.ReadableStream || !window.TextDecoder) {
      if (!live.poll) live.poll = setInterval(requestSync, 5000);
      return;
    }
    var ctrl = new AbortController();
    live.ctrl = ctrl;
    fetch(server + '/api/v1/chat/sessions/' + encodeURIComponent(session.id) + '/events', {
      headers: { Accept: 'text/event-stream', Authorization: 'Bearer ' + session.token },
      cache: 'no-store', signal: ctrl.signal
    }).then(function (res) {
      if (!res.ok) throw new Failure(res.status === 401 || res.status === 404 ? 'lost' : 'down');
      live.failures = 0;
      return readEvents(res, function (ev, d) {
        if (ev !== 'state' || live.ctrl !== ctrl) return;
        var s;
        try { s = JSON.parse(d); } catch (e) { return; }
        setFlags(s.taken_over, s.handoff);
        if (s.seq > (session.seq || 0)) requestSync();
      });
    }).then(function () { relisten(ctrl, 0); }, function (f) {
      // A lost session shows when the next request fails; the queue starts anew then.
      if (f && f.kind === 'lost') { if (live.ctrl === ctrl) live.ctrl = null; requestSync(); return; }
      relisten(ctrl, ++live.failures);
    });
  }
  function relisten(ctrl, failed) {
    if (live.ctrl !== ctrl) return; // stopped on purpose
    live.ctrl = null;
    // While the stream is away, messages are looked for all the same.
    if (failed) requestSync();
    live.timer = setTimeout(function () { live.timer = null; listen(); }, Math.min(30, Math.pow(2, failed)) * 1000);
  }
  function stopListening() {
    var c = live.ctrl;
    live.ctrl = null;
    clearTimeout(live.timer);
    clearInterval(live.poll);
    live.timer = live.poll = null;
    if (c) try { c.abort(); } catch (e) { /* ignore */ }
  }

  function clientId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return (Date.now().toString(36) + Math.random().toString(36).slice(2, 12)).replace(/\./g, '');
  }

  function enqueueMessage(payload, shown) {
    retireActions();
    addMessage('customer', shown, { pending: true });
    payload.client_id = clientId(); // the same id on every retry: answered once
    enqueue(function () {
      showTyping(true);
      return call('POST', transcriptPath(0), payload, 'text/event-stream').then(function (res) {
        var type = res.headers.get('Content-Type') || '';
        if (type.indexOf('text/event-stream') < 0) {
          return res.json().then(function (j) { showTyping(false); if (j.reply) showReply(j.reply); return sync(); });
        }
        var end = null;
        return readEvents(res, function (ev, d) {
          if (ev === 'delta') {
            showTyping(false);
            if (!stream) {
              log.setAttribute('aria-busy', 'true');
              stream = addMessage('bot', '');
              stream.parentNode.setAttribute('data-streaming', '');
            }
            stream.textContent += d;
            reveal(stream.parentNode);
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
          // Whatever else was written meanwhile (staff, or the answer to a retry the
          // server had answered before), and this message's number.
          return sync();
        });
      });
    });
  }

  // ---- open, close, keyboard ----
  function start() {
    if (started) return;
    started = true;
    enqueue(session ? loadHistory : createSession);
  }
  function open(focus) {
    panel.hidden = false;
    launcher.hidden = true;
    launcher.setAttribute('aria-expanded', 'true');
    root.classList.add('vty-open');
    rememberOpen(true);
    unread = 0;
    showUnread();
    start();
    modal();
    scrollDown();
    if (focus !== false) input.focus();
  }
  function close() {
    panel.hidden = true;
    launcher.hidden = false;
    launcher.setAttribute('aria-expanded', 'false');
    root.classList.remove('vty-open');
    rememberOpen(false);
    modal();
    launcher.focus();
  }
  // Full screen (a phone): a modal dialog that keeps the focus; beside the page: not.
  var phone = window.matchMedia ? window.matchMedia('(max-width: 30rem)') : null;
  function fullScreen() { return !panel.hidden && !!phone && phone.matches; }
  function modal() {
    if (fullScreen()) panel.setAttribute('aria-modal', 'true');
    else panel.removeAttribute('aria-modal');
  }
  if (phone && phone.addEventListener) phone.addEventListener('change', modal);
  function focusables() {
    return Array.prototype.filter.call(
      panel.querySelectorAll('button, textarea, [tabindex="0"], a[href]'),
      function (e) { return !e.disabled && e.offsetParent !== null; });
  }
  launcher.addEventListener('click', function () { open(); });
  closer.addEventListener('click', close);
  panel.addEventListener('keydown', function (e) {
    if (e.key === 'Escape') { e.preventDefault(); close(); return; }
    if (e.key === 'Tab' && fullScreen()) {
      var f = focusables();
      if (!f.length) return;
      var first = f[0], last = f[f.length - 1];
      if (e.shiftKey && document.activeElement === first) { e.preventDefault(); last.focus(); }
      else if (!e.shiftKey && document.activeElement === last) { e.preventDefault(); first.focus(); }
    }
  });
  input.addEventListener('keydown', function (e) {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); submit(); }
  });
  form.addEventListener('submit', function (e) { e.preventDefault(); submit(); });
  function submit() {
    var text = input.value.trim();
    if (!text) return;
    input.value = '';
    grow();
    enqueueMessage({ text: text }, text);
    input.focus();
  }

  relabel();
  // A returning customer: the conversation is followed (a badge counts what arrives
  // while the panel is closed), and a panel left open is open again.
  if (session) start();
  // `data-open` (the order page): opens beside the page unless closed before; on a
  // phone, where it would cover the page, the launcher counts what is new.
  var was = openState();
  if (was === '1') open(false);
  else if (data.open !== undefined && was !== '0') {
    if (phone && phone.matches) start();
    else open(false);
  }

  window.VerityWidget = { open: open, close: close };
})();
