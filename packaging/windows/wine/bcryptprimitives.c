/*
 * A stand-in for Windows' bcryptprimitives.dll, for Debian 12's wine only
 * (scripts/wine-smoke.sh). Go's runtime (1.24 and later) takes its random
 * bytes from ProcessPrng in that DLL and stops at start-up without it; wine
 * 8.0 does not have it. This one answers from BCryptGenRandom, which wine
 * does have. It never ships: Calla.exe and its zip do not contain it, and
 * Windows 10 and later have the real DLL.
 */
#include <windows.h>
#include <bcrypt.h>

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T n)
{
	while (n > 0) {
		ULONG k = n > 0x40000000 ? 0x40000000 : (ULONG)n;
		if (BCryptGenRandom(NULL, data, k, BCRYPT_USE_SYSTEM_PREFERRED_RNG) != 0)
			return FALSE;
		data += k;
		n -= k;
	}
	return TRUE;
}
