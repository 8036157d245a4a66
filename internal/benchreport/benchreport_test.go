package benchreport

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteSectionReplacesOnlyItsOwn(t *testing.T) {
	path := filepath.Join(t.TempDir(), "b.md")
	if err := os.WriteFile(path, []byte("# Benchmarks\n\n## Media\n\nmedia figures\n\n## Signaling\n\nold\n\n## Call\n\ncall figures\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteSection(path, "## Signaling\n\nnew\n"); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	want := "# Benchmarks\n\n## Media\n\nmedia figures\n\n## Signaling\n\nnew\n\n## Call\n\ncall figures\n"
	if string(b) != want {
		t.Errorf("got\n%s\nwant\n%s", b, want)
	}
	if err := WriteSection(filepath.Join(t.TempDir(), "new.md"), "## Signaling\n\nx\n"); err != nil {
		t.Fatal(err)
	}
}

func TestMachineNamesTheCPUs(t *testing.T) {
	if m := Machine(); !strings.Contains(m, "CPUs (nproc)") || !strings.Contains(m, "go1.") {
		t.Errorf("Machine() = %q", m)
	}
}

func TestWriteSectionCases(t *testing.T) {
	cases := []struct{ name, before, want string }{
		{"a new file gets a title and the section", "", header + "\n## Media\nnew\n"},
		{"the section is appended after other areas", "# B\n\n## Signaling\nsig\n",
			"# B\n\n## Signaling\nsig\n\n## Media\nnew\n"},
		{"an old section is replaced, the areas around it kept", "# B\n\n## Media\nold\nold2\n\n## Signaling\nsig\n",
			"# B\n\n## Media\nnew\n\n## Signaling\nsig\n"},
		{"a last section is replaced to the end", "# B\n\n## Signaling\nsig\n\n## Media\nold\n",
			"# B\n\n## Signaling\nsig\n\n## Media\nnew\n"},
		{"a file that starts with the section", "## Media\nold\n## Call\nc\n", "## Media\nnew\n\n## Call\nc\n"},
		{"a title that only starts like the section's is another section", "# B\n\n## Media extra\nx\n",
			"# B\n\n## Media extra\nx\n\n## Media\nnew\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "benchmarks.md")
			if c.before != "" {
				if err := os.WriteFile(p, []byte(c.before), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if err := WriteSection(p, "## Media\nnew\n"); err != nil {
				t.Fatal(err)
			}
			got, _ := os.ReadFile(p)
			if string(got) != c.want {
				t.Errorf("got:\n%q\nwant:\n%q", got, c.want)
			}
		})
	}
}
