// Offline certificate checker of landuse (written for landuse; no third-party code).
// Checks a certificate's QR text "LUC1.<record>.<signature>" against the district
// public keys embedded in this page, with the browser's own WebCrypto (ECDSA P-256,
// SHA-256, signature as raw r||s). No network request is ever made.
// Every value from the QR is shown with textContent, never parsed as HTML.
"use strict";
(function () {
  const doc = document;
  const KEYS = JSON.parse(doc.getElementById("lu-keys").textContent);
  const TEXT = JSON.parse(doc.getElementById("lu-text").textContent);
  const $ = (id) => doc.getElementById(id);

  function bytesFromB64url(s, what) {
    if (typeof s !== "string" || !/^[A-Za-z0-9_-]*$/.test(s) || s.length % 4 === 1) {
      throw new Malformed(what + " is not base64url");
    }
    let b = s.replace(/-/g, "+").replace(/_/g, "/");
    while (b.length % 4) b += "=";
    const bin = atob(b);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  function bytesFromB64(s) {
    const bin = atob(s);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  class Malformed extends Error {}

  function parseRecord(bytes) {
    let text, rec;
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
      rec = JSON.parse(text);
    } catch (e) {
      throw new Malformed("the record is not UTF-8 JSON");
    }
    if (rec === null || typeof rec !== "object" || Array.isArray(rec)) throw new Malformed("the record is not an object");
    if (rec.v !== 1) throw new Malformed("unknown record version " + JSON.stringify(rec.v));
    return rec;
  }

  const keyCache = new Map();
  function publicKey(entry) {
    if (!keyCache.has(entry.key_id)) {
      keyCache.set(entry.key_id, crypto.subtle.importKey(
        "spki", bytesFromB64(entry.spki_der_b64), { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]));
    }
    return keyCache.get(entry.key_id);
  }

  // The check itself: returns {status: "valid"|"invalid"|"unsigned", reason, record, key}.
  async function check(raw) {
    const text = String(raw || "").trim();
    const parts = text.split(".");
    try {
      if (parts[0] === "LUD1" && parts.length === 2) {
        return { status: "unsigned", reason: "draft", record: parseRecord(bytesFromB64url(parts[1], "the record")) };
      }
      if (parts[0] !== "LUC1" || parts.length !== 3) {
        throw new Malformed("the text does not start with LUC1. or has the wrong number of parts");
      }
      const body = bytesFromB64url(parts[1], "the record");
      const sig = bytesFromB64url(parts[2], "the signature");
      const record = parseRecord(body);
      if (sig.length !== 64) throw new Malformed("the signature is not 64 bytes");
      const entry = KEYS.find((k) => k.key_id === record.k);
      if (!entry) return { status: "invalid", reason: "unknown_key", record: record };
      const ok = await crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, await publicKey(entry), sig, body);
      return ok ? { status: "valid", reason: "ok", record: record, key: entry }
                : { status: "invalid", reason: "bad_signature", record: record };
    } catch (e) {
      if (e instanceof Malformed) return { status: "invalid", reason: "malformed", detail: e.message };
      return { status: "invalid", reason: "malformed", detail: String(e && e.message || e) };
    }
  }

  function el(tag, cls, text) {
    const n = doc.createElement(tag);
    if (cls) n.className = cls;
    if (text !== undefined) n.textContent = text;
    return n;
  }

  function str(v) {
    return typeof v === "string" ? v : (v === undefined || v === null ? "" : JSON.stringify(v));
  }

  function fieldRows(rec, key) {
    const L = TEXT.fields;
    const holders = Array.isArray(rec.h)
      ? rec.h.map((p) => Array.isArray(p) ? p.map(str).filter((x) => x).join(" / ") : str(p)).join("\n")
      : str(rec.h);
    const lt = TEXT.land_types[rec.lt];
    const village = [str(rec.vn), str(rec.vil)].filter((x) => x).join(" · ");
    const rows = [
      ["holder", holders],
      ["certificate_no", str(rec.no)],
      ["parcel", str(rec.pid)],
      ["village", village],
      ["district", str(rec.dis)],
      ["household", str(rec.hid)],
      ["land_type", lt ? lt.lo + " / " + lt.en : str(rec.lt)],
      ["area", str(rec.a) ? str(rec.a) + " " + TEXT.ha : ""],
      ["issue_date", str(rec.iss)],
      ["valid_until", str(rec.exp)],
      ["geometry", str(rec.g)],
      ["key", key ? str(key.label) + " (" + str(rec.k) + ")" : str(rec.k)],
    ];
    return rows.map(([k, v]) => {
      const tr = el("tr");
      tr.dataset.field = k;
      const th = el("th");
      th.append(el("span", "lo", L[k].lo), doc.createTextNode(" "), el("span", "en", L[k].en));
      tr.append(th, el("td", null, v));
      return tr;
    });
  }

  function show(res) {
    const out = $("lu-result");
    out.replaceChildren();
    const S = TEXT.status[res.status];
    const box = el("div", "status " + res.status);
    box.append(el("span", "lo", S.lo), doc.createTextNode(" · "), el("span", "en-s", S.en));
    const R = TEXT.reasons[res.reason];
    if (R) {
      let en = R.en;
      if (res.reason === "unknown_key") en += " (" + str(res.record.k) + ")";
      if (res.detail) en += ": " + res.detail;
      box.append(el("span", "reason", R.lo + " · " + en));
    }
    out.append(box);
    if (res.record) {
      const C = TEXT.captions[res.status];
      out.append(el("p", "caption", C.lo + " · " + C.en));
      const table = el("table", res.status === "invalid" ? "untrusted" : "");
      const tbody = el("tbody");
      tbody.append(...fieldRows(res.record, res.key));
      table.append(tbody);
      out.append(table);
    }
    out.dataset.status = res.status;
    out.dataset.reason = res.reason;
  }

  async function run(text) {
    $("lu-result").dataset.status = "";
    $("lu-payload").value = text;
    show(await check(text));
  }

  // -- QR reading with the browser's own BarcodeDetector (e.g. Chrome on Android) --
  let detector = null;
  let stream = null;

  function stopCamera() {
    if (stream) stream.getTracks().forEach((t) => t.stop());
    stream = null;
    $("lu-video").hidden = true;
  }

  async function fromImage(file) {
    const bitmap = await createImageBitmap(file);
    const codes = await detector.detect(bitmap);
    const qr = codes.find((c) => typeof c.rawValue === "string" && c.rawValue);
    if (qr) return run(qr.rawValue);
    show({ status: "invalid", reason: "no_qr" });
  }

  async function scanCamera() {
    const video = $("lu-video");
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
    } catch (e) {
      show({ status: "invalid", reason: "no_camera", detail: String(e && e.name || e) });
      return;
    }
    video.srcObject = stream;
    video.hidden = false;
    await video.play();
    const tick = async () => {
      if (!stream) return;
      try {
        const codes = await detector.detect(video);
        const qr = codes.find((c) => typeof c.rawValue === "string" && c.rawValue);
        if (qr) { stopCamera(); await run(qr.rawValue); return; }
      } catch (e) { /* frame not ready yet */ }
      setTimeout(tick, 250);
    };
    tick();
  }

  async function setUpScanner() {
    let ok = false;
    if ("BarcodeDetector" in window) {
      try {
        const formats = await window.BarcodeDetector.getSupportedFormats();
        ok = formats.includes("qr_code");
      } catch (e) { ok = false; }
    }
    if (ok) {
      detector = new window.BarcodeDetector({ formats: ["qr_code"] });
      $("lu-scan").hidden = !(navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
      $("lu-file-label").hidden = false;
      $("lu-noscan").hidden = true;
    } else {
      $("lu-scan").hidden = true;
      $("lu-file-label").hidden = true;
      $("lu-noscan").hidden = false;
    }
    doc.body.dataset.scanner = ok ? "barcode-detector" : "paste-only";
  }

  $("lu-check").addEventListener("click", () => run($("lu-payload").value));
  $("lu-scan").addEventListener("click", () => { stopCamera(); scanCamera(); });
  $("lu-file").addEventListener("change", (ev) => {
    const f = ev.target.files && ev.target.files[0];
    if (f) fromImage(f).catch((e) => show({ status: "invalid", reason: "no_qr", detail: String(e && e.message || e) }));
    ev.target.value = "";
  });
  window.landuseVerifier = { check: check, run: run };
  setUpScanner().finally(() => { doc.body.dataset.ready = "1"; });
})();
