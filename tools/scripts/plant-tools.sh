#!/usr/bin/env bash
# What the Sparkplug B integration test runs beside the suite, installed when missing: Debian's
# mosquitto (the MQTT broker) and the npm registry's sparkplug-client (the Eclipse Tahu edge node
# client, into ~/.cache/manufacturing-tools, or MFG_TOOLS_DIR). Idempotent; exits non-zero naming what
# could not be installed.
set -euo pipefail
sparkplug_client_version=3.2.4
tools="${MFG_TOOLS_DIR:-$HOME/.cache/manufacturing-tools}"
status=0

if [ -z "${MFG_MOSQUITTO:-}" ] && [ ! -x /usr/sbin/mosquitto ] && [ ! -x /usr/bin/mosquitto ]; then
  echo "==> mosquitto not found: installing it with apt-get"
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  if ! { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends mosquitto >/dev/null; }; then
    echo "error: could not install mosquitto (the Sparkplug test will fail); set MFG_MOSQUITTO to a mosquitto binary" >&2
    status=1
  fi
fi

installed=$(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' "$tools/node_modules/sparkplug-client/package.json" 2>/dev/null | head -1 || true)
if [ "$installed" != "$sparkplug_client_version" ]; then
  echo "==> installing sparkplug-client@$sparkplug_client_version from the npm registry into $tools"
  mkdir -p "$tools"
  if ! npm install --prefix "$tools" --no-audit --no-fund --silent "sparkplug-client@$sparkplug_client_version" >&2; then
    echo "error: could not install sparkplug-client (the Sparkplug test will fail)" >&2
    status=1
  fi
fi

exit $status
