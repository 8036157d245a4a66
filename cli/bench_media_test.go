package cli

import (
	"os"
	"path/filepath"
	"testing"
)

func TestWriteMediaReportReplacesOnlyItsSection(t *testing.T) {
	cases := []struct{ name, before, want string }{
		{"a new file gets a title and the section", "",
			"# Benchmarks\n\nFigures measured by the `calla bench` commands, one section per area.\n\n## Media\nnew\n"},
		{"the section is appended after other areas", "# B\n\n## Signaling\nsig\n",
			"# B\n\n## Signaling\nsig\n\n## Media\nnew\n"},
		{"an old section is replaced, the areas around it kept", "# B\n\n## Media\nold\nold2\n\n## Signaling\nsig\n",
			"# B\n\n## Media\nnew\n## Signaling\nsig\n"},
		{"a last section is replaced to the end", "# B\n\n## Signaling\nsig\n\n## Media\nold\n",
			"# B\n\n## Signaling\nsig\n\n## Media\nnew\n"},
		{"a file that starts with the section", "## Media\nold\n## Call\nc\n", "## Media\nnew\n## Call\nc\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "benchmarks.md")
			if c.before != "" {
				if err := os.WriteFile(p, []byte(c.before), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if err := writeMediaReport(p, "## Media\nnew\n"); err != nil {
				t.Fatal(err)
			}
			got, _ := os.ReadFile(p)
			if string(got) != c.want {
				t.Errorf("got:\n%q\nwant:\n%q", got, c.want)
			}
		})
	}
}
