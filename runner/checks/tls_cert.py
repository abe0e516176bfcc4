"""TLS assertions of an http check: the served certificate is a Secret's, has a SAN, an issuer, a subject."""
from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from runner.schema import TlsAssert


def first_pem_cert(pem: str) -> x509.Certificate | None:
    """The first certificate of a PEM bundle (a Secret's tls.crt may hold the chain)."""
    start = pem.find("-----BEGIN CERTIFICATE-----")
    end = pem.find("-----END CERTIFICATE-----", start)
    if start < 0 or end < 0:
        return None
    try:
        return x509.load_pem_x509_certificate(pem[start:end + 25].encode())
    except ValueError:
        return None


def sans(cert: x509.Certificate) -> list[str]:
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return [str(n.value) for n in ext]


def describe(cert: x509.Certificate) -> str:
    return f"subject {cert.subject.rfc4514_string()!r}, issuer {cert.issuer.rfc4514_string()!r}, SANs {sans(cert)}"


def problems(spec: TlsAssert, served_der: bytes | None, secret_pem: str | None) -> list[str]:
    if not served_der:
        return ["tls: no certificate was served"]
    try:
        served = x509.load_der_x509_certificate(served_der)
    except ValueError as e:
        return [f"tls: the served certificate cannot be read: {e}"]
    out = []
    if spec.secret is not None:
        mine = first_pem_cert(secret_pem or "")
        if mine is None:
            out.append(f"tls: Secret {spec.secret} has no certificate in tls.crt"
                       + (" (Secret not found)" if secret_pem is None else ""))
        elif mine.public_bytes(serialization.Encoding.DER) != served_der:
            out.append(f"tls: the served certificate is not the one in Secret {spec.secret}: "
                       f"served {describe(served)}; Secret has {describe(mine)}")
    if spec.san_contains is not None and spec.san_contains not in sans(served):
        out.append(f"tls: expected a SAN {spec.san_contains!r}, the served certificate has {sans(served)}")
    if spec.issuer_contains is not None and spec.issuer_contains not in served.issuer.rfc4514_string():
        out.append(f"tls: expected the issuer to contain {spec.issuer_contains!r}, got {served.issuer.rfc4514_string()!r}")
    if spec.subject_contains is not None and spec.subject_contains not in served.subject.rfc4514_string():
        out.append(f"tls: expected the subject to contain {spec.subject_contains!r}, "
                   f"got {served.subject.rfc4514_string()!r}")
    return out
