"""Where a published tree lives: a local folder or an S3(-compatible) bucket prefix.
Both answer the same few questions: what is there (one listing), put, get, delete."""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from packager.errors import ConfigError, PublishError
from packager.safepath import relative_key


@dataclass(frozen=True)
class RemoteObject:
    key: str  # relative to the target's prefix
    size: int
    md5: str | None  # hex digest when known (S3 single-part ETag, or read from disk)


def md5_hex(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def _safe_key(key: str) -> str:
    safe = relative_key(key)
    if safe is None:
        raise PublishError(f"refusing object key {key!r}: it would leave the target prefix")
    return safe


class FileStore:
    """A folder on disk with the same semantics as a bucket prefix; every write is a
    temporary file renamed into place, so readers never see half a file."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.url = self.root.as_uri() if self.root.is_absolute() else str(self.root)
        existing = next((p for p in (self.root, *self.root.parents) if p.exists()), None)
        if existing is not None and not existing.is_dir():  # a usage error (exit 2), not a failed publish
            raise ConfigError(f"{self.url}: {existing} is not a folder; publish to a folder, e.g. file:///srv/roku/channel")
        # A publish lists twice (before and under the lock): hash each unchanged file once.
        self._md5s: dict[str, tuple[int, int, str]] = {}

    def describe(self, key: str = "") -> str:
        return str(self.root / key) if key else str(self.root)

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
                st = path.stat()
                known = self._md5s.get(key)
                if known is None or known[:2] != (st.st_size, st.st_mtime_ns):
                    known = (st.st_size, st.st_mtime_ns, md5_hex(path.read_bytes()))
                    self._md5s[key] = known
                out[key] = RemoteObject(key, known[0], known[2])
        return out

    def put(self, key: str, data: bytes, content_type: str, cache_control: str) -> None:
        dest = self.root / _safe_key(key)
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.")
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                os.chmod(tmp, 0o644)
                os.replace(tmp, dest)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as e:
            raise PublishError(f"{dest}: can't write: {e.strerror or e}") from None

    def get(self, key: str) -> bytes | None:
        try:
            return (self.root / _safe_key(key)).read_bytes()
        except FileNotFoundError:
            return None

    def put_if_absent(self, key: str, data: bytes) -> bool:
        """Create `key` only if nothing is there (the publish lock)."""
        dest = self.root / _safe_key(key)
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            return False
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        return True

    def delete(self, keys: list[str]) -> None:
        for key in keys:
            (self.root / _safe_key(key)).unlink(missing_ok=True)


class S3Store:
    """s3://bucket/prefix through boto3 and the standard credential chain."""

    def __init__(self, bucket: str, prefix: str, *, endpoint_url=None, region=None, profile=None,
                 path_style=False, acl=None, checksums=None, retries=5, pool=10):
        import boto3
        from botocore.config import Config

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
            session = boto3.session.Session(profile_name=profile, region_name=region)
            self.client = session.client("s3", endpoint_url=endpoint_url, config=Config(**config_args))
        except Exception as e:  # botocore's ProfileNotFound and friends
            raise PublishError(f"can't set up S3 access: {e}") from None

    def describe(self, key: str = "") -> str:
        return f"s3://{self.bucket}/{self.prefix}{key}"

    def _explain(self, e: Exception, key: str = "") -> PublishError:
        from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError, PartialCredentialsError
        where = self.describe(key)
        if isinstance(e, (NoCredentialsError, PartialCredentialsError)):
            return PublishError("no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
                                "or AWS_PROFILE / --profile")
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
                    md5 = etag if len(etag) == 32 and "-" not in etag else None
                    out[key] = RemoteObject(key, obj["Size"], md5)
        except Exception as e:
            raise self._explain(e) from None
        return out

    def put(self, key: str, data: bytes, content_type: str, cache_control: str) -> None:
        args = dict(Bucket=self.bucket, Key=self.prefix + _safe_key(key), Body=data,
                    ContentType=content_type, CacheControl=cache_control)
        if self.acl:
            args["ACL"] = self.acl
        try:
            self.client.put_object(**args)
        except Exception as e:
            raise self._explain(e, key) from None

    def get(self, key: str) -> bytes | None:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self.prefix + _safe_key(key))["Body"].read()
        except Exception as e:
            from botocore.exceptions import ClientError
            if isinstance(e, ClientError) and e.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise self._explain(e, key) from None

    def put_if_absent(self, key: str, data: bytes) -> bool:
        """A conditional PUT (If-None-Match: *): False when the key already exists."""
        from botocore.exceptions import ClientError
        try:
            self.client.put_object(Bucket=self.bucket, Key=self.prefix + _safe_key(key), Body=data,
                                   ContentType="application/json", IfNoneMatch="*")
            return True
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") in ("PreconditionFailed", "412", "ConditionalRequestConflict"):
                return False
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


def open_store(target: str, settings=None, endpoint_url=None, **overrides):
    """A target URL (s3://bucket/prefix or file:///abs/path) -> a store."""
    parts = urlsplit(target)
    if parts.scheme == "s3":
        if not parts.netloc:
            raise PublishError(f"{target}: no bucket name; write s3://bucket/prefix")
        opts = {}
        if settings is not None:
            opts = dict(endpoint_url=settings.endpoint_url, region=settings.region, profile=settings.profile,
                        path_style=settings.path_style, acl=settings.acl, checksums=settings.checksums,
                        retries=settings.retries, pool=settings.jobs)
        if endpoint_url:
            opts["endpoint_url"] = endpoint_url
        opts.update({k: v for k, v in overrides.items() if v is not None})
        return S3Store(parts.netloc, parts.path, **opts)
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise PublishError(f"{target}: file targets must be local: file:///abs/path")
        from urllib.parse import unquote
        path = Path(unquote(parts.path))
        if not path.is_absolute():
            raise PublishError(f"{target}: write an absolute path: file:///abs/path")
        return FileStore(path)
    raise PublishError(f"{target}: unknown target; use s3://bucket/prefix or file:///abs/path")
