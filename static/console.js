/*! Verity console, live: follows /console/events (server-sent events) and, when
 *  something changed, reads the page again and puts in what is new: rows of the
 *  conversation list, messages of the open conversation, the case tables (not while
 *  staff are typing in them). Shows the unread count and, once allowed on a click,
 *  a browser notification for each customer who starts waiting for a person.
 *  Keyboard: Alt+Shift+N opens the next waiting conversation, Alt+Shift+T takes over,
 *  Alt+Shift+B hands back, Alt+Shift+R goes to the saved replies; Ctrl+Enter sends.
 *  A saved reply is inserted where the cursor is in the reply box (without a reload;
 *  without JavaScript the page comes back with it in the box). */
(function () {
  'use strict';
  var body = document.body;
  if (!body || !window.EventSource || !window.fetch || !window.DOMParser) return;
  var conversation = body.getAttribute('data-conversation') || '';
  var known = null;       // the conversations waiting for a person, as last seen
  var last = null;        // the last pulse, as text
  var busy = false, again = false;

  // ---- the unread count ----
  var unread = document.getElementById('unread');
  var baseTitle = document.title;
  function setUnread(n) {
    if (!unread) return;
    unread.hidden = !n;
    unread.querySelector('.count').textContent = String(n);
    document.title = (n ? '(' + n + ') ' : '') + baseTitle;
  }

  // ---- notifications: asked for on a click, never by themselves ----
  var ask = document.getElementById('notify-on');
  function showAsk() {
    if (ask) ask.hidden = !('Notification' in window) || Notification.permission !== 'default';
  }
  if (ask) ask.addEventListener('click', function () {
    var done = function () { showAsk(); };
    var p = Notification.requestPermission(done);
    if (p && p.then) p.then(done);
  });
  showAsk();
  function notify(id) {
    if (!('Notification' in window) || Notification.permission !== 'granted') return;
    try {
      var n = new Notification(body.getAttribute('data-notify-title') || 'Verity', {
        body: body.getAttribute('data-notify-body') || '', tag: 'verity-waiting-' + id
      });
      n.onclick = function () { window.focus(); location.href = '/console/conversations/' + encodeURIComponent(id); };
    } catch (e) { /* notifications unavailable here */ }
  }

  // ---- the page's live parts ----
  // data-live="rows": the children are replaced; data-live="append": children with a
  // data-seq not shown yet are added at the end. A part the focus is in is left alone.
  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    fetch(location.href, { credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'text/html' } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) return;
        var doc = new DOMParser().parseFromString(html, 'text/html');
        var parts = document.querySelectorAll('[data-live]');
        for (var i = 0; i < parts.length; i++) {
          var old = parts[i];
          var fresh = old.id && doc.getElementById(old.id);
          if (!fresh) continue;
          if (old.getAttribute('data-live') === 'append') {
            var have = {};
            old.querySelectorAll('[data-seq]').forEach(function (e) { have[e.getAttribute('data-seq')] = true; });
            Array.prototype.slice.call(fresh.children).forEach(function (c) {
              if (c.hasAttribute('data-seq') && !have[c.getAttribute('data-seq')]) {
                var node = document.importNode(c, true);
                node.classList.add('fresh');
                old.appendChild(node);
              }
            });
          } else if (!old.contains(document.activeElement) && old.innerHTML !== fresh.innerHTML) {
            old.innerHTML = fresh.innerHTML;
          }
        }
      })
      .catch(function () { /* the next pulse tries again */ })
      .then(function () { busy = false; if (again) { again = false; refresh(); } });
  }

  function onPulse(p) {
    setUnread(p.unread || 0);
    var waiting = p.waiting || [];
    if (known) waiting.forEach(function (id) { if (known.indexOf(id) < 0) notify(id); });
    known = waiting;
    var text = JSON.stringify(p);
    if (last !== null && text !== last) refresh();
    last = text;
  }

  var url = '/console/events' + (conversation ? '?conversation=' + encodeURIComponent(conversation) : '');
  var events = new EventSource(url);
  events.addEventListener('pulse', function (e) {
    try { onPulse(JSON.parse(e.data)); } catch (err) { /* a malformed event is skipped */ }
  });

  // ---- keyboard ----
  document.addEventListener('keydown', function (e) {
    if (!e.altKey || !e.shiftKey) return;
    var key = (e.key || '').toLowerCase();
    if (key === 'n' && known && known.length) {
      var next = known.filter(function (id) { return id !== conversation; })[0];
      if (next) { e.preventDefault(); location.href = '/console/conversations/' + encodeURIComponent(next); }
    } else if (key === 'r') {
      var pick = document.getElementById('saved-reply');
      if (pick) { e.preventDefault(); pick.focus(); }
    } else if (key === 't' || key === 'b') {
      var form = document.querySelector(key === 't' ? 'form.take-over' : 'form.hand-back');
      if (form) { e.preventDefault(); form.submit(); }
    }
  });
  var reply = document.querySelector('form.reply textarea');
  var saved = document.querySelector('form.saved-replies');
  if (saved && reply) saved.addEventListener('submit', function (e) {
    var option = saved.querySelector('select').selectedOptions[0];
    var text = option && option.getAttribute('data-text');
    if (text == null) return;
    e.preventDefault();
    var from = reply.selectionStart, to = reply.selectionEnd, value = reply.value;
    reply.value = value.slice(0, from) + text + value.slice(to);
    reply.focus();
    reply.selectionStart = reply.selectionEnd = from + text.length;
  });
  if (reply) reply.addEventListener('keydown', function (e) {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); reply.form.requestSubmit ? reply.form.requestSubmit() : reply.form.submit(); }
  });
})();
