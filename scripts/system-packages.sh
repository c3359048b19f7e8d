#!/usr/bin/env bash
# Debian packages urbanwatch and its tests need: FFmpeg, the RTSP test camera (GStreamer),
# fonts with Vietnamese glyphs (also the evidence sheet's), OpenCV's runtime libraries, Chromium for the
# console tests, poppler-utils (pdftoppm, pdftotext) for the evidence sheet's tests, iproute2 (ip netns) for the
# failover tests' worker machines.
set -euo pipefail
PACKAGES=(
  ffmpeg fonts-dejavu-core libgl1 libglib2.0-0
  python3-gi gir1.2-gst-rtsp-server-1.0 gir1.2-gstreamer-1.0 gstreamer1.0-plugins-base
  gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly gstreamer1.0-plugins-bad gstreamer1.0-libav
  gstreamer1.0-rtsp
  chromium poppler-utils iproute2
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "installing Debian packages: ${missing[*]}"
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
