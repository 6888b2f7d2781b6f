/**
 * The dashboard's only script (served as /ui/assets/app.<hash>.js, ~8.6 KB): live
 * charts on the overview, the upload search, thumbnails from local files on the
 * group view and the confirmation of admin actions. Plain ES2020 for the
 * browser, kept as text because the TypeScript program has no DOM types; the
 * browser tests (test/http/ui/dashboard.test.ts) run every part of it.
 * Every API call goes to /ui/api/... (same origin, the session cookie, the
 * X-Featcache-UI header); no key ever reaches this script.
 */
export const CLIENT_SCRIPT = String.raw`'use strict';
(function () {
  var N = 150; // samples kept per chart: 5 minutes at one every 2 s
  function $(s, r) { return (r || document).querySelector(s); }
  function all(s, r) { return Array.prototype.slice.call((r || document).querySelectorAll(s)); }
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  function api(path, init) {
    init = init || {};
    init.headers = { 'x-featcache-ui': '1' };
    init.credentials = 'same-origin';
    return fetch('/ui/api' + path, init).then(function (r) {
      var ct = r.headers.get('content-type') || '';
      var done = function (k) { return function (v) { var o = { status: r.status, ok: r.ok }; o[k] = v; return o; }; };
      if (r.status === 401) { location.assign('/ui/login'); }
      if (ct.indexOf('json') >= 0) return r.json().then(done('body'));
      if (ct.indexOf('text/') === 0) return r.text().then(done('text'));
      return r.blob().then(done('blob'));
    });
  }
  function errText(res) {
    var e = res.body && res.body.error;
    return res.status + ' ' + (e ? e.code + ': ' + e.message : 'request failed');
  }
  function fmt(v) { return Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(1); }

  function overview() {
    if (!$('[data-poll]')) return;
    var series = {};
    var last = null;
    function push(id, v) {
      if (typeof v !== 'number' || !isFinite(v)) return;
      var s = series[id] || (series[id] = []);
      s.push(v);
      if (s.length > N) s.shift();
      var fig = $('[data-chart="' + id + '"]');
      var max = Math.max.apply(null, s), min = Math.min.apply(null, s.concat([0]));
      var span = max - min || 1;
      var pts = s.map(function (x, i) { return (i * 300 / (N - 1)).toFixed(1) + ',' + (78 - (x - min) / span * 74).toFixed(1); });
      $('polyline', fig).setAttribute('points', pts.join(' '));
      $('[data-now="' + id + '"]').textContent = fmt(v) + ' ' + fig.getAttribute('data-unit');
    }
    function tick() {
      Promise.all([api('/analysis/cache/stats'), api('/analysis/cache/health'), api('/metrics')]).then(function (rs) {
        var st = rs[0].body && rs[0].body.stats, h = rs[1].body, now = performance.now();
        if (st) {
          push('hit_rate', st.hit_rate * 100);
          push('cached', st.cached_images);
          push('extracted', st.extracted_images || 0);
          if (last) push('ops', (st.cache_operations - last.ops) / ((now - last.at) / 1000));
          last = { ops: st.cache_operations, at: now };
          all('[data-stat]').forEach(function (d) {
            var k = d.getAttribute('data-stat'), v = st[k] || 0;
            d.textContent = k === 'hit_rate' ? (v * 100).toFixed(1) + ' %' : String(v);
          });
        }
        if (h && typeof h.used_memory === 'number') push('memory', h.used_memory / 1e6);
        var m = rs[2].text && /^process_resident_memory_bytes (\S+)$/m.exec(rs[2].text);
        if (m) push('rss', Number(m[1]) / 1e6);
      }).catch(function () {}).then(function () { setTimeout(tick, 2000); });
    }
    tick();
  }

  function verifiedCard(name, v, picture) {
    var card = el('div', null, 'card match');
    card.appendChild(el('h3', name));
    card.appendChild(el('p', v.verdict, 'verdict'));
    var t = v.transform;
    card.appendChild(el('p', v.inliers + ' inliers of ' + v.matches + ' matches' +
      (t ? '; scale ' + t.scale.toFixed(2) + ', rotation ' + t.rotation_deg.toFixed(0) + '°' + (t.mirrored ? ', mirrored' : '') : '')));
    var ul = el('ul');
    (v.reasons || []).forEach(function (r) { ul.appendChild(el('li', r)); });
    card.appendChild(ul);
    if (picture) {
      var img = el('img');
      img.alt = 'matches between the upload and ' + name;
      img.src = URL.createObjectURL(picture);
      card.appendChild(img);
    }
    return card;
  }

  function upload() {
    var form = $('#upload-form');
    if (!form) return;
    var status = $('#upload-status');
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      var file = form.elements.image.files[0];
      if (!file) return;
      var others = Array.prototype.slice.call(form.elements.others.files);
      status.textContent = 'Searching…';
      var fx = new FormData();
      fx.set('image', file);
      var features = api('/extract', { method: 'POST', body: fx }).then(function (res) {
        var sec = $('#upload-features');
        sec.hidden = false;
        if (res.ok) $('[data-slot=features]', sec).innerHTML = res.text;
        else $('[data-slot=features]', sec).textContent = errText(res);
      });
      var fs = new FormData();
      fs.set('image', file);
      fs.set('max_distance', form.elements.max_distance.value);
      fs.set('orientations', 'all');
      var similar = api('/analysis/similar', { method: 'POST', body: fs }).then(function (res) {
        var sec = $('#upload-similar'), body = $('[data-slot=neighbors]', sec);
        sec.hidden = false;
        body.textContent = '';
        if (!res.ok) { body.appendChild(el('tr')).appendChild(el('td', errText(res), 'error')); return; }
        if (res.body.neighbors.length === 0) body.appendChild(el('tr')).appendChild(el('td', 'No near-duplicate within distance ' + res.body.max_distance + '.'));
        res.body.neighbors.forEach(function (n) {
          var tr = el('tr', null, 'neighbor'), a = el('a', n.image_id);
          a.href = '/ui/image?source=extracted&id=' + encodeURIComponent(n.image_id);
          tr.appendChild(el('td')).appendChild(a);
          tr.appendChild(el('td', n.distance));
          tr.appendChild(el('td', n.orientation || 'identity'));
          body.appendChild(tr);
        });
      });
      var verified = others.reduce(function (prev, other) {
        return prev.then(function () {
          var fv = new FormData();
          fv.set('image_a', file);
          fv.set('image_b', other);
          return api('/analysis/verify', { method: 'POST', body: fv }).then(function (res) {
            var sec = $('#upload-verified'), slot = $('[data-slot=verified]', sec);
            sec.hidden = false;
            if (!res.ok) { slot.appendChild(el('p', other.name + ': ' + errText(res), 'error')); return; }
            if (res.body.verdict === 'unrelated') { slot.appendChild(verifiedCard(other.name, res.body)); return; }
            fv.set('render', 'png');
            return api('/analysis/verify', { method: 'POST', body: fv }).then(function (pic) {
              slot.appendChild(verifiedCard(other.name, res.body, pic.ok ? pic.blob : undefined));
            });
          });
        });
      }, Promise.resolve());
      $('[data-slot=verified]').textContent = '';
      Promise.all([features, similar, verified]).then(function () { status.textContent = 'Done.'; }, function (e) { status.textContent = String(e); });
    });
  }

  function thumbs() {
    var input = $('#thumbs');
    if (!input) return;
    input.addEventListener('change', function () {
      Array.prototype.forEach.call(input.files, function (f) {
        all('[data-image-id]').forEach(function (fig) {
          if (fig.getAttribute('data-image-id') !== f.name) return;
          var img = $('img', fig);
          img.src = URL.createObjectURL(f);
          img.alt = f.name;
          img.hidden = false;
        });
      });
    });
  }

  function admin() {
    var dlg = $('#confirm');
    if (!dlg) return;
    var out = $('#admin-result');
    all('form[data-action]').forEach(function (form) {
      form.addEventListener('submit', function (ev) {
        ev.preventDefault();
        var path = form.getAttribute('data-action').slice('/ui/api'.length), msg = form.getAttribute('data-confirm');
        all('input', form).forEach(function (i) {
          path = path.replace('{' + i.name + '}', encodeURIComponent(i.value));
          msg = msg.replace('{' + i.name + '}', i.value);
        });
        $('[data-slot=message]', dlg).textContent = msg;
        dlg.returnValue = '';
        dlg.onclose = function () {
          if (dlg.returnValue !== 'ok') { out.textContent = 'Cancelled: nothing was sent.'; out.className = ''; return; }
          out.textContent = 'Running…';
          api(path, { method: form.getAttribute('data-method') }).then(function (res) {
            out.textContent = res.ok ? (res.body.message || 'Done.') : errText(res);
            out.className = res.ok ? 'ok' : 'error';
          });
        };
        dlg.showModal();
      });
    });
  }

  overview();
  upload();
  thumbs();
  admin();
})();
`;
