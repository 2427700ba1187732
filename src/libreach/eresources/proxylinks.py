"""Proxy links: EZproxy starting points, OpenAthens redirector, WebVPN.

Pure functions (no models, no database). Formats as DESIGN.md gives them:
EZproxy ``https://<proxy>/login?qurl=<percent-encoded target>``, OpenAthens
``https://go.openathens.net/redirector/<domain>?url=<encoded target>``.

WebVPN: the scheme most Chinese universities run (the wengine "wrdvpn"
gateway) puts the target's scheme (with ``-<port>`` for a non-default port)
and its host, encrypted with AES-128-CFB (128-bit segments, key = IV =
``wrdvpnisthebest!`` unless the school changed them), in the path:
``https://<webvpn>/<scheme>/<hex(iv) + hex(ciphertext)[:2 × len(host)]>/<path>``.
The host is padded with "0" to a multiple of 16 before encryption and the
ciphertext cut back to its length. Checked against known addresses of
Tsinghua's and Fudan's gateways in the tests. Gateways that do not encrypt use
``https://<webvpn>/<scheme>/<host>/<path>`` (``plain``).
"""

from __future__ import annotations

from urllib.parse import quote, unquote, urlsplit

OPENATHENS_REDIRECTOR = "https://go.openathens.net/redirector/"
WEBVPN_DEFAULT_KEY = b"wrdvpnisthebest!"
_DEFAULT_PORTS = {"http": 80, "https": 443}


def base_url(host_or_url: str) -> str:
    """'proxy.example.edu' or 'https://proxy.example.edu/' to 'https://proxy.example.edu'."""
    if "://" not in host_or_url:
        host_or_url = "https://" + host_or_url
    parts = urlsplit(host_or_url)
    if not parts.netloc:
        raise ValueError(f"no host in {host_or_url!r}")
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


def _checked_target(target: str) -> str:
    parts = urlsplit(target)
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise ValueError(f"target must be an http(s) URL: {target!r}")
    return target


def _param(url: str, name: str) -> str:
    for part in urlsplit(url).query.split("&"):
        key, _, value = part.partition("=")
        if key == name:
            return unquote(value)
    raise ValueError(f"no {name} parameter in {url!r}")


def ezproxy_link(proxy: str, target: str) -> str:
    return f"{base_url(proxy)}/login?qurl={quote(_checked_target(target), safe='')}"


def ezproxy_target_of(url: str) -> str:
    return _param(url, "qurl")


def openathens_link(domain: str, target: str) -> str:
    domain = domain.strip().strip("/")
    if not domain or "/" in domain:
        raise ValueError(f"not an OpenAthens domain: {domain!r}")
    return f"{OPENATHENS_REDIRECTOR}{domain}?url={quote(_checked_target(target), safe='')}"


def openathens_target_of(url: str) -> str:
    return _param(url, "url")


def _cfb(key: bytes, iv: bytes):
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms

    try:  # moved in cryptography 47; the old place goes in 49
        from cryptography.hazmat.decrepit.ciphers.modes import CFB
    except ImportError:  # pragma: no cover - older cryptography
        from cryptography.hazmat.primitives.ciphers.modes import CFB
    return Cipher(algorithms.AES(key), CFB(iv))


def webvpn_encrypt_host(host: str, key: bytes = WEBVPN_DEFAULT_KEY, iv: bytes | None = None) -> str:
    iv = key if iv is None else iv
    padded = host + "0" * (-len(host) % 16)
    encryptor = _cfb(key, iv).encryptor()
    cipher = encryptor.update(padded.encode()) + encryptor.finalize()
    return iv.hex() + cipher.hex()[: 2 * len(host.encode())]


def webvpn_decrypt_host(token: str, key: bytes = WEBVPN_DEFAULT_KEY) -> str:
    iv, cipher = bytes.fromhex(token[:32]), bytes.fromhex(token[32:])
    decryptor = _cfb(key, iv).decryptor()  # CFB decrypts a cut-off stream fine
    return (decryptor.update(cipher) + decryptor.finalize()).decode()


def webvpn_link(
    webvpn: str,
    target: str,
    *,
    encrypted: bool = True,
    key: bytes = WEBVPN_DEFAULT_KEY,
    iv: bytes | None = None,
) -> str:
    parts = urlsplit(_checked_target(target))
    scheme, host = parts.scheme, parts.hostname or ""
    if parts.port is not None and parts.port != _DEFAULT_PORTS[scheme]:
        scheme = f"{scheme}-{parts.port}"
    token = webvpn_encrypt_host(host, key, iv) if encrypted else host
    rest = parts.path or "/"
    if parts.query:
        rest += "?" + parts.query
    if parts.fragment:
        rest += "#" + parts.fragment
    return f"{base_url(webvpn)}/{scheme}/{token}{rest}"


def webvpn_target_of(url: str, *, encrypted: bool = True, key: bytes = WEBVPN_DEFAULT_KEY) -> str:
    parts = urlsplit(url)
    segments = parts.path.split("/", 3)  # '', scheme, token, rest
    if len(segments) < 3:
        raise ValueError(f"not a WebVPN link: {url!r}")
    scheme, _, port = segments[1].partition("-")
    if scheme not in _DEFAULT_PORTS:
        raise ValueError(f"not a WebVPN link: {url!r}")
    host = webvpn_decrypt_host(segments[2], key) if encrypted else segments[2]
    netloc = f"{host}:{port}" if port else host
    target = f"{scheme}://{netloc}/" + (segments[3] if len(segments) > 3 else "")
    if parts.query:
        target += "?" + parts.query
    if parts.fragment:
        target += "#" + parts.fragment
    return target
