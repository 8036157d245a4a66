package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/calla-rtc/calla/call"
	"github.com/calla-rtc/calla/call/bench"
	"github.com/calla-rtc/calla/internal/benchreport"
)

func init() {
	registerBench(benchKind{name: "call", summary: "sequential 1v1 video calls through the whole engine: setup and first-frame times", run: runBenchCall})
}

func runBenchCall(ctx context.Context, env *Env, args []string) int {
	fs := newFlags(env, "bench call", "calla bench call [--calls N] [--hangups N] [--size 640x480] [--fps 30] [--report FILE]")
	calls := fs.Int("calls", 30, "how many calls, one after another")
	hangups := fs.Int("hangups", 10, "how many hang-ups while the caller reconnects to a server that never answers")
	size := fs.String("size", "640x480", "video `WxH`")
	fps := fs.Int("fps", 30, "video frame rate")
	report := fs.String("report", "docs/benchmarks.md", "report `FILE` whose \"Call setup\" section is (re)written; empty: stdout only")
	verbose := fs.Bool("v", false, "log the engines to stderr")
	if code := parse(env, fs, args); code >= 0 {
		return code
	}
	var w, h int
	if _, err := fmt.Sscanf(*size, "%dx%d", &w, &h); err != nil || *calls < 1 || *fps < 1 || *hangups < 1 {
		fmt.Fprintf(env.Stderr, "calla bench call: --size %q, --calls %d, --hangups %d, --fps %d: want e.g. 640x480, >= 1, >= 1, >= 1\n", *size, *calls, *hangups, *fps)
		return ExitUsage
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if *verbose {
		log = slog.New(slog.NewTextHandler(env.Stderr, nil))
	}
	start := time.Now()
	r, err := bench.Run(ctx, bench.Options{Calls: *calls, Hangups: *hangups, Video: call.VideoEncoderParams{Width: w, Height: h, FrameRate: *fps}, Logger: log})
	if err != nil {
		fmt.Fprintf(env.Stderr, "calla bench call: %v\n", err)
		return ExitFailure
	}
	md := bench.Markdown(r, "calla bench call "+strings.Join(args, " "), start)
	fmt.Fprint(env.Stdout, md)
	if *report != "" {
		if err := benchreport.WriteSection(*report, md); err != nil {
			fmt.Fprintf(env.Stderr, "calla bench call: %v\n", err)
			return ExitFailure
		}
	}
	if r.Failed > 0 {
		return ExitFailure
	}
	return ExitOK
}
