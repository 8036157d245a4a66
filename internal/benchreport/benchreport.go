// Package benchreport writes the figures of Calla's benches into the
// report file (docs/benchmarks.md): each bench owns one "## Title"
// section and replaces only that one, and every section says which
// machine it was measured on.
//
// Concurrency: the functions are for one bench at a time; nothing is
// shared.
package benchreport

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strings"
)

// Machine describes where a bench runs: CPUs, CPU model, Go version.
func Machine() string {
	return fmt.Sprintf("%d CPUs (nproc), %s, %s %s/%s", runtime.NumCPU(), CPUModel(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

// CPUModel is the CPU's model name, from /proc/cpuinfo where there is one.
func CPUModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

// LoadAverage is the 1, 5 and 15 minute load averages, or "n/a": a busy
// machine's figures should say so.
func LoadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "n/a"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "n/a"
	}
	return strings.Join(f[:3], " ")
}

// header starts a report file that has none yet.
const header = "# Benchmarks\n\nFigures written by `calla bench KIND` and the commands named in each section (`make bench` runs them all); each section is replaced when its measurement runs again.\n"

// WriteSection puts section (a "## Title" section) into the report at
// path, replacing the section of the same title and leaving the others
// alone.
func WriteSection(path, section string) error {
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("benchreport: %w", err)
	}
	title, _, _ := strings.Cut(section, "\n")
	text := string(old)
	if text == "" {
		text = header
	}
	start := strings.Index(text, title+"\n")
	if start < 0 {
		if !strings.HasSuffix(text, "\n") {
			text += "\n"
		}
		text += "\n" + section
	} else {
		end := len(text)
		if i := strings.Index(text[start+len(title):], "\n## "); i >= 0 {
			end = start + len(title) + i + 1
		}
		rest := text[end:]
		if rest != "" && !strings.HasSuffix(section, "\n\n") {
			section += "\n"
		}
		text = text[:start] + section + rest
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		return fmt.Errorf("benchreport: %w", err)
	}
	return nil
}
