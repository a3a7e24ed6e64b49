"""Where a published tree lives: a local folder or an S3(-compatible) bucket prefix.
Both answer the same few questions: what is there (one listing), put, get, delete."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import io
import os
import re
import shutil
import stat
import tempfile
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

from packager.errors import ConfigError, PublishError
from packager.safepath import relative_key

# The one table of Content-Types for published objects (and `serve`): add a suffix here.
CONTENT_TYPES = {
    ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png",
    ".json": "application/json; charset=utf-8", ".xml": "application/rss+xml; charset=utf-8",
    ".mp4": "video/mp4", ".bif": "application/octet-stream", ".html": "text/html; charset=utf-8",
    ".m3u8": "application/vnd.apple.mpegurl", ".m4s": "video/mp4", ".vtt": "text/vtt; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
}


def content_type_for(key: str) -> str:
    return CONTENT_TYPES.get(Path(key).suffix.lower(), "application/octet-stream")


@dataclass(frozen=True)
class RemoteObject:
    key: str  # relative to the target's prefix
    size: int
    md5: str | None  # hex digest when known (an S3 ETag that is an MD5, or read from disk)
    etag: str | None = None  # the store's version tag, unquoted: changes whenever the object does
    modified: float | None = None  # seconds since the epoch (the store's clock)


# Objects over this size go up in parts (S3 caps a single PUT at 5 GB); each part is read
# from disk as it is sent, so memory stays at one part per upload thread.
MULTIPART_THRESHOLD = 64 * 1024 * 1024
PART_SIZE = 16 * 1024 * 1024
MAX_PARTS = 10_000
CHUNK = 1024 * 1024


def md5_hex(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def file_digests(path: Path, *algorithms: str) -> dict[str, str]:
    """Hex digests of a file, read in chunks (a clip can be larger than memory)."""
    hashes = {a: hashlib.new(a, usedforsecurity=False) if a == "md5" else hashlib.new(a) for a in algorithms}
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            for h in hashes.values():
                h.update(chunk)
    return {a: h.hexdigest() for a, h in hashes.items()}


def part_size_for(size: int) -> int:
    return max(PART_SIZE, -(-size // MAX_PARTS))


class _Slice(io.RawIOBase):
    """One part of a file, seekable (botocore rewinds a body to retry or hash it)."""

    def __init__(self, path: Path, offset: int, length: int):
        self._fh = open(path, "rb")
        self._offset, self._length, self._pos = offset, length, 0

    def readable(self):
        return True

    def seekable(self):
        return True

    def seek(self, pos, whence=io.SEEK_SET):
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._length}[whence]
        self._pos = max(0, min(self._length, base + pos))
        return self._pos

    def tell(self):
        return self._pos

    def readinto(self, buf):
        n = min(len(buf), self._length - self._pos)
        if n <= 0:
            return 0
        self._fh.seek(self._offset + self._pos)
        data = self._fh.read(n)
        buf[:len(data)] = data
        self._pos += len(data)
        return len(data)

    def close(self):
        self._fh.close()
        super().close()


def _safe_key(key: str) -> str:
    safe = relative_key(key)
    if safe is None:
        raise PublishError(f"refusing object key {key!r}: it would leave the target prefix")
    return safe


def _not_a_file(path: Path, st: os.stat_result) -> PublishError:
    kind = ("a folder" if stat.S_ISDIR(st.st_mode) else "a FIFO" if stat.S_ISFIFO(st.st_mode)
            else "a socket" if stat.S_ISSOCK(st.st_mode) else "a device" if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode)
            else "not a regular file")
    return PublishError(f"{path}: is {kind}, not a file roku-packager wrote; move it out of the target "
                        "(nothing was changed)")


def _unreadable(root: Path, path: Path, e: OSError) -> PublishError:
    if isinstance(e, NotADirectoryError):  # a file stands where a folder of the target should be
        blocker = next((p for p in reversed(path.parents) if root in (p, *p.parents) and p.exists() and not p.is_dir()),
                       path.parent)
        return PublishError(f"{blocker}: is a file where the target needs a folder; move it away (nothing was changed)")
    return PublishError(f"{path}: can't read: {e.strerror or e}")


class FileStore:
    """A folder on disk with the same semantics as a bucket prefix; every write is a
    temporary file renamed into place, so readers never see half a file. A file's ETag is
    its mtime, size and ctime (it changes whenever the file is rewritten); conditional writes are
    made atomic by an flock on a file beside the key. Only regular files are read: a FIFO,
    a folder or a device where a key should be is one error, never a read that blocks."""

    reads_bytes = True  # sha256_of hashes the file itself, not a claim stored beside it

    def __init__(self, root: Path):
        self.root = Path(root)
        self.url = self.root.as_uri() if self.root.is_absolute() else str(self.root)
        existing = next((p for p in (self.root, *self.root.parents) if p.exists()), None)
        if existing is not None and not existing.is_dir():  # a usage error (exit 2), not a failed publish
            raise ConfigError(f"{self.url}: {existing} is not a folder; publish to a folder, e.g. file:///srv/roku/channel")

    def describe(self, key: str = "") -> str:
        return str(self.root / key) if key else str(self.root)

    @staticmethod
    def _etag(st: os.stat_result) -> str:
        # The ctime too: a hand edit that puts the old mtime back (touch -r) can't set it.
        return f"{st.st_mtime_ns:x}-{st.st_size:x}-{st.st_ctime_ns:x}"

    def list(self) -> dict[str, RemoteObject]:
        """Every file under the folder except hidden ones (temporary files, the lock)."""
        out = {}
        if not self.root.is_dir():
            return out
        for dirpath, dirnames, filenames in os.walk(self.root):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            for name in filenames:
                if name.startswith("."):
                    continue
                path = Path(dirpath) / name
                key = path.relative_to(self.root).as_posix()
                try:
                    st = path.stat()
                except OSError:  # a dangling symlink, or gone meanwhile: not an object
                    continue
                out[key] = RemoteObject(key, st.st_size, None, self._etag(st), st.st_mtime)
        return out

    def _read(self, key: str) -> tuple[bytes, os.stat_result] | None:
        """A regular file's bytes and its stat (from the same open file); None when absent.
        Opened non-blocking: opening a FIFO for reading would otherwise wait for a writer."""
        path = self.root / _safe_key(key)
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        except FileNotFoundError:
            return None
        except OSError as e:
            raise _unreadable(self.root, path, e) from None
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise _not_a_file(path, st)
            with os.fdopen(fd, "rb") as fh:
                fd = -1
                return fh.read(), st
        except OSError as e:
            raise _unreadable(self.root, path, e) from None
        finally:
            if fd >= 0:
                os.close(fd)

    def put(self, key: str, body: bytes | Path, content_type: str = "", cache_control: str = "",
            sha256: str | None = None) -> str | None:
        dest = self.root / _safe_key(key)
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.")
            try:
                with os.fdopen(fd, "wb") as fh:
                    if isinstance(body, Path):
                        with open(body, "rb") as src:
                            shutil.copyfileobj(src, fh, CHUNK)
                    else:
                        fh.write(body)
                os.chmod(tmp, 0o644)
                os.replace(tmp, dest)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
            return self._etag(dest.stat())
        except (FileExistsError, NotADirectoryError) as e:
            raise _unreadable(self.root, dest, NotADirectoryError(e.errno, e.strerror)) from None
        except OSError as e:
            raise PublishError(f"{dest}: can't write: {e.strerror or e}") from None

    def get(self, key: str) -> bytes | None:
        got = self._read(key)
        return got[0] if got else None

    def get_with_etag(self, key: str) -> tuple[bytes, str] | None:
        got = self._read(key)
        return (got[0], self._etag(got[1])) if got else None

    def sha256_of(self, key: str) -> str | None:
        path = self.root / _safe_key(key)
        return file_digests(path, "sha256")["sha256"] if path.is_file() else None

    def put_conditional(self, key: str, data: bytes, *, if_match: str | None = None) -> str | None:
        """Write `key` only if it is absent (if_match None) or still has ETag `if_match`:
        the new ETag, or None when the condition failed."""
        dest = self.root / _safe_key(key)
        mutex_path = dest.parent / f".{dest.name}.mutex"
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            # Non-blocking: a FIFO planted at the mutex fails at once instead of waiting for a reader.
            mutex = os.open(mutex_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NONBLOCK, 0o644)
        except (FileExistsError, NotADirectoryError) as e:
            raise _unreadable(self.root, dest, NotADirectoryError(e.errno, e.strerror)) from None
        except OSError as e:
            raise PublishError(f"{mutex_path}: can't open the lock's mutex: {e.strerror or e}") from None
        try:
            st = os.fstat(mutex)
            if not stat.S_ISREG(st.st_mode):
                raise _not_a_file(mutex_path, st)
            fcntl.flock(mutex, fcntl.LOCK_EX)
            try:
                current = self.get_with_etag(key)
                if (current is None) != (if_match is None) or (current is not None and current[1] != if_match):
                    return None
                etag = self.put(key, data)
                # Two writes within the clock's resolution would share an mtime: make it move.
                while etag == if_match:
                    os.utime(dest, ns=(time.time_ns(), time.time_ns()))
                    etag = self._etag(dest.stat())
                return etag
            finally:
                fcntl.flock(mutex, fcntl.LOCK_UN)
        finally:
            os.close(mutex)

    def delete(self, keys: list[str]) -> None:
        for key in keys:
            path = self.root / _safe_key(key)
            try:
                path.unlink(missing_ok=True)
            except OSError as e:
                raise PublishError(f"{path}: can't delete: {e.strerror or e}") from None
            # A history version is a folder: don't leave it behind empty.
            for parent in path.parents:
                if parent == self.root or self.root not in parent.parents:
                    break
                try:
                    parent.rmdir()
                except OSError:
                    break


BODY_READ_ATTEMPTS = 3  # a GET whose body arrives cut short is asked again, this many times in all


def _botocore_session(profile: str | None):
    """A session of its own (credentials and profile are read afresh for each store), whose
    loader of botocore's service models is shared: loading them costs ~0.2 s of CPU per
    client otherwise, for every store a long-running process opens."""
    import botocore.session  # noqa: PLC0415 (heavy)

    session = botocore.session.Session(profile=profile)
    session.register_component("data_loader", _service_models())
    return session


@cache
def _service_models():
    import botocore.session  # noqa: PLC0415 (heavy)

    return botocore.session.Session().get_component("data_loader")


class S3Store:
    """s3://bucket/prefix through botocore (boto3's core) and the standard credential chain."""

    def __init__(self, bucket: str, prefix: str, *, endpoint_url=None, region=None, profile=None,
                 path_style=False, acl=None, checksums=None, retries=5, pool=10):
        from botocore.config import Config  # noqa: PLC0415 (heavy: loaded only for s3:// targets)

        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.acl = acl
        self.url = f"s3://{bucket}/{self.prefix}"
        config_args = dict(
            retries={"mode": "standard", "total_max_attempts": retries},  # including the first
            max_pool_connections=max(pool, 10),
            s3={"addressing_style": "path" if path_style else "auto"},
            connect_timeout=10, read_timeout=60,
        )
        if checksums:
            config_args["request_checksum_calculation"] = checksums
            config_args["response_checksum_validation"] = checksums
        try:
            self.client = _botocore_session(profile).create_client(
                "s3", region_name=region, endpoint_url=endpoint_url, config=Config(**config_args))
        except Exception as e:  # botocore's ProfileNotFound, an endpoint that isn't a URL: a usage error (exit 2)
            raise ConfigError(f"can't set up S3 access: {e}") from None

    def describe(self, key: str = "") -> str:
        return f"s3://{self.bucket}/{self.prefix}{key}"

    def _explain(self, e: Exception, key: str = "") -> PublishError:
        from botocore.exceptions import (  # noqa: PLC0415 (heavy)
            ClientError,
            EndpointConnectionError,
            NoCredentialsError,
            PartialCredentialsError,
        )
        where = self.describe(key)
        if isinstance(e, (NoCredentialsError, PartialCredentialsError)):
            return PublishError("no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
                                "or AWS_PROFILE / --aws-profile")
        if isinstance(e, EndpointConnectionError):
            return PublishError(f"can't reach the storage endpoint for {where}: {e}")
        if isinstance(e, ClientError):
            code = e.response.get("Error", {}).get("Code", "")
            if code in ("AccessDenied", "403", "Forbidden", "AllAccessDisabled"):
                return PublishError(f"access denied for {where}: check the credentials' permissions on bucket {self.bucket}")
            if code == "NoSuchBucket":
                return PublishError(f"no such bucket: {self.bucket}")
            if code == "RequestTimeTooSkewed" or "skew" in str(e).lower():
                return PublishError("the storage service refused the request because this machine's clock is wrong; sync it (NTP)")
            if code in ("InvalidAccessKeyId", "SignatureDoesNotMatch"):
                return PublishError(f"the storage service refused the credentials ({code}) for {where}")
            return PublishError(f"storage error {code or 'unknown'} for {where}: {e.response.get('Error', {}).get('Message', e)}")
        return PublishError(f"storage request for {where} failed: {e}")

    def list(self) -> dict[str, RemoteObject]:
        out = {}
        try:
            pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix)
            for page in pages:
                for obj in page.get("Contents", []):
                    key = obj["Key"][len(self.prefix):]
                    etag = obj.get("ETag", "").strip('"')
                    # Only a single-part upload without SSE-KMS has an MD5 for an ETag; a
                    # multipart ETag has a "-N" suffix. Stores differ, so trust neither blindly:
                    # publish compares the sha256 its manifest recorded for this ETag first.
                    md5 = etag if len(etag) == 32 and "-" not in etag else None
                    modified = obj.get("LastModified")
                    out[key] = RemoteObject(key, obj["Size"], md5, etag or None,
                                            modified.timestamp() if modified else None)
        except Exception as e:
            raise self._explain(e) from None
        return out

    def _put_args(self, key: str, content_type: str, cache_control: str, sha256: str | None) -> dict:
        args = dict(Bucket=self.bucket, Key=self.prefix + _safe_key(key), ContentType=content_type,
                    CacheControl=cache_control)
        if sha256:
            args["Metadata"] = {"sha256": sha256}
        if self.acl:
            args["ACL"] = self.acl
        return args

    def put(self, key: str, body: bytes | Path, content_type: str = "application/octet-stream",
            cache_control: str = "", sha256: str | None = None) -> str | None:
        """Upload bytes, or a file streamed from disk (in parts above MULTIPART_THRESHOLD);
        returns the new ETag."""
        args = self._put_args(key, content_type, cache_control, sha256)
        if not cache_control:
            del args["CacheControl"]
        try:
            if isinstance(body, Path):
                size = body.stat().st_size
                if size > MULTIPART_THRESHOLD:
                    return self._put_multipart(args, body, size)
                with open(body, "rb") as fh:
                    resp = self.client.put_object(Body=fh, **args)
            else:
                resp = self.client.put_object(Body=body, **args)
        except PublishError:
            raise
        except Exception as e:
            raise self._explain(e, key) from None
        return resp.get("ETag", "").strip('"') or None

    def _put_multipart(self, args: dict, path: Path, size: int) -> str | None:
        upload = self.client.create_multipart_upload(**args)["UploadId"]
        where = dict(Bucket=args["Bucket"], Key=args["Key"], UploadId=upload)
        try:
            parts, step = [], part_size_for(size)
            for number, offset in enumerate(range(0, size, step), start=1):
                with _Slice(path, offset, min(step, size - offset)) as body:
                    resp = self.client.upload_part(Body=body, PartNumber=number, **where)
                parts.append({"PartNumber": number, "ETag": resp["ETag"]})
            resp = self.client.complete_multipart_upload(MultipartUpload={"Parts": parts}, **where)
        except BaseException:
            # Parts of an abandoned upload are billed until aborted. The original failure is
            # what the publisher needs to see; a bucket lifecycle rule
            # (AbortIncompleteMultipartUpload) cleans up what this could not.
            with contextlib.suppress(Exception):
                self.client.abort_multipart_upload(**where)
            raise
        etag = resp.get("ETag", "").strip('"')
        if not etag:  # radosgw 16 leaves it out of CompleteMultipartUpload's answer
            etag = self.client.head_object(Bucket=args["Bucket"], Key=args["Key"]).get("ETag", "").strip('"')
        return etag or None

    def get(self, key: str) -> bytes | None:
        got = self.get_with_etag(key)
        return got[0] if got else None

    def _missing(self, e: Exception) -> bool:
        from botocore.exceptions import ClientError  # noqa: PLC0415 (heavy)
        return isinstance(e, ClientError) and e.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound")

    def get_with_etag(self, key: str) -> tuple[bytes, str] | None:
        from botocore.exceptions import IncompleteReadError, ResponseStreamingError  # noqa: PLC0415 (heavy)

        attempt = 1
        while True:
            try:
                resp = self.client.get_object(Bucket=self.bucket, Key=self.prefix + _safe_key(key))
                return resp["Body"].read(), resp.get("ETag", "").strip('"')
            except (IncompleteReadError, ResponseStreamingError) as e:
                # A body cut short after its headers: botocore retries requests, not the
                # reading of a body, and a GET is safe to ask again.
                if attempt == BODY_READ_ATTEMPTS:
                    raise self._explain(e, key) from None
                attempt += 1
            except Exception as e:
                if self._missing(e):
                    return None
                raise self._explain(e, key) from None

    reads_bytes = False  # sha256_of reads metadata: a copy of a replaced object's may carry the old claim

    def sha256_of(self, key: str) -> str | None:
        """The sha256 publish stored in the object's metadata (a HEAD request)."""
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=self.prefix + _safe_key(key))
        except Exception as e:
            if self._missing(e):
                return None
            raise self._explain(e, key) from None
        return head.get("Metadata", {}).get("sha256")

    def put_conditional(self, key: str, data: bytes, *, if_match: str | None = None) -> str | None:
        """A compare-and-swap PUT: create `key` only if absent (If-None-Match: *), or
        replace it only if its ETag is still `if_match`. The new ETag, or None when the
        condition failed. (The ETag is sent unquoted: radosgw 16 matches only that form.)"""
        from botocore.exceptions import ClientError  # noqa: PLC0415 (heavy)
        args = dict(Bucket=self.bucket, Key=self.prefix + _safe_key(key), Body=data,
                    ContentType="application/json", CacheControl="no-store")
        if if_match is None:
            args["IfNoneMatch"] = "*"
        else:
            args["IfMatch"] = if_match
        try:
            return self.client.put_object(**args).get("ETag", "").strip('"')
        except ClientError as e:
            code = e.response.get("Error", {}).get("Code")
            if code in ("PreconditionFailed", "412", "ConditionalRequestConflict"):
                return None
            if if_match is not None and self._missing(e):
                return None
            if code == "NotImplemented":
                # A store without conditional writes: write plainly; the lease reads its
                # lock back after taking it, so two writers still can't both go on.
                args.pop("IfNoneMatch", None)
                args.pop("IfMatch", None)
                try:
                    return self.client.put_object(**args).get("ETag", "").strip('"')
                except Exception as e2:
                    raise self._explain(e2, key) from None
            raise self._explain(e, key) from None
        except Exception as e:
            raise self._explain(e, key) from None

    def delete(self, keys: list[str]) -> None:
        for i in range(0, len(keys), 1000):
            batch = [{"Key": self.prefix + _safe_key(k)} for k in keys[i:i + 1000]]
            try:
                resp = self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True})
            except Exception as e:
                raise self._explain(e) from None
            if resp.get("Errors"):
                first = resp["Errors"][0]
                raise PublishError(f"could not delete {first.get('Key')}: {first.get('Code')} {first.get('Message', '')}")


_BUCKET = re.compile(r"[A-Za-z0-9.\-_]{1,255}")  # what botocore accepts as a bucket name
TARGET_FORMS = "s3://bucket/prefix, file:///abs/path or a folder path"


def open_store(target: str, settings=None, endpoint_url=None, *, base: Path | None = None, **overrides):
    """A target -> a store: s3://bucket/prefix, file:///abs/path, or a plain folder path
    (absolute, or relative to `base`, by default the working folder). A target that can't
    be one of these is a ConfigError (a usage error: exit 2)."""
    if not target or not target.strip() or "\x00" in target:
        raise ConfigError(f"{target!r}: not a target; give {TARGET_FORMS}")
    if "://" not in target:
        scheme = target.split(":", 1)[0].lower() if ":" in target else ""
        if scheme in ("s3", "file", "http", "https"):  # s3:bucket, file:/x: a URL missing its //
            raise ConfigError(f"{target!r}: write {scheme}://...; give {TARGET_FORMS}")
        path = Path(target).expanduser()
        return FileStore(path if path.is_absolute() else (base or Path.cwd()) / path)
    parts = urlsplit(target)
    if parts.query or parts.fragment:
        raise ConfigError(f"{target!r}: a target has no ?query or #fragment; give {TARGET_FORMS}")
    if parts.scheme == "s3":
        if not parts.netloc:
            raise ConfigError(f"{target!r}: no bucket name; write s3://bucket/prefix")
        if not _BUCKET.fullmatch(parts.netloc):
            raise ConfigError(f"{target!r}: {parts.netloc!r} is not a bucket name (letters, digits, '.', '-', '_')")
        opts = {}
        if settings is not None:
            opts = dict(endpoint_url=settings.endpoint_url, region=settings.region, profile=settings.profile,
                        path_style=settings.path_style, acl=settings.acl, checksums=settings.checksums,
                        retries=settings.retries, pool=settings.jobs)
        if endpoint_url:
            opts["endpoint_url"] = endpoint_url
        opts.update({k: v for k, v in overrides.items() if v is not None})
        try:
            return S3Store(parts.netloc, parts.path, **opts)
        except ConfigError as e:
            raise ConfigError(f"{target!r}: {e}") from None
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise ConfigError(f"{target!r}: file targets must be local: file:///abs/path, or a folder path")
        path = Path(unquote(parts.path))
        if not path.is_absolute():
            raise ConfigError(f"{target!r}: write an absolute path: file:///abs/path, or a folder path")
        return FileStore(path)
    raise ConfigError(f"{target!r}: unknown kind of target; give {TARGET_FORMS}")
