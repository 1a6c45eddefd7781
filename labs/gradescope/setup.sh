#!/bin/sh
# Gradescope autograder set-up (runs once, as root, when the image is
# built; the network is there). Installs what `make setup` installs, with
# apt-get, plus make and python3 to run it. Nothing needs the network after.
#   AUTOGRADER_ROOT   where the autograder lives (default /autograder),
#                     so the script can be tried in a scratch directory.
set -eu
AG="${AUTOGRADER_ROOT:-/autograder}"
SRC="$AG/source"
if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
missing=""
for p in make python3; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "+ $SUDO apt-get update && $SUDO apt-get install -y$missing"
	$SUDO apt-get update -qq
	$SUDO apt-get install -y -qq $missing
fi
# The Makefile's own list (PACKAGES), installed by its setup step.
make -C "$SRC" --no-print-directory setup
# Build the reference once, so a missing tool shows up now, not at grading.
make -C "$SRC" --no-print-directory build >/dev/null
echo "setup.sh: ready"
