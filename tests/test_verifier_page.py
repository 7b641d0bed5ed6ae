"""The offline certificate checker page in headless Chromium, network blocked.

The records are signed here with an encoder written for this test from the payload
spec (canonical JSON, base64url, DER signature -> raw r||s), independent of
``landuse``'s own signing code. Each scenario pastes a QR text, presses "Check" and
reads the result the page shows. Every request other than the page file itself is
recorded and aborted, and must not happen.
"""

from __future__ import annotations

import base64
import hashlib
import json
import unicodedata
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from landuse.certificates import write_verifier_page
from landuse.certificates._verifier_page import key_entry, page_html
from landuse.errors import OutputExistsError, SchemaError

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
XSS = '<img src=x onerror="window.__xss=1">'


# -- an independent encoder of payload version 1 ---------------------------------------
def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def spki(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.DER,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)


def key_id(key: ec.EllipticCurvePrivateKey) -> str:
    return hashlib.sha256(spki(key)).hexdigest()[:16]


def _nfc(obj):
    if isinstance(obj, str):
        return unicodedata.normalize("NFC", obj)
    if isinstance(obj, list):
        return [_nfc(x) for x in obj]
    if isinstance(obj, dict):
        return {_nfc(k): _nfc(v) for k, v in obj.items()}
    return obj


def record_bytes(record: dict) -> bytes:
    return json.dumps(_nfc(record), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sign(record: dict, key: ec.EllipticCurvePrivateKey) -> str:
    body = record_bytes(record)
    r, s = decode_dss_signature(key.sign(body, ec.ECDSA(hashes.SHA256())))
    return f"LUC1.{b64url(body)}.{b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


def make_record(key, **changes) -> dict:
    rec = {"v": 1, "no": "XAY-2026-000123", "pid": "P-0401015-017", "vil": "0401015",
           "vn": "ບ້ານ ນາໝໍ້ / Na Mo", "dis": "ໄຊ / Xay", "h": [["ທ້າວ ບຸນມີ", "Bounmy"], ["ນາງ ຄຳລາ", "Khamla"]],
           "hid": "H-017", "lt": "paddy", "a": "1.2345", "iss": "2026-12-04", "exp": "2029-12-04",
           "g": "0123456789abcdef0123456789abcdef", "k": key_id(key)}
    rec.update(changes)
    return rec


@pytest.fixture(scope="module")
def keys():
    district = ec.generate_private_key(ec.SECP256R1())
    other = ec.generate_private_key(ec.SECP256R1())
    return district, other


def entry(key, label="Xay district 2026"):
    return {"key_id": key_id(key), "spki_der_b64": base64.b64encode(spki(key)).decode("ascii"), "label": label}


# -- without a browser -------------------------------------------------------------------
def test_page_is_deterministic_and_has_no_external_reference(tmp_path, keys):
    district, _ = keys
    a = write_verifier_page([entry(district)], tmp_path / "a.html").read_bytes()
    b = write_verifier_page([entry(district)], tmp_path / "b.html").read_bytes()
    assert a == b
    text = a.decode("utf-8")
    assert "default-src 'none'" in text and "http://" not in text and "https://" not in text
    assert '"Noto Sans Lao", "Phetsarath OT", "Saysettha OT", sans-serif' in text
    with pytest.raises(OutputExistsError):
        write_verifier_page([entry(district)], tmp_path / "a.html")
    write_verifier_page([entry(district, label="new")], tmp_path / "a.html", overwrite=True)
    assert "new" in (tmp_path / "a.html").read_text("utf-8")


def test_hostile_key_label_cannot_close_the_data_block(keys):
    district, _ = keys
    text = page_html([entry(district, label="</script><script>alert(1)</script>" + XSS)])
    assert "</script><script>alert(1)" not in text and XSS not in text
    assert text.count("</script>") == 3  # two JSON blocks and the checker script
    text = page_html([entry(district)], title_lao="</title>" + XSS, title_en="<b>x</b>")
    assert "</title>" + XSS not in text and "&lt;/title&gt;&lt;img" in text and "<b>x</b>" not in text


def test_bad_keys_are_refused(keys):
    district, other = keys
    with pytest.raises(SchemaError, match="no district public key"):
        page_html([])
    with pytest.raises(SchemaError, match=r"public_keys\[0\], column 'key_id'.*fingerprint"):
        page_html([{**entry(district), "key_id": key_id(other)}])
    with pytest.raises(SchemaError, match="given twice"):
        page_html([entry(district), entry(district)])
    with pytest.raises(SchemaError, match="not a base64 DER"):
        page_html([{**entry(district), "spki_der_b64": "bm90IGEga2V5"}])
    rsa_like = ec.generate_private_key(ec.SECP384R1())
    with pytest.raises(SchemaError, match="not an ECDSA P-256"):
        page_html([entry(rsa_like)])


def test_key_entry_from_a_key_or_its_pem(keys):
    district, _ = keys
    pem = district.public_key().public_bytes(serialization.Encoding.PEM,
                                              serialization.PublicFormat.SubjectPublicKeyInfo)
    assert key_entry(district.public_key(), label="Xay district 2026") == entry(district)
    assert key_entry(pem, label="Xay district 2026") == entry(district)
    with pytest.raises(SchemaError, match="not a PEM public key"):
        key_entry(b"-----BEGIN PUBLIC KEY-----\nxx\n-----END PUBLIC KEY-----\n", label="x")


# -- in headless Chromium -------------------------------------------------------------
def _launch(p):
    return p.chromium.launch(executable_path=str(CHROMIUM), args=[
        "--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"])


@pytest.fixture(scope="module")
def browser_page(tmp_path_factory, keys):
    if not CHROMIUM.exists():
        pytest.skip("headless Chromium (/usr/bin/chromium) is not installed: apt install chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    district, _ = keys
    path = write_verifier_page([entry(district), entry(ec.generate_private_key(ec.SECP256R1()), "old key")],
                               tmp_path_factory.mktemp("verifier") / "verify.html")
    requests: list[str] = []
    errors: list[str] = []
    dialogs: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = _launch(p)
        context = browser.new_context(viewport={"width": 390, "height": 844}, offline=True)
        pg = context.new_page()

        def route(r):
            url = r.request.url
            if url == path.as_uri():
                r.continue_()
            else:
                requests.append(url)
                r.abort()

        pg.route("**/*", route)
        pg.on("request", lambda r: None if r.url == path.as_uri() else requests.append(r.url))
        pg.on("pageerror", lambda e: errors.append(str(e)))
        pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        pg.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        pg.add_init_script("window.__xss = 0;")
        pg.goto(path.as_uri(), wait_until="load")
        pg.wait_for_selector("body[data-ready]", timeout=15_000)
        yield pg, path, requests, errors, dialogs, p
        context.close()
        browser.close()


def _check(pg, payload: str) -> tuple[str, str, str]:
    pg.fill("#lu-payload", payload)
    pg.click("#lu-check")
    pg.wait_for_selector("#lu-result[data-status]:not([data-status=''])", timeout=10_000)
    res = pg.locator("#lu-result")
    return res.get_attribute("data-status"), res.get_attribute("data-reason"), res.inner_text()


@pytest.mark.browser
def test_genuine_payload_is_valid_with_the_lao_holder_name(browser_page, keys):
    pg, *_ = browser_page
    district, _ = keys
    status, reason, text = _check(pg, sign(make_record(district), district))
    assert (status, reason) == ("valid", "ok")
    assert "ຖືກຕ້ອງ" in text and "VALID" in text
    assert pg.inner_text("tr[data-field=holder] td") == "ທ້າວ ບຸນມີ / Bounmy\nນາງ ຄຳລາ / Khamla"
    assert pg.inner_text("tr[data-field=area] td").startswith("1.2345 ha")
    assert "ນາ / paddy" in pg.inner_text("tr[data-field=land_type] td")
    assert "Xay district 2026" in pg.inner_text("tr[data-field=key] td")
    # Lao label first, English beside
    assert pg.inner_text("tr[data-field=certificate_no] th").split() [0] == "ເລກທີ"
    assert pg.evaluate("getComputedStyle(document.querySelector('.status')).backgroundColor") == "rgb(27, 122, 47)"
    ARTIFACTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / "verifier_valid.png"), full_page=True)  # artefact, not compared


@pytest.mark.browser
def test_forged_field_with_the_same_signature_is_invalid(browser_page, keys):
    pg, *_ = browser_page
    district, _ = keys
    genuine = sign(make_record(district), district)
    forged_body = b64url(record_bytes(make_record(district, h=[["ທ້າວ ສົມພອນ", "Somphone"]])))
    prefix, _, sig = genuine.split(".")
    status, reason, text = _check(pg, f"{prefix}.{forged_body}.{sig}")
    assert (status, reason) == ("invalid", "bad_signature")
    assert "INVALID" in text and "Do NOT trust" in text
    assert pg.evaluate("getComputedStyle(document.querySelector('.status')).backgroundColor") == "rgb(179, 38, 30)"
    # one flipped bit of the area is caught as well
    status, reason, _ = _check(pg, sign(make_record(district), district).replace(
        b64url(record_bytes(make_record(district))), b64url(record_bytes(make_record(district, a="9.2345")))))
    assert (status, reason) == ("invalid", "bad_signature")


@pytest.mark.browser
def test_payload_signed_with_another_key_is_invalid(browser_page, keys):
    pg, *_ = browser_page
    _, other = keys
    status, reason, text = _check(pg, sign(make_record(other), other))
    assert (status, reason) == ("invalid", "unknown_key") and key_id(other) in text
    # another key claiming the district's key id fails on the signature
    district, _ = keys
    status, reason, _ = _check(pg, sign(make_record(district), other))
    assert (status, reason) == ("invalid", "bad_signature")


@pytest.mark.browser
def test_unsigned_draft_is_never_valid(browser_page, keys):
    pg, *_ = browser_page
    status, reason, text = _check(pg, "LUD1." + b64url(record_bytes(make_record(keys[0], k=""))))
    assert (status, reason) == ("unsigned", "draft") and "UNSIGNED DRAFT" in text
    assert pg.inner_text("tr[data-field=holder] td").startswith("ທ້າວ ບຸນມີ")


@pytest.mark.browser
@pytest.mark.parametrize("payload", ["", "hello", "LUC1.abc", "LUC1.!!.??", "LUC1.e30.AAAA",
                                     "LUC2." + b64url(b'{"v":1}') + "." + b64url(bytes(64)),
                                     "LUC1." + b64url(b"\xff\xfe") + "." + b64url(bytes(64)),
                                     "LUC1." + b64url(b'{"v":2}') + "." + b64url(bytes(64))])
def test_malformed_text_is_invalid(browser_page, payload):
    pg, *_ = browser_page
    status, reason, _ = _check(pg, payload)
    assert (status, reason) == ("invalid", "malformed")


@pytest.mark.browser
def test_hostile_holder_name_is_shown_as_text_and_runs_nothing(browser_page, keys):
    pg, *_ = browser_page
    district, _ = keys
    rec = make_record(district, h=[[XSS, "</td><script>window.__xss=2</script>"]], pid=XSS)
    status, _, _ = _check(pg, sign(rec, district))
    assert status == "valid"
    assert pg.inner_text("tr[data-field=holder] td") == XSS + " / </td><script>window.__xss=2</script>"
    assert pg.inner_text("tr[data-field=parcel] td") == XSS
    assert pg.locator("#lu-result img, #lu-result script").count() == 0
    pg.wait_for_timeout(200)
    assert pg.evaluate("window.__xss") == 0


@pytest.mark.browser
def test_no_request_left_the_file_and_no_script_error(browser_page):
    pg, path, requests, errors, dialogs, _ = browser_page
    assert [u for u in requests if not u.startswith(("file:", "data:"))] == []
    assert requests == [] and errors == [] and dialogs == []


@pytest.mark.browser
def test_qr_reading_path(browser_page, keys, tmp_path):
    """With BarcodeDetector, a photo of a real QR is read; without, the page says so.

    Chromium on Linux has no BarcodeDetector (it exists on Android, ChromeOS, macOS):
    then the page must hide the camera and photo buttons and offer the paste box, which
    the tests above use. The photo path is then exercised with a stand-in detector
    that reports the QR text, so the page's wiring (file -> image -> detect -> check)
    is still tested; real QR decoding is left to the phone's browser.
    """
    import segno

    pg, path, *_ = browser_page
    district, _ = keys
    payload = sign(make_record(district), district)
    png = tmp_path / "qr.png"
    segno.make(payload, error="m", micro=False).save(str(png), scale=6, border=4)
    native = pg.evaluate("""async () => 'BarcodeDetector' in window
        && (await BarcodeDetector.getSupportedFormats()).includes('qr_code')""")
    if native:
        assert pg.get_attribute("body", "data-scanner") == "barcode-detector"
        page = pg
    else:
        assert pg.get_attribute("body", "data-scanner") == "paste-only"
        assert pg.is_visible("#lu-noscan") and not pg.is_visible("#lu-file-label")
        assert not pg.is_visible("#lu-scan") and pg.is_visible("#lu-payload")
        assert "cannot read QR codes" in pg.inner_text("#lu-noscan")
        # a stand-in BarcodeDetector, injected before the page loads in a fresh page
        page = pg.context.new_page()
        page.route("**/*", lambda r: r.continue_() if r.request.url == path.as_uri() else r.abort())
        page.add_init_script("""window.__seen = [];
            window.BarcodeDetector = class {
              static async getSupportedFormats() { return ['qr_code']; }
              constructor(o) { window.__seen.push(o.formats.join()); }
              async detect(img) {
                window.__seen.push(img.width + 'x' + img.height);
                return [{format: 'qr_code', rawValue: window.__qrText}];
              }
            };""")
        page.goto(path.as_uri(), wait_until="load")
        page.wait_for_selector("body[data-ready]")
        page.evaluate("t => { window.__qrText = t; }", payload)
        assert page.get_attribute("body", "data-scanner") == "barcode-detector"
        assert page.is_visible("#lu-file-label") and not page.is_visible("#lu-noscan")
    page.set_input_files("#lu-file", str(png))
    page.wait_for_selector("#lu-result[data-status]:not([data-status=''])", timeout=10_000)
    assert page.get_attribute("#lu-result", "data-status") == "valid"
    assert page.input_value("#lu-payload") == payload
    if not native:
        from PIL import Image

        with Image.open(png) as im:
            w, h = im.size
        assert page.evaluate("window.__seen") == ["qr_code", f"{w}x{h}"]  # the photo itself was decoded
        page.close()


@pytest.mark.browser
def test_camera_path_with_a_fake_camera(browser_page, keys):
    """Camera -> video -> detector -> check, with Chromium's fake camera device.

    The detector is a stand-in (see above) that reports the QR text once the video
    has frames, so the getUserMedia wiring, the scan loop and the stop are exercised.
    """
    _, path, *_, p = browser_page
    district, _ = keys
    payload = sign(make_record(district), district)
    browser = p.chromium.launch(executable_path=str(CHROMIUM), args=[
        "--no-sandbox", "--headless", "--disable-gpu", "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream"])
    context = browser.new_context(offline=True, permissions=["camera"])
    pg = context.new_page()
    requests: list[str] = []
    pg.route("**/*", lambda r: r.continue_() if r.request.url == path.as_uri()
             else (requests.append(r.request.url), r.abort()))
    pg.add_init_script("""window.__frames = 0;
        window.BarcodeDetector = class {
          static async getSupportedFormats() { return ['qr_code']; }
          async detect(src) {
            if (!(src instanceof HTMLVideoElement) || !src.videoWidth) return [];
            window.__frames++;
            return window.__frames < 3 ? [] : [{format: 'qr_code', rawValue: window.__qrText}];
          }
        };""")
    pg.goto(path.as_uri(), wait_until="load")
    pg.wait_for_selector("body[data-ready]")
    pg.evaluate("t => { window.__qrText = t; }", payload)
    assert pg.is_visible("#lu-scan")
    pg.click("#lu-scan")
    pg.wait_for_selector("#lu-result[data-status]:not([data-status=''])", timeout=15_000)
    assert pg.get_attribute("#lu-result", "data-status") == "valid"
    assert pg.evaluate("window.__frames") == 3  # scanned frames until a QR was seen
    assert not pg.is_visible("#lu-video")  # the camera is stopped after a read
    assert requests == []
    context.close()
    browser.close()
