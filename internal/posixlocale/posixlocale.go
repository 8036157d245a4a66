// Package posixlocale replaces the POSIX locale ("C", "C.UTF-8", "POSIX")
// in LANG and LC_ALL with en_US.UTF-8 when the program starts.
//
// Fyne parses the locale in a package init and logs an error for the POSIX
// names, which minimal systems, containers and CI default to; that line
// would precede every headless command's output. Import this package from
// main for its side effect: Go initializes packages in import-path order
// once their dependencies are ready, and this one, depending only on os,
// sorts before the locale library Fyne's lang package uses, so it runs
// first.
//
// Concurrency: runs once, in init, before main.
package posixlocale

import (
	"os"
	"strings"
)

func init() {
	for _, k := range []string{"LC_ALL", "LANG"} {
		if v := os.Getenv(k); v == "C" || v == "POSIX" || strings.HasPrefix(v, "C.") {
			os.Setenv(k, "en_US.UTF-8")
		}
	}
}
