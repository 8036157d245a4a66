package cli

import (
	"context"
	"fmt"
	"sort"
)

// benchKind is one `calla bench KIND` measurement. Each writes its figures
// to a report file (docs/benchmarks.md by default) and to stdout.
type benchKind struct {
	name    string
	summary string
	run     func(ctx context.Context, env *Env, args []string) int
}

var benchKinds = map[string]benchKind{}

func registerBench(b benchKind) { benchKinds[b.name] = b }

func init() {
	register(command{name: "bench", summary: "measure performance (signaling, media, call, ...)", run: runBench})
}

func runBench(ctx context.Context, env *Env, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		w := env.Stdout
		status := ExitOK
		if len(args) == 0 {
			w, status = env.Stderr, ExitUsage
		}
		fmt.Fprint(w, "Usage: calla bench KIND [flags]\n\nKinds:\n")
		names := make([]string, 0, len(benchKinds))
		for n := range benchKinds {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			fmt.Fprintf(w, "  %-10s %s\n", benchKinds[n].name, benchKinds[n].summary)
		}
		return status
	}
	b, ok := benchKinds[args[0]]
	if !ok {
		fmt.Fprintf(env.Stderr, "calla bench: unknown kind %q (run 'calla bench --help')\n", args[0])
		return ExitUsage
	}
	return b.run(ctx, env, args[1:])
}
