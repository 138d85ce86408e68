#!/bin/sh
# Installs the Debian packages the build and tests use (as root), only
# when something is missing. The core library needs none of them.
set -e
need=""
command -v gcc >/dev/null || need="$need gcc"
command -v make >/dev/null || need="$need make"
command -v nasm >/dev/null || need="$need nasm"
command -v ld >/dev/null || need="$need binutils"
command -v qemu-system-x86_64 >/dev/null || need="$need qemu-system-x86"
[ -f /usr/include/capstone/capstone.h ] || need="$need libcapstone-dev"
command -v gdb >/dev/null || need="$need gdb"
command -v python3 >/dev/null || need="$need python3"
if [ -n "$need" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "deps: missing:$need (run as root to install)" >&2
		exit 1
	fi
	echo "deps: installing$need"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >/dev/null
	apt-get install -y -q $need >/dev/null
fi
