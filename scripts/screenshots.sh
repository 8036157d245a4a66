#!/usr/bin/env bash
# screenshots.sh renders docs/screenshots/: every main screen in light and
# dark (Fyne's software painter, against the fake engine), and real windows
# of the app under Xvfb: the first run, an echo call, and both sides of a
# call between two apps, a voice call that became a video call, and a
# shared screen.
set -euo pipefail
cd "$(dirname "$0")/.."
export LANG=C.UTF-8
dir=$PWD/docs/screenshots
CALLA_SCREENSHOT_DIR=$dir go test ./gui -run '^TestScreenshots$' -count=1
CALLA_SCREENSHOT_DIR=$dir CALLA_BIN=$PWD/bin/calla xvfb-run -a -s "-noreset -screen 0 1280x800x24" \
	go test ./e2e -run '^(TestDesktopWindowOpens|TestTwoAppsCall|TestTwoAppsVoiceToVideo|TestTwoAppsScreenShare|TestFirstRunEchoCall)$' -count=1
echo "screenshots in $dir" >&2
