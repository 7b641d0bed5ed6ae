# The public face of this room: what `from landuse.certificates import ...` gives.
# Read at import time by lazy_loader.attach_stub (landuse/certificates/__init__.py).
from .issue import (
    CertificateResult as CertificateResult,
    Verification as Verification,
    add_years as add_years,
    certificate_register as certificate_register,
    find_lao_font as find_lao_font,
    load_labels as load_labels,
    pdf_document as pdf_document,
    render_certificates as render_certificates,
    verify_certificate as verify_certificate,
    verify_certificates as verify_certificates,
    verify_qr as verify_qr,
    write_certificates as write_certificates,
)

from ._seal import default_actor as default_actor
from ._verifier_page import write_verifier_page as write_verifier_page
from ._verify import is_district_register as is_district_register

from .keys import (
    PASSPHRASE_ENV as PASSPHRASE_ENV,
    KeyInfo as KeyInfo,
    Seal as Seal,
    canonical_record as canonical_record,
    init_keys as init_keys,
    key_id as key_id,
    load_private_key as load_private_key,
    load_public_key as load_public_key,
    open_seal as open_seal,
    public_key_spki_b64 as public_key_spki_b64,
    seal as seal,
)

from .register import (
    DEFAULT_TIMEZONE as DEFAULT_TIMEZONE,
    EVENTS as EVENTS,
    Register as Register,
    SyncResult as SyncResult,
    district_today as district_today,
    open_register as open_register,
    timezone_info as timezone_info,
)
