"""Upload a built tree to a target so the live feed never points at missing artwork:
plan against one listing, upload only what changed (artwork and clips first, streamed from
disk), confirm every object the new feed needs is there, keep a history copy of every feed
document, write feed.json last, and only then prune. A lease (a lock object renewed while
the publish works, taken and renewed by compare-and-swap) keeps two publishes, rollbacks or
prunes from interleaving on one prefix; a holder that dies frees it within its TTL.

  layout    the target's keys and folders, feed references, documents read without trust
  tree      the built tree as objects to publish
  history   history version names and the versions a listing holds
  plan      what differs from the target (manifest, ETags, HEADs), prune, the bucket as cache
  lease     the lock object's lease, and `unlock`
  upload    `publish_tree`: the upload order, prune, the manifest; its Summary
  rollback  `history` and `rollback`, and the record of what rollback took off the air

Every name other modules, tests and scripts import is importable from here."""

from __future__ import annotations

from packager.publish.history import history_versions, version_name, version_name_of
from packager.publish.layout import (
    ARTWORK_CACHE_CONTROL,
    FEED_CACHE_CONTROL,
    HISTORY_DIR,
    INTERNAL_PREFIX,
    LOCK_KEY,
    MANAGED_DIRS,
    MANIFEST_KEY,
    PLACEHOLDER_HOSTS,
    ROLLED_BACK_KEY,
    feed_references,
    is_asset,
    placeholder_note,
)
from packager.publish.lease import LEASE_HORIZON, LEASE_SECONDS, Lease, unlock
from packager.publish.plan import (
    CLIP_KBPS,
    CLIP_SECONDS,
    PRUNE_GRACE_SECONDS,
    Plan,
    clip_measurements,
    make_plan,
    prune_candidates,
    published_objects,
    read_manifest,
    vouched_for,
)
from packager.publish.rollback import Version, list_versions, rollback
from packager.publish.tree import LocalObject, tree_objects
from packager.publish.upload import Progress, Summary, publish_tree
from packager.stores import CONTENT_TYPES, RemoteObject, content_type_for  # serve's and the tests' imports

__all__ = [
    "ARTWORK_CACHE_CONTROL", "CLIP_KBPS", "CLIP_SECONDS", "CONTENT_TYPES", "FEED_CACHE_CONTROL", "HISTORY_DIR",
    "INTERNAL_PREFIX", "LEASE_HORIZON", "LEASE_SECONDS", "LOCK_KEY", "MANAGED_DIRS", "MANIFEST_KEY",
    "PLACEHOLDER_HOSTS", "PRUNE_GRACE_SECONDS", "ROLLED_BACK_KEY", "Lease", "LocalObject", "Plan", "Progress",
    "RemoteObject", "Summary", "Version", "clip_measurements", "content_type_for", "feed_references",
    "history_versions", "is_asset", "list_versions", "make_plan", "placeholder_note", "prune_candidates",
    "publish_tree", "published_objects", "read_manifest", "rollback", "tree_objects", "unlock",
    "version_name", "version_name_of", "vouched_for",
]
