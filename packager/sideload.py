"""Install the channel app on a Roku in developer mode through its development installer:
HTTP digest auth as user rokudev, a multipart upload to /plugin_install, and the device's
screenshot through /plugin_inspect. Every exchange is bounded by one deadline whatever the
device does (remote.request), redirects are never followed, and only an answer that says
the install succeeded is a success. Every failure is one line that says what to do."""

from __future__ import annotations

import hashlib
import html
import re
import secrets
import time
from dataclasses import dataclass

from packager.errors import ConfigError, PackagerError
from packager.remote import RemoteError, Response, request

USER = "rokudev"
ECP_PORT = 8060  # the External Control Protocol answers on every Roku, developer mode or not
MAX_PAGE_BYTES = 4_000_000  # the installer's pages are a few kilobytes
MAX_SCREENSHOT_BYTES = 50_000_000
_BOUNDARY = "----roku-packager-sideload-7d1c0b"
# What the installer says when it took the package: "Install Success." and, for the same
# zip again, "Application Received: Identical to previous version -- not replacing."
_INSTALLED = ("success", "identical to previous version")


class SideloadError(PackagerError):
    """The device did not take the channel."""


class DeviceAddressError(SideloadError, ConfigError):
    """--device isn't an address (a usage error: exit 2)."""


@dataclass(frozen=True)
class Device:
    host: str
    port: int = 80

    @classmethod
    def parse(cls, text: str) -> "Device":
        m = re.fullmatch(r"\s*(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?\s*", text or "")
        if (not m or (m.group(2) and not 0 < int(m.group(2)) < 65536) or len(m.group(1)) > 253
                or any(len(label) > 63 for label in m.group(1).split("."))):
            shown = text if len(text or "") <= 60 and (text or "").isprintable() else repr((text or "")[:60])
            raise DeviceAddressError(f"--device {shown!r}: give the Roku's address as HOST or HOST:PORT, "
                                     "e.g. 192.168.1.20")
        return cls(m.group(1), int(m.group(2) or 80))

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def __str__(self) -> str:
        return self.host if self.port == 80 else f"{self.host}:{self.port}"


def multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes, str]]) -> tuple[bytes, str]:
    """A multipart/form-data body, as the installer's own web form sends it."""
    parts = []
    for name, value in fields.items():
        parts.append(f'--{_BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, (filename, data, ctype) in files.items():
        parts.append(f'--{_BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                     f'Content-Type: {ctype}\r\n\r\n'.encode() + data + b"\r\n")
    parts.append(f"--{_BOUNDARY}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={_BOUNDARY}"


def digest_authorization(challenge: str, method: str, uri: str, password: str) -> str | None:
    """The Authorization header answering a `WWW-Authenticate: Digest ...` challenge (RFC 2617,
    MD5, qop=auth as the installer asks), or None when it isn't one this can answer."""
    if not challenge.lstrip().lower().startswith("digest "):
        return None
    params = {k.lower(): a if a or not b else b
              for k, a, b in re.findall(r'(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))', challenge.lstrip()[7:])}
    realm, nonce = params.get("realm"), params.get("nonce")
    if realm is None or not nonce or params.get("algorithm", "MD5").upper() != "MD5":
        return None

    def md5(text: str) -> str:
        return hashlib.md5(text.encode("utf-8"), usedforsecurity=False).hexdigest()

    ha1, ha2 = md5(f"{USER}:{realm}:{password}"), md5(f"{method}:{uri}")
    fields = [f'username="{USER}"', f'realm="{realm}"', f'nonce="{nonce}"', f'uri="{uri}"', 'algorithm=MD5']
    if "auth" in [q.strip() for q in params.get("qop", "").split(",")]:
        cnonce, nc = secrets.token_hex(8), "00000001"
        fields += [f'response="{md5(f"{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}")}"', "qop=auth", f"nc={nc}",
                   f'cnonce="{cnonce}"']
    else:
        fields.append(f'response="{md5(f"{ha1}:{nonce}:{ha2}")}"')
    if "opaque" in params:
        fields.append(f'opaque="{params["opaque"]}"')
    return "Digest " + ", ".join(fields)


def device_message(page: str) -> str:
    """The installer's answer from its HTML page, one line (old and new firmware pages)."""
    found = re.findall(r"'Set message content',\s*'((?:[^'\\]|\\.)*)'", page)
    found += re.findall(r"<font color=\"red\">(.*?)</font>", page, re.S)
    lines = []
    for text in found:
        text = html.unescape(re.sub(r"<[^>]+>", " ", text.replace("\\'", "'"))).strip()
        if text and text not in lines:
            lines.append(" ".join(text.split()))
    message = "; ".join(lines)
    return message if len(message) <= 300 else message[:300] + "..."


class _Session:
    """The exchanges of one command with one device, under one deadline."""

    def __init__(self, device: Device, password: str, timeout: float, ecp_port: int):
        self.device, self.password, self.timeout, self.ecp_port = device, password, timeout, ecp_port
        self.deadline = time.monotonic() + timeout

    def send(self, method: str, path: str, body: bytes | None = None, ctype: str | None = None,
             max_bytes: int = MAX_PAGE_BYTES) -> Response:
        """The device's answer, digest-authenticated, redirects not followed; 401 and
        failures become a SideloadError."""
        headers = {"Content-Type": ctype} if ctype else {}
        resp = self._once(method, path, body, headers, max_bytes)
        for attempt in range(2):  # the challenge, then (for a stale nonce only) one more
            if resp.status != 401:
                return resp
            challenge = resp.headers.get("www-authenticate", "")
            if attempt and "stale=true" not in challenge.lower():
                break  # a refused password is final: the upload isn't sent again
            auth = digest_authorization(challenge, method, path, self.password)
            if auth is None:
                raise SideloadError(f"{self.device} asks for a login that isn't a Roku's (not HTTP digest for "
                                    f"{USER}): check --device")
            resp = self._once(method, path, body, {**headers, "Authorization": auth}, max_bytes)
        if resp.status == 401:
            raise SideloadError(f"{self.device} refused the password for user {USER}: use the one you set when you "
                                "turned on developer mode (--password or ROKU_DEV_PASSWORD)")
        return resp

    def _once(self, method, path, body, headers, max_bytes) -> Response:
        remaining = self.deadline - time.monotonic()
        try:
            if remaining <= 0:
                raise RemoteError("the deadline has passed", "timeout")
            return request(self.device.url + path, max_bytes, remaining, method=method, body=body,
                           headers=headers, proxy=False)  # no proxies: the device is on the local network
        except RemoteError as e:
            raise self._failure(e, max_bytes) from None

    def _failure(self, e: RemoteError, max_bytes: int) -> SideloadError:
        device = self.device
        if e.kind == "timeout":
            return SideloadError(f"{device} gave no complete answer within {self.timeout:g} s: check it is on and "
                                 "not busy, then try again (or a longer --timeout)")
        if e.kind == "size":
            return SideloadError(f"{device} answered with more than {max_bytes:,} bytes: that isn't a Roku's "
                                 "development installer; check --device")
        if e.kind == "protocol":
            return SideloadError(f"{device} answered something that isn't HTTP ({str(e).split(': ', 1)[-1]}): "
                                 "check --device")
        if _ecp_answers(device, self.ecp_port, min(max(self.deadline - time.monotonic(), 0.5), 3.0)):
            return _not_developer(device)
        reason = str(e).split("can't fetch: ", 1)[-1]
        return SideloadError(f"can't reach a Roku at {device} ({reason}): check its address (Settings > Network > "
                             "About) and that this computer is on the same network")

    def page(self, path: str, body: bytes, ctype: str) -> str:
        """POST a form; the installer's page, or a SideloadError for any other answer."""
        resp = self.send("POST", path, body, ctype)
        if resp.status == 404:
            raise _not_developer(self.device)
        if 300 <= resp.status < 400:
            where = resp.headers.get("location", "")
            raise SideloadError(f"{self.device} answered HTTP {resp.status}" + (f" (to {where[:100]})" if where else "")
                                + ": a Roku's development installer doesn't redirect; check --device")
        text = resp.body.decode("utf-8", "replace")
        if resp.status != 200:
            raise SideloadError(f"{self.device} answered HTTP {resp.status}: "
                                f"{device_message(text) or 'the installer gave no message'}")
        return text


def _ecp_answers(device: Device, ecp_port: int, timeout: float) -> bool:
    try:
        return request(f"http://{device.host}:{ecp_port}/query/device-info", 1_000_000, timeout,
                       proxy=False).status == 200
    except RemoteError:
        return False


def _not_developer(device: Device) -> SideloadError:
    return SideloadError(f"{device} is a Roku, but its development installer isn't answering: turn on developer mode "
                         "(on the remote: Home 3x, Up 2x, Right, Left, Right, Left, Right), then try again")


def install(device: Device, password: str, package: bytes, timeout: float = 60.0, ecp_port: int = ECP_PORT) -> str:
    """Upload the zip; returns the device's answer. Raises SideloadError unless the device
    says it installed the channel."""
    body, ctype = multipart({"mysubmit": "Install"}, {"archive": ("roku-channel.zip", package, "application/zip")})
    page = _Session(device, password, timeout, ecp_port).page("/plugin_install", body, ctype)
    message = device_message(page)
    low = message.lower()
    if "failure" in low or "failed" in low or "error" in low:
        raise SideloadError(f"{device} did not install the channel: {message}")
    if not any(word in low for word in _INSTALLED):
        raise SideloadError(f"{device} did not confirm the install ({message or 'its answer has no installer message'}): "
                            "is it a Roku in developer mode? check --device")
    return message


def screenshot(device: Device, password: str, timeout: float = 30.0, ecp_port: int = ECP_PORT) -> tuple[bytes, str]:
    """The screen of the running dev channel: (image bytes, 'jpg' or 'png')."""
    session = _Session(device, password, timeout, ecp_port)
    body, ctype = multipart({"mysubmit": "Screenshot"}, {"archive": ("", b"", "application/octet-stream")})
    page = session.page("/plugin_inspect", body, ctype)
    m = re.search(r"pkgs/dev\.(jpg|png)[^\"'<>\s]*", page)
    if not m:
        raise SideloadError(f"{device} took no screenshot: {device_message(page) or 'is the channel running?'}")
    resp = session.send("GET", "/" + m.group(0), max_bytes=MAX_SCREENSHOT_BYTES)
    if resp.status != 200 or not resp.body:
        raise SideloadError(f"{device}: the screenshot could not be downloaded (HTTP {resp.status})")
    return resp.body, m.group(1)
