// Mektep's NCALayer client: asks the NCALayer desktop program (wss://127.0.0.1:13579/) to sign
// data with the person's key. Shared by sign-in, application signing and staff documents.
// Current API: kz.gov.pki.knca.basics / sign; falls back to the older commonUtils API.
(function () {
  'use strict';
  var URL = 'wss://127.0.0.1:13579/';

  function NcaError(kind, detail) {
    this.kind = kind; // 'unavailable' | 'cancelled' | 'failed'
    this.detail = detail || '';
  }

  function connect() {
    return new Promise(function (resolve, reject) {
      var ws;
      try { ws = new WebSocket(URL); } catch (e) { reject(new NcaError('unavailable', String(e))); return; }
      var opened = false;
      var timer = setTimeout(function () { if (!opened) { try { ws.close(); } catch (e) {} reject(new NcaError('unavailable', 'timeout')); } }, 5000);
      ws.onerror = function () { if (!opened) { clearTimeout(timer); reject(new NcaError('unavailable', 'connect')); } };
      // NCALayer greets with {"result":{"version":…}} before it takes requests.
      ws.onmessage = function (ev) {
        if (opened) return;
        opened = true;
        clearTimeout(timer);
        ws.onmessage = null;
        resolve(ws);
      };
    });
  }

  function call(ws, request) {
    return new Promise(function (resolve, reject) {
      ws.onmessage = function (ev) {
        try { resolve(JSON.parse(ev.data)); } catch (e) { reject(new NcaError('failed', 'bad answer')); }
      };
      ws.onclose = function () { reject(new NcaError('unavailable', 'closed')); };
      ws.send(JSON.stringify(request));
    });
  }

  // purpose: 'login' (AUTH key) or 'sign' (SIGN key).
  function signBase64(base64Data, purpose, locale) {
    return connect().then(function (ws) {
      var eku = purpose === 'login' ? ['1.3.6.1.5.5.7.3.2'] : [];
      return call(ws, {
        module: 'kz.gov.pki.knca.basics',
        method: 'sign',
        args: {
          allowedStorages: null,
          format: 'cms',
          data: base64Data,
          signingParams: { decode: true, encapsulate: true, digested: false, tsaProfile: null },
          signerParams: { extKeyUsageOids: eku, chain: [] },
          locale: locale || 'kk'
        }
      }).then(function (answer) {
        if (answer && answer.status === true) {
          var result = answer.body && answer.body.result;
          if (Array.isArray(result)) result = result[0];
          if (!result) throw new NcaError('cancelled');
          return result;
        }
        // An NCALayer without the basics module answers with an error code: try commonUtils.
        if (answer && (answer.code === 'MODULE_NOT_FOUND' || answer.code === 'NOT_FOUND' || answer.code === '404')) {
          return call(ws, {
            module: 'kz.gov.pki.knca.commonUtils',
            method: 'createCMSSignatureFromBase64',
            args: ['PKCS12', purpose === 'login' ? 'AUTHENTICATION' : 'SIGNATURE', base64Data, true]
          }).then(function (old) {
            if (old && old.code === '200' && old.responseObject) return old.responseObject;
            if (old && old.message === 'action.canceled') throw new NcaError('cancelled');
            throw new NcaError('failed', (old && old.message) || 'error');
          });
        }
        throw new NcaError('failed', (answer && (answer.message || answer.code)) || 'error');
      }).then(function (cms) {
        try { ws.close(); } catch (e) {}
        return cms;
      }, function (err) {
        try { ws.close(); } catch (e) {}
        throw err;
      });
    });
  }

  window.MektepNCALayer = { signBase64: signBase64, NcaError: NcaError };
})();
