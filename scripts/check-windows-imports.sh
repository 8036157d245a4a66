#!/usr/bin/env bash
# check-windows-imports.sh EXE: fails unless the DLLs the Windows exe
# imports (its import table, as x86_64-w64-mingw32-objdump -p prints it)
# are exactly those of packaging/windows/system-dlls.txt, each of which
# ships with Windows itself. A DLL outside the list (libvpx-*.dll,
# libstdc++-6.dll, libwinpthread-1.dll, libssp-0.dll...) would have to ship
# beside the exe; Calla links those statically. A listed DLL the exe no
# longer imports must leave the list, so that the list stays a true account.
#
# DLLs loaded at run time (LoadLibrary: Go's runtime and net package,
# miniaudio's audio backends, GLFW's optional ones) are not in the import
# table and so not checked here.
set -euo pipefail
cd "$(dirname "$0")/.."
exe=${1:-dist/Calla.exe}
objdump=${OBJDUMP:-x86_64-w64-mingw32-objdump}
want=$(awk '!/^#/ && NF {print tolower($1)}' packaging/windows/system-dlls.txt | sort -u)
got=$("$objdump" -p "$exe" | sed -n 's/^\s*DLL Name: *//p' | tr -d '\r' | tr 'A-Z' 'a-z' | sort -u)
[ -n "$got" ] || { echo "check-windows-imports: $exe imports no DLLs (not a PE exe?)" >&2; exit 1; }
extra=$(comm -13 <(echo "$want") <(echo "$got"))
gone=$(comm -23 <(echo "$want") <(echo "$got"))
if [ -n "$extra" ] || [ -n "$gone" ]; then
	[ -z "$extra" ] || echo "check-windows-imports: $exe imports DLLs not in packaging/windows/system-dlls.txt: $(echo $extra)" >&2
	[ -z "$gone" ] || echo "check-windows-imports: packaging/windows/system-dlls.txt lists DLLs $exe does not import: $(echo $gone)" >&2
	exit 1
fi
echo "check-windows-imports: ok ($(echo $got))"
