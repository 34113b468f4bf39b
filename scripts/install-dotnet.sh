#!/usr/bin/env bash
# Installs the .NET 10 SDK on Debian 12 from Microsoft's package repository when it is missing.
set -euo pipefail
if command -v dotnet >/dev/null 2>&1 && dotnet --list-sdks 2>/dev/null | grep -q '^10\.'; then
    exit 0
fi
echo "setup: installing the .NET 10 SDK (Microsoft's Debian repository) ..."
sudo_cmd=""
[[ "$(id -u)" -ne 0 ]] && sudo_cmd="sudo"
. /etc/os-release
tmp="$(mktemp -d)"
curl -fsSL "https://packages.microsoft.com/config/debian/${VERSION_ID}/packages-microsoft-prod.deb" -o "$tmp/packages-microsoft-prod.deb"
$sudo_cmd dpkg -i "$tmp/packages-microsoft-prod.deb"
$sudo_cmd apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -q dotnet-sdk-10.0
rm -rf "$tmp"
