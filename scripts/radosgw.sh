#!/usr/bin/env bash
# A single-node Ceph RADOS Gateway on 127.0.0.1 for the publish tests: one monitor, one
# memstore OSD (objects live in memory), the gateway, and an S3 user with fixed keys.
#
#   scripts/radosgw.sh install        install Debian's packages (apt) if they are missing
#   scripts/radosgw.sh start DIR      start everything under DIR; prints the endpoint URL
#   scripts/radosgw.sh stop DIR       stop what `start DIR` started
#
# Keys: access "rokupackager", secret "rokupackager-secret". Auth between the daemons is
# off (one machine, loopback only); S3 request signatures are checked as on any gateway.
set -euo pipefail

PACKAGES="ceph-mon ceph-osd radosgw ceph-common"
ACCESS_KEY=rokupackager
SECRET_KEY=rokupackager-secret

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

install() {
  command -v radosgw >/dev/null 2>&1 && command -v ceph-mon >/dev/null 2>&1 && command -v ceph-osd >/dev/null 2>&1 && return 0
  local sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get install -y -q --no-install-recommends $PACKAGES >/dev/null 2>&1 \
    || { $sudo apt-get update -q >/dev/null && $sudo apt-get install -y -q --no-install-recommends $PACKAGES >/dev/null; }
}

start() {
  local dir=$1
  mkdir -p "$dir"/{mon,osd,run,log,rgw}
  dir=$(cd "$dir" && pwd)
  local fsid; fsid=$(python3 -c 'import uuid; print(uuid.uuid4())')
  local mon_port; mon_port=$(free_port)
  local rgw_port; rgw_port=$(free_port)
  cat > "$dir/ceph.conf" <<EOF
[global]
fsid = $fsid
mon host = v1:127.0.0.1:$mon_port
public addr = 127.0.0.1
auth cluster required = none
auth service required = none
auth client required = none
ms bind ipv4 = true
ms bind ipv6 = false
run dir = $dir/run
admin socket = $dir/run/\$name.asok
pid file = $dir/run/\$name.pid
log file = $dir/log/\$name.log
keyring = $dir/keyring
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
mon max pg per osd = 1000
osd crush chooseleaf type = 0
[mon.a]
mon data = $dir/mon
[osd.0]
osd data = $dir/osd
osd objectstore = memstore
memstore device bytes = 2147483648
osd max object name len = 460
osd max object namespace len = 64
osd class update on start = false
osd crush update on start = false
[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:$rgw_port
rgw data = $dir/rgw
rgw dns name = localhost
rgw thread pool size = 64
EOF
  local conf="$dir/ceph.conf"
  touch "$dir/keyring"
  monmaptool --create --clobber --fsid "$fsid" --addv a "[v1:127.0.0.1:$mon_port]" "$dir/monmap" >/dev/null
  ceph-mon -c "$conf" --mkfs -i a --monmap "$dir/monmap" >/dev/null
  ceph-mon -c "$conf" -i a
  local osd_uuid; osd_uuid=$(python3 -c 'import uuid; print(uuid.uuid4())')
  timeout 60 ceph -c "$conf" osd new "$osd_uuid" >/dev/null
  timeout 60 ceph -c "$conf" osd crush add osd.0 1 root=default host=localhost >/dev/null 2>&1
  ceph-osd -c "$conf" -i 0 --mkfs --osd-uuid "$osd_uuid" >/dev/null 2>&1
  ceph-osd -c "$conf" -i 0
  radosgw -c "$conf" -n client.rgw.a
  # The gateway answers once its pools exist; the user is created after that.
  local deadline=$((SECONDS + 90))
  until curl -sf -o /dev/null "http://127.0.0.1:$rgw_port/" 2>/dev/null; do
    [ $SECONDS -lt $deadline ] || { echo "radosgw did not answer on 127.0.0.1:$rgw_port within 90 s; logs in $dir/log" >&2; return 1; }
    sleep 0.5
  done
  timeout 60 radosgw-admin -c "$conf" user create --uid=rokupackager --display-name=roku-packager \
    --access-key="$ACCESS_KEY" --secret-key="$SECRET_KEY" >/dev/null
  echo "http://127.0.0.1:$rgw_port"
}

stop() {
  local dir=$1
  for name in client.rgw.a osd.0 mon.a; do
    local pidfile="$dir/run/$name.pid"
    if [ -f "$pidfile" ]; then
      local pid; pid=$(cat "$pidfile")
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
  done
}

case "${1:-}" in
  install) install ;;
  start) start "${2:?usage: radosgw.sh start DIR}" ;;
  stop) stop "${2:?usage: radosgw.sh stop DIR}" ;;
  *) echo "usage: radosgw.sh install | start DIR | stop DIR" >&2; exit 2 ;;
esac
