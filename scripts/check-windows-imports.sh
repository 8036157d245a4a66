#!/usr/bin/env bash
# check-windows-imports.sh EXE: fails unless every DLL the Windows exe
# imports (x86_64-w64-mingw32-objdump -p) is in
# packaging/windows/system-dlls.txt, the DLLs every Windows install has.
# A DLL outside it (libvpx-9.dll, libwinpthread-1.dll, libssp-0.dll...)
# would have to ship beside the exe; Calla links those statically.
set -euo pipefail
cd "$(dirname "$0")/.."
exe=${1:-dist/Calla.exe}
objdump=${OBJDUMP:-x86_64-w64-mingw32-objdump}
allowed=$(awk '!/^#/ && NF {print tolower($1)}' packaging/windows/system-dlls.txt | sort -u)
got=$("$objdump" -p "$exe" | sed -n 's/^\s*DLL Name: *//p' | tr -d '\r' | tr 'A-Z' 'a-z' | sort -u)
[ -n "$got" ] || { echo "check-windows-imports: $exe imports no DLLs (not a PE exe?)" >&2; exit 1; }
extra=$(comm -13 <(echo "$allowed") <(echo "$got"))
if [ -n "$extra" ]; then
	echo "check-windows-imports: $exe imports DLLs that are not Windows system DLLs: $(echo $extra)" >&2
	exit 1
fi
echo "check-windows-imports: ok ($(echo $got))"
