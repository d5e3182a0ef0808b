// Progressive enhancement for Mektep's pages: EDS sign-in and signing through NCALayer, and
// upload progress. Every page works without it except the signing itself.
(function () {
  'use strict';
  function csrf() {
    var m = document.querySelector('meta[name="csrf-token"]');
    return m ? m.getAttribute('content') : '';
  }
  function postJson(url, body) {
    return fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'Accept': 'application/json', 'X-CSRF-Token': csrf() },
      body: JSON.stringify(body || {})
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) { j._ok = r.ok; return j; });
    });
  }
  function say(el, text) {
    if (!el) return;
    el.hidden = false;
    el.textContent = text;
  }
  function ncaMessage(box, err) {
    if (err && err.kind === 'unavailable') return box.dataset.msgNoNcalayer;
    if (err && err.kind === 'cancelled') return box.dataset.msgCancelled;
    return box.dataset.msgFailed;
  }

  // Sign-in: challenge -> NCALayer -> verify.
  var login = document.querySelector('[data-eds-login]');
  if (login) {
    var button = document.getElementById('eds-login-button');
    var status = document.getElementById('eds-status');
    button.hidden = false;
    button.addEventListener('click', function () {
      button.disabled = true;
      say(status, login.dataset.msgConnecting);
      postJson('/auth/challenge').then(function (c) {
        if (!c._ok) throw { server: c.message };
        return window.MektepNCALayer.signBase64(c.data, 'login', login.dataset.locale).then(function (cms) {
          say(status, login.dataset.msgVerifying);
          return postJson('/auth/login', { challenge_id: c.id, cms: cms });
        });
      }).then(function (r) {
        if (r._ok && r.redirect) { window.location.assign(r.redirect); return; }
        throw { server: r.message };
      }).catch(function (err) {
        say(status, err && err.server ? err.server : ncaMessage(login, err));
        button.disabled = false;
      });
    });
  }

  // Signing a document: the form holds the challenge; the script fills in the CMS and posts.
  var signForm = document.querySelector('form[data-eds-sign]');
  if (signForm) {
    var signButton = signForm.querySelector('[data-eds-sign-button]');
    var signStatus = document.getElementById('eds-status');
    if (signButton) {
      signButton.hidden = false;
      signButton.addEventListener('click', function () {
        signButton.disabled = true;
        say(signStatus, signForm.dataset.msgConnecting);
        window.MektepNCALayer.signBase64(signForm.dataset.content, 'sign', signForm.dataset.locale).then(function (cms) {
          signForm.querySelector('input[name="cms"]').value = cms;
          signForm.submit();
        }).catch(function (err) {
          say(signStatus, ncaMessage(signForm, err));
          signButton.disabled = false;
        });
      });
    }
  }

  // Upload with a progress bar; without script the form posts as usual.
  Array.prototype.forEach.call(document.querySelectorAll('form[data-upload]'), function (form) {
    form.addEventListener('submit', function (ev) {
      if (!window.XMLHttpRequest || !window.FormData) return;
      ev.preventDefault();
      var bar = form.querySelector('progress');
      var msg = form.querySelector('[data-upload-status]');
      var xhr = new XMLHttpRequest();
      xhr.open('POST', form.action);
      xhr.setRequestHeader('X-CSRF-Token', csrf());
      if (bar) { bar.hidden = false; bar.value = 0; }
      xhr.upload.onprogress = function (e) { if (bar && e.lengthComputable) bar.value = Math.round(100 * e.loaded / e.total); };
      xhr.onload = function () {
        if (xhr.status >= 200 && xhr.status < 400) { window.location.assign(xhr.responseURL || window.location.href); return; }
        // The server answers with the page that explains the error: show it.
        document.open(); document.write(xhr.responseText); document.close();
      };
      xhr.onerror = function () { if (msg) { msg.hidden = false; msg.textContent = form.dataset.msgNetwork; } };
      xhr.send(new FormData(form));
    });
  });

  // A screen showing a live queue reloads itself (WCAG 2.2.1: not with <meta refresh>, which
  // reloads under a person using the page): never while a control has the focus.
  var live = document.querySelector('[data-refresh-seconds]');
  if (live) {
    var seconds = Math.max(10, parseInt(live.getAttribute('data-refresh-seconds'), 10) || 20);
    setInterval(function () {
      var f = document.activeElement;
      if (!f || f === document.body || f.id === 'main') window.location.reload();
    }, seconds * 1000);
  }
})();
