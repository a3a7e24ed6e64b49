"""Install the channel app on a Roku in developer mode through its development installer:
HTTP digest auth as user rokudev, a multipart upload to /plugin_install, and the device's
screenshot through /plugin_inspect. Every failure is one line that says what to do."""

from __future__ import annotations

import html
import re
import urllib.error
import urllib.request
from dataclasses import dataclass

from packager.errors import PackagerError

USER = "rokudev"
ECP_PORT = 8060  # the External Control Protocol answers on every Roku, developer mode or not
_BOUNDARY = "----roku-packager-sideload-7d1c0b"


class SideloadError(PackagerError):
    """The device did not take the channel."""


@dataclass(frozen=True)
class Device:
    host: str
    port: int = 80

    @classmethod
    def parse(cls, text: str) -> "Device":
        m = re.fullmatch(r"\s*(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?\s*", text or "")
        if not m or (m.group(2) and not 0 < int(m.group(2)) < 65536):
            raise SideloadError(f"--device {text!r}: give the Roku's address as HOST or HOST:PORT, e.g. 192.168.1.20")
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


class _DigestOnce(urllib.request.HTTPDigestAuthHandler):
    """urllib retries a refused password five times, re-sending the whole upload each time:
    here a refused password is final (a stale nonce still gets its one retry)."""

    def http_error_401(self, req, fp, code, msg, headers):
        if req.has_header("Authorization") and "stale=true" not in (headers.get("WWW-Authenticate") or "").lower():
            return None  # urllib raises the 401
        return super().http_error_401(req, fp, code, msg, headers)


def _opener(device: Device, password: str) -> urllib.request.OpenerDirector:
    passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
    passwords.add_password(None, device.url + "/", USER, password)
    # No proxies: the device is on the local network.
    return urllib.request.build_opener(urllib.request.ProxyHandler({}), _DigestOnce(passwords))


def device_message(page: str) -> str:
    """The installer's answer from its HTML page, one line (old and new firmware pages)."""
    found = re.findall(r"'Set message content',\s*'((?:[^'\\]|\\.)*)'", page)
    found += re.findall(r"<font color=\"red\">(.*?)</font>", page, re.S)
    lines = []
    for text in found:
        text = html.unescape(re.sub(r"<[^>]+>", " ", text.replace("\\'", "'"))).strip()
        if text and text not in lines:
            lines.append(" ".join(text.split()))
    return "; ".join(lines)


def _ecp_answers(device: Device, ecp_port: int, timeout: float) -> bool:
    try:
        with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(
                f"http://{device.host}:{ecp_port}/query/device-info", timeout=timeout) as r:
            return r.status == 200
    except (OSError, ValueError):
        return False


def _not_developer(device: Device) -> SideloadError:
    return SideloadError(f"{device} is a Roku, but its development installer isn't answering: turn on developer mode "
                         "(on the remote: Home 3x, Up 2x, Right, Left, Right, Left, Right), then try again")


def _post(device: Device, password: str, path: str, body: bytes, ctype: str, timeout: float, ecp_port: int) -> str:
    request = urllib.request.Request(device.url + path, data=body, headers={"Content-Type": ctype}, method="POST")
    try:
        with _opener(device, password).open(request, timeout=timeout) as r:
            return r.read(4_000_000).decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        if e.code == 401:
            raise SideloadError(f"{device} refused the password for user {USER}: use the one you set when you turned on "
                                "developer mode (--password or ROKU_DEV_PASSWORD)") from None
        if e.code == 404:
            raise _not_developer(device) from None
        page = e.read(4_000_000).decode("utf-8", "replace")
        raise SideloadError(f"{device} answered HTTP {e.code}: {device_message(page) or e.reason}") from None
    except (urllib.error.URLError, OSError) as e:
        reason = getattr(e, "reason", e)
        if _ecp_answers(device, ecp_port, min(timeout, 3.0)):
            raise _not_developer(device) from None
        raise SideloadError(f"can't reach a Roku at {device} ({reason}): check its address (Settings > Network > "
                            "About) and that this computer is on the same network") from None


def install(device: Device, password: str, package: bytes, timeout: float = 60.0, ecp_port: int = ECP_PORT) -> str:
    """Upload the zip; returns the device's answer. Raises SideloadError when it refuses."""
    body, ctype = multipart({"mysubmit": "Install"}, {"archive": ("roku-channel.zip", package, "application/zip")})
    page = _post(device, password, "/plugin_install", body, ctype, timeout, ecp_port)
    message = device_message(page) or "the installer gave no message"
    low = message.lower()
    if "failure" in low or "failed" in low or "error" in low:
        raise SideloadError(f"{device} did not install the channel: {message}")
    return message


def screenshot(device: Device, password: str, timeout: float = 30.0, ecp_port: int = ECP_PORT) -> tuple[bytes, str]:
    """The screen of the running dev channel: (image bytes, 'jpg' or 'png')."""
    body, ctype = multipart({"mysubmit": "Screenshot"}, {"archive": ("", b"", "application/octet-stream")})
    page = _post(device, password, "/plugin_inspect", body, ctype, timeout, ecp_port)
    m = re.search(r"pkgs/dev\.(jpg|png)[^\"'<>\s]*", page)
    if not m:
        raise SideloadError(f"{device} took no screenshot: {device_message(page) or 'is the channel running?'}")
    try:
        with _opener(device, password).open(f"{device.url}/{m.group(0)}", timeout=timeout) as r:
            return r.read(50_000_000), m.group(1)
    except (urllib.error.URLError, OSError) as e:
        raise SideloadError(f"{device}: the screenshot could not be downloaded ({getattr(e, 'reason', e)})") from None
