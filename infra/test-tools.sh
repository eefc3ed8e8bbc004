#!/usr/bin/env bash
# The command-line tools the tests read rendered documents with: poppler-utils (pdftoppm: a PDF ticket's
# page as a PNG; pdftotext: its text layer) and zbar-tools (zbarimg: the QR code on that PNG), from Debian's
# packages. Idempotent: when the binaries are there it only says so (no apt-get); else one
# `apt-get install --no-install-recommends` (as root). up.sh runs it; alone: `bash infra/test-tools.sh`.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

missing=()
command -v pdftoppm >/dev/null && command -v pdftotext >/dev/null || missing+=(poppler-utils)
command -v zbarimg >/dev/null || missing+=(zbar-tools)
how="present"
if [ "${#missing[@]}" -gt 0 ]; then
  apt_install "${missing[@]}"
  how="installed ${missing[*]}"
fi
for tool in pdftoppm pdftotext zbarimg; do
  command -v "$tool" >/dev/null || die "test tools: $tool is still missing after installing ${missing[*]}" "$CACHE/apt.log"
done
log "test tools: $how (pdftoppm, pdftotext, zbarimg)"
