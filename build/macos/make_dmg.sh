#!/usr/bin/env bash
# Package desktop-llm.app (built by installer.spec's BUNDLE) into a .dmg.
#   build/macos/make_dmg.sh build/out/bundle/desktop-llm.app dist/desktop-llm-0.1.0-macos-arm64-metal.dmg
# Signing and notarization run when their variables are set (CI secrets); without them
# the .dmg is unsigned and Gatekeeper asks users to confirm on first open.
#   MACOS_SIGN_IDENTITY   "Developer ID Application: NAME (TEAMID)"
#   MACOS_NOTARY_PROFILE  a notarytool keychain profile (xcrun notarytool store-credentials)
set -euo pipefail
app="$1"
dmg="$2"
here="$(cd "$(dirname "$0")" && pwd)"
[ -d "$app" ] || { echo "no app bundle at $app" >&2; exit 1; }

if [ -n "${MACOS_SIGN_IDENTITY:-}" ]; then
  # Hardened runtime, with the entitlements llama.cpp's Metal backend and Python need.
  codesign --force --deep --options runtime --timestamp \
    --entitlements "$here/entitlements.plist" --sign "$MACOS_SIGN_IDENTITY" "$app"
  codesign --verify --deep --strict "$app"
fi

staging="$(mktemp -d)"
trap 'rm -rf "$staging"' EXIT
cp -R "$app" "$staging/"
ln -s /Applications "$staging/Applications"
rm -f "$dmg"
hdiutil create -volname "desktop-llm" -srcfolder "$staging" -ov -format UDZO "$dmg"

if [ -n "${MACOS_SIGN_IDENTITY:-}" ]; then
  codesign --force --timestamp --sign "$MACOS_SIGN_IDENTITY" "$dmg"
fi
if [ -n "${MACOS_NOTARY_PROFILE:-}" ]; then
  xcrun notarytool submit "$dmg" --keychain-profile "$MACOS_NOTARY_PROFILE" --wait
  xcrun stapler staple "$dmg"
fi
echo "wrote $dmg"
